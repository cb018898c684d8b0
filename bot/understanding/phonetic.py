"""Names as they sound, for voice dictation and spelling by ear: "sole" for Seoul, "bay jing"
for Beijing, "you rico mo may line" for the Yurikamome Line.

Each Latin-script name of a place, sight, everyday tech or person is filed under the Metaphone
key (jellyfish) of its letters run together; a question's words that nothing else explains are
tried, one to four at a time, against those keys. A key shared by two different things names
neither. The reader uses a match only to fill a gap: when the question names no place itself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import jellyfish

from bot.index import Entity

MAX_WINDOW = 4  # words run together at most ("you rico mo may line" is five with "line")
SHORT_KEY = 2  # keys this short ("SL") match only a question that clearly asks about a place
_NAME_KINDS = frozenset({"cluster", "sight", "tech", "person", "other", "economy"})


def key(letters: str) -> str:
    return str(jellyfish.metaphone(letters))


@dataclass(frozen=True)
class Sounds:
    by_key: dict[str, Entity]

    @classmethod
    def build(cls, names: Iterable[tuple[tuple[str, ...], Entity]]) -> Sounds:
        found: dict[str, set[Entity]] = defaultdict(set)
        for tokens, entity in names:
            if entity.kind not in _NAME_KINDS:
                continue
            letters = "".join(tokens)
            if letters.isascii() and letters.isalpha() and len(letters) >= 3:
                found[key(letters)].add(entity)
        return cls({k: next(iter(v)) for k, v in found.items() if len(v) == 1 and len(k) >= 2})

    def find(self, words: list[str]) -> Entity | None:
        letters = "".join(words)
        if not letters.isascii() or not letters.isalpha():
            return None
        return self.by_key.get(key(letters))
