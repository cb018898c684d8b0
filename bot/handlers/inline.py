"""Inline mode: ``@bot tokyo`` in any chat offers cards a traveller can drop into that chat."""

from __future__ import annotations

from telegram import InlineQueryResultArticle, InputTextMessageContent, Update

from bot.cards import cards
from bot.handlers.common import Context, html, keyboard, services

CACHE_SECONDS = 300  # answers change only with the knowledge, so Telegram may cache them


async def on_inline(update: Update, context: Context) -> None:
    query = update.inline_query
    if query is None:
        return
    engine = services(context).engine
    results = [
        InlineQueryResultArticle(
            id=card.id,
            title=card.title,
            description=card.description,
            input_message_content=InputTextMessageContent(html(card.answer, engine)),
            reply_markup=keyboard(card.answer),
        )
        for card in cards(engine, query.query)
    ]
    await query.answer(results, cache_time=CACHE_SECONDS, is_personal=False)
