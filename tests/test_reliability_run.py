"""Issue 11 on the real ``travelbot run`` process: a token refused while polling ends the
process (so Docker restarts it) and turns ``travelbot health`` red; ``kill -9`` in a burst
loses no update that was not being handled; SIGTERM with a deep backlog stops within
Compose's grace and loses nothing; a wrong Bot API path is not called a refused token, and a
password in TELEGRAM_BASE_URL is never printed."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import pytest

from bot.cli import main
from bot.telegram_app import STOP_SECONDS
from tests.fake_bot_api import FakeBotApi
from tests.test_telegram_run import _one_line_error, clean_env, travelbot_run

__all__ = ["clean_env"]

USER = 6501
FIRST_USER = 9_100_000


def env_for(fake: FakeBotApi, data: Path, level: str = "INFO") -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_BASE_URL": fake.base_url,
        "TRAVELBOT_LOG_LEVEL": level,
        "TRAVELBOT_DATA_DIR": str(data),
    }


# ---- High 1: 401 / 404 from getUpdates while running ---------------------------------------


@pytest.mark.parametrize(
    ("status", "description", "said"),
    [(401, "Unauthorized", "refused"), (404, "Not Found", "404")],
    ids=["401", "404"],
)
async def test_a_refused_get_updates_while_running_exits_non_zero_and_health_turns_red(
    tmp_path: Path,
    clean_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    status: int,
    description: str,
    said: str,
) -> None:
    """Before: PTB's polling loop stopped for good, the process stayed up, logged nothing
    (the start-up filter swallowed it) and ``travelbot health`` stayed green."""
    data = tmp_path / "data"
    async with FakeBotApi() as fake:
        async with travelbot_run(env_for(fake, data)) as process:
            await fake.wait_for("getUpdates", timeout=60)
            clean_env.setenv("TRAVELBOT_DATA_DIR", str(data))
            assert main(["health"]) == 0
            fake.fail_next("getUpdates", status, description)
            _, err = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode not in (0, None)
        log = err.decode()
        assert "Traceback" not in log
        last = log.strip().splitlines()[-1]
        assert last.startswith("travelbot: ") and said in last, log
        assert fake.token.split(":", 1)[1] not in log
    assert main(["health"]) == 1
    assert "no heartbeat" in capsys.readouterr().err


# ---- Medium 7: no update acknowledged before it is handled ---------------------------------


async def test_kill_9_in_a_burst_loses_no_update_a_restart_answers_them_all(
    tmp_path: Path,
) -> None:
    """300 questions from 300 users; ``kill -9`` after 30 answers; a restart with the same
    data folder answers every one that was not answered. Before: the Updater confirmed each
    batch as soon as it was queued, and the queued ones were lost for good."""
    data = tmp_path / "data"
    users = range(FIRST_USER, FIRST_USER + 300)
    async with FakeBotApi() as fake:
        env = env_for(fake, data, "WARNING")
        async with travelbot_run(env) as process:
            await fake.wait_for("getUpdates", timeout=60)
            for user in users:
                fake.send_text(user, "which city is number 2?")
            for _ in range(30):
                await fake.wait_for("sendMessage", timeout=20)
            process.send_signal(signal.SIGKILL)
            await process.wait()
        before = {c.params["chat_id"] for c in fake.calls_to("sendMessage") if c.ok}
        assert len(before) < len(users)  # killed mid-burst
        async with travelbot_run(env) as process:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                answered = {c.params["chat_id"] for c in fake.calls_to("sendMessage") if c.ok}
                if answered >= set(users):
                    break
                await asyncio.sleep(0.2)
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.communicate(), 30)
        answered = {c.params["chat_id"] for c in fake.calls_to("sendMessage") if c.ok}
        missing = sorted(set(users) - answered)
        assert not missing, f"{len(missing)} update(s) lost: {missing[:5]}"
        fake.assert_no_violations()


async def test_sigterm_with_a_deep_backlog_stops_in_time_and_loses_nothing(
    tmp_path: Path,
) -> None:
    """2,000 questions; SIGTERM once the bot has taken them all from Telegram and answers
    flow. Before: the bot worked off its whole queue first (about a minute for 2,000), past
    Compose's 30 s grace."""
    data = tmp_path / "data"
    users = range(FIRST_USER, FIRST_USER + 2000)
    async with FakeBotApi() as fake:
        async with travelbot_run(env_for(fake, data, "WARNING")) as process:
            await fake.wait_for("getUpdates", timeout=60)
            for user in users:
                fake.send_text(user, "which city is number 2?")
            for _ in range(20):
                await fake.wait_for("sendMessage", timeout=20)
            for _ in range(400):  # until the bot has taken (nearly) the whole backlog
                if len(fake.pending_updates) <= 100:
                    break
                await asyncio.sleep(0.05)
            stopped = time.monotonic()
            process.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(process.communicate(), 60)
            took = time.monotonic() - stopped
        assert process.returncode == 0, err.decode()
        assert took < STOP_SECONDS + 5 < 30, took
        answered = {c.params["chat_id"] for c in fake.calls_to("sendMessage") if c.ok}
        # not lost: answered, still held by Telegram, or kept for the next start
        from bot.journal import UpdateJournal

        journal = UpdateJournal.in_dir(data)
        try:
            kept = {u["message"]["chat"]["id"] for u in journal.pending()}
        finally:
            journal.close()
        at_telegram = {u["message"]["chat"]["id"] for u in fake.pending_updates}
        missing = set(users) - answered - kept - at_telegram
        assert not missing, f"{len(missing)} update(s) lost"
        assert len(answered) < len(users)  # it did not work the backlog off first


# ---- Low: a wrong base-URL path, a password in TELEGRAM_BASE_URL ---------------------------


async def test_a_wrong_base_url_path_is_not_a_refused_token_and_hides_the_password(
    tmp_path: Path,
) -> None:
    async with FakeBotApi() as fake:
        base = fake.base_url.replace("http://", "http://admin:Pa55word@").replace("/bot", "/v1/bot")
        env = env_for(fake, tmp_path / "data", "ERROR")
        env["TELEGRAM_BASE_URL"] = base
        async with travelbot_run(env) as process:
            _, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode not in (0, None)
        line = _one_line_error(err.decode())
        assert "TELEGRAM_BASE_URL" in line and "404" in line
        assert "refused" not in line and "TELEGRAM_BOT_TOKEN" not in line
        assert "Pa55word" not in err.decode()


def test_run_check_hides_a_password_in_the_base_url(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    clean_env.setenv("TELEGRAM_BOT_TOKEN", "123456789:AAFakeTokenForTravelbotTests_012345")
    clean_env.setenv("TELEGRAM_BASE_URL", "https://admin:Pa55word@botapi.example.org/bot")
    clean_env.setenv("TRAVELBOT_DATA_DIR", str(tmp_path / "data"))
    assert main(["run", "--check"]) == 0
    out = capsys.readouterr().out
    assert "Pa55word" not in out
    assert "botapi.example.org" in out
