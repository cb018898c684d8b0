"""What every handler shares: the services kept in ``bot_data``, sending an ``Answer``, and
recording a question in the store."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.ext import ContextTypes

from bot import admin, render
from bot.answer import Answer, Pin, text
from bot.config import Settings
from bot.dispatch import Dispatcher
from bot.engine import Engine
from bot.flood import DEFAULT_INLINE_BURST, DEFAULT_INLINE_RATE, FloodGuard
from bot.messages import t
from bot.metrics import Metrics
from bot.reloading import KnowledgeHolder
from bot.request import AnswerRequest
from bot.store import QuestionStore

Context = ContextTypes.DEFAULT_TYPE
SERVICES_KEY = "travelbot"
log = logging.getLogger("bot.telegram")
_T = TypeVar("_T")


def _store_thread() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="travelbot-store")


def _report_thread() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="travelbot-reports")


def _inline_flood() -> FloodGuard:
    return FloodGuard(DEFAULT_INLINE_RATE, DEFAULT_INLINE_BURST)


def _always() -> bool:
    return True


@dataclass
class Services:
    """The core objects the handlers call. A reload swaps ``knowledge.engine`` whole: a
    handler reads ``engine`` once per update, so an update in flight finishes on the engine
    it started with."""

    knowledge: KnowledgeHolder
    flood: FloodGuard
    store: QuestionStore
    settings: Settings
    notices: list[str] = field(default_factory=list)
    """What the admins are told once the bot has started (a corrupt store set aside)."""
    reported_failure: tuple[str, ...] | None = None
    """The problems last sent to the admins about a watched change, so each is sent once."""
    store_thread: ThreadPoolExecutor = field(default_factory=_store_thread)
    """Every store call runs on this one thread, off the event loop and in the order the
    handlers made them: two questions of a chat are written, and so answered, in order, and
    an admin's /stats sees every question answered before it."""
    report_thread: ThreadPoolExecutor = field(default_factory=_report_thread)
    """The admins' reports (/unanswered, /handled, /stats) run here, on the store's reading
    connection: a long report never holds up a traveller's write, and so their reply."""
    metrics: Metrics = field(default_factory=Metrics)
    """Counters for /metrics (served in webhook mode)."""
    inline_flood: FloodGuard = field(default_factory=_inline_flood)
    """Inline queries' own per-user limit: clients send one per pause in typing."""
    dispatcher: Dispatcher = field(default_factory=Dispatcher)
    """Runs the admitted updates, fairly between senders (``bot.dispatch``)."""
    alive: Callable[[], bool] = _always
    """Whether updates are coming in (polling mode: getUpdates works); the heartbeat is only
    written while it says so."""

    @property
    def engine(self) -> Engine:
        return self.knowledge.engine

    async def in_store(self, call: Callable[..., _T], *args: Any) -> _T:
        """``call(*args)`` (a store method) on the store's thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.store_thread, functools.partial(call, *args))

    async def in_reports(self, call: Callable[..., _T], *args: Any) -> _T:
        """``call(*args)`` (an admin report) on the reports' thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.report_thread, functools.partial(call, *args))

    async def close_store(self) -> None:
        """After the last update: let the reports finish, close the store on its thread, then
        end the thread."""
        await asyncio.get_running_loop().run_in_executor(
            None, functools.partial(self.report_thread.shutdown, wait=True)
        )
        await self.in_store(self.store.close)
        self.store_thread.shutdown(wait=True)


def services_in(bot_data: Mapping[Any, Any]) -> Services:
    found = bot_data.get(SERVICES_KEY)
    if not isinstance(found, Services):  # pragma: no cover - build_application stores it
        raise RuntimeError("the application was not built by bot.telegram_app")
    return found


def services(context: Context) -> Services:
    return services_in(context.bot_data)


async def record(
    context: Context,
    question: str,
    answer: Answer,
    interpretation: AnswerRequest | None,
    chat_type: str,
) -> None:
    """Keep a question for /stats, and its text for /unanswered when it was not answered;
    never who asked. The write (durable, so it waits for the disk) runs on the store's thread,
    off the event loop, and before the reply: a question the traveller saw answered is on
    disk. A failing store is logged and the traveller still gets the answer."""
    found = services(context)
    candidates = admin.candidates(answer, interpretation)
    try:
        await found.in_store(
            found.store.record,
            question,
            answer.intent,
            answer.clusters,
            str(chat_type),
            candidates,
        )
    except Exception as exc:
        log.warning("could not record a question: %s: %s", type(exc).__name__, exc)


def answered(context: Context, answer: Answer, started: float) -> None:
    """Count an answer for /metrics, sent ``time.perf_counter() - started`` seconds after its
    handler took the update."""
    services(context).metrics.answered(answer.intent, time.perf_counter() - started)


def chat_key(chat_id: int | str) -> str:
    """The engine's context key of a chat: one conversation per Telegram chat."""
    return str(chat_id)


def note(key: str) -> Answer:
    """A one-sentence reply from the catalogue, sent like any answer (so it is escaped)."""
    return Answer("smalltalk", (), 1.0, (text(t(key)),))


def keyboard(answer: Answer) -> InlineKeyboardMarkup | None:
    rows = [
        [
            InlineKeyboardButton(a.label, url=a.url)
            if a.url
            else InlineKeyboardButton(a.label, callback_data=a.data)
            for a in row
        ]
        for row in answer.actions
        if row
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def html(answer: Answer, engine: Engine) -> str:
    """The answer's Telegram HTML: escaped and within 4,096 characters (see bot.render)."""
    return render.to_html(answer, engine.kb)


async def send_venue(message: Message, pin: Pin) -> None:
    """A map pin in ``message``'s chat; Telegram clients open it in their map app."""
    await message.reply_venue(
        latitude=pin.lat, longitude=pin.lon, title=pin.title, address=pin.address, do_quote=False
    )


async def reply(
    message: Message, answer: Answer, engine: Engine, *, quote: bool | None = None
) -> None:
    """Send ``answer`` into ``message``'s chat (quoting it in groups, PTB's default, unless
    ``quote`` says otherwise), then a venue when the answer is about one sight with
    coordinates."""
    await message.reply_text(html(answer, engine), reply_markup=keyboard(answer), do_quote=quote)
    if answer.pin is not None:
        await send_venue(message, answer.pin)
