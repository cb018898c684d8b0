"""What must survive a restart: every question's intent and clusters (for stats), and the text
of questions the bot could not answer (for admins). No user ids or names are ever stored.

SQLite in WAL mode with ``synchronous=FULL``: a ``record`` that returned is on disk, so a crash
or ``kill -9`` loses nothing that was acknowledged. Kept behind the ``QuestionStore`` protocol so
that several replicas could share another backend.

Near-duplicate unanswered questions are grouped when they are written, not when an admin
reads them: a new question joins the open group whose text normalises to the same words
(an index look-up) or, failing that, the most similar of the ``GROUP_WINDOW`` most recently
asked open groups (``token_set_ratio`` >= 85). Each group's count, wordings, chat types and
candidates are kept up to date in ``question_groups`` and ``group_texts`` in the same
transaction. So a write costs a bounded amount, and ``/unanswered`` and ``/handled`` read or
change a few indexed rows, whatever the number of questions.
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
    handled INTEGER NOT NULL DEFAULT 0    -- before question_groups; read only to migrate
);
CREATE INDEX IF NOT EXISTS questions_day ON questions(day);
"""
_GROUPS = """
CREATE TABLE IF NOT EXISTS question_groups (
    id INTEGER PRIMARY KEY,      -- the id of the group's first question: what /handled takes
    count INTEGER NOT NULL,      -- its questions whose text is still kept
    last_at TEXT NOT NULL,
    handled INTEGER NOT NULL DEFAULT 0,
    chat_types TEXT NOT NULL DEFAULT '',  -- space-separated, sorted
    candidates TEXT NOT NULL DEFAULT ''   -- space-separated, sorted
);
CREATE INDEX IF NOT EXISTS question_groups_listing
    ON question_groups(handled, count DESC, last_at, id);
CREATE TABLE IF NOT EXISTS group_texts (  -- how often each wording of a group was asked
    grp INTEGER NOT NULL,
    text TEXT NOT NULL,
    count INTEGER NOT NULL,
    first_id INTEGER NOT NULL,
    PRIMARY KEY (grp, text)
);
CREATE INDEX IF NOT EXISTS group_texts_top ON group_texts(grp, count DESC, first_id);
CREATE INDEX IF NOT EXISTS questions_norm ON questions(norm) WHERE answered = 0;
CREATE INDEX IF NOT EXISTS questions_grp ON questions(grp) WHERE grp IS NOT NULL;
DROP INDEX IF EXISTS questions_unanswered;
DROP INDEX IF EXISTS questions_groups;
"""
_GROUP_COLUMNS = {
    "grp": "INTEGER",  # the id of the group's first question (unanswered questions only)
    "norm": "TEXT",  # the normalised text the grouping compares (while the text is kept)
}


def _words(*values: str) -> str:
    return " ".join(sorted({w for v in values for w in v.split()}))


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
                self._db.execute("PRAGMA secure_delete=ON")  # erased text is overwritten
                (check,) = self._db.execute("PRAGMA quick_check(1)").fetchone()
                if check != "ok":
                    raise sqlite3.DatabaseError(f"database disk image is malformed: {check}")
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
        """Add the grouping columns and tables to a store written before them, and group its
        unanswered questions once, in the order they came (under the write lock)."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(questions)")}
        for name, kind in _GROUP_COLUMNS.items():
            if name not in columns:
                self._db.execute(f"ALTER TABLE questions ADD COLUMN {name} {kind}")
        self._db.executescript(_GROUPS)
        rows = list(
            self._db.execute(
                "SELECT id, at, chat_type, text, candidates, handled FROM questions "
                "WHERE answered = 0 AND grp IS NULL AND text IS NOT NULL ORDER BY id"
            )
        )
        if rows:
            self._db.execute("BEGIN")
            for row_id, at, chat_type, text, candidates, handled in rows:
                norm = normalise(text)
                self._db.execute("UPDATE questions SET norm = ? WHERE id = ?", (norm, row_id))
                self._file(row_id, at, chat_type, text, norm, candidates, bool(handled))
            self._db.execute("COMMIT")
        self._load_window()

    def _load_window(self) -> None:
        """The first kept text of the ``GROUP_WINDOW`` most recently asked open groups."""
        self._window.clear()
        recent = list(
            self._db.execute(
                "SELECT id FROM question_groups WHERE handled = 0 AND count > 0 "
                "ORDER BY last_at DESC, id DESC LIMIT ?",
                (GROUP_WINDOW,),
            )
        )
        for (group,) in reversed(recent):
            first = self._db.execute(
                "SELECT norm FROM questions WHERE grp = ? AND norm IS NOT NULL ORDER BY id LIMIT 1",
                (group,),
            ).fetchone()
            if first is not None and first[0]:
                self._window[group] = first[0]

    def _joined(self, group: int, norm: str) -> None:
        """``group`` was just asked: it becomes the most recent of the window."""
        if not norm:
            return
        if group in self._window:
            self._window.move_to_end(group)
            return
        self._window[group] = norm
        while len(self._window) > GROUP_WINDOW:
            self._window.popitem(last=False)

    def _group_of(self, norm: str, handled: bool = False) -> int | None:
        """The group a question with normalised text ``norm`` joins, if any: a group (open,
        unless ``handled``) with a question of the same words (indexed), else the closest of
        the window. A text without letters or digits is a group of its own."""
        if not norm:
            return None
        same = self._db.execute(
            "SELECT q.grp FROM questions AS q INDEXED BY questions_norm "
            "JOIN question_groups AS g ON g.id = q.grp "
            "WHERE q.norm = ? AND q.answered = 0 AND g.handled = ? ORDER BY q.id DESC LIMIT 1",
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

    def _file(
        self,
        row_id: int,
        at: str,
        chat_type: str,
        text: str,
        norm: str,
        candidates: str,
        handled: bool = False,
    ) -> int:
        """Put the unanswered question ``row_id`` in its group (a new one if none fits) and
        count it there; the caller holds the write lock and a transaction."""
        group = self._group_of(norm, handled)
        if group is None:
            group = row_id
            self._db.execute(
                "INSERT INTO question_groups (id, count, last_at, handled, chat_types, "
                "candidates) VALUES (?, 1, ?, ?, ?, ?)",
                (group, at, int(handled), chat_type, _words(candidates)),
            )
        else:
            kinds, hesitations = self._db.execute(
                "SELECT chat_types, candidates FROM question_groups WHERE id = ?", (group,)
            ).fetchone()
            self._db.execute(
                "UPDATE question_groups SET count = count + 1, last_at = MAX(last_at, ?), "
                "chat_types = ?, candidates = ? WHERE id = ?",
                (at, _words(kinds, chat_type), _words(hesitations, candidates), group),
            )
        self._db.execute("UPDATE questions SET grp = ? WHERE id = ?", (group, row_id))
        self._db.execute(
            "INSERT INTO group_texts (grp, text, count, first_id) VALUES (?, ?, 1, ?) "
            "ON CONFLICT (grp, text) DO UPDATE SET count = count + 1",
            (group, text, row_id),
        )
        if not handled:
            self._joined(group, norm)
        return group

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
        insert = (
            "INSERT INTO questions (at, day, chat_type, intent, clusters, answered, text, "
            "candidates, norm) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        )
        self.forget_old_text()
        with self._lock:
            if kept is None or norm is None:
                self._db.execute(insert, row)
                return
            self._db.execute("BEGIN")  # one transaction, one flush to disk
            try:
                row_id = self._db.execute(insert, row).lastrowid
                assert row_id is not None
                self._file(row_id, row[0], chat_type, kept, norm, row[7])
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                self._load_window()  # the window may name a group the rollback undid
                raise

    # ---- retention ---------------------------------------------------------------------------

    def forget_old_text(self, now: datetime | None = None) -> int:
        """Erase the text of questions older than ``retention_days`` (once a day at most, and
        at once when ``now`` is given); they still count in the stats, no longer in their
        group. Returns how many were erased."""
        today = (now or datetime.now(UTC)).astimezone(UTC).date()
        if now is None and self._purged_on == today.isoformat():
            return 0
        cutoff = (today - timedelta(days=self.retention_days)).isoformat()
        old = "FROM questions WHERE day < ? AND text IS NOT NULL"
        with self._lock:
            self._purged_on = today.isoformat()
            counted = list(
                self._db.execute(
                    f"SELECT grp, text, COUNT(*) {old} AND grp IS NOT NULL GROUP BY grp, text",
                    (cutoff,),
                )
            )
            self._db.execute("BEGIN")
            try:
                erased = self._db.execute(
                    f"UPDATE questions SET text = NULL, norm = NULL WHERE id IN (SELECT id {old})",
                    (cutoff,),
                ).rowcount
                for group, text, n in counted:
                    self._db.execute(
                        "UPDATE group_texts SET count = count - ? WHERE grp = ? AND text = ?",
                        (n, group, text),
                    )
                    self._db.execute(
                        "UPDATE question_groups SET count = count - ? WHERE id = ?", (n, group)
                    )
                self._db.execute("DELETE FROM group_texts WHERE count <= 0")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            if erased:
                self._load_window()  # the memory of the grouping forgets them too
        return int(erased)

    # ---- reports, on the reading connection ----------------------------------------------------

    def _read(self, query: str, params: Iterable[object] = ()) -> list[tuple[Any, ...]]:
        with self._read_lock:
            reader = self._reader if self._reader is not None else self._db
            return list(reader.execute(query, tuple(params)))

    def count_unanswered(self, include_handled: bool = False) -> int:
        """How many groups ``unanswered`` would list without a limit."""
        open_only = "" if include_handled else " AND handled = 0"
        ((count,),) = self._read(f"SELECT COUNT(*) FROM question_groups WHERE count > 0{open_only}")
        return int(count)

    def unanswered(self, limit: int = 20, include_handled: bool = False) -> list[UnansweredGroup]:
        """The most asked unanswered questions first (near-duplicates grouped), each with the
        wording most often asked in its group."""
        open_only = "" if include_handled else " AND handled = 0"
        top = self._read(
            "SELECT id, count, last_at, chat_types, candidates FROM question_groups "
            f"WHERE count > 0{open_only} ORDER BY count DESC, last_at, id LIMIT ?",
            (limit,),
        )
        groups: list[UnansweredGroup] = []
        for group, count, last_at, chat_types, candidates in top:
            texts = self._read(
                "SELECT text FROM group_texts WHERE grp = ? ORDER BY count DESC, first_id LIMIT 4",
                (group,),
            )
            groups.append(
                UnansweredGroup(
                    id=int(group),
                    text=texts[0][0] if texts else "",
                    count=int(count),
                    last_at=last_at,
                    chat_types=tuple(chat_types.split()),
                    candidates=tuple(candidates.split()),
                    variants=tuple(t for (t,) in texts),
                )
            )
        return groups

    def mark_handled(self, group_id: int) -> int:
        """Mark the open group whose first question is ``group_id``; returns how many
        questions it holds (0: no such open group)."""
        with self._lock:
            found = self._db.execute(
                "SELECT count FROM question_groups WHERE id = ? AND handled = 0 AND count > 0",
                (group_id,),
            ).fetchone()
            if found is None:
                return 0
            self._db.execute("UPDATE question_groups SET handled = 1 WHERE id = ?", (group_id,))
            self._window.pop(group_id, None)
        return int(found[0])

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


def is_corrupt(exc: sqlite3.DatabaseError) -> bool:
    """The file is damaged or not a database at all, as opposed to locked, full or read-only."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return True
    message = str(exc)
    return "malformed" in message or "not a database" in message


def open_or_set_aside(
    path: Path, retention_days: int = DEFAULT_RETENTION_DAYS
) -> tuple[SqliteStore, Path | None]:
    """The store at ``path``; when its file is corrupt, the file (and its WAL) is moved aside
    to ``NAME.corrupt-TIME``, kept for inspection, and a new store takes its place. Returns the
    store and where the bad file went (``None`` when it was fine). Any other error (a folder
    that cannot be written, a locked file) is raised: a new store would not help."""
    try:
        return SqliteStore(path, retention_days), None
    except sqlite3.DatabaseError as exc:
        if not is_corrupt(exc):
            raise
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        source = path.with_name(path.name + suffix)
        if source.exists():
            source.replace(aside.with_name(aside.name + suffix))
    return SqliteStore(path, retention_days), aside
