"""A question read into a ``Frame``: what it names, what it asks, in which language, and the
answer units its words point at. Reading decides nothing; the rules decide from the frame.

Reading, in order:
1. normalise and tokenise (longest known word first in unspaced scripts);
2. tell the language from the words that belong to one language, and from the script;
3. correct typos, only towards names or words of the question's own language;
4. find every phrase of the vocabulary; a name inside a longer name is not a mention;
5. weigh the asks; collect what is named; count words nothing explains as unknown, unless they
   name a place of the world the knowledge does not hold (then they are that place);
6. search the answer units with the question's content words (other languages' words mapped
   to the knowledge's English words).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from bot.index import Mention
from bot.ordinals import RankReader, RankRef, negative_numbers
from bot.text import is_cjk, normalise, tokenise
from bot.understanding import tunables as T
from bot.understanding.phonetic import MAX_WINDOW, SHORT_KEY, Sounds
from bot.understanding.phonetic import key as phonetic_key
from bot.understanding.retrieval import Hit, Retriever
from bot.understanding.units import stem
from bot.understanding.vocabulary import ANY, Vocabulary

# Kinds that name something a question can be about.
PLACE_KINDS = frozenset({"cluster", "sight", "economy", "other", "tech", "person", "region"})
CONTENT_KINDS = PLACE_KINDS | {"theme", "measure", "general", "unsupported"}
# Kinds whose words say how a question asks, not what about: never retrieval words.
_FUNCTION_KINDS = frozenset(
    {
        "stop",
        "ask",
        "smalltalk",
        "followup",
        "correction",
        "neighbour",
        "economyword",
        "clusterword",
        "number",
        "cluster",
        "economy",
        "region",
        "other",
        "unsupported",
    }
)
_FLAGS = ("followup", "correction", "economyword", "clusterword")
# Asks about a place: a short name heard ("sole") counts only beside one of them.
_PLACE_ASKS = frozenset({"rank", "sights", "overview", "stat", "compare"})
# Words a heard name may run across: small words ("you rico mo may line").
_SOFT_KINDS = frozenset({"stop", "followup", "number", "term"})


@lru_cache(maxsize=1)
def world_places() -> frozenset[str]:
    """Normalised names of the world's larger cities and of every country (see
    scripts/make_world_places.py): a place named but not held is "not in the index"."""
    text = resources.files("bot.data").joinpath("world_places.txt").read_text("utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


@lru_cache(maxsize=1)
def function_words() -> dict[str, frozenset[str]]:
    """Each language's small words (stopwords-iso, see scripts/make_language_data.py): never
    an unknown topic, never corrected into another language's word."""
    text = resources.files("bot.data").joinpath("function_words.tsv").read_text("utf-8")
    out: dict[str, frozenset[str]] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            word, _, langs = line.partition("\t")
            out[word] = frozenset(langs.split(","))
    return out


@dataclass
class Frame:
    text: str
    tokens: tuple[str, ...] = ()
    lang: str = "en"
    fuzzy: bool = False
    found: dict[str, list[str]] = field(default_factory=dict)  # kind -> ids, in order
    ambiguous: list[tuple[str, ...]] = field(default_factory=list)  # shared-alias groups
    asks: dict[str, float] = field(default_factory=dict)
    smalltalk: str | None = None
    smalltalk_strength: float = 0.0
    neighbour: str | None = None  # "below" / "above": the rank next to the last one
    ranks: list[RankRef] = field(default_factory=list)
    years: list[str] = field(default_factory=list)  # years the knowledge does not speak of
    impossible_ranks: bool = False  # "number -1"
    places: list[str] = field(default_factory=list)  # world places the knowledge lacks
    unknown: list[str] = field(default_factory=list)  # words nothing explains
    # in a question of another language than English, the few words its lexicon lacks
    # (inflections, words of no topic): not taken for an unknown topic
    unread: list[str] = field(default_factory=list)
    content: list[str] = field(default_factory=list)  # words that say what about (for units)
    ask_words: set[str] = field(default_factory=set)  # content words that are asks too ("apps")
    small_words: set[str] = field(default_factory=set)  # content words that are function words
    words: list[str] = field(default_factory=list)  # tokens that are not function words
    hits: list[Hit] = field(default_factory=list)

    def ids(self, kind: str) -> list[str]:
        return self.found.get(kind, [])

    def has(self, kind: str) -> bool:
        return bool(self.found.get(kind))

    def ask(self, name: str) -> float:
        return self.asks.get(name, 0.0)

    def best_ask(self, allowed: tuple[str, ...]) -> tuple[str | None, float]:
        if not allowed:
            return None, 0.0
        scored = [(self.asks.get(i, 0.0), -allowed.index(i), i) for i in allowed]
        score, _, name = max(scored)
        return (name, score) if score > 0 else (None, 0.0)

    @property
    def empty(self) -> bool:
        return not self.tokens


def _script_lang(text: str) -> str | None:
    """The language a script alone tells (kana: Japanese; Hangul: Korean; Thai; Cyrillic)."""
    for char in text:
        code = ord(char)
        if 0x3040 <= code <= 0x30FF:
            return "ja"
        if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF:
            return "ko"
        if 0x0E00 <= code <= 0x0E7F:
            return "th"
        if 0x0400 <= code <= 0x04FF:
            return "ru"
    if any(0x4E00 <= ord(c) <= 0x9FFF for c in text):
        return "zh"
    return None


def _join_unknown_cjk(tokens: list[str], covered: set[int]) -> list[tuple[int, str]]:
    """Uncovered tokens with their position; adjacent unknown single CJK characters are joined
    into one word, so a place the vocabulary lacks (大阪, 부산) is one unknown word."""
    out: list[tuple[int, str]] = []
    run = ""
    start = 0
    for i, token in enumerate(tokens):
        single = len(token) == 1 and is_cjk(token)
        if i not in covered and single:
            if not run:
                start = i
            run += token
            continue
        if run:
            out.append((start, run))
            run = ""
        if i not in covered:
            out.append((i, token))
    if run:
        out.append((start, run))
    return out


def meaningful(token: str) -> bool:
    if is_cjk(token[0]):
        return len(token) >= T.MIN_MEANINGFUL_CJK
    return len(token) >= T.MIN_MEANINGFUL_LATIN


class Reader:
    """Built once per knowledge; ``read`` is pure and safe to call from any task."""

    def __init__(
        self,
        vocabulary: Vocabulary,
        retriever: Retriever,
        ranks: RankReader,
        example_cues: dict[str, dict[str, float]],
        known_years: frozenset[str],
        sounds: Sounds | None = None,
    ) -> None:
        self.sounds = sounds or Sounds({})
        self.vocabulary = vocabulary
        self.index = vocabulary.index
        self.retriever = retriever
        self.ranks = ranks
        self.example_cues = example_cues
        self.known_years = known_years
        self.places = world_places()
        self.function_words = function_words()

    # -- steps --------------------------------------------------------------------------------

    def _language(self, tokens: list[str], text: str) -> str:
        votes: defaultdict[str, float] = defaultdict(float)
        for token in tokens:
            langs = self.vocabulary.voters.get(token, frozenset())
            if "en" in self.vocabulary.langs_of(token):
                langs = langs | {"en"}  # an English word too ("rank"): English wins a tie
            weight = 1.0
            if not langs:
                langs = self.function_words.get(token, frozenset())
                weight = 0.5  # a small word tells less than a word of the bot's lexicons
            if langs and ANY not in langs:
                for lang in langs:
                    votes[lang] += weight / len(langs)
        script = _script_lang(text)
        if script is not None:
            if script == "zh" and votes.get("ja", 0) > votes.get("zh", 0):
                return "ja"
            return script
        if not votes:
            return "en"

        def known_in(lang: str) -> int:
            """Tokens the language has any word for, names included: breaks a tie between
            languages sharing small words ("que ver en Seúl": Spanish, not French "seul")."""
            return sum(1 for t in tokens if lang in self.vocabulary.langs_of(t))

        # deterministic whatever the hash seed: score, then words known, English, then name
        ranked = sorted(votes, key=lambda x: (-round(votes[x], 6), -known_in(x), x != "en", x))
        best = ranked[0]
        if best != "en" and votes[best] <= votes.get("en", 0):
            return "en"
        return best

    def _correct(self, tokens: list[str], lang: str) -> tuple[list[str], list[bool]]:
        allowed = frozenset({lang})
        out: list[str] = []
        fuzzy: list[bool] = []
        for token in tokens:
            langs = self.vocabulary.langs_of(token)
            foreign = bool(langs) and not langs & {lang, "en", ANY}
            known = self.index.known(token) and not foreign
            if known or token in self.places or self._small(token, lang):
                out.append(token)
                fuzzy.append(False)
                continue
            corrected = self.index.correct(token, allowed)
            out.append(corrected or token)
            fuzzy.append(corrected is not None)
        return out, fuzzy

    def _small(self, word: str, lang: str) -> bool:
        langs = self.function_words.get(word)
        return langs is not None and (lang in langs or "en" in langs)

    def _fits(self, m: Mention, lang: str, raw: str) -> bool:
        """Whether a phrase found means what the vocabulary says in this question.

        Words that say how a question asks (asks, follow-ups, small talk, stopwords...) count
        in a question of their own language or in English, which travellers mix in: German
        "Land" does not make an English question about countries. Words for things (places,
        themes, figures) count in any language ("dron show"), except a language's own small
        word ("la", "seul"); a short name in capitals in the knowledge (LA, US, HK) counts in
        another language only when typed in capitals."""
        words = self.vocabulary.index_tokens(m)
        if m.entity.kind in CONTENT_KINDS or m.entity.kind == "term":
            if m.length > 1:
                return True
            word = words[0]
            meant_in = self.vocabulary.langs_meaning(m)
            if ANY in meant_in or lang in meant_in:
                if word in self.vocabulary.capitals and lang != "en":
                    return re.search(rf"(?<!\w){re.escape(word.upper())}(?!\w)", raw) is not None
                return True
            # another language's word for it: fine unless it is a small word here
            # (Vietnamese "my" for the US is English "my"; Spanish "la" is not LA)
            return not self._small(word, lang)
        allowed = {lang, "en", ANY}
        return all(self.vocabulary.langs_of(w) & allowed for w in words)

    def read(self, question: str) -> Frame:
        normalised = normalise(question[: T.MAX_QUESTION_CHARS])
        frame = Frame(normalised)
        if not normalised.strip(" #%.,'’"):
            return frame
        raw = tokenise(normalised, self.index.known)[: T.MAX_TOKENS]
        frame.lang = self._language(raw, normalised)
        tokens, fuzzy = self._correct(raw, frame.lang)
        frame.tokens = tuple(tokens)
        frame.fuzzy = any(fuzzy)
        raw_text = question[: T.MAX_QUESTION_CHARS]
        mentions = [
            m for m in self.index.mentions(tokens, fuzzy) if self._fits(m, frame.lang, raw_text)
        ]
        mentions += self._by_sound(tokens, mentions, frame.lang)
        covered = self._collect(frame, mentions)
        self._asks(frame, mentions, covered)
        self._unknown_and_content(frame, mentions, covered)
        frame.ranks = self.ranks.find(normalised, raw_text)
        frame.impossible_ranks = bool(negative_numbers(raw_text))
        frame.hits = self.retriever.search(frame.content) if frame.content else []
        return frame

    def _by_sound(self, tokens: list[str], mentions: list[Mention], lang: str) -> list[Mention]:
        """Names heard rather than read ("sole", "bay jing"), when the question names no
        place of its own: runs of words that name nothing, at least one of them unknown."""
        if any(m.entity.kind in PLACE_KINDS for m in mentions):
            return []
        if len(tokens) > T.MAX_SOUND_TOKENS:
            return []  # dictated questions are short; a long text is not read by ear
        place_ask = any(m.entity.kind == "ask" and m.entity.id in _PLACE_ASKS for m in mentions)
        taken = {
            i for m in mentions if m.entity.kind not in _SOFT_KINDS for i in range(m.start, m.end)
        }
        named = {i for m in mentions for i in range(m.start, m.end)}
        found: list[Mention] = []
        used: set[int] = set()
        for size in range(MAX_WINDOW, 0, -1):
            for start in range(len(tokens) - size + 1):
                span = range(start, start + size)
                if any(i in taken or i in used for i in span):
                    continue
                words = tokens[start : start + size]
                free = [w for i, w in zip(span, words, strict=True) if i not in named]
                if not any(self._unknown_word(w, lang) for w in free):
                    continue
                entity = self.sounds.find(words)
                if entity is None:
                    continue
                if len(phonetic_key("".join(words))) <= SHORT_KEY and not place_ask:
                    continue  # "slow" sounds like Seoul too: only "what to see in sole"
                found.append(Mention(entity, start, start + size, " ".join(words), True))
                used.update(span)
        return found

    def _unknown_word(self, word: str, lang: str) -> bool:
        """Not a word of this question's language (nor English): "sole" is Italian for sun,
        but in an English question it may be Seoul heard."""
        langs = self.vocabulary.langs_of(word)
        mine = bool(langs & {lang, "en"})
        return not mine and not self._small(word, lang) and word.isalpha()

    def _collect(self, frame: Frame, mentions: list[Mention]) -> set[int]:
        """What the question names; a name inside a longer name is not a mention of its own."""
        places = sorted(
            (m for m in mentions if m.entity.kind in CONTENT_KINDS),
            key=lambda m: (-m.length, m.start),
        )
        kept: list[Mention] = []
        spans: list[tuple[int, int]] = []
        for m in places:
            inside = any(a <= m.start and m.end <= b and (b - a) > m.length for a, b in spans)
            if not inside:
                kept.append(m)
                spans.append((m.start, m.end))
        kept.sort(key=lambda m: m.start)
        found: dict[str, list[str]] = defaultdict(list)
        by_span: dict[tuple[int, int], list[str]] = defaultdict(list)
        for m in kept:
            found[m.entity.kind].append(m.entity.id)
            if m.entity.kind == "cluster":
                by_span[(m.start, m.end)].append(m.entity.id)
        frame.ambiguous = [tuple(ids) for ids in by_span.values() if len(set(ids)) > 1]
        covered: set[int] = set()
        for m in mentions:
            covered.update(range(m.start, m.end))
            if m.entity.kind in _FLAGS:
                found[m.entity.kind].append(m.entity.id)
            elif m.entity.kind == "neighbour" and frame.neighbour is None:
                frame.neighbour = m.entity.id
        frame.found = {kind: list(dict.fromkeys(ids)) for kind, ids in found.items()}
        return covered

    def _asks(self, frame: Frame, mentions: list[Mention], covered: set[int]) -> None:
        pointers = [(m.start, m.end) for m in mentions if m.entity.kind == "followup"]
        asks: dict[str, float] = defaultdict(float)
        talk: dict[str, float] = {}
        for m in mentions:
            inside_pointer = any(
                a <= m.start and m.end <= b and m.length < b - a for a, b in pointers
            )
            weight = T.ASK_WORD_WEIGHT + T.ASK_PHRASE_BONUS * (m.length - 1)
            if m.entity.kind == "ask" and not inside_pointer:
                asks[m.entity.id] = max(asks[m.entity.id], 0.0) + weight
            elif m.entity.kind == "smalltalk":
                talk[m.entity.id] = max(talk.get(m.entity.id, 0.0), weight)
        pointed = {i for a, b in pointers for i in range(a, b)}
        for i, token in enumerate(frame.tokens):
            if i in pointed:
                continue
            for intent, weight in self.example_cues.get(token, {}).items():
                asks[intent] += weight
                covered.add(i)
        frame.asks = dict(asks)
        if talk:
            kind, strength = max(talk.items(), key=lambda p: (p[1], p[0]))
            frame.smalltalk, frame.smalltalk_strength = kind, strength

    def _unknown_and_content(
        self, frame: Frame, mentions: list[Mention], covered: set[int]
    ) -> None:
        tokens = list(frame.tokens)
        function_at: set[int] = set()
        content: list[str] = []
        for m in mentions:
            if m.entity.kind in _FUNCTION_KINDS:
                if self._topical_ask(m, frame.lang):
                    frame.ask_words.add(stem(m.text))
                else:
                    function_at.update(range(m.start, m.end))
        terms: dict[int, str] = {}
        for m in mentions:
            if m.entity.kind == "term" and m.start not in terms:
                terms[m.start] = m.entity.id
                function_at.update(range(m.start + 1, m.end))
        known_words = self.retriever.words
        for i, token in enumerate(tokens):
            if i in terms:
                content.extend(stem(w) for w in terms[i].split())
            elif i not in function_at and not token.isdigit():
                stemmed = stem(token)
                small = self._small(token, frame.lang)
                if small:
                    frame.small_words.add(stemmed)
                if stemmed in known_words or not small:
                    content.append(stemmed)
        frame.words = [t for i, t in enumerate(tokens) if i not in function_at]
        unknown: list[str] = []
        for i, word in _join_unknown_cjk(tokens, covered):
            if word.isdigit() or word[0].isdigit():
                if self._other_year(word):
                    frame.years.append(word)
                continue
            if word in self.places or self._place_at(tokens, i, covered):
                frame.places.append(word)
                continue
            if stem(word) in known_words or not meaningful(word) or self._small(word, frame.lang):
                continue
            unknown.append(word)
        allowance = max(1, int(T.FOREIGN_UNREAD_SHARE * len(frame.words)))
        if frame.lang != "en" and 0 < len(unknown) <= allowance:
            frame.unread, unknown = unknown, []
        frame.unknown = unknown
        # a place the knowledge lacks is not a content word to search the units with
        frame.content = [w for w in content if w not in frame.places and w not in frame.unknown]

    def _topical_ask(self, m: Mention, lang: str) -> bool:
        """A word that says what a question asks and what about: "apps", "residents",
        "quote" are asks and the facts' own words; the units are searched with them too."""
        if m.entity.kind != "ask" or m.length != 1:
            return False
        word = m.text
        return stem(word) in self.retriever.words and not self._small(word, lang)

    def _other_year(self, word: str) -> bool:
        """A year the knowledge does not speak of: it is about the GII 2025 (and what its
        facts date, such as the Octopus card's 1997)."""
        year = len(word) == 4 and word[:2] in ("19", "20") and word != "2025"
        return year and word not in self.known_years

    def _place_at(self, tokens: list[str], i: int, covered: set[int]) -> bool:
        """Two uncovered words naming a place together ("new delhi", "kuala lumpur")."""
        for a, b in ((i - 1, i), (i, i + 1)):
            free = a >= 0 and b < len(tokens) and a not in covered and b not in covered
            if free and f"{tokens[a]} {tokens[b]}" in self.places:
                return True
        return False
