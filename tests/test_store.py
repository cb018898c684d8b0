"""The question store: unanswered questions grouped, stats, durability across kill -9."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rapidfuzz import process

from bot.cli import main
from bot.store import GROUP_WINDOW, SqliteStore

# today at noon: the store erases question text by the real date (the retention period)
NOW = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)


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
    assert [d for d, _ in stats.per_day] == [
        (NOW - timedelta(days=back)).date().isoformat() for back in (10, 1, 0)
    ]
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
    from bot.store import GROUP_WINDOW, SqliteStore
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


# ---- bounded work, whatever the number of questions --------------------------------------


def distinct(i: int) -> str:
    """A question unlike any other: three made-up words."""
    h = hashlib.sha1(str(i).encode()).hexdigest()
    return f"{h[:7]} {h[7:14]} {h[14:21]}"


def test_reports_match_nothing_fuzzily_and_a_write_compares_a_bounded_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/unanswered and /handled are indexed queries: they compare no texts. A write compares
    its question with at most ``GROUP_WINDOW`` groups, however many there are."""
    compared: list[int] = []
    extract = process.extractOne

    def counting(query: str, choices: Any, **kwargs: Any) -> Any:
        compared.append(len(choices))
        return extract(query, choices, **kwargs)

    monkeypatch.setattr(process, "extractOne", counting)
    store = SqliteStore.in_dir(tmp_path)
    db: Any = store._db
    db.execute("PRAGMA synchronous=OFF")  # no flush per question: this test counts, not times
    n = GROUP_WINDOW * 2 + 50
    for i in range(n):
        store.record(distinct(i), "unknown", [], "x")
    assert compared and max(compared) <= GROUP_WINDOW
    assert len(compared) == n - 1  # the first question had nothing to compare with
    compared.clear()
    groups = store.unanswered(15)
    assert len(groups) == 15 and store.count_unanswered() == n
    assert store.mark_handled(groups[0].id) == 1
    assert store.count_unanswered() == n - 1
    assert compared == []  # the reports compared nothing
    store.close()


def test_near_duplicates_group_beyond_the_window(tmp_path: Path) -> None:
    store = SqliteStore.in_dir(tmp_path)
    db: Any = store._db
    db.execute("PRAGMA synchronous=OFF")
    store.record("Hotel prices in Seoul?", "unknown", [], "private", at=NOW)
    for i in range(GROUP_WINDOW + 10):  # the hotel question leaves the window
        store.record(distinct(i), "unknown", [], "private", at=NOW)
    store.record("hotel prices in seoul", "unknown", [], "group", at=NOW)  # the same words
    store.record("hotel prices seoul", "unknown", [], "private", at=NOW)  # now in the window
    top = store.unanswered(1)[0]
    assert (top.text, top.count, top.chat_types) == (
        "Hotel prices in Seoul?",
        3,
        ("group", "private"),
    )
    store.close()


def test_a_store_from_before_the_grouping_is_grouped_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "travelbot.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        """
        CREATE TABLE questions (
            id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, day TEXT NOT NULL,
            chat_type TEXT NOT NULL, intent TEXT NOT NULL, clusters TEXT NOT NULL,
            answered INTEGER NOT NULL, text TEXT, candidates TEXT NOT NULL DEFAULT '',
            handled INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX questions_unanswered ON questions(answered, handled);
        """
    )
    at, day = NOW.isoformat(timespec="seconds"), NOW.date().isoformat()
    for text, answered, handled in [
        ("visa for china?", 0, 0),
        ("rank of seoul", 1, 0),
        ("Visa for China", 0, 0),
        ("weather in tokyo", 0, 1),
    ]:
        old.execute(
            "INSERT INTO questions (at, day, chat_type, intent, clusters, answered, text, "
            "handled) VALUES (?, ?, 'private', 'unknown', '', ?, ?, ?)",
            (at, day, answered, None if answered else text, handled),
        )
    old.commit()
    old.close()
    store = SqliteStore(path)
    assert [(g.id, g.count) for g in store.unanswered()] == [(1, 2)]
    assert [g.id for g in store.unanswered(include_handled=True)] == [1, 4]
    store.record("visa for china", "unknown", [], "private")
    assert store.unanswered()[0].count == 3
    store.close()


# ---- retention --------------------------------------------------------------------------


def test_question_text_is_erased_after_the_retention_period(tmp_path: Path) -> None:
    store = SqliteStore.in_dir(tmp_path, retention_days=30)
    store.record(
        "my passport number is X123", "unknown", [], "private", at=NOW - timedelta(days=31)
    )
    store.record("hotel prices in seoul", "unknown", [], "private", at=NOW - timedelta(days=29))
    store.record("rank of seoul", "rank", ["seoul"], "private", at=NOW - timedelta(days=31))
    assert store.forget_old_text(NOW) == 1
    assert [g.text for g in store.unanswered(include_handled=True)] == ["hotel prices in seoul"]
    texts = [t for (t,) in store._db.execute("SELECT text FROM questions") if t is not None]
    assert texts == ["hotel prices in seoul"]
    assert "X123" not in "\n".join(store._db.iterdump())
    assert store.stats(days=60, now=NOW).total == 3  # still counted
    store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert b"X123" not in store.path.read_bytes()  # overwritten in the file, not just unlinked
    store.close()
    # opening the store erases what is older than the period, without being asked
    reopened = SqliteStore.in_dir(tmp_path, retention_days=1)
    assert reopened.unanswered(include_handled=True) == []
    reopened.close()
