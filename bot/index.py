"""The index built once from the knowledge: every alias and keyword as a phrase of tokens.

Looking a question up costs time in proportion to the question, not to the knowledge:
- each phrase is filed under its rarest token, so a question token only meets the few phrases
  that could start there;
- a misspelt token is corrected through a deletion neighbourhood (the SymSpell idea): every
  vocabulary word is filed under the strings made by deleting one or two of its letters, so a
  typo finds its candidates by a handful of dictionary look-ups, then rapidfuzz's OSA distance
  (Levenshtein counting a swap of two letters as one edit: "patnet") picks the closest.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from rapidfuzz.distance import OSA

from bot.knowledge.schema import Alias, SharedAlias
from bot.text import normalise, tokenise
from bot.understanding.tunables import MAX_TYPO_LENGTH, MIN_TYPO_LENGTH, SHORT_WORD

_ANY = "*"
T = TypeVar("T")


@dataclass(frozen=True, order=True)
class Entity:
    """Something a phrase names: ``kind`` is cluster, sight, economy, other, theme, measure,
    general, intent, smalltalk, unsupported or stop."""

    kind: str
    id: str


@dataclass(frozen=True)
class Phrase:
    tokens: tuple[str, ...]
    key_at: int  # position of the rarest token, under which the phrase is filed
    entities: tuple[Entity, ...]


@dataclass(frozen=True)
class Mention:
    """A phrase found in a question, at token positions ``start``..``end`` (exclusive)."""

    entity: Entity
    start: int
    end: int
    text: str
    fuzzy: bool  # found only after correcting a typo

    @property
    def length(self) -> int:
        return self.end - self.start


def _max_distance(word: str) -> int:
    """Edits allowed to correct ``word``: none for short, long, non-ASCII or non-alphabetic
    words, so that no word, however long or strange, costs more than a few lookups."""
    if not MIN_TYPO_LENGTH <= len(word) <= MAX_TYPO_LENGTH:
        return 0
    if not word.isascii() or not word.isalpha():
        return 0
    return 1 if len(word) <= SHORT_WORD else 2


_PREFIX = 7  # deletions are taken of a word's first letters only (SymSpell's prefix length)


def _deletes(word: str, depth: int) -> set[str]:
    """Every string made by deleting up to ``depth`` letters of the word's prefix: a typo and
    its word share one. The prefix bounds the count for long words; the candidates found are
    then checked by their full edit distance."""
    word = word[:_PREFIX]
    out = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


def _file(into: dict[str, list[T]], shared: dict[str, list[T]], key: str, item: T) -> None:
    """Append ``item`` under ``key``; a list still shared with a base index is copied first,
    so building on a base never changes it."""
    held = into.get(key)
    if held is None:
        into[key] = [item]
    elif held is shared.get(key):
        into[key] = [*held, item]
    else:
        held.append(item)


@dataclass
class Index:
    """Phrases filed under their rarest token, and a typo-tolerant vocabulary."""

    phrases_by_key: dict[str, list[Phrase]] = field(default_factory=dict)
    vocabulary: frozenset[str] = frozenset()
    _deletions: dict[str, list[str]] = field(default_factory=dict)
    _frequency: dict[str, int] = field(default_factory=dict)
    _corrections: dict[tuple[str, frozenset[str]], str | None] = field(default_factory=dict)
    _langs: dict[str, frozenset[str]] = field(default_factory=dict)
    _unnamed: frozenset[str] = frozenset()  # known words that name nothing (facts' words)
    _no_targets: frozenset[str] = frozenset()  # small words: no typo is "corrected" into them

    @classmethod
    def build(
        cls,
        entries: Iterable[tuple[str | tuple[str, ...], Entity]],
        extra_words: Iterable[str] = (),
        word_langs: dict[str, frozenset[str]] | None = None,
        base: Index | None = None,
        small_words: Iterable[str] = (),
    ) -> Index:
        """Entries are texts or, already tokenised, tuples of tokens. ``extra_words`` are
        known (never corrected, corrections may land on them) without naming anything;
        ``word_langs`` says which languages each word belongs to. With ``base``, the new
        index holds the base's phrases too, and only the new entries are filed: the big,
        rarely changing part (the languages) is built once, the knowledge's on each reload."""
        grouped: dict[tuple[str, ...], set[Entity]] = defaultdict(set)
        for text, entity in entries:
            tokens = tuple(tokenise(normalise(text))) if isinstance(text, str) else text
            if tokens:
                grouped[tokens].add(entity)
        frequency: dict[str, int] = defaultdict(int, base._frequency if base else {})
        for tokens in grouped:
            for token in set(tokens):
                frequency[token] += 1
        unnamed = frozenset(w for w in extra_words if w not in frequency)
        for word in unnamed:
            frequency[word] = 0
        if base is not None:
            unnamed = unnamed | frozenset(w for w in base._unnamed if frequency[w] == 0)
        langs = dict(base._langs) if base else {}
        langs.update(word_langs or {})
        index = cls(
            vocabulary=frozenset(frequency),
            _frequency=dict(frequency),
            _langs=langs,
            _unnamed=unnamed,
            _no_targets=frozenset(small_words) | (base._no_targets if base else frozenset()),
        )
        by_key: dict[str, list[Phrase]] = dict(base.phrases_by_key) if base else {}
        shared = base.phrases_by_key if base else {}
        for tokens, entities in grouped.items():
            key_at = min(range(len(tokens)), key=lambda i: (frequency[tokens[i]], -len(tokens[i])))
            _file(by_key, shared, tokens[key_at], Phrase(tokens, key_at, tuple(sorted(entities))))
        index.phrases_by_key = by_key
        deletions: dict[str, list[str]] = dict(base._deletions) if base else {}
        shared_deletions = base._deletions if base else {}
        new_words = index.vocabulary - base.vocabulary if base else index.vocabulary
        for word in new_words:
            for variant in _deletes(word, _max_distance(word)):
                _file(deletions, shared_deletions, variant, word)
        index._deletions = deletions
        return index

    def known(self, word: str) -> bool:
        return word in self.vocabulary

    def correct(self, word: str, langs: frozenset[str] = frozenset()) -> str | None:
        """The closest vocabulary word within the allowed edit distance, if exactly one is.
        With ``langs``, only words of those languages (or names, the same in every language)
        are candidates: a German "welcher" never becomes the English topic "weather"."""
        key = (word, langs)
        try:
            return self._corrections[key]
        except KeyError:
            pass
        if len(self._corrections) > 50_000:  # bounded: hostile input must not grow memory
            self._corrections.clear()
        result = self._corrections[key] = _correct(self, word, langs)
        return result

    def fits(self, candidate: str, langs: frozenset[str]) -> bool:
        if not langs:
            return True
        held = self._langs.get(candidate)
        return not held or _ANY in held or bool(held & langs)

    def mentions(self, tokens: list[str], fuzzy: list[bool]) -> Iterator[Mention]:
        """Every phrase occurring in ``tokens`` as a contiguous run."""
        positions: dict[str, list[int]] = defaultdict(list)
        for i, token in enumerate(tokens):
            positions[token].append(i)
        for token, where in positions.items():
            for phrase in self.phrases_by_key.get(token, ()):
                size = len(phrase.tokens)
                for pos in where:
                    start = pos - phrase.key_at
                    if start < 0 or start + size > len(tokens):
                        continue
                    if tuple(tokens[start : start + size]) != phrase.tokens:
                        continue
                    was_fuzzy = any(fuzzy[start : start + size])
                    text = " ".join(phrase.tokens)
                    for entity in phrase.entities:
                        yield Mention(entity, start, start + size, text, was_fuzzy)


def _correct(index: Index, word: str, langs: frozenset[str]) -> str | None:
    depth = _max_distance(word)
    if depth == 0 or (word in index.vocabulary and index.fits(word, langs)):
        return None
    candidates: set[str] = set()
    for variant in _deletes(word, depth):
        candidates.update(index._deletions.get(variant, ()))
    best: list[tuple[int, int, str]] = []
    for candidate in candidates:
        if not index.fits(candidate, langs):
            continue
        if candidate in index._no_targets:
            continue  # "sole" is not a typo of "some": a small word carries nothing to find
        if candidate in index._unnamed and len(word) <= SHORT_WORD:
            continue  # a short word is not "corrected" into a fact's word ("write" → "writer")
        limit = _max_distance(candidate) or depth
        distance = OSA.distance(word, candidate, score_cutoff=min(depth, limit))
        if distance <= min(depth, limit):
            # ties go to the word more phrases use, then to the alphabetically first
            best.append((distance, -index._frequency.get(candidate, 0), candidate))
    if not best:
        return None
    best.sort()
    if len(best) > 1 and best[0][:2] == best[1][:2] and best[0][0] > 0:
        return None  # two equally good corrections: guessing would be a coin toss
    return best[0][2]


def alias_texts(aliases: Iterable[Alias]) -> Iterator[str]:
    for alias in aliases:
        yield alias.text if isinstance(alias, SharedAlias) else alias
