"""BM25 over the answer units, so that a question naming a fact rather than an intent finds it
("where do homes open with door codes?" → Seoul's everyday tech).

Written here rather than taken from a BM25 package (bm25s, rank-bm25): those score a whole
corpus with numpy per query and bring numpy and scipy into a bot that must start in a quarter
of a second; here the corpus is a few hundred short units, the question's tokens come already
normalised, typo-corrected and mapped from other languages by the reader, and an inverted index
makes a query cost in proportion to the postings of its own words.
"""

from __future__ import annotations

import heapq
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
    """Postings hold each (word, unit) pair's BM25 weight, computed once: a query only adds
    them up, then checks which of its words the few best units hold."""

    def __init__(self, units: Iterable[Unit], ignore: frozenset[str] = frozenset()) -> None:
        self.units = tuple(units)
        counted: list[Counter[str]] = [
            Counter(w for w in unit.words if w not in ignore) for unit in self.units
        ]
        lengths = [sum(c.values()) for c in counted]
        avg = (sum(lengths) / len(lengths)) if lengths else 1.0
        n = len(self.units)
        frequency: Counter[str] = Counter(w for c in counted for w in c)
        self.idf = {w: math.log(1 + (n - df + 0.5) / (df + 0.5)) for w, df in frequency.items()}
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, counts in enumerate(counted):
            norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths[i] / avg)
            for word, tf in counts.items():
                weight = self.idf[word] * tf * (BM25_K1 + 1) / (tf + norm)
                self._postings[word].append((i, weight))
        self._held = [frozenset(c) for c in counted]
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
        for word in query:
            for i, weight in self._postings[word]:
                scores[i] += weight
        total = sum(self.idf.get(w, self._unseen) for w in asked)
        # ties keep the units' order (the dict's): the key is a C-level getter, no lambda
        best = heapq.nlargest(limit, scores, key=scores.__getitem__)
        hits: list[Hit] = []
        for i in best:
            score = scores[i]
            matched = frozenset(w for w in query if w in self._held[i])
            coverage = sum(self.idf[w] for w in matched) / total if total else 0.0
            hits.append(Hit(self.units[i], round(score, 4), matched, coverage))
        return hits
