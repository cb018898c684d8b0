"""The fair dispatcher and the update journal on their own (no Telegram)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from bot import health
from bot.dispatch import Dispatcher, Job
from bot.journal import KEEP_DONE_SECONDS, UpdateJournal

# ---- dispatcher ----------------------------------------------------------------------------


async def test_a_newcomer_goes_before_a_backlog_and_each_key_keeps_its_order() -> None:
    dispatcher = Dispatcher(workers=1)
    ran: list[str] = []
    gate = asyncio.Event()

    def job(name: str, wait: bool = False) -> Job:
        async def run() -> None:
            if wait:
                await gate.wait()
            ran.append(name)

        return run

    dispatcher.submit("flooder", job("f0", wait=True))  # holds the only worker
    for i in range(1, 5):
        dispatcher.submit("flooder", job(f"f{i}"))
    dispatcher.submit("other", job("o0"))
    dispatcher.submit("other", job("o1"))
    dispatcher.submit("newcomer", job("n0"))
    gate.set()
    await dispatcher.join()
    # the least-served key first: the newcomer and "other" before the flooder's backlog
    assert ran[:3] == ["f0", "o0", "n0"]
    assert [r for r in ran if r.startswith("f")] == ["f0", "f1", "f2", "f3", "f4"]
    assert [r for r in ran if r.startswith("o")] == ["o0", "o1"]
    assert dispatcher.pending == 0


async def test_one_job_at_a_time_per_key() -> None:
    dispatcher = Dispatcher(workers=8)
    running = 0
    most = 0

    async def job() -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.01)
        running -= 1

    futures = [dispatcher.submit("same", job) for _ in range(5)]
    await asyncio.gather(*futures)
    assert most == 1


async def test_stop_waits_until_the_deadline_then_cancels_and_counts_the_unfinished() -> None:
    dispatcher = Dispatcher(workers=1)

    async def slow() -> None:
        await asyncio.sleep(60)

    async def quick() -> None:
        pass

    stuck = dispatcher.submit("a", slow)
    waiting = dispatcher.submit("b", quick)
    await asyncio.sleep(0)
    started = time.monotonic()
    assert await dispatcher.stop(0.2) == 2  # the cancelled one and the one never started
    assert time.monotonic() - started < 1.0
    assert stuck.cancelled() and waiting.cancelled()
    assert dispatcher.submit("c", quick).cancelled()  # nothing new after a stop


async def test_a_failing_job_is_logged_and_the_key_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    dispatcher = Dispatcher(workers=2)
    ran = []

    async def boom() -> None:
        raise RuntimeError("bug")

    async def fine() -> None:
        ran.append(1)

    dispatcher.submit("k", boom)
    await dispatcher.submit("k", fine)
    assert ran == [1]
    assert any("job failed" in r.getMessage() for r in caplog.records)


# ---- journal -------------------------------------------------------------------------------


def test_journal_keeps_what_is_not_done_across_a_reopen(tmp_path: Path) -> None:
    journal = UpdateJournal.in_dir(tmp_path)
    journal.add([{"update_id": 3, "message": {"text": "a"}}, {"update_id": 4}])
    journal.add([{"update_id": 3, "message": {"text": "again"}}])  # a repeat is ignored
    journal.done([4])
    journal.close()
    journal = UpdateJournal.in_dir(tmp_path)
    try:
        assert journal.pending() == [{"update_id": 3, "message": {"text": "a"}}]
        assert journal.known([2, 3, 4]) == {3, 4}  # 4 is done, still recognised
    finally:
        journal.close()


def test_journal_forgets_done_ids_after_a_while(tmp_path: Path) -> None:
    journal = UpdateJournal.in_dir(tmp_path)
    try:
        journal.add([{"update_id": 1}])
        journal.done([1], now=1000.0)
        journal.done([2], now=1000.0 + KEEP_DONE_SECONDS + 1)
        assert journal.known([1, 2]) == {2}
        assert journal.pending() == []
    finally:
        journal.close()


# ---- heartbeat only while updates come in --------------------------------------------------


async def test_no_heartbeat_is_written_while_not_alive(tmp_path: Path) -> None:
    path = tmp_path / "heartbeat"
    scheduled: list[object] = []
    health.start_heartbeat(lambda *a, **k: scheduled.append(a), path, alive=lambda: False)
    assert not path.exists()
    health.start_heartbeat(lambda *a, **k: scheduled.append(a), path, alive=lambda: True)
    assert path.exists()
