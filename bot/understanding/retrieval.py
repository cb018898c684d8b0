"""BM25 over the answer units, so that a question naming a fact rather than an intent finds it
("where do homes open with door codes?" → Seoul's everyday tech).

Written here rather than taken from a BM25 package (bm25s, rank-bm25): those score a whole
corpus with numpy per query and bring numpy and scipy into a bot that must start in a quarter
of a second; here the corpus is a few hundred short units, the question's tokens come already
normalised, typo-corrected and mapped from other languages by the reader, and an inverted index
makes a query cost in proportion to the postings of its own words.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from bot.understanding.tunables import (
    BM25_B,
    BM25_K1,
    RETRIEVAL_COMMON_MIN,
    RETRIEVAL_COMMON_SHARE,
)
from bot.understanding.units import Unit


@dataclass(frozen=True)
class Hit:
    unit: Unit
    score: float
    matched: frozenset[str]  # the question's words the unit holds
    coverage: float  # their share of the question's words, weighed by idf


class Retriever:
    def __init__(self, units: Iterable[Unit], ignore: frozenset[str] = frozenset()) -> None:
        self.units = tuple(units)
        self._postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        lengths: list[int] = []
        for i, unit in enumerate(self.units):
            counts = Counter(w for w in unit.words if w not in ignore)
            lengths.append(sum(counts.values()))
            for word, tf in counts.items():
                self._postings[word].append((i, tf))
        self._lengths = lengths
        self._avg = (sum(lengths) / len(lengths)) if lengths else 1.0
        n = len(self.units)
        self.idf = {
            w: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for w, p in self._postings.items()
        }
        self.words = frozenset(self._postings)
        # a word most units hold says little and costs a pass over them all: left out
        limit = max(RETRIEVAL_COMMON_MIN, int(RETRIEVAL_COMMON_SHARE * n))
        self._common = frozenset(w for w, p in self._postings.items() if len(p) > limit)
        self._unseen = max(self.idf.values(), default=1.0)  # a word no unit holds: rarest

    def search(self, words: Iterable[str], limit: int = 8) -> list[Hit]:
        """The best units for the question's content ``words``; coverage counts a word no
        unit holds as the rarest, so a question mostly about something else covers little."""
        asked = [w for w in dict.fromkeys(words) if w not in self._common]
        query = [w for w in asked if w in self._postings]
        if not query:
            return []
        scores: dict[int, float] = defaultdict(float)
        matched: dict[int, set[str]] = defaultdict(set)
        for word in query:
            idf = self.idf[word]
            for i, tf in self._postings[word]:
                norm = BM25_K1 * (1 - BM25_B + BM25_B * self._lengths[i] / self._avg)
                scores[i] += idf * tf * (BM25_K1 + 1) / (tf + norm)
                matched[i].add(word)
        total = sum(self.idf.get(w, self._unseen) for w in asked)
        best = sorted(scores.items(), key=lambda p: (-p[1], p[0]))[:limit]
        return [
            Hit(
                self.units[i],
                round(score, 4),
                frozenset(matched[i]),
                sum(self.idf[w] for w in matched[i]) / total if total else 0.0,
            )
            for i, score in best
        ]
