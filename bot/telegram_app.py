"""The Telegram bot: python-telegram-bot's ``Application`` wired to the core ``Engine``.

``build_application`` is the one factory (the CLI and the end-to-end tests both use it), and
``register_handlers`` the one place that says which update goes to which handler. Polling is
the only mode for now; webhook mode slots in at ``_serve``.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from telegram import (
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    ExtBot,
    InlineQueryHandler,
    JobQueue,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.config import Settings, SettingsError
from bot.engine import Engine
from bot.flood import FloodGuard
from bot.handlers import buttons, commands, conversation, errors, guard, inline
from bot.handlers.common import SERVICES_KEY, Services
from bot.handlers.filters import ADDRESSED, COMMAND_FOR_US, PRIVATE
from bot.logs import protect, quiet_noisy_loggers, setup_logging
from bot.menus import COMMANDS

TravelApp = Application[
    ExtBot[int],  # the int is AIORateLimiter's per-request argument (max retries)
    ContextTypes.DEFAULT_TYPE,
    dict[Any, Any],
    dict[Any, Any],
    dict[Any, Any],
    JobQueue[ContextTypes.DEFAULT_TYPE],
]

ALLOWED_UPDATES: Final = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.INLINE_QUERY,
]
RATE_LIMIT_RETRIES: Final = 2
"""A send Telegram answers with 429 is retried after the wait it asks for, twice at most."""
CONCURRENT_UPDATES: Final = 32
"""Updates handled at once: a reply held back by the outgoing rate limiter (a busy group)
must not hold up every other chat. The engine's work is synchronous and runs before a
handler's first network call, so each chat's context still sees its messages in order."""


def build_application(
    settings: Settings, engine: Engine, *, flood: FloodGuard | None = None
) -> TravelApp:
    """The bot, ready to initialize: HTML by default, no link previews, outgoing requests
    paced by AIORateLimiter, incoming ones per user by ``flood``."""
    if not settings.token:
        raise SettingsError(
            "TELEGRAM_BOT_TOKEN is not set; get a token from @BotFather and export it"
        )
    quiet_noisy_loggers()
    protect(settings.token)
    defaults = Defaults(
        parse_mode=ParseMode.HTML,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
    app = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.base_url)
        .defaults(defaults)
        .rate_limiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))
        .concurrent_updates(CONCURRENT_UPDATES)
        .post_init(set_commands)
        .build()
    )
    app.bot_data[SERVICES_KEY] = Services(engine, flood if flood is not None else FloodGuard())
    register_handlers(app)
    return app


def register_handlers(app: TravelApp) -> None:
    """Every handler, in the order PTB tries them."""
    new = filters.UpdateType.MESSAGE
    app.add_handler(TypeHandler(Update, guard.guard), group=-1)
    app.add_handler(CommandHandler(COMMANDS, commands.on_command, filters=new))
    app.add_handler(
        MessageHandler(new & filters.COMMAND & COMMAND_FOR_US, commands.on_unknown_command)
    )
    app.add_handler(
        MessageHandler(new & filters.TEXT & ~filters.COMMAND & ADDRESSED, conversation.on_text)
    )
    app.add_handler(MessageHandler(new & filters.LOCATION & ADDRESSED, conversation.on_location))
    app.add_handler(
        MessageHandler(filters.UpdateType.EDITED_MESSAGE & PRIVATE, conversation.on_edited)
    )
    app.add_handler(MessageHandler(new & PRIVATE & ~filters.COMMAND, conversation.on_other))
    app.add_handler(CallbackQueryHandler(buttons.on_button))
    app.add_handler(InlineQueryHandler(inline.on_inline))
    app.add_error_handler(errors.on_error)


async def set_commands(app: TravelApp) -> None:
    """The command menu: everything in private chats, no /start in groups."""
    await app.bot.set_my_commands(
        commands.menu(commands.PRIVATE_MENU), scope=BotCommandScopeAllPrivateChats()
    )
    await app.bot.set_my_commands(
        commands.menu(commands.GROUP_MENU), scope=BotCommandScopeAllGroupChats()
    )


class _StartupFailure(logging.Filter):
    """Drops PTB's own traceback of a failed start (a refused token, an unreachable Bot API):
    ``run`` reports those itself in one line, which is all an operator needs."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not (
            isinstance(error, InvalidToken)
            or (isinstance(error, NetworkError) and "(Bootstrap" in record.getMessage())
        )


def _check_mode(settings: Settings) -> None:
    if settings.webhook_url:
        raise SettingsError(
            "TRAVELBOT_WEBHOOK_URL is set, but webhook mode is not available yet; "
            "unset it to run in polling mode"
        )


def _serve(app: TravelApp, settings: Settings) -> None:
    """Where webhook mode will branch off; polling until then. run_polling stops on SIGINT,
    SIGTERM and SIGABRT, and shuts the application down before it returns."""
    app.run_polling(allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)


def run(settings: Settings, engine: Engine) -> int:
    """Run the bot until a stop signal; 0 on a clean stop. A token the Bot API refuses, or a
    Bot API that cannot be reached, is a ``SettingsError``: one line, no traceback."""
    _check_mode(settings)
    setup_logging(
        settings.log_level, settings.log_format, [settings.token, settings.webhook_secret]
    )
    app = build_application(settings, engine)
    logging.getLogger("telegram.ext").addFilter(_StartupFailure())
    try:
        _serve(app, settings)
    except InvalidToken:
        raise SettingsError(
            "TELEGRAM_BOT_TOKEN was refused by the Bot API (unauthorized)"
        ) from None
    except NetworkError as exc:
        raise SettingsError(
            f"cannot reach the Bot API at TELEGRAM_BASE_URL ({settings.base_url}): {exc.message}"
        ) from None
    return 0
