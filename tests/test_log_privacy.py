"""At DEBUG, the bot's logs hold no user content: python-telegram-bot logs every update and
every Bot API call's parameters and result at DEBUG; the log handler of ``travelbot run``
(``bot.logs.setup_logging``) keeps their shape and leaves the content out."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.engine import Engine
from bot.logs import setup_logging
from tests.fake_bot_api import FakeBotApi
from tests.telegram_support import ask, polling

USER = 6101
SECRETS = ("passport X9931", "Zebulon", "Quattlebaum", "zeb_travels")


@pytest.fixture
def debug_log(fake: FakeBotApi) -> Iterator[io.StringIO]:
    """Every record, at DEBUG, through the handler ``travelbot run`` installs."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    setup_logging("DEBUG", "text", [fake.token], stream)
    try:
        yield stream
    finally:
        root.handlers, root.level = handlers, level


async def test_debug_logs_hold_no_user_content(
    fake: FakeBotApi, engine: Engine, debug_log: io.StringIO, tmp_path: Path
) -> None:
    fake.add_user(USER, "Zebulon", last_name="Quattlebaum", username="zeb_travels")
    settings = Settings(token=fake.token, base_url=fake.base_url, data_dir=tmp_path)
    async with polling(settings, engine):
        reply = await ask(fake, "my passport X9931 is lost, where is the embassy?", USER)
        assert reply.ok
        echoed = await ask(fake, "what should I see in tokyo", USER)
        assert "teamLab" in echoed.result["text"]
    log = debug_log.getvalue()
    assert "Calling Bot API endpoint `sendMessage`" in log  # it did log the calls at DEBUG
    assert "`getUpdates`" in log  # and the polling that brought the updates in
    for secret in (*SECRETS, "teamLab"):  # what travellers typed, who they are, the replies
        assert secret not in log, secret
    assert str(USER) not in log  # nor which chat
