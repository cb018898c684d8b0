"""What must survive a restart: every question's intent and clusters (for stats), and the text
of questions the bot could not answer (for admins). No user ids or names are ever stored.

SQLite in WAL mode with ``synchronous=FULL``: a ``record`` that returned is on disk, so a crash
or ``kill -9`` loses nothing that was acknowledged. Kept behind the ``QuestionStore`` protocol so
that several replicas could share another backend.

Near-duplicate unanswered questions are grouped when they are written, not when an admin
reads them: a new question joins the open group whose text normalises to the same words
(an index look-up) or, failing that, the most similar of the ``GROUP_WINDOW`` most recently
asked open groups (``token_set_ratio`` >= 85). So a write costs a bounded amount, and
``/unanswered`` and ``/handled`` are indexed queries, whatever the number of questions.
Reports read through their own connection: under WAL a reader never waits for the writer, nor
the writer for a reader.

The text of a question is kept ``retention_days`` (``TRAVELBOT_RETENTION_DAYS``, 90 by
default), since travellers type personal data into it; then it is erased, and the question
counts in the stats only.
"""

from __future__ import annotations

import csv
import sqlite3
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TextIO

from rapidfuzz import fuzz, process

from bot.text import normalise

UNANSWERED_INTENTS = ("unknown", "clarify")
_GROUP_SCORE = 85  # token_set_ratio at which two questions count as the same question
_MAX_TEXT = 500  # a stored question is cut here: enough to read, bounded on disk
GROUP_WINDOW = 500
"""A new unanswered question is compared with the first question of at most this many open
groups, the most recently asked: the bound on a write's fuzzy matching."""
DEFAULT_RETENTION_DAYS = 90

_SCHEMA = """
CREATE TABLE IF NOT EXISTS questions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,            -- UTC, ISO 8601
    day TEXT NOT NULL,           -- UTC date, for per-day counts
    chat_type TEXT NOT NULL,     -- private, group, supergroup, channel, inline, cli
    intent TEXT NOT NULL,
    clusters TEXT NOT NULL,      -- space-separated cluster ids
    answered INTEGER NOT NULL,
    text TEXT,                   -- only for unanswered questions
    candidates TEXT NOT NULL DEFAULT '',  -- intents or clusters the bot hesitated between
    handled INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS questions_day ON questions(day);
"""
_GROUPS = """
CREATE INDEX IF NOT EXISTS questions_groups ON questions(answered, handled, grp, at);
CREATE INDEX IF NOT EXISTS questions_norm ON questions(norm, handled) WHERE answered = 0;
DROP INDEX IF EXISTS questions_unanswered;
"""
_GROUP_COLUMNS = {
    "grp": "INTEGER",  # the id of the group's first question (unanswered questions only)
    "norm": "TEXT",  # the normalised text the grouping compares (while the text is kept)
}


@dataclass(frozen=True)
class UnansweredGroup:
    """Near-duplicate unanswered questions; ``id`` is the first question's id."""

    id: int
    text: str
    count: int
    last_at: str
    chat_types: tuple[str, ...]
    candidates: tuple[str, ...]
    variants: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stats:
    days: int
    per_day: list[tuple[str, int]] = field(default_factory=list)
    per_intent: list[tuple[str, int]] = field(default_factory=list)
    per_cluster: list[tuple[str, int]] = field(default_factory=list)
    answered_rate_7: float | None = None
    answered_rate_30: float | None = None
    total: int = 0


class QuestionStore(Protocol):
    def record(
        self,
        text: str,
        intent: str,
        clusters: Iterable[str],
        chat_type: str,
        candidates: Iterable[str] = (),
        at: datetime | None = None,
    ) -> None: ...

    def unanswered(
        self, limit: int = 20, include_handled: bool = False
    ) -> list[UnansweredGroup]: ...

    def count_unanswered(self, include_handled: bool = False) -> int: ...

    def mark_handled(self, group_id: int) -> int: ...

    def stats(self, days: int = 30, now: datetime | None = None) -> Stats: ...

    def close(self) -> None: ...


class SqliteStore:
    """The default store: one SQLite file under ``TRAVELBOT_DATA_DIR``."""

    def __init__(self, path: Path, retention_days: int = DEFAULT_RETENTION_DAYS) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.retention_days = retention_days
        # writes: one connection shared by the bot's worker threads, serialised by a lock
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._reader: sqlite3.Connection | None = None
        self._read_lock = threading.Lock()
        self._window: OrderedDict[int, str] = OrderedDict()  # open group -> its first text
        self._purged_on = ""
        try:
            with self._lock:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")
                self._db.executescript(_SCHEMA)
                self._migrate()
            self.forget_old_text()
            # reports: a second connection, so a long read never holds up a write (WAL)
            self._reader = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        except BaseException:
            self._db.close()
            raise

    @classmethod
    def in_dir(cls, data_dir: Path, retention_days: int = DEFAULT_RETENTION_DAYS) -> SqliteStore:
        return cls(data_dir / "travelbot.sqlite3", retention_days)

    # ---- grouping, at write time -------------------------------------------------------------

    def _migrate(self) -> None:
        """Add the grouping columns to a store written before them, and group its unanswered
        questions once, in the order they came (under the write lock)."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(questions)")}
        for name, kind in _GROUP_COLUMNS.items():
            if name not in columns:
                self._db.execute(f"ALTER TABLE questions ADD COLUMN {name} {kind}")
        self._db.executescript(_GROUPS)
        rows = list(
            self._db.execute(
                "SELECT id, text, handled FROM questions WHERE answered = 0 AND grp IS NULL "
                "ORDER BY id"
            )
        )
        if rows:
            self._db.execute("BEGIN")
            for row_id, text, handled in rows:
                norm = normalise(text) if text else None
                group = self._group_of(norm, handled=bool(handled)) or row_id
                self._db.execute(
                    "UPDATE questions SET grp = ?, norm = ? WHERE id = ?", (group, norm, row_id)
                )
                if not handled:
                    self._joined(group, norm)
            self._db.execute("COMMIT")
        self._load_window()

    def _load_window(self) -> None:
        """The first kept text of the ``GROUP_WINDOW`` most recently asked open groups."""
        self._window.clear()
        recent = list(
            self._db.execute(
                "SELECT grp, MIN(id), MAX(id) AS last FROM questions "
                "WHERE answered = 0 AND handled = 0 AND norm IS NOT NULL "
                "GROUP BY grp ORDER BY last DESC LIMIT ?",
                (GROUP_WINDOW,),
            )
        )
        for group, first, _ in reversed(recent):
            (norm,) = self._db.execute(
                "SELECT norm FROM questions WHERE id = ?", (first,)
            ).fetchone()
            self._window[group] = norm

    def _joined(self, group: int, norm: str | None) -> None:
        """``group`` was just asked: it becomes the most recent of the window."""
        if not norm:
            return
        if group in self._window:
            self._window.move_to_end(group)
            return
        self._window[group] = norm
        while len(self._window) > GROUP_WINDOW:
            self._window.popitem(last=False)

    def _group_of(self, norm: str | None, handled: bool = False) -> int | None:
        """The open group a question with normalised text ``norm`` belongs to, if any: the
        same words (indexed), else the closest of the window. A text without letters or
        digits is a group of its own."""
        if not norm:
            return None
        same = self._db.execute(
            "SELECT grp FROM questions INDEXED BY questions_norm "
            "WHERE norm = ? AND answered = 0 AND handled = ? AND grp IS NOT NULL LIMIT 1",
            (norm, int(handled)),
        ).fetchone()
        if same is not None:
            return int(same[0])
        if handled or not self._window:  # the window holds open groups only
            return None
        best = process.extractOne(
            norm,
            self._window,
            scorer=fuzz.token_set_ratio,
            processor=None,
            score_cutoff=_GROUP_SCORE,
        )
        return None if best is None else int(best[2])

    def record(
        self,
        text: str,
        intent: str,
        clusters: Iterable[str],
        chat_type: str,
        candidates: Iterable[str] = (),
        at: datetime | None = None,
    ) -> None:
        when = (at or datetime.now(UTC)).astimezone(UTC)
        answered = intent not in UNANSWERED_INTENTS
        kept = None if answered else text[:_MAX_TEXT]
        norm = normalise(kept) if kept is not None else None
        row = (
            when.isoformat(timespec="seconds"),
            when.date().isoformat(),
            chat_type,
            intent,
            " ".join(clusters),
            int(answered),
            kept,
            " ".join(candidates),
            norm,
        )
        self.forget_old_text()
        with self._lock:
            if answered:
                self._db.execute(
                    "INSERT INTO questions (at, day, chat_type, intent, clusters, answered, text, "
                    "candidates, norm) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
                return
            group = self._group_of(norm)
            self._db.execute("BEGIN")  # one transaction, one flush to disk
            try:
                cursor = self._db.execute(
                    "INSERT INTO questions (at, day, chat_type, intent, clusters, answered, "
                    "text, candidates, norm, grp) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*row, group),
                )
                if group is None:
                    group = cursor.lastrowid
                    self._db.execute("UPDATE questions SET grp = id WHERE id = ?", (group,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            assert group is not None
            self._joined(group, norm)

    # ---- retention ---------------------------------------------------------------------------

    def forget_old_text(self, now: datetime | None = None) -> int:
        """Erase the text of questions older than ``retention_days`` (once a day at most, and
        at once when ``now`` is given); they still count in the stats. Returns how many."""
        today = (now or datetime.now(UTC)).astimezone(UTC).date()
        if now is None and self._purged_on == today.isoformat():
            return 0
        cutoff = (today - timedelta(days=self.retention_days)).isoformat()
        with self._lock:
            erased = self._db.execute(
                "UPDATE questions SET text = NULL, norm = NULL WHERE day < ? AND text IS NOT NULL",
                (cutoff,),
            ).rowcount
            self._purged_on = today.isoformat()
            if erased:
                self._load_window()  # the memory of the grouping forgets them too
        return int(erased)

    # ---- reports, on the reading connection ----------------------------------------------------

    def _read(self, query: str, params: Iterable[object] = ()) -> list[tuple[Any, ...]]:
        with self._read_lock:
            reader = self._reader if self._reader is not None else self._db
            return list(reader.execute(query, tuple(params)))

    @staticmethod
    def _where(include_handled: bool) -> str:
        where = "answered = 0 AND text IS NOT NULL"
        return where if include_handled else where + " AND handled = 0"

    def count_unanswered(self, include_handled: bool = False) -> int:
        """How many groups ``unanswered`` would list without a limit."""
        ((count,),) = self._read(
            f"SELECT COUNT(DISTINCT grp) FROM questions WHERE {self._where(include_handled)}"
        )
        return int(count)

    def unanswered(self, limit: int = 20, include_handled: bool = False) -> list[UnansweredGroup]:
        """The most asked unanswered questions first (near-duplicates grouped), each with the
        question most often asked in its group."""
        where = self._where(include_handled)
        top = self._read(
            f"SELECT grp, COUNT(*) AS n, MAX(at) AS last FROM questions WHERE {where} "
            "GROUP BY grp ORDER BY n DESC, last, grp LIMIT ?",
            (limit,),
        )
        groups: list[UnansweredGroup] = []
        for group, count, last_at in top:
            member = f"{where} AND grp = ?"
            texts = self._read(
                f"SELECT text, COUNT(*) AS n FROM questions WHERE {member} "
                "GROUP BY text ORDER BY n DESC, MIN(id) LIMIT 4",
                (group,),
            )
            chat_types = self._read(
                f"SELECT DISTINCT chat_type FROM questions WHERE {member}", (group,)
            )
            candidates = self._read(
                f"SELECT DISTINCT candidates FROM questions WHERE {member}", (group,)
            )
            groups.append(
                UnansweredGroup(
                    id=int(group),
                    text=texts[0][0],
                    count=int(count),
                    last_at=last_at,
                    chat_types=tuple(sorted(c for (c,) in chat_types)),
                    candidates=tuple(sorted({c for (cs,) in candidates for c in cs.split()})),
                    variants=tuple(t for t, _ in texts),
                )
            )
        return groups

    def mark_handled(self, group_id: int) -> int:
        """Mark the open group whose first question is ``group_id``; returns how many were
        marked."""
        with self._lock:
            marked = self._db.execute(
                "UPDATE questions SET handled = 1 WHERE answered = 0 AND handled = 0 AND grp = ?",
                (group_id,),
            ).rowcount
            self._window.pop(group_id, None)
        return int(marked)

    def _rate(self, since: str) -> float | None:
        ((total, answered),) = self._read(
            "SELECT COUNT(*), COALESCE(SUM(answered), 0) FROM questions WHERE day >= ?",
            (since,),
        )
        return answered / total if total else None

    def stats(self, days: int = 30, now: datetime | None = None) -> Stats:
        today = (now or datetime.now(UTC)).astimezone(UTC).date()
        since = (today - timedelta(days=days - 1)).isoformat()
        per_day = self._read(
            "SELECT day, COUNT(*) FROM questions WHERE day >= ? GROUP BY day ORDER BY day",
            (since,),
        )
        per_intent = self._read(
            "SELECT intent, COUNT(*) AS n FROM questions WHERE day >= ? "
            "GROUP BY intent ORDER BY n DESC, intent",
            (since,),
        )
        clusters: Counter[str] = Counter()
        for row, n in self._read(
            "SELECT clusters, COUNT(*) FROM questions WHERE day >= ? AND clusters != '' "
            "GROUP BY clusters",
            (since,),
        ):
            for cluster in row.split():
                clusters[cluster] += n
        return Stats(
            days=days,
            per_day=[(d, n) for d, n in per_day],
            per_intent=[(i, n) for i, n in per_intent],
            per_cluster=sorted(clusters.items(), key=lambda x: (-x[1], x[0])),
            answered_rate_7=self._rate((today - timedelta(days=6)).isoformat()),
            answered_rate_30=self._rate((today - timedelta(days=29)).isoformat()),
            total=sum(n for _, n in per_day),
        )

    def export_csv(self, out: TextIO, include_handled: bool = True) -> int:
        writer = csv.writer(out)
        writer.writerow(["id", "count", "last_at", "text", "chat_types", "candidates", "variants"])
        groups = self.unanswered(limit=1_000_000, include_handled=include_handled)
        for g in groups:
            writer.writerow(
                [
                    g.id,
                    g.count,
                    g.last_at,
                    g.text,
                    " ".join(g.chat_types),
                    " ".join(g.candidates),
                    " | ".join(g.variants),
                ]
            )
        return len(groups)

    def close(self) -> None:
        with self._read_lock:
            if self._reader is not None:
                self._reader.close()
        with self._lock:
            self._db.close()
