"""Button payloads: what a tap asks for, in at most 64 bytes, with no server-side state.

A payload is ``v1|verb|ref|ref``. Ids short enough are written as they are; a long id (admins
may add them) is written as ``~`` and a hash, resolved against the knowledge in force. So a
button sent before a restart or a reload still works, as long as what it names still exists.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

VERSION = "v1"
MAX_BYTES = 64
_INLINE_ID = 24
VERBS = ("about", "sights", "figures", "compare", "cmp", "map", "top", "pick")


@dataclass(frozen=True)
class Tap:
    verb: str
    refs: tuple[str, ...]


def _short(value: str) -> str:
    if len(value.encode()) <= _INLINE_ID and "|" not in value and not value.startswith("~"):
        return value
    return "~" + hashlib.sha1(value.encode()).hexdigest()[:10]


def encode(verb: str, *ids: str) -> str:
    if verb not in VERBS:
        raise ValueError(f"unknown verb {verb!r}")
    data = "|".join([VERSION, verb, *(_short(i) for i in ids)])
    if len(data.encode()) > MAX_BYTES:  # pragma: no cover - guarded by _short's sizes
        raise ValueError("callback data too long")
    return data


def decode(data: str, known_ids: Iterable[str]) -> Tap | None:
    """The tap a payload asks for, or None for a stale, foreign or damaged payload."""
    parts = data.split("|")
    if len(parts) < 2 or parts[0] != VERSION or parts[1] not in VERBS:
        return None
    refs: list[str] = []
    pool = list(known_ids)
    for ref in parts[2:]:
        if ref.startswith("~"):
            match = next((i for i in pool if _short(i) == ref), None)
            if match is None:
                return None
            refs.append(match)
        elif ref in pool:
            refs.append(ref)
        else:
            return None
    return Tap(parts[1], tuple(refs))
