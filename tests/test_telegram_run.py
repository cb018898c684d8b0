"""``travelbot run``: settings problems are one line and a non-zero exit; a real run against
a Bot API at TELEGRAM_BASE_URL answers, keeps the token out of its logs, and stops cleanly with
exit 0 on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.cli import main
from tests.fake_bot_api import FakeBotApi

ROOT = Path(__file__).resolve().parent.parent
USER = 6001


def _one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("travelbot: ")
    return lines[0]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "TRAVELBOT_")):
            monkeypatch.delenv(name)
    return monkeypatch


def test_run_without_a_token_is_one_clear_line(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run"]) != 0
    line = _one_line_error(capsys.readouterr().err)
    assert "TELEGRAM_BOT_TOKEN is not set" in line


def test_run_with_a_malformed_token_does_not_echo_it(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("TELEGRAM_BOT_TOKEN", "12345:short-secret")
    assert main(["run"]) != 0
    line = _one_line_error(capsys.readouterr().err)
    assert "TELEGRAM_BOT_TOKEN" in line and "short-secret" not in line


@asynccontextmanager
async def travelbot_run(env: Mapping[str, str]) -> AsyncIterator[asyncio.subprocess.Process]:
    """``python -m bot run`` in a child process; killed if a test leaves it running."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TRAVELBOT_"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=ROOT,
        env={**base, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_run_answers_over_the_bot_api_and_stops_on_sigterm(
    tmp_path: Path, clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The issue's acceptance check, on the real command; ``travelbot health`` passes while
    it runs (the heartbeat in TRAVELBOT_DATA_DIR)."""
    data = tmp_path / "data"
    async with FakeBotApi() as fake:
        env = {
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_BASE_URL": fake.base_url,
            "TRAVELBOT_LOG_LEVEL": "DEBUG",  # the most talkative: the token must still not show
            "TRAVELBOT_DATA_DIR": str(data),
        }
        async with travelbot_run(env) as process:
            await fake.wait_for("getUpdates", timeout=60)
            clean_env.setenv("TRAVELBOT_DATA_DIR", str(data))
            assert main(["health"]) == 0, capsys.readouterr().err
            fake.send_text(USER, "which city is number 2?")
            reply = await fake.wait_for("sendMessage", chat_id=USER, timeout=20)
            assert "Tokyo–Yokohama" in reply.result["text"]
            fake.send_text(USER, "what should I see in seoul")
            reply = await fake.wait_for("sendMessage", chat_id=USER, timeout=20)
            assert "Cheonggyecheon" in reply.result["text"]
            fake.send_text(USER, "tell me about teamLab Planets")
            venue = await fake.wait_for("sendVenue", chat_id=USER, timeout=20)
            assert venue.ok and venue.params["title"] == "teamLab Planets"
            process.send_signal(signal.SIGTERM)
            out, err = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0, err.decode()
        log = (out + err).decode()
        assert "Traceback" not in log
        assert "getUpdates" in log  # it did log at DEBUG
        assert fake.token.split(":", 1)[1] not in log
        fake.assert_no_violations()


async def test_run_with_a_token_the_bot_api_refuses_is_one_line(tmp_path: Path) -> None:
    async with FakeBotApi() as fake:
        env = {
            "TELEGRAM_BOT_TOKEN": "987654321:WrongSecretWrongSecretWrongSecret1",
            "TELEGRAM_BASE_URL": fake.base_url,
            "TRAVELBOT_LOG_LEVEL": "ERROR",
            "TRAVELBOT_DATA_DIR": str(tmp_path / "data"),
        }
        async with travelbot_run(env) as process:
            _, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode not in (0, None)
        line = _one_line_error(err.decode())
        assert "refused" in line and "WrongSecret" not in line
        fake.pop_violations()  # the fake counts a wrong token as the bot's fault; here it's ours
