"""The Telegram bot: python-telegram-bot's ``Application`` wired to the core.

``build_application`` is the one factory (the CLI and the end-to-end tests both use it), and
``register_handlers`` the one place that says which update goes to which handler. The bot
serves from a ``KnowledgeHolder`` (reloaded by ``/reload`` and by the watch job), records
questions in the ``QuestionStore`` under ``TRAVELBOT_DATA_DIR``, and beats a heartbeat there.
Polling is the only mode for now; webhook mode slots in at ``_serve``.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any, Final

from telegram import (
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError, TelegramError
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

from bot import health
from bot.admin import ADMIN_COMMANDS
from bot.config import Settings, SettingsError
from bot.engine import Engine
from bot.flood import FloodGuard
from bot.handlers import admin, buttons, commands, conversation, errors, guard, inline
from bot.handlers.common import SERVICES_KEY, Services, services_in
from bot.handlers.filters import ADDRESSED, COMMAND_FOR_US, PRIVATE
from bot.logs import protect, quiet_noisy_loggers, setup_logging
from bot.menus import COMMANDS
from bot.reloading import KnowledgeHolder
from bot.store import QuestionStore, SqliteStore

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
WATCH_JOB: Final = "knowledge-watch"

log = logging.getLogger("bot.telegram")


def open_store(data_dir: Path) -> SqliteStore:
    """The question store under ``TRAVELBOT_DATA_DIR``; a folder it cannot use is a
    ``SettingsError`` (one line at start-up), not a failure at the first question."""
    try:
        return SqliteStore.in_dir(data_dir)
    except (OSError, sqlite3.Error) as exc:
        raise SettingsError(
            f"TRAVELBOT_DATA_DIR ({data_dir}) cannot hold the question store: {exc}"
        ) from None


def build_application(
    settings: Settings,
    knowledge: KnowledgeHolder | Engine | None = None,
    *,
    flood: FloodGuard | None = None,
    store: QuestionStore | None = None,
) -> TravelApp:
    """The bot, ready to initialize: HTML by default, no link previews, outgoing requests
    paced by AIORateLimiter, incoming ones per user by ``flood``.

    ``knowledge`` is the holder to serve from; by default one is loaded from
    ``settings.knowledge`` (an ``Engine`` already built from that folder is taken as its
    first knowledge). ``store`` defaults to the SQLite store in ``settings.data_dir``; it is
    closed when the application shuts down."""
    if not settings.token:
        raise SettingsError(
            "TELEGRAM_BOT_TOKEN is not set; get a token from @BotFather and export it"
        )
    quiet_noisy_loggers()
    protect(settings.token)
    if not isinstance(knowledge, KnowledgeHolder):
        knowledge = KnowledgeHolder(settings.knowledge, engine=knowledge)
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
        .post_init(start_up)
        .post_shutdown(shut_down)
        .build()
    )
    app.bot_data[SERVICES_KEY] = Services(
        knowledge=knowledge,
        flood=flood if flood is not None else FloodGuard(),
        store=store if store is not None else open_store(settings.data_dir),
        settings=settings,
    )
    register_handlers(app)
    return app


def register_handlers(app: TravelApp) -> None:
    """Every handler, in the order PTB tries them."""
    new = filters.UpdateType.MESSAGE
    admins = filters.User(user_id=services_in(app.bot_data).settings.admin_ids)  # none: nobody
    app.add_handler(TypeHandler(Update, guard.guard), group=-1)
    # anyone else's admin command, or one in a group, is left to the unknown-command handler
    app.add_handler(
        CommandHandler(ADMIN_COMMANDS, admin.on_admin_command, filters=new & PRIVATE & admins)
    )
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


async def start_up(app: TravelApp) -> None:
    """``post_init``: the command menus, then the jobs (heartbeat, knowledge watch)."""
    await set_commands(app)
    start_jobs(app)


async def shut_down(app: TravelApp) -> None:
    """``post_shutdown``: every update has been handled, so the store can be closed."""
    await services_in(app.bot_data).close_store()


async def set_commands(app: TravelApp) -> None:
    """The command menu: everything in private chats, no /start in groups, and the admin
    commands in each admin's private chat only. An admin whose chat Telegram does not know
    (they never started the bot) is logged and skipped: the bot starts anyway."""
    await app.bot.set_my_commands(
        commands.menu(commands.PRIVATE_MENU), scope=BotCommandScopeAllPrivateChats()
    )
    await app.bot.set_my_commands(
        commands.menu(commands.GROUP_MENU), scope=BotCommandScopeAllGroupChats()
    )
    admin_menu = commands.menu(commands.ADMIN_MENU)
    for admin_id in sorted(services_in(app.bot_data).settings.admin_ids):
        try:
            await app.bot.set_my_commands(admin_menu, scope=BotCommandScopeChat(admin_id))
        except TelegramError as exc:
            log.warning(
                "could not set the admin menu for %s (has this admin started the bot?): %s",
                admin_id,
                exc,
            )


def start_jobs(app: TravelApp) -> None:
    """The heartbeat (polling mode: written now, then every 30 s) and the knowledge watch
    (every ``reload_interval`` seconds; 0 turns it off)."""
    jobs = app.job_queue
    if jobs is None:  # pragma: no cover - the job-queue extra is a dependency
        raise RuntimeError("python-telegram-bot's job queue is missing (pip extra job-queue)")
    settings = services_in(app.bot_data).settings
    if not settings.webhook_url:  # the first beat is written at once, then every 30 s
        health.start_heartbeat(jobs.run_repeating, health.heartbeat_path(settings.data_dir))
    if settings.reload_interval > 0:
        jobs.run_repeating(
            admin.watch_knowledge,
            interval=settings.reload_interval,
            first=settings.reload_interval,
            name=WATCH_JOB,
            job_kwargs={"max_instances": 1, "coalesce": True},
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


def run(settings: Settings, knowledge: KnowledgeHolder | Engine | None = None) -> int:
    """Run the bot until a stop signal; 0 on a clean stop. A token the Bot API refuses, or a
    Bot API that cannot be reached, is a ``SettingsError``: one line, no traceback."""
    _check_mode(settings)
    setup_logging(
        settings.log_level, settings.log_format, [settings.token, settings.webhook_secret]
    )
    app = build_application(settings, knowledge)
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
