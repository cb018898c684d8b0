"""The Telegram bot: python-telegram-bot's ``Application`` wired to the core.

``build_application`` is the one factory (the CLI and the end-to-end tests both use it), and
``register_handlers`` the one place that says which update goes to which handler. The bot
serves from a ``KnowledgeHolder`` (reloaded by ``/reload`` and by the watch job), records
questions in the ``QuestionStore`` under ``TRAVELBOT_DATA_DIR``, and beats a heartbeat there.

Two modes, chosen by ``TRAVELBOT_WEBHOOK_URL``: polling (``bot.polling.PollingBot``, which
replaces PTB's ``Updater``: updates are confirmed to Telegram only once they are in the
journal) and webhook (``WebhookBot``: uvicorn serves ``bot.webhook``'s ASGI app in the same
event loop, and Telegram is answered once the update is handled). Neither uses PTB's
``Updater`` or ``update_queue``: both read each update on its own, judge floods as it arrives
and run it through the fair ``bot.dispatch.Dispatcher`` (``bot.polling.Intake``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sqlite3
import threading
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, Final

import uvicorn
from telegram import (
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    LinkPreviewOptions,
    Update,
)
from telegram._utils.types import JSONDict
from telegram.constants import ParseMode
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TelegramError
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
    filters,
)
from uvicorn.protocols.http.h11_impl import H11Protocol

from bot import health, webhook
from bot.admin import ADMIN_COMMANDS, note
from bot.config import Settings, SettingsError, display_url, url_password
from bot.engine import Engine
from bot.flood import FloodGuard
from bot.handlers import admin, buttons, commands, conversation, errors, inline
from bot.handlers.common import SERVICES_KEY, Services, services_in
from bot.handlers.filters import ADDRESSED, COMMAND_FOR_US, PRIVATE
from bot.logs import protect, quiet_noisy_loggers, setup_logging
from bot.menus import COMMANDS
from bot.messages import t
from bot.polling import Intake, PollingBot, PollingRefused, RecentIds, refusal
from bot.reloading import KnowledgeHolder
from bot.store import DEFAULT_RETENTION_DAYS, QuestionStore, SqliteStore, open_or_set_aside

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
MAX_RETRY_WAIT: Final = 5.0
"""A 429 asking to wait longer than this is given up at once: while AIORateLimiter waits out
a 429 it holds every chat's sends, and a stop would wait for it too."""
WATCH_JOB: Final = "knowledge-watch"
STOP_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM)
STOP_SECONDS: Final = 15
"""The most a stop signal waits for the updates being handled (documented bound)."""
GRACEFUL_SECONDS: Final = STOP_SECONDS + 2
"""Webhook mode: how long uvicorn lets open requests finish after a stop signal (each one
waits for its update, which the dispatcher gives STOP_SECONDS)."""
ANSWER_WITHIN: Final = 20.0
"""Webhook mode: Telegram is answered when its update is handled, or after this many seconds
(well within the time Telegram waits), the update still being handled."""
HEADER_TIMEOUT: Final = 10.0
"""Webhook mode: a connection that has not sent a whole request head in this many seconds
is closed (uvicorn times out idle keep-alive connections only)."""
BODY_TIMEOUT: Final = 10.0
"""Webhook mode: the time a client gets to send an update's body."""

log = logging.getLogger("bot.telegram")


def open_store(
    data_dir: Path, retention_days: int = DEFAULT_RETENTION_DAYS
) -> tuple[SqliteStore, str | None]:
    """The question store under ``TRAVELBOT_DATA_DIR``, and a notice for the admins when its
    file was corrupt and set aside (the bot answers without its statistics: it starts with a
    new store). A folder it cannot use is a ``SettingsError`` (one line at start-up), not a
    failure at the first question."""
    path = data_dir / "travelbot.sqlite3"
    try:
        store, aside = open_or_set_aside(path, retention_days)
    except (OSError, sqlite3.Error) as exc:
        raise SettingsError(
            f"TRAVELBOT_DATA_DIR ({data_dir}) cannot hold the question store: {exc}"
        ) from None
    if aside is None:
        return store, None
    log.warning("the question store %s was corrupt: kept as %s, started a new one", path, aside)
    return store, t("admin_store_set_aside", path=path, copy=aside)


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
    limiter_log = logging.getLogger("telegram.ext.AIORateLimiter")
    if not any(isinstance(f, _RateLimitGiveUp) for f in limiter_log.filters):
        limiter_log.addFilter(_RateLimitGiveUp())
    request_log = logging.getLogger("telegram.request.BaseRequest")
    if not any(isinstance(f, _NotJson) for f in request_log.filters):
        request_log.addFilter(_NotJson())
    protect(settings.token, settings.webhook_secret, url_password(settings.base_url))
    if not isinstance(knowledge, KnowledgeHolder):
        knowledge = KnowledgeHolder(settings.knowledge, engine=knowledge)
    defaults = Defaults(
        parse_mode=ParseMode.HTML,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
        # a group question deleted before the reply: answer it anyway, unquoted
        allow_sending_without_reply=True,
    )
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.base_url)
        .defaults(defaults)
        .rate_limiter(CappedRateLimiter(max_retries=RATE_LIMIT_RETRIES))
        .post_init(start_up)
        .post_shutdown(shut_down)
        .updater(None)  # bot.polling and the webhook server bring the updates in
    )
    notices: list[str] = []
    if store is None:
        store, notice = open_store(settings.data_dir, settings.retention_days)
        notices += [notice] if notice else []
    app = builder.build()
    app.bot_data[SERVICES_KEY] = Services(
        knowledge=knowledge,
        flood=flood if flood is not None else FloodGuard(),
        store=store,
        settings=settings,
        notices=notices,
    )
    register_handlers(app)
    return app


def register_handlers(app: TravelApp) -> None:
    """Every handler, in the order PTB tries them."""
    new = filters.UpdateType.MESSAGE
    admins = filters.User(user_id=services_in(app.bot_data).settings.admin_ids)  # none: nobody
    # the flood guard runs as updates arrive (bot.polling.Intake), before any handler
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
    """``post_init``: the command menus, then the jobs (heartbeat, knowledge watch), then what
    the admins must hear of at start-up (a store set aside)."""
    await set_commands(app)
    start_jobs(app)
    found = services_in(app.bot_data)
    # every language's typo index, off the event loop: the first Thai question need not wait
    threading.Thread(
        target=found.engine.understanding.warm, name="travelbot-warm", daemon=True
    ).start()
    if found.notices:
        await admin.tell_admins(app.bot, found, [a for n in found.notices for a in note(n)])


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
        found = services_in(app.bot_data)
        health.start_heartbeat(
            jobs.run_repeating,
            health.heartbeat_path(settings.data_dir),
            alive=lambda: found.alive(),
        )
    if settings.reload_interval > 0:
        jobs.run_repeating(
            admin.watch_knowledge,
            interval=settings.reload_interval,
            first=settings.reload_interval,
            name=WATCH_JOB,
            job_kwargs={"max_instances": 1, "coalesce": True},
        )


class _TooLongToWait(Exception):
    """Carries a RetryAfter past AIORateLimiter's retry loop."""

    def __init__(self, error: RetryAfter) -> None:
        super().__init__(str(error))
        self.error = error


class CappedRateLimiter(AIORateLimiter):
    """AIORateLimiter, except that a 429 asking to wait more than ``MAX_RETRY_WAIT`` seconds
    is given up at once (the error handler logs it, one line) instead of holding every
    chat's sends, and any stop, for that long."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        async def capped(*a: Any, **kw: Any) -> bool | JSONDict | list[JSONDict]:
            try:
                return await callback(*a, **kw)
            except RetryAfter as exc:
                if exc._retry_after.total_seconds() > MAX_RETRY_WAIT:
                    raise _TooLongToWait(exc) from None
                raise

        try:
            return await super().process_request(
                capped, args, kwargs, endpoint, data, rate_limit_args
            )
        except _TooLongToWait as exc:
            raise exc.error from None


class _RateLimitGiveUp(logging.Filter):
    """Drops AIORateLimiter's own ERROR when it stops retrying a 429: the error handler logs
    that give-up once, naming the update, which is the line an operator can use."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Rate limit hit after maximum of")


class _NotJson(logging.Filter):
    """Drops PTB's ERROR and traceback for a reply that is not JSON (a proxy's or a wrong
    path's error page): the error PTB then raises says so, and the bot logs that in one line
    (``bot.polling``, the error handler, or ``run``'s one-line exit)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Can not load invalid JSON data")


def bind_listener(host: str, port: int) -> socket.socket:
    """The webhook server's listening socket, bound before anything else starts: a port in
    use or an address this machine does not have is a ``SettingsError`` (one line)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, _, _, _, address = infos[0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6 and host.strip("[]") == "::":
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)  # IPv4 too
            sock.bind(address)
            sock.listen(128)
        except BaseException:
            sock.close()
            raise
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise SettingsError(
            f"cannot listen on TRAVELBOT_LISTEN:TRAVELBOT_PORT ({host}:{port}): {reason}"
        ) from None
    sock.setblocking(False)
    return sock


class _HeadTimeoutH11(H11Protocol):
    """uvicorn's h11 protocol with a deadline for the request head: a client that opens a
    connection and trickles its headers (or sends nothing) is cut off after
    ``HEADER_TIMEOUT`` seconds, whatever it sends meanwhile."""

    _head_timer: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        self._head_timer = self.loop.call_later(HEADER_TIMEOUT, self._head_late)

    def _head_late(self) -> None:
        self._head_timer = None
        if (self.cycle is None or self.cycle.response_complete) and not self.transport.is_closing():
            self.transport.close()  # no request under way: the head never came

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()  # the next request on this connection has as long

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        super().connection_lost(exc)


class _Uvicorn(uvicorn.Server):
    """uvicorn's server without its own signal handling. The bot owns SIGINT and SIGTERM
    (``serve_webhook``), and uvicorn would raise the signal again once its server is down:
    the process would die before the application had stopped and closed the store."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class WebhookBot:
    """Webhook mode: the ``Application`` (built without an ``Updater``) and uvicorn serving
    ``bot.webhook``'s routes, in one event loop.

    ``start``: initialise the application, ``post_init`` (menus, jobs), start it, start the
    server on the bound socket, and only then ``setWebhook`` (so Telegram's first post finds
    the server up); /healthz answers 200 from then on. ``stop``: /healthz answers 503, the
    server stops taking requests and finishes the open ones, the application handles every
    queued update and waits for those in flight, shuts down, and ``post_shutdown`` closes the
    store. The webhook stays set: Telegram keeps the updates sent while the bot restarts."""

    def __init__(self, app: TravelApp, settings: Settings, sock: socket.socket | None = None):
        if not settings.webhook_url or not settings.webhook_secret:
            raise SettingsError("webhook mode needs TRAVELBOT_WEBHOOK_URL and its secret")
        self.app = app
        self.settings = settings
        self._sock = sock
        self._serving = False
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.intake = Intake(app)
        self._recent = RecentIds()
        self.asgi = webhook.create_app(
            path=settings.webhook_path,
            secret=settings.webhook_secret,
            feed=self._feed,
            health=self._health,
            metrics=services_in(app.bot_data).metrics,
        )
        self.server = _Uvicorn(
            uvicorn.Config(
                self.asgi,
                log_config=None,  # the bot's logging (text or JSON, masked) handles its records
                access_log=False,
                lifespan="off",
                server_header=False,
                proxy_headers=False,
                timeout_graceful_shutdown=GRACEFUL_SECONDS,
                http=_HeadTimeoutH11,
            )
        )

    async def _feed(self, data: dict[str, Any]) -> bool:
        """Read, judge and handle one update; True once it is handled (or deliberately
        skipped: unreadable, a repeat, over the flood limit), False when the bot stopped
        before handling it (Telegram is then told to send it again)."""
        if not all(isinstance(v, dict) for k, v in data.items() if k != "update_id"):
            raise ValueError("not a Telegram update (a field that should be an object)")
        if not self._recent.add(int(data["update_id"])):
            log.info("update %s arrived again; handled once already", data["update_id"])
            return True
        update = self.intake.read(data)
        if update is None or not self.intake.admit(update):
            return True
        handled = self.intake.dispatch(update)
        try:
            await asyncio.wait_for(asyncio.shield(handled), ANSWER_WITHIN)
        except TimeoutError:
            log.info("update %s still being handled; Telegram answered", update.update_id)
        except asyncio.CancelledError:
            if not handled.cancelled():
                raise
            return False
        return True

    def _health(self) -> tuple[bool, dict[str, Any]]:
        if not (self._serving and self.app.running):
            return False, {}
        kb = services_in(self.app.bot_data).engine.kb
        return True, {"mode": "webhook", "knowledge": kb.fingerprint, "clusters": len(kb.clusters)}

    @property
    def serving(self) -> bool:
        return self._health()[0]

    def request_stop(self) -> None:
        """From a signal handler: ``wait`` returns, then ``stop`` does the rest."""
        if not self._stopping:
            log.info("stopping: finishing the requests and updates in flight")
        self._stopping = True
        self._serving = False
        self.server.should_exit = True

    async def start(self) -> None:
        settings = self.settings
        sock = self._sock or bind_listener(settings.listen, settings.port)
        self._sock = sock
        await self.app.initialize()
        await start_up(self.app)
        await self.app.start()
        if self._stopping:
            return
        self._task = asyncio.create_task(self.server.serve(sockets=[sock]), name="uvicorn")
        while not self.server.started:
            if self._task.done():
                await self._task  # its error, if any
                return
            await asyncio.sleep(0.01)
        if self._stopping:
            return
        try:
            await self.app.bot.set_webhook(
                url=settings.webhook_url or "",
                secret_token=settings.webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
            )
        except BadRequest as exc:  # a NetworkError to PTB, but this one is about the URL
            raise SettingsError(
                f"the Bot API refused TRAVELBOT_WEBHOOK_URL ({settings.webhook_url}): {exc.message}"
            ) from None
        self._serving = not self._stopping
        host, port = sock.getsockname()[:2]
        log.info(
            "webhook mode: serving %s, /healthz and /metrics on %s:%s; Telegram posts to %s",
            settings.webhook_path,
            host,
            port,
            settings.webhook_url,
        )

    async def wait(self) -> None:
        """Until the server stops (``request_stop``)."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def stop(self) -> None:
        self.request_stop()
        try:
            dispatcher = services_in(self.app.bot_data).dispatcher
            stopping = asyncio.create_task(dispatcher.stop(STOP_SECONDS))
            if self._task is not None:
                await self._task
            elif self._sock is not None:
                self._sock.close()  # the server never took it
            unfinished = await stopping
            if unfinished:
                log.info("%d update(s) left to Telegram to send again", unfinished)
        finally:
            if self.app.running:
                await self.app.stop()
            await self.app.shutdown()
            await shut_down(self.app)


async def serve_webhook(app: TravelApp, settings: Settings, sock: socket.socket | None) -> None:
    """Webhook mode until SIGINT or SIGTERM, which stop it cleanly."""
    bot = WebhookBot(app, settings, sock)
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, bot.request_stop)
    try:
        await bot.start()
        await bot.wait()
    finally:
        await bot.stop()
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)


async def serve_polling(app: TravelApp, settings: Settings) -> None:
    """Polling mode until SIGINT or SIGTERM (a clean stop within STOP_SECONDS and a few
    more), or until the Bot API refuses getUpdates (``PollingRefused``)."""
    bot = PollingBot(app, settings.data_dir, settings.base_url)
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, bot.request_stop)
    try:
        await bot.start()
        await bot.wait()
    finally:
        await bot.stop(STOP_SECONDS)
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)


def run(settings: Settings, knowledge: KnowledgeHolder | Engine | None = None) -> int:
    """Run the bot until a stop signal; 0 on a clean stop. A token the Bot API refuses, a
    Bot API that cannot be reached, or a port that cannot be listened on is a
    ``SettingsError``: one line, no traceback."""
    setup_logging(
        settings.log_level, settings.log_format, [settings.token, settings.webhook_secret]
    )
    sock = bind_listener(settings.listen, settings.port) if settings.webhook_url else None
    try:
        app = build_application(settings, knowledge)
    except BaseException:
        if sock is not None:
            sock.close()
        raise
    log.info("starting in %s mode", settings.mode)
    base_url = display_url(settings.base_url)
    try:
        if settings.webhook_url:
            asyncio.run(serve_webhook(app, settings, sock))
        else:
            asyncio.run(serve_polling(app, settings))
    except PollingRefused as exc:
        raise SettingsError(str(exc)) from None
    except InvalidToken as exc:
        raise SettingsError(refusal(exc, settings.base_url)) from None
    except BadRequest as exc:  # a start-up call refused: the Bot API was reached
        raise SettingsError(
            f"the Bot API at TELEGRAM_BASE_URL ({base_url}) refused a start-up call: {exc.message}"
        ) from None
    except NetworkError as exc:
        raise SettingsError(
            f"cannot reach the Bot API at TELEGRAM_BASE_URL ({base_url}): {exc.message}"
        ) from None
    log.info("stopped")
    return 0
