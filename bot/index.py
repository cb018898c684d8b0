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

from rapidfuzz.distance import OSA

from bot.knowledge.schema import Alias, SharedAlias
from bot.text import normalise, tokenise
from bot.understanding.tunables import MAX_TYPO_LENGTH, MIN_TYPO_LENGTH, SHORT_WORD

_ANY = "*"


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


@dataclass
class Index:
    """Phrases filed under their rarest token, and a typo-tolerant vocabulary.

    An index may stand on a ``base`` (the languages' vocabulary, built once) and hold only
    the knowledge's phrases itself: look-ups consult both, nothing of the base is copied, so
    a reload builds only the small part. Typo deletions are built per language the first time
    a question of that language needs them: a traveller's first Thai question pays for Thai,
    and a start-up pays only for names and English.
    """

    phrases_by_key: dict[str, list[Phrase]] = field(default_factory=dict)
    vocabulary: frozenset[str] = frozenset()
    base: Index | None = None
    _deletions: dict[str, list[str]] = field(default_factory=dict)
    _pending: dict[str, list[str]] = field(default_factory=dict)  # lang -> words not filed
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
        ``word_langs`` says which languages each word belongs to."""
        grouped: dict[tuple[str, ...], set[Entity]] = defaultdict(set)
        for text, entity in entries:
            tokens = tuple(tokenise(normalise(text))) if isinstance(text, str) else text
            if tokens:
                grouped[tokens].add(entity)
        frequency: dict[str, int] = defaultdict(int)
        for tokens in grouped:
            for token in set(tokens):
                frequency[token] += 1
        known_below = base.vocabulary if base is not None else frozenset()
        unnamed = frozenset(w for w in extra_words if w not in frequency and w not in known_below)
        for word in unnamed:
            frequency[word] = 0
        langs = dict(word_langs or {})
        own_words = frozenset(frequency)
        index = cls(
            vocabulary=own_words | known_below,
            base=base,
            _frequency=dict(frequency),
            _langs=langs,
            _unnamed=unnamed,
            _no_targets=frozenset(small_words),
        )
        by_key: dict[str, list[Phrase]] = defaultdict(list)
        for tokens, entities in grouped.items():
            key_at = min(
                range(len(tokens)), key=lambda i: (index.frequency(tokens[i]), -len(tokens[i]))
            )
            by_key[tokens[key_at]].append(Phrase(tokens, key_at, tuple(sorted(entities))))
        index.phrases_by_key = dict(by_key)
        pending: dict[str, list[str]] = defaultdict(list)
        for word in own_words:  # a word the base holds in other languages is filed again here
            if _max_distance(word):
                for lang in langs.get(word) or (_ANY,):
                    pending[lang].append(word)
        index._pending = dict(pending)
        index._file_deletions(frozenset({_ANY, "en"}))
        return index

    def _layers(self) -> Iterator[Index]:
        layer: Index | None = self
        while layer is not None:
            yield layer
            layer = layer.base

    def frequency(self, word: str) -> int:
        return sum(layer._frequency.get(word, 0) for layer in self._layers())

    def word_langs(self, word: str) -> frozenset[str] | None:
        for layer in self._layers():
            held = layer._langs.get(word)
            if held is not None:
                return held
        return None

    def unnamed(self, word: str) -> bool:
        return any(word in layer._unnamed for layer in self._layers()) and not self.frequency(word)

    def no_target(self, word: str) -> bool:
        return any(word in layer._no_targets for layer in self._layers())

    def _file_deletions(self, langs: frozenset[str]) -> None:
        """File the typo deletions of the words of these languages (all when empty)."""
        for layer in self._layers():
            wanted = (
                list(layer._pending) if not langs else [x for x in langs if x in layer._pending]
            )
            for lang in wanted:
                # another thread (the start-up warm) may have taken it: pop() with a default
                for word in layer._pending.pop(lang, []):
                    for variant in _deletes(word, _max_distance(word)):
                        held = layer._deletions.setdefault(variant, [])
                        if word not in held:
                            held.append(word)

    def file_all(self) -> None:
        self._file_deletions(frozenset())

    def candidates(self, variant: str) -> Iterator[str]:
        for layer in self._layers():
            yield from layer._deletions.get(variant, ())

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
        self._file_deletions(langs | {_ANY} if langs else frozenset())
        result = self._corrections[key] = _correct(self, word, langs)
        return result

    def fits(self, candidate: str, langs: frozenset[str]) -> bool:
        if not langs:
            return True
        held = self.word_langs(candidate)
        return not held or _ANY in held or bool(held & langs)

    def mentions(self, tokens: list[str], fuzzy: list[bool]) -> Iterator[Mention]:
        """Every phrase occurring in ``tokens`` as a contiguous run."""
        positions: dict[str, list[int]] = defaultdict(list)
        for i, token in enumerate(tokens):
            positions[token].append(i)
        for token, where in positions.items():
            for layer in self._layers():
                for phrase in layer.phrases_by_key.get(token, ()):
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
        candidates.update(index.candidates(variant))
    best: list[tuple[int, int, str]] = []
    for candidate in candidates:
        if not index.fits(candidate, langs):
            continue
        if index.no_target(candidate):
            continue  # "sole" is not a typo of "some": a small word carries nothing to find
        if len(word) <= SHORT_WORD and index.unnamed(candidate):
            continue  # a short word is not "corrected" into a fact's word ("write" → "writer")
        limit = _max_distance(candidate) or depth
        distance = OSA.distance(word, candidate, score_cutoff=min(depth, limit))
        if distance <= min(depth, limit):
            # ties go to the word more phrases use, then to the alphabetically first
            best.append((distance, -index.frequency(candidate), candidate))
    if not best:
        return None
    best.sort()
    if len(best) > 1 and best[0][:2] == best[1][:2] and best[0][0] > 0:
        return None  # two equally good corrections: guessing would be a coin toss
    return best[0][2]


def alias_texts(aliases: Iterable[Alias]) -> Iterator[str]:
    for alias in aliases:
        yield alias.text if isinstance(alias, SharedAlias) else alias
