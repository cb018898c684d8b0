"""The Telegram layer's handlers: thin adapters from Telegram updates to the core ``Engine``.

Each handler reads what the update carries, asks the engine, and sends the ``Answer`` through
``common.reply``; none of them decides what to say. They are registered in one place,
``bot.telegram_app.register_handlers``.
"""
