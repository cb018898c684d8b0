"""Issue 11 in webhook mode: Telegram is answered after the update is handled, a repeated
update is handled once, hostile bodies get a clean answer without a traceback, and a client
that never finishes its headers is cut off. The real ``WebhookBot`` (uvicorn in the bot's
loop) against the fake Bot API, as in ``tests/test_webhook_e2e.py``."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot import telegram_app
from bot.engine import Engine
from bot.telegram_app import WebhookBot
from bot.webhook import SECRET_HEADER
from tests.fake_bot_api import FakeBotApi
from tests.telegram_support import check_rules, sent_to
from tests.test_webhook_e2e import PATH, SECRET, serving

USER = 8401


@pytest.fixture
async def bot(fake: FakeBotApi, engine: Engine, tmp_path: Path) -> AsyncIterator[WebhookBot]:
    async with serving(fake, tmp_path / "data", engine) as running_bot:
        yield running_bot
    check_rules(fake)


async def post(bot: WebhookBot, body: bytes) -> httpx.Response:
    async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
        return await client.post(
            f"http://127.0.0.1:{bot.settings.port}{PATH}",
            content=body,
            headers={SECRET_HEADER: SECRET, "Content-Type": "application/json"},
        )


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def test_telegram_is_answered_after_the_update_is_handled(
    bot: WebhookBot, fake: FakeBotApi
) -> None:
    """Before: 200 as soon as the update was queued, so an update Telegram had handed over
    was lost if the bot died before handling it."""
    fake.delay_next("sendMessage", 1.0)
    update = fake.send_text(USER, "rank of seoul")
    assert await fake.deliver_via_webhook(update) == 200
    replies = sent_to(fake, USER)
    assert replies and replies[0].ok, "the webhook answered before the reply was sent"


async def test_a_repeated_update_id_is_handled_once(bot: WebhookBot, fake: FakeBotApi) -> None:
    update = fake.send_text(USER, "rank of seoul")
    assert await fake.deliver_via_webhook(update) == 200
    assert await fake.deliver_via_webhook(update) == 200  # Telegram retrying: still 200
    await fake.wait_for("sendMessage", chat_id=USER)
    other = fake.send_text(USER, "which city is number 2?")
    assert await fake.deliver_via_webhook(other) == 200
    await fake.wait_for("sendMessage", chat_id=USER)
    assert len(sent_to(fake, USER)) == 2


async def test_deeply_nested_json_is_a_clean_400(
    bot: WebhookBot, fake: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    depth = 100_000
    body = b'{"update_id": 7, "message": ' + b"[" * depth + b"]" * depth + b"}"
    response = await post(bot, body)
    assert response.status_code == 400
    assert tracebacks(caplog) == []


async def test_an_out_of_range_date_is_ignored_without_a_traceback(
    bot: WebhookBot, fake: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    update = fake.send_text(USER, "rank of seoul")
    update["message"]["date"] = 10**20
    response = await post(bot, json.dumps(update).encode())
    assert response.status_code in (200, 400)
    assert tracebacks(caplog) == []
    named = [r for r in caplog.records if f"update {update['update_id']} " in r.getMessage()]
    assert len(named) == 1
    assert "rank of seoul" not in named[0].getMessage()
    fake.send_text(USER, "which city is number 2?")  # the bot goes on
    assert (await fake.deliver_pending_via_webhook())[-1] == 200
    assert (await fake.wait_for("sendMessage", chat_id=USER)).ok


async def test_a_client_that_never_finishes_its_headers_is_cut_off(
    fake: FakeBotApi, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: uvicorn only times out idle keep-alive connections, so a client trickling a
    header byte now and then held its connection (and file descriptor) for ever."""
    monkeypatch.setattr(telegram_app, "HEADER_TIMEOUT", 1.0)
    async with serving(fake, tmp_path / "data", engine) as bot:
        reader, writer = await asyncio.open_connection("127.0.0.1", bot.settings.port)
        writer.write(f"POST {PATH} HTTP/1.1\r\nHost: bot\r\n".encode())
        await writer.drain()
        closed = False
        try:
            for _ in range(10):  # a header byte every 0.4 s: never quiet, never done
                writer.write(b"X")
                await writer.drain()
                try:
                    if await asyncio.wait_for(reader.read(1024), 0.4) == b"":
                        closed = True
                        break
                except TimeoutError:
                    continue
        except ConnectionError:
            closed = True
        finally:
            writer.close()
        assert closed, "the server kept a connection whose headers never ended"
