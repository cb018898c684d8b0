"""What the end-to-end suites share: the real ``Application`` run against the fake Bot API
as ``run_polling`` runs it, and the ways a test waits for, asks and reads the bot."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.engine import Engine
from bot.flood import FloodGuard
from bot.handlers.common import services_in
from bot.polling import PollingBot
from bot.reloading import KnowledgeHolder
from bot.telegram_app import STOP_SECONDS, TravelApp, build_application
from tests.fake_bot_api import ApiCall, FakeBotApi

USER = 5001  # a private chat: its id is the user's id


@asynccontextmanager
async def polling(
    settings: Settings,
    knowledge: KnowledgeHolder | Engine | None = None,
    flood: FloodGuard | None = None,
) -> AsyncIterator[TravelApp]:
    """The bot as ``travelbot run`` runs it in polling mode (``bot.polling.PollingBot``):
    initialize, post_init, start, replay the journal, poll; then the bounded stop, which
    closes the question store and the journal."""
    app = build_application(settings, knowledge, flood=flood)
    bot = PollingBot(app, settings.data_dir, settings.base_url)
    await bot.start()
    try:
        yield app
    finally:
        await bot.stop(STOP_SECONDS)


@asynccontextmanager
async def running(
    fake: FakeBotApi, engine: Engine, flood: FloodGuard | None = None
) -> AsyncIterator[TravelApp]:
    """``polling`` with the question store and heartbeat in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="travelbot-data-") as data:
        settings = Settings(token=fake.token, base_url=fake.base_url, data_dir=Path(data))
        async with polling(settings, engine, flood) as app:
            yield app


def check_rules(fake: FakeBotApi) -> None:
    fake.assert_no_violations()
    assert fake.unanswered_queries() == []


async def settle(app: TravelApp, fake: FakeBotApi, within: float = 5.0) -> None:
    """Wait until the bot has handled every update sent so far, so that a test can assert
    that something was *not* sent, without sleeping. A probe inline query goes last: once it
    is answered, everything before it was fetched, and the dispatcher's join waits for the
    rest."""
    probe = fake.inline_query("settle", user_id=9999)["inline_query"]["id"]

    def probe_answered(call: ApiCall) -> bool:
        return call.method == "answerInlineQuery" and call.params.get("inline_query_id") == probe

    await fake.wait_for(probe_answered, timeout=within)
    await services_in(app.bot_data).dispatcher.join()


async def ask(fake: FakeBotApi, text: str, chat_id: int = USER, **kwargs: Any) -> ApiCall:
    fake.send_text(chat_id, text, **kwargs)
    call = await fake.wait_for("sendMessage", chat_id=chat_id)
    assert call.ok, call.description
    return call


def sent_to(fake: FakeBotApi, chat_id: int, method: str = "sendMessage") -> list[ApiCall]:
    return [c for c in fake.calls_to(method) if c.params.get("chat_id") == chat_id]
