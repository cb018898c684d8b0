"""Answer units: every fact of the knowledge as something a question can point at.

A unit is one sight, one everyday-tech item, one quote, one note, one figure, a cluster's
summary, a GII fact, an economy's rank or a cluster ranked 6–10, with the place it belongs to,
its English text, its source and the words that find it (its text, its names and aliases, its
themes' and measure's names, and the ``words`` admins add in the YAML). Retrieval searches
these; answers show the unit the question asked about.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

from bot.index import alias_texts
from bot.knowledge import KnowledgeBase
from bot.knowledge.schema import Sight
from bot.text import normalise, tokenise

# What kind of fact each unit is, and the reply intent that shows it.
INTENT_OF_KIND: dict[str, str] = {
    "sight": "sights",
    "tech": "overview",
    "quote": "overview",
    "note": "overview",
    "summary": "overview",
    "stat": "stat",
    "general": "general",
    "economy": "general",
    "other": "rank",
}


@dataclass(frozen=True)
class Unit:
    id: str  # "sight:teamlab-planets", "quote:tokyo-yokohama#0", "stat:tokyo-pct-filings"...
    kind: str
    cluster: str | None  # the top-five cluster it belongs to, if any
    ref: str  # the key of the fact in the knowledge (sight id, "cluster#i", stat id...)
    text: str
    source: str
    words: tuple[str, ...]  # normalised, stemmed tokens that find it


_ENGLISH = Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball's English stem, so "watch" finds "watched" and "robotaxi" "robotaxis"; other
    languages' words reach the units as English through the lexicons' ``terms``."""
    if word.isascii() and word.isalpha():
        stemmed: str = _ENGLISH.stemWord(word)
        return stemmed
    return word


def words_of(*texts: str) -> tuple[str, ...]:
    return tuple(stem(t) for text in texts for t in tokenise(normalise(text)))


def surface_of(*texts: str) -> frozenset[str]:
    return frozenset(t for text in texts for t in tokenise(normalise(text)))


def _units(kb: KnowledgeBase) -> Iterator[Unit]:
    theme_name = {t.id: t.name for t in kb.themes}
    measure_name = {m.id: m.name for m in kb.measures}
    for c in kb.clusters:
        yield Unit(
            f"summary:{c.id}",
            "summary",
            c.id,
            c.id,
            c.summary.text,
            c.summary.source,
            words_of(c.summary.text, c.headline, *c.summary.words),
        )
        for s in c.sights:
            yield Unit(
                f"sight:{s.id}",
                "sight",
                c.id,
                s.id,
                s.what,
                s.source,
                words_of(
                    s.name,
                    s.what,
                    s.why,
                    *alias_texts(s.aliases),
                    *(theme_name.get(t, t) for t in s.themes),
                    *s.words,
                    *_where(s),
                ),
            )
        for i, tech in enumerate(c.everyday_tech):
            yield Unit(
                f"tech:{c.id}#{i}",
                "tech",
                c.id,
                f"{c.id}#{i}",
                tech.text,
                tech.source,
                words_of(
                    tech.text,
                    *alias_texts(tech.names),
                    *(theme_name.get(t, t) for t in tech.themes),
                    *tech.words,
                ),
            )
        for i, quote in enumerate(c.quotes):
            yield Unit(
                f"quote:{c.id}#{i}",
                "quote",
                c.id,
                f"{c.id}#{i}",
                quote.text,
                quote.source,
                words_of(quote.text, quote.who, quote.role or "", *quote.words),
            )
        for i, note in enumerate(c.notes):
            yield Unit(
                f"note:{c.id}#{i}",
                "note",
                c.id,
                f"{c.id}#{i}",
                note.text,
                note.source,
                words_of(note.text, *note.words),
            )
        for stat in c.stats:
            yield Unit(
                f"stat:{stat.id}",
                "stat",
                c.id,
                stat.id,
                stat.text,
                stat.source,
                words_of(
                    stat.text,
                    stat.article_says or "",
                    measure_name.get(stat.measure, ""),
                    *stat.words,
                ),
            )
    for g in kb.general:
        yield Unit(
            f"general:{g.id}", "general", None, g.id, g.text, g.source, words_of(g.text, *g.words)
        )


def _where(sight: Sight) -> tuple[str, ...]:
    """A sight's address and location note ("Tsim Sha Tsui", "14.7 km between Shimbashi and
    Toyosu"): facts travellers ask by too."""
    if sight.location is None:
        return (sight.map_query,)
    return (sight.location.address or "", sight.location.note or "", sight.map_query)


def build_units(kb: KnowledgeBase) -> tuple[Unit, ...]:
    return tuple(_units(kb))


def vocabulary_words(units: tuple[Unit, ...], kb: KnowledgeBase) -> frozenset[str]:
    """The units' words as travellers write them (not stemmed), to know without meaning."""
    texts: list[str] = []
    for c in kb.clusters:
        texts += [c.summary.text, c.headline, *c.summary.words]
        for s in c.sights:
            texts += [s.name, s.what, s.why, *alias_texts(s.aliases), *s.words, *_where(s)]
        for tech in c.everyday_tech:
            texts += [tech.text, *alias_texts(tech.names), *tech.words]
        for quote in c.quotes:
            texts += [quote.text, quote.who, quote.role or "", *quote.words]
        for note in c.notes:
            texts += [note.text, *note.words]
        for stat in c.stats:
            texts += [stat.text, stat.article_says or "", *stat.words]
    for g in kb.general:
        texts += [g.text, *g.words]
    texts += [t.name for t in kb.themes] + [m.name for m in kb.measures]
    return surface_of(*texts)
