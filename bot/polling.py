"""How updates come in: the ``Intake`` both modes share, and polling (``Poller``,
``PollingBot``), which replaces python-telegram-bot's ``Updater``.

The ``Updater`` confirmed each batch to Telegram as soon as it was queued (a ``kill -9`` lost the
queue), parsed a batch as a whole (one update it could not read blocked polling for everyone,
and PTB logged the raw batch at CRITICAL in a loop), gave up polling for good on a 401 or 404
without a word, and logged every failed ``getUpdates`` as an ERROR with a traceback. Here:

- each update is read on its own; one python-telegram-bot cannot read is skipped and logged
  once, by its id and type only (never its content);
- floods are judged as updates arrive (``bot.handlers.guard``), and the admitted ones are run
  by the fair ``bot.dispatch.Dispatcher``;
- polling mode writes each admitted batch to the ``bot.journal.UpdateJournal`` before asking
  Telegram for the next one (which is what confirms a batch), and replays the journal at start;
- a 401 or 404 from ``getUpdates`` ends the bot with a clear line and a non-zero exit code (so
  Docker restarts it), and the heartbeat is removed at once so ``travelbot health`` is red;
- other failures are retried with backoff, logged as one line, at most once a minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from telegram import Update
from telegram.error import InvalidToken, RetryAfter, TelegramError

from bot import health
from bot.handlers import guard
from bot.handlers.common import Services, services_in
from bot.journal import UpdateJournal

if TYPE_CHECKING:
    from bot.telegram_app import TravelApp

POLL_TIMEOUT: Final = 10
"""Seconds Telegram holds a getUpdates open when it has nothing to send."""
READ_SLACK: Final = 10.0
"""Added to POLL_TIMEOUT for the HTTP read timeout of a getUpdates."""
BATCH: Final = 100
FIRST_BACKOFF: Final = 0.25
MAX_BACKOFF: Final = 30.0
MAX_RETRY_AFTER: Final = 30.0
FAILURE_LOG_INTERVAL: Final = 60.0
"""A run of failing getUpdates is logged once, then at most once per this many seconds."""
ALIVE_WITHIN: Final = 90.0
"""Polling counts as alive while a getUpdates succeeded this recently (or it just started)."""
MAX_WAITING: Final = 5_000
"""Admitted updates waiting to be handled beyond which polling pauses (memory bound)."""
RECENT_IDS: Final = 10_000
"""Webhook mode: update ids remembered to recognise an update Telegram sends twice."""

log = logging.getLogger("bot.telegram")


class PollingRefused(Exception):
    """The Bot API refused getUpdates for good (401, 404): the bot must stop."""


def refusal(error: InvalidToken, base_url: str) -> str:
    """One line for a 401 or a 404: a refused token, or a wrong Bot API URL."""
    from bot.config import display_url

    cause = error.__cause__  # PTB's initialize wraps the server's answer (and the token)
    text = cause.message if isinstance(cause, InvalidToken) else error.message
    if "401" in text or text.lower().startswith("unauthorized"):
        return "TELEGRAM_BOT_TOKEN was refused by the Bot API (401 Unauthorized)"
    return (
        f"the Bot API at TELEGRAM_BASE_URL ({display_url(base_url)}) answered 404 Not Found: "
        "is its path right (Telegram's ends in /bot)?"
    )


def update_key(update: Update) -> Hashable:
    """Whose queue an update joins: its sender's, else its chat's, else its own."""
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return ("chat", update.effective_chat.id)
    return ("update", update.update_id)


def _kind(data: dict[str, Any]) -> str:
    return next((str(key) for key in data if key != "update_id"), "empty")


class Intake:
    """Read, judge and dispatch an update: the one way in, in both modes."""

    def __init__(self, app: TravelApp) -> None:
        self.app = app
        self.found: Services = services_in(app.bot_data)

    def read(self, data: dict[str, Any]) -> Update | None:
        """The update, or None (logged once, by id and type) if PTB cannot read it."""
        try:
            return Update.de_json(data, self.app.bot)
        except Exception as exc:  # whatever PTB raises on a shape it does not know
            log.warning(
                "update %s skipped: python-telegram-bot cannot read this %s update (%s)",
                data.get("update_id"),
                _kind(data),
                type(exc).__name__,
            )
            return None

    def admit(self, update: Update) -> bool:
        """The flood guard, at arrival; a refused update gets its short answer, if any."""
        verdict = guard.judge(update, self.found)
        if verdict.allowed:
            return True
        if guard.needs_reply(update, verdict):

            async def refuse() -> None:
                try:
                    await guard.refuse(update, verdict, self.found)
                except TelegramError as exc:
                    log.warning("could not tell a flooding user to slow down: %s", exc)

            self.found.dispatcher.submit(update_key(update), refuse)
        return False

    def dispatch(self, update: Update) -> asyncio.Future[None]:
        """Handle ``update`` (PTB's handlers, errors to the error handler) in its turn."""

        async def handle() -> None:
            await self.app.process_update(update)

        return self.found.dispatcher.submit(update_key(update), handle)


class RecentIds:
    """The last ``size`` update ids seen (webhook mode's duplicate check)."""

    def __init__(self, size: int = RECENT_IDS) -> None:
        self._size = size
        self._ids: OrderedDict[int, None] = OrderedDict()

    def add(self, update_id: int) -> bool:
        """False when ``update_id`` was seen already."""
        if update_id in self._ids:
            return False
        self._ids[update_id] = None
        while len(self._ids) > self._size:
            self._ids.popitem(last=False)
        return True


class Poller:
    """The getUpdates loop. ``offset`` is only advanced past a batch once the batch is in the
    journal: Telegram forgets an update when a later getUpdates carries an offset past it."""

    def __init__(self, intake: Intake, journal: UpdateJournal, base_url: str) -> None:
        self.intake = intake
        self.journal = journal
        self.base_url = base_url
        self.offset = 0
        self.fatal: str | None = None
        self.on_fatal: Callable[[], None] = lambda: None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="travelbot-journal")
        self._done: list[int] = []
        self._flushing = False
        self._failures = 0
        self._logged_at = -FAILURE_LOG_INTERVAL
        self._ok_at = time.monotonic()
        self._stop = asyncio.Event()
        self._first_batch = True

    @property
    def bot(self) -> Any:
        return self.intake.app.bot

    def alive(self) -> bool:
        return self.fatal is None and time.monotonic() - self._ok_at <= ALIVE_WITHIN

    async def _in_thread(self, call: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._thread, call, *args)

    # ---- handling ----------------------------------------------------------------------

    def _dispatch(self, update: Update) -> None:
        future = self.intake.dispatch(update)
        update_id = update.update_id

        def finished(done: asyncio.Future[None]) -> None:
            if done.cancelled():
                return  # stopped before it was handled: it stays in the journal
            self._done.append(update_id)
            if not self._flushing:
                self._flushing = True
                asyncio.get_running_loop().create_task(self._flush())

        future.add_done_callback(finished)

    async def _flush(self) -> None:
        try:
            while self._done:
                ids, self._done = self._done, []
                await self._in_thread(self.journal.done, ids)
        except Exception as exc:  # the journal's disk: the updates are handled again later
            log.warning("could not mark updates handled in the journal: %s", exc)
        finally:
            self._flushing = False

    async def replay(self) -> int:
        """Queue the updates the last run took from Telegram and did not finish."""
        waiting = await self._in_thread(self.journal.pending)
        for data in waiting:
            update = self.intake.read(data)
            if update is None:
                self._done.append(int(data["update_id"]))
                continue
            self._dispatch(update)
        if waiting:
            log.info("handling %d update(s) left unfinished by the last run", len(waiting))
        await self._flush()
        return len(waiting)

    async def _take(self, raw: Any) -> None:
        items = [
            item
            for item in (raw if isinstance(raw, list) else [])
            if isinstance(item, dict) and isinstance(item.get("update_id"), int)
        ]
        if not items:
            return
        self.offset = max(self.offset, max(int(item["update_id"]) for item in items) + 1)
        known: set[int] = set()
        if self._first_batch:  # only a batch the last run took and never confirmed comes again
            self._first_batch = False
            known = await self._in_thread(self.journal.known, [item["update_id"] for item in items])
        admitted: list[tuple[dict[str, Any], Update]] = []
        for item in items:
            if item["update_id"] in known:
                continue  # sent again: the last run had it and never confirmed it
            update = self.intake.read(item)
            if update is not None and self.intake.admit(update):
                admitted.append((item, update))
        await self._in_thread(self.journal.add, [item for item, _ in admitted])
        for _, update in admitted:
            self._dispatch(update)

    # ---- fetching ----------------------------------------------------------------------

    async def _get_updates(self, wait: int, limit: int = BATCH) -> Any:
        data: dict[str, Any] = {"timeout": wait, "limit": limit}
        from bot.telegram_app import ALLOWED_UPDATES

        data["allowed_updates"] = ALLOWED_UPDATES
        if self.offset:
            data["offset"] = self.offset
        return await self.bot._post("getUpdates", data, read_timeout=wait + READ_SLACK)

    def _failed(self, exc: TelegramError, wait: float) -> None:
        self._failures += 1
        now = time.monotonic()
        if now - self._logged_at < FAILURE_LOG_INTERVAL:
            return
        self._logged_at = now
        so_far = f"; {self._failures} failures in a row" if self._failures > 1 else ""
        log.warning(
            "getUpdates failed (%s: %s); retrying in %.1f s%s",
            type(exc).__name__,
            exc.message,
            wait,
            so_far,
        )

    def _recovered(self) -> None:
        self._ok_at = time.monotonic()
        if self._failures:
            log.info("getUpdates works again after %d failure(s)", self._failures)
            self._failures = 0
            self._logged_at = -FAILURE_LOG_INTERVAL

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    async def run(self) -> None:
        """Poll until ``stop`` or a refusal (``fatal``)."""
        backoff = FIRST_BACKOFF
        found = self.intake.found
        while not self._stop.is_set():
            if found.dispatcher.pending > MAX_WAITING:
                await self._sleep(0.1)  # let the handlers catch up; Telegram keeps the rest
                continue
            fetch = asyncio.ensure_future(self._get_updates(POLL_TIMEOUT))
            stopped = asyncio.ensure_future(self._stop.wait())
            done, _ = await asyncio.wait({fetch, stopped}, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            if fetch not in done:
                fetch.cancel()
                with contextlib.suppress(asyncio.CancelledError, TelegramError):
                    await fetch
                break
            try:
                raw = fetch.result()
            except InvalidToken as exc:
                self.fatal = refusal(exc, self.base_url)
                log.error("%s; stopping (exit code 2) so that the bot is restarted", self.fatal)
                self.on_fatal()
                return
            except RetryAfter as exc:
                wait = min(exc._retry_after.total_seconds(), MAX_RETRY_AFTER)
                self._failed(exc, wait)
                await self._sleep(wait)
                continue
            except TelegramError as exc:
                self._failed(exc, backoff)
                await self._sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            backoff = FIRST_BACKOFF
            self._recovered()
            try:
                await self._take(raw)
            except Exception as exc:  # the journal's disk: keep the batch unconfirmed, retry
                log.warning("could not keep a batch of updates in the journal: %s", exc)
                await self._sleep(1.0)

    def stop(self) -> None:
        self._stop.set()

    async def confirm(self) -> None:
        """Tell Telegram the last batch arrived (it is in the journal), so a restart does not
        fetch it again; a failure only means the next start sees it and skips it."""
        if not self.offset or self.fatal is not None:
            return
        with contextlib.suppress(TelegramError, asyncio.TimeoutError):
            await asyncio.wait_for(self._get_updates(0, limit=1), 5)

    async def close(self) -> None:
        await self._flush()
        await self._in_thread(self.journal.close)
        self._thread.shutdown(wait=True)


class PollingBot:
    """Polling mode, as ``WebhookBot`` is webhook mode: ``start``, ``wait`` (until a stop
    signal or a refusal), ``stop``.

    ``stop`` is bounded: polling ends at once; updates not yet started stay in the journal
    for the next start; those being handled get ``STOP_SECONDS`` and are then cancelled (and
    stay in the journal too); then the store and the journal are closed."""

    def __init__(self, app: TravelApp, data_dir: Path, base_url: str) -> None:
        self.app = app
        self.data_dir = data_dir
        self.intake = Intake(app)
        self.journal = UpdateJournal.in_dir(data_dir)
        self.poller = Poller(self.intake, self.journal, base_url)
        self.poller.on_fatal = self._lost
        self.intake.found.alive = self.poller.alive
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def _lost(self) -> None:
        """A refused getUpdates: health turns red at once, before the (bounded) stop."""
        with contextlib.suppress(OSError):
            health.heartbeat_path(self.data_dir).unlink(missing_ok=True)

    def request_stop(self) -> None:
        if not self._stopping:
            log.info("stopping: finishing the updates being handled")
        self._stopping = True
        self.poller.stop()

    async def start(self) -> None:
        from bot.telegram_app import start_up

        await self.app.initialize()
        await start_up(self.app)
        await self.app.start()
        await self.app.bot.delete_webhook(drop_pending_updates=False)
        await self.poller.replay()
        if not self._stopping:
            self._task = asyncio.create_task(self.poller.run(), name="polling")
        log.info("polling mode: polling the Bot API for updates")

    async def wait(self) -> None:
        if self._task is not None:
            await asyncio.shield(self._task)

    async def stop(self, deadline: float) -> None:
        from bot.telegram_app import shut_down

        self.request_stop()
        try:
            if self._task is not None:
                await self._task
            unfinished = await self.intake.found.dispatcher.stop(deadline)
            if unfinished:
                log.info("%d update(s) kept for the next start", unfinished)
            await self.poller.confirm()
            await self.poller.close()
        finally:
            if self.app.running:
                await self.app.stop()
            await self.app.shutdown()
            await shut_down(self.app)
        if self.poller.fatal is not None:
            raise PollingRefused(self.poller.fatal)
