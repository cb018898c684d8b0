"""Swapping in new knowledge without downtime.

``KnowledgeHolder.engine`` is the engine in force. A reload loads and validates the files into a
new ``Engine`` and then replaces the reference in one assignment: an answer already being
computed keeps the engine it started with, the next one gets the new one. Invalid files are
refused and the last good knowledge keeps serving; the chats' context carries across.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.engine import Engine
from bot.knowledge import KnowledgeError, Problem, load_knowledge
from bot.knowledge.loader import scan

log = logging.getLogger("bot.knowledge")


@dataclass(frozen=True)
class ReloadResult:
    ok: bool
    changed: bool  # the files differ from the knowledge in force
    problems: tuple[Problem, ...] = ()
    fingerprint: str = ""

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


Snapshot = tuple[tuple[str, int, int, int, int], ...]


def _snapshot(root: Path) -> tuple[Snapshot, tuple[Problem, ...]]:
    """Names, sizes, modes and times, and the folders that could not be listed: cheap to
    take every few seconds. A file or folder made readable again (``chmod``) moves its change
    time, so the watch tries again."""
    found = scan([root])
    entries: list[tuple[str, int, int, int, int]] = []
    for path in found.files:
        try:
            st = path.stat()
        except OSError:
            entries.append((str(path), -1, -1, -1, -1))  # a dangling link: still a file to read
            continue
        entries.append((str(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_mode))
    return tuple(entries), found.problems


class KnowledgeHolder:
    """The knowledge in force, its folder, and the reload and watch logic."""

    def __init__(
        self,
        root: Path,
        on_swap: Callable[[Engine], None] | None = None,
        *,
        engine: Engine | None = None,
    ) -> None:
        """Load ``root``, or start from ``engine`` when it was already built from it."""
        self.root = root
        self._lock = threading.Lock()  # one reload at a time
        self._on_swap = on_swap
        # at start-up an invalid knowledge is fatal: there is nothing to keep serving
        self.engine = engine if engine is not None else Engine(load_knowledge([root]))
        self._seen = _snapshot(root)
        self.reloads = 0
        self.failed_reloads = 0

    def reload(self) -> ReloadResult:
        """Validate the folder and swap it in; on problems keep serving the old knowledge."""
        with self._lock:
            self._seen = _snapshot(self.root)
            old = self.engine
            try:
                kb = load_knowledge([self.root])
            except KnowledgeError as exc:
                self.failed_reloads += 1
                return ReloadResult(False, True, exc.problems, old.kb.fingerprint)
            except Exception as exc:  # a loader bug: refuse like a problem, keep serving
                log.exception("loading the knowledge failed unexpectedly")
                self.failed_reloads += 1
                problem = Problem(
                    f"{str(self.root).rstrip('/')}/" if self.root.is_dir() else str(self.root),
                    0,
                    f"the knowledge could not be loaded ({type(exc).__name__}: {exc}); "
                    "the log has the details",
                )
                return ReloadResult(False, True, (problem,), old.kb.fingerprint)
            changed = kb.fingerprint != old.kb.fingerprint
            if changed:
                engine = Engine(kb, contexts=old.contexts)
                engine.understanding.warm()  # on the reload's thread, before it serves
                self.engine = engine
                if self._on_swap is not None:
                    self._on_swap(self.engine)
            self.reloads += 1
            return ReloadResult(True, changed, (), kb.fingerprint)

    def changed_on_disk(self) -> bool:
        return _snapshot(self.root) != self._seen

    def reload_if_changed(self) -> ReloadResult | None:
        """For the periodic watch: None when nothing on disk moved since the last look."""
        if not self.changed_on_disk():
            return None
        return self.reload()
