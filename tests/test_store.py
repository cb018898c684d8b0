"""The question store: unanswered questions grouped, stats, durability across kill -9."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.store import SqliteStore

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_unanswered_grouped_most_asked_first(tmp_path: Path) -> None:
    store = SqliteStore.in_dir(tmp_path)
    for text in ["hotel prices in Seoul", "Hotel prices in seoul?", "hotel prices seoul"]:
        store.record(text, "unknown", [], "private", at=NOW)
    store.record("weather in tokyo", "unknown", [], "group", at=NOW)
    store.record("sights in china", "clarify", [], "private", ["beijing"], at=NOW)
    store.record("which city is number 2?", "rank", ["tokyo-yokohama"], "private", at=NOW)
    groups = store.unanswered()
    assert [g.count for g in groups] == [3, 1, 1]
    assert "hotel prices" in groups[0].text.lower()
    assert all("number 2" not in g.text for g in groups)  # answered questions keep no text
    clarify = next(g for g in groups if g.text == "sights in china")
    assert clarify.candidates == ("beijing",)
    assert store.mark_handled(groups[0].id) == 3
    assert [g.count for g in store.unanswered()] == [1, 1]
    assert len(store.unanswered(include_handled=True)) == 3
    store.close()


def test_stats_per_day_intent_cluster_and_answered_rate(tmp_path: Path) -> None:
    store = SqliteStore.in_dir(tmp_path)
    store.record("q", "rank", ["tokyo-yokohama"], "private", at=NOW)
    store.record("q", "sights", ["seoul"], "private", at=NOW - timedelta(days=1))
    store.record("q", "unknown", [], "private", at=NOW - timedelta(days=10))
    store.record("q", "compare", ["seoul", "beijing"], "group", at=NOW - timedelta(days=40))
    stats = store.stats(days=30, now=NOW)
    assert stats.total == 3
    assert dict(stats.per_intent) == {"rank": 1, "sights": 1, "unknown": 1}
    assert dict(stats.per_cluster) == {"tokyo-yokohama": 1, "seoul": 1}
    assert stats.answered_rate_7 == 1.0
    assert stats.answered_rate_30 == pytest.approx(2 / 3)
    assert [d for d, _ in stats.per_day] == ["2026-11-15", "2026-11-24", "2026-11-25"]
    store.close()


def test_no_user_ids_or_names_in_the_schema(tmp_path: Path) -> None:
    store = SqliteStore.in_dir(tmp_path)
    columns = {row[1] for row in store._db.execute("PRAGMA table_info(questions)")}
    assert not columns & {"user_id", "user", "username", "name", "chat_id"}
    store.close()


def test_cli_unanswered_and_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = SqliteStore.in_dir(tmp_path)
    store.record("visa for china?", "unknown", [], "private", at=NOW)
    store.close()
    monkeypatch.setenv("TRAVELBOT_DATA_DIR", str(tmp_path))
    assert main(["unanswered"]) == 0
    assert "visa for china?" in capsys.readouterr().out
    assert main(["unanswered", "--csv"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("id,count,last_at,text")
    assert "visa for china?" in out


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from bot.store import SqliteStore
    store = SqliteStore(Path(sys.argv[1]))
    i = 0
    while True:
        store.record(f"question {i}", "unknown", [], "private")
        print(i, flush=True)   # acknowledged only once record() returned
        i += 1
    """
)


def test_kill_9_mid_burst_loses_nothing_acknowledged(tmp_path: Path) -> None:
    db = tmp_path / "store.sqlite3"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    assert proc.stdout is not None
    acknowledged = -1
    deadline = time.monotonic() + 20
    while acknowledged < 200 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line:
            acknowledged = int(line)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert acknowledged >= 200, "the writer did not get going"
    store = SqliteStore(db)  # opens cleanly after the crash
    assert store._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    ids = {int(t.split()[1]) for (t,) in store._db.execute("SELECT text FROM questions")}
    missing = set(range(acknowledged + 1)) - ids
    assert not missing
    store.close()


def test_export_csv_escapes(tmp_path: Path) -> None:
    store = SqliteStore.in_dir(tmp_path)
    store.record('he said "hi", then <b>left</b>', "unknown", [], "private", at=NOW)
    out = io.StringIO()
    assert store.export_csv(out) == 1
    assert '"he said ""hi"", then <b>left</b>"' in out.getvalue()
    store.close()
