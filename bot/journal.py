"""The update journal: what polling has taken from Telegram and not yet finished handling.

Telegram forgets an update once ``getUpdates`` is called with an offset past it. Polling
writes each batch it admits here (durably: ``synchronous=FULL``) before it asks for the next
batch, and marks each update done once its handler has finished. So after a crash or
``kill -9`` the next start handles again exactly the updates that were not finished: those
waiting in the queue and those being handled at that instant (which may then be answered
twice; nothing is lost). Done updates are remembered for ``KEEP_DONE_SECONDS``, so a batch
Telegram sends again (the bot died before confirming it) is recognised and not handled twice.

Stored in ``TRAVELBOT_DATA_DIR/updates.sqlite3``. The bodies are Telegram's JSON (with the
sender's name and ids, and the text) and are kept only until handled, then overwritten
(``secure_delete``); the ids alone are kept ``KEEP_DONE_SECONDS``.

Core module: nothing here imports ``telegram``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

FILE_NAME: Final = "updates.sqlite3"
KEEP_DONE_SECONDS: Final = 600.0
"""How long a handled update's id is kept, to recognise it when Telegram sends it again."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS updates (
    id INTEGER PRIMARY KEY,      -- Telegram's update_id
    body TEXT,                   -- the update's JSON while it waits; NULL once done
    done_at REAL                 -- Unix time it was handled, NULL while it waits
);
CREATE INDEX IF NOT EXISTS updates_done ON updates(done_at);
"""


class UpdateJournal:
    """Thread-safe; each method is one short transaction."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA secure_delete=ON")  # a handled update's text is overwritten
        self._db.executescript(_SCHEMA)

    @classmethod
    def in_dir(cls, data_dir: Path) -> UpdateJournal:
        data_dir.mkdir(parents=True, exist_ok=True)
        return cls(data_dir / FILE_NAME)

    def add(self, updates: Iterable[dict[str, Any]]) -> None:
        """Keep ``updates`` (each with its ``update_id``) until ``done``; on disk on return."""
        rows = [(int(u["update_id"]), json.dumps(u, ensure_ascii=False)) for u in updates]
        if not rows:
            return
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR IGNORE INTO updates (id, body, done_at) VALUES (?, ?, NULL)", rows
            )
            self._db.execute("COMMIT")

    def done(self, update_ids: Iterable[int], now: float | None = None) -> None:
        """Forget the bodies of handled updates (their ids are kept a while)."""
        stamp = time.time() if now is None else now
        rows = [(stamp, int(i)) for i in update_ids]
        if not rows:
            return
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT INTO updates (id, body, done_at) VALUES (?2, NULL, ?1) "
                "ON CONFLICT(id) DO UPDATE SET body = NULL, done_at = ?1",
                rows,
            )
            self._db.execute(
                "DELETE FROM updates WHERE done_at IS NOT NULL AND done_at < ?",
                (stamp - KEEP_DONE_SECONDS,),
            )
            self._db.execute("COMMIT")

    def known(self, update_ids: Iterable[int]) -> set[int]:
        """Which of ``update_ids`` are waiting here or were handled recently."""
        ids = [int(i) for i in update_ids]
        if not ids:
            return set()
        marks = ",".join("?" * len(ids))
        with self._lock:
            found = self._db.execute(f"SELECT id FROM updates WHERE id IN ({marks})", ids)
            return {row[0] for row in found}

    def pending(self) -> list[dict[str, Any]]:
        """The updates not yet handled, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM updates WHERE done_at IS NULL ORDER BY id"
            ).fetchall()
        found = []
        for (body,) in rows:
            try:
                update = json.loads(body)
            except ValueError:
                continue
            if isinstance(update, dict):
                found.append(update)
        return found

    def close(self) -> None:
        with self._lock:
            self._db.close()
