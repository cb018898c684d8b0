"""Crash safety of the running bot: ``kill -9`` of ``travelbot run`` in the middle of a burst
of unanswered questions. ``tests/test_store.py`` kills a bare writer of the store; this kills
the whole bot, where "acknowledged" means what a traveller saw: every question the bot
answered must be in the store after the crash, and the store must open cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import signal
from pathlib import Path

from bot.store import SqliteStore
from tests.fake_bot_api import FakeBotApi
from tests.test_telegram_run import travelbot_run

FIRST_USER = 8_000_000
ANSWERS_BEFORE_KILL = 40


def question(user: int) -> str:
    """A question the knowledge cannot answer, so the store keeps its text."""
    return f"hotel prices for group q{user}"


async def test_kill_9_mid_burst_keeps_every_answered_question(tmp_path: Path) -> None:
    data = tmp_path / "data"
    async with FakeBotApi() as fake:
        env = {
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_BASE_URL": fake.base_url,
            "TRAVELBOT_LOG_LEVEL": "WARNING",
            "TRAVELBOT_DATA_DIR": str(data),
        }
        async with travelbot_run(env) as process:
            await fake.wait_for("getUpdates", timeout=60)
            asked: list[int] = []

            async def burst() -> None:
                for user in itertools.count(FIRST_USER):  # one question each: no flood guard
                    fake.send_text(user, question(user))
                    asked.append(user)
                    await asyncio.sleep(0.002)

            sending = asyncio.create_task(burst())
            try:
                for _ in range(ANSWERS_BEFORE_KILL):
                    await fake.wait_for("sendMessage", timeout=20)
                process.send_signal(signal.SIGKILL)  # while questions keep coming in
                await process.wait()
            finally:
                sending.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sending
        assert process.returncode == -signal.SIGKILL
        answered = [c.params["chat_id"] for c in fake.calls_to("sendMessage") if c.ok]
    assert len(answered) >= ANSWERS_BEFORE_KILL

    store = SqliteStore.in_dir(data)  # what a restart does first
    try:
        assert store._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {text for (text,) in store._db.execute("SELECT text FROM questions")}
        missing = [user for user in answered if question(user) not in stored]
        assert not missing, f"{len(missing)} answered question(s) lost: {missing[:5]}"
        assert len(asked) > len(stored) >= len(answered)  # killed mid-burst
        store.record("after the crash", "unknown", [], "private")
        assert any(g.text == "after the crash" for g in store.unanswered(limit=1_000_000))
    finally:
        store.close()
