"""What must survive a restart: every question's intent and clusters (for stats), and the text
of questions the bot could not answer (for admins). No user ids or names are ever stored.

SQLite in WAL mode with ``synchronous=FULL``: a ``record`` that returned is on disk, so a crash
or ``kill -9`` loses nothing that was acknowledged. Kept behind the ``QuestionStore`` protocol so
that several replicas could share another backend.
"""

from __future__ import annotations

import csv
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol, TextIO

from rapidfuzz import fuzz, process

from bot.text import normalise

UNANSWERED_INTENTS = ("unknown", "clarify")
_GROUP_SCORE = 85  # token_set_ratio at which two questions count as the same question
_MAX_TEXT = 500  # a stored question is cut here: enough to read, bounded on disk

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
CREATE INDEX IF NOT EXISTS questions_unanswered ON questions(answered, handled);
"""


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

    def mark_handled(self, group_id: int) -> int: ...

    def stats(self, days: int = 30, now: datetime | None = None) -> Stats: ...

    def close(self) -> None: ...


class SqliteStore:
    """The default store: one SQLite file under ``TRAVELBOT_DATA_DIR``."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # one connection shared by the bot's worker threads, serialised by a lock
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)

    @classmethod
    def in_dir(cls, data_dir: Path) -> SqliteStore:
        return cls(data_dir / "travelbot.sqlite3")

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
        row = (
            when.isoformat(timespec="seconds"),
            when.date().isoformat(),
            chat_type,
            intent,
            " ".join(clusters),
            int(answered),
            None if answered else text[:_MAX_TEXT],
            " ".join(candidates),
        )
        with self._lock:
            self._db.execute(
                "INSERT INTO questions (at, day, chat_type, intent, clusters, answered, text, "
                "candidates) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )

    def _unanswered_rows(self, include_handled: bool) -> list[tuple[int, str, str, str, str]]:
        query = "SELECT id, at, chat_type, text, candidates FROM questions WHERE answered = 0"
        if not include_handled:
            query += " AND handled = 0"
        with self._lock:
            return list(self._db.execute(query + " ORDER BY id"))

    def _groups(self, include_handled: bool) -> list[tuple[list[int], UnansweredGroup]]:
        reps: list[str] = []  # normalised text of each group's first question
        members: list[list[tuple[int, str, str, str, str]]] = []
        for row in self._unanswered_rows(include_handled):
            key = normalise(row[3] or "")
            best = process.extractOne(
                key, reps, scorer=fuzz.token_set_ratio, processor=None, score_cutoff=_GROUP_SCORE
            )
            if best is not None and key:
                members[best[2]].append(row)
            else:
                reps.append(key)
                members.append([row])
        groups: list[tuple[list[int], UnansweredGroup]] = []
        for rows in members:
            texts = Counter(r[3] or "" for r in rows)
            groups.append(
                (
                    [r[0] for r in rows],
                    UnansweredGroup(
                        id=rows[0][0],
                        text=texts.most_common(1)[0][0],
                        count=len(rows),
                        last_at=max(r[1] for r in rows),
                        chat_types=tuple(sorted({r[2] for r in rows})),
                        candidates=tuple(sorted({c for r in rows for c in r[4].split() if c})),
                        variants=tuple(t for t, _ in texts.most_common(4)),
                    ),
                )
            )
        return groups

    def unanswered(self, limit: int = 20, include_handled: bool = False) -> list[UnansweredGroup]:
        """The most asked unanswered questions first, near-duplicates grouped."""
        groups = [g for _, g in self._groups(include_handled)]
        groups.sort(key=lambda g: (-g.count, g.last_at), reverse=False)
        return groups[:limit]

    def mark_handled(self, group_id: int) -> int:
        """Mark the group whose first question is ``group_id``; returns how many were marked."""
        for ids, group in self._groups(include_handled=False):
            if group.id == group_id:
                marks = ",".join("?" * len(ids))
                with self._lock:
                    self._db.execute(f"UPDATE questions SET handled = 1 WHERE id IN ({marks})", ids)
                return len(ids)
        return 0

    def _rate(self, since: str) -> float | None:
        with self._lock:
            total, answered = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(answered), 0) FROM questions WHERE day >= ?",
                (since,),
            ).fetchone()
        return answered / total if total else None

    def stats(self, days: int = 30, now: datetime | None = None) -> Stats:
        today = (now or datetime.now(UTC)).astimezone(UTC).date()
        since = (today - timedelta(days=days - 1)).isoformat()
        with self._lock:
            per_day = list(
                self._db.execute(
                    "SELECT day, COUNT(*) FROM questions WHERE day >= ? GROUP BY day ORDER BY day",
                    (since,),
                )
            )
            per_intent = list(
                self._db.execute(
                    "SELECT intent, COUNT(*) AS n FROM questions WHERE day >= ? "
                    "GROUP BY intent ORDER BY n DESC, intent",
                    (since,),
                )
            )
            cluster_rows = list(
                self._db.execute("SELECT clusters FROM questions WHERE day >= ?", (since,))
            )
        clusters = Counter(c for (row,) in cluster_rows for c in row.split())
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
        with self._lock:
            self._db.close()
