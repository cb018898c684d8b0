"""Every word and phrase the knowledge and its languages give meaning to, as one index.

What a phrase can mean (``Entity.kind``):
- places and facts: ``cluster``, ``sight``, ``tech`` (everyday tech by name), ``person``
  (a quoted resident), ``economy``, ``region``, ``other`` (clusters ranked 6–10), ``theme``,
  ``measure``, ``general`` (a GII fact), ``unsupported`` (a topic the sources don't cover);
- how a question asks: ``ask`` (rank, sights, who, when…), ``smalltalk``, ``followup``,
  ``correction``, ``neighbour`` (below/above), ``economyword``, ``clusterword``, ``number``;
- ``term``: a word of some language standing for an English word of the knowledge's text;
- ``stop``: a word with no topic of its own.

Each phrase also records the languages it belongs to, so the reader can tell a question's
language and typo correction never turns a word of one language into a topic of another.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from bot.index import Entity, Index, Mention, alias_texts
from bot.knowledge import KnowledgeBase
from bot.text import normalise, tokenise

ANY = "*"  # a name: the same in every language (Tokyo, 東京, teamLab)

# the intents of language.yaml's `intents:` that are asks too (smalltalk has its own section)
_INTENT_ASKS = frozenset(
    {"rank", "sights", "overview", "stat", "superlative", "reverse", "compare", "general", "list"}
)


@dataclass(frozen=True)
class Entry:
    text: str
    entity: Entity
    lang: str = ANY
    # whether the word tells the question's language: the lexicons' small words and asks do;
    # names and topic words ("NYC", "VC", "robot") are shared across languages, and
    # language.yaml's keywords mix languages ("que ver", "voir") under English
    votes: bool = False


def _named(kb: KnowledgeBase, key: str) -> Entity | None:
    """The entity a lexicon's ``names:`` key stands for."""
    if key in kb.cluster_by_id:
        return Entity("cluster", key)
    if key in kb.sight_by_id:
        return Entity("sight", key)
    if key in kb.economy_by_id:
        return Entity("economy", key)
    if key in kb.other_by_id:
        return Entity("other", str(kb.other_by_id[key].rank))
    if key in kb.region_by_id:
        return Entity("region", key)
    return None


def _knowledge_entries(kb: KnowledgeBase) -> Iterator[Entry]:
    for cluster in kb.clusters:
        entity = Entity("cluster", cluster.id)
        yield Entry(cluster.name, entity)
        yield Entry(cluster.id.replace("-", " "), entity)
        for text in alias_texts(cluster.aliases):
            yield Entry(text, entity)
        for i, tech in enumerate(cluster.everyday_tech):
            for text in alias_texts(tech.names):
                yield Entry(text, Entity("tech", f"{cluster.id}#{i}"))
        for i, quote in enumerate(cluster.quotes):
            person = Entity("person", f"{cluster.id}#{i}")
            yield Entry(quote.who, person)
            surname = quote.who.split()[-1]
            if len(surname) > 3:  # "Oberman", "Patel": travellers use the surname alone
                yield Entry(surname, person)
            for words in quote.words:
                if len(words.split()) > 1:  # "Ticket Fairy": a name the person goes by
                    yield Entry(words, person)
        for sight in cluster.sights:
            sight_entity = Entity("sight", sight.id)
            yield Entry(sight.name, sight_entity)
            for text in alias_texts(sight.aliases):
                yield Entry(text, sight_entity)
    for other in kb.other_clusters:
        entity = Entity("other", str(other.rank))
        yield Entry(other.name, entity)
        for text in alias_texts(other.aliases):
            yield Entry(text, entity)
    for economy in kb.economies:
        entity = Entity("economy", economy.id)
        yield Entry(economy.name, entity)
        for text in alias_texts(economy.aliases):
            yield Entry(text, entity)
    for region in kb.regions:
        entity = Entity("region", region.id)
        yield Entry(region.name, entity)
        for text in alias_texts(region.aliases):
            yield Entry(text, entity)
    for kind, items in (
        ("theme", kb.themes),
        ("measure", kb.measures),
        ("general", kb.general),
    ):
        for item in items:
            for keyword in item.keywords:
                yield Entry(keyword, Entity(kind, item.id), "en")


def _language_file_entries(kb: KnowledgeBase) -> Iterator[Entry]:
    """language.yaml: intents' keywords, small talk, out-of-scope topics, function words."""
    for item in kb.unsupported:
        for keyword in item.keywords:
            yield Entry(keyword, Entity("unsupported", item.id), "en")
    for intent in kb.intents:
        if intent.id in _INTENT_ASKS:
            for keyword in intent.keywords:
                yield Entry(keyword, Entity("ask", intent.id), "en")
    for kind_of_talk in kb.smalltalk:
        for keyword in kind_of_talk.keywords:
            yield Entry(keyword, Entity("smalltalk", kind_of_talk.id), "en")
    language = kb.language
    for words, kind in (
        (language.economy_words, "economyword"),
        (language.cluster_words, "clusterword"),
        (language.followup_words, "followup"),
        (language.stopwords, "stop"),
    ):
        for word in words:
            yield Entry(word, Entity(kind, ""), "en")
    for word, value in language.number_words.items():
        yield Entry(word, Entity("number", str(value)), "en")


def _lexicon_entries(kb: KnowledgeBase) -> Iterator[Entry]:
    for lexicon in kb.lexicons:
        lang = lexicon.lang
        for ask, phrases in lexicon.asks.items():
            for phrase in phrases:
                yield Entry(phrase, Entity("ask", ask), lang, True)
        for talk, phrases in lexicon.smalltalk.items():
            for phrase in phrases:
                yield Entry(phrase, Entity("smalltalk", talk), lang, True)
        for words, entity in (
            (lexicon.followup, Entity("followup", "")),
            (lexicon.correction, Entity("correction", "")),
            (lexicon.below, Entity("neighbour", "below")),
            (lexicon.above, Entity("neighbour", "above")),
            (lexicon.economy_words, Entity("economyword", "")),
            (lexicon.cluster_words, Entity("clusterword", "")),
            (lexicon.stopwords, Entity("stop", "")),
        ):
            for word in words:
                yield Entry(word, entity, lang, True)
        for word, value in lexicon.numbers.items():
            yield Entry(word, Entity("number", str(value)), lang, True)
        for key, names in lexicon.names.items():
            named = _named(kb, key)
            if named is not None:
                for name in names:
                    yield Entry(name, named, lang)  # names are shared across languages
        for kind, section in (
            ("theme", lexicon.themes),
            ("measure", lexicon.measures),
            ("general", lexicon.general),
            ("unsupported", lexicon.unsupported),
        ):
            for key, words in section.items():
                for word in words:
                    yield Entry(word, Entity(kind, key), lang)
        for english, words in lexicon.terms.items():
            term = " ".join(tokenise(normalise(english)))
            if term:
                for word in words:
                    yield Entry(word, Entity("term", term), lang)


def knowledge_entries(kb: KnowledgeBase) -> list[Entry]:
    """The knowledge's own names and keywords (not the languages')."""
    return list(_knowledge_entries(kb))


def entries(kb: KnowledgeBase) -> list[Entry]:
    return [*_knowledge_entries(kb), *language_entries(kb)]


def language_entries(kb: KnowledgeBase) -> tuple[Entry, ...]:
    return (*_language_file_entries(kb), *_lexicon_entries(kb))


# Kinds whose words carry no topic: never what a fact is found by. (An ask's word may: "apps",
# "residents".)
FUNCTION_KINDS = frozenset({"stop", "followup", "smalltalk", "number"})


def tokenised(all_entries: list[Entry]) -> list[tuple[tuple[str, ...], Entry]]:
    """Each entry's tokens, normalising each distinct text once."""
    seen: dict[str, tuple[str, ...]] = {}
    out: list[tuple[tuple[str, ...], Entry]] = []
    for entry in all_entries:
        tokens = seen.get(entry.text)
        if tokens is None:
            tokens = seen[entry.text] = tuple(tokenise(normalise(entry.text)))
        out.append((tokens, entry))
    return out


@dataclass(frozen=True)
class Vocabulary:
    """The phrase index and the languages of its words."""

    index: Index
    langs: dict[str, frozenset[str]]  # word -> languages it is a word of (ANY for names)
    capitals: frozenset[str] = frozenset()  # short names written in capitals: "la" for LA
    voters: dict[str, frozenset[str]] = field(default_factory=dict)  # word -> languages it tells
    # the languages each phrase means each thing in: Vietnamese "my" (Mỹ) is the US, English
    # "my" is not
    meaning_langs: dict[tuple[tuple[str, ...], Entity], frozenset[str]] = field(
        default_factory=dict
    )

    def langs_meaning(self, mention: Mention) -> frozenset[str]:
        key = (tuple(mention.text.split(" ")), mention.entity)
        return self.meaning_langs.get(key, frozenset({ANY}))

    def langs_of(self, word: str) -> frozenset[str]:
        return self.langs.get(word, frozenset())

    @staticmethod
    def index_tokens(mention: Mention) -> list[str]:
        return mention.text.split(" ")


@dataclass(frozen=True)
class _LanguagePart:
    vocabulary: Vocabulary
    function_tokens: frozenset[str]


_LANGUAGE_PARTS: dict[tuple[Entry, ...], _LanguagePart] = {}
_LANGUAGE_PARTS_HELD = 2  # the knowledge in use and the one being reloaded


def _vocabulary(
    pairs: list[tuple[tuple[str, ...], Entry]],
    extra: Iterable[str] = (),
    base: Vocabulary | None = None,
) -> Vocabulary:
    langs: dict[str, set[str]] = defaultdict(set)
    for tokens, entry in pairs:
        for token in tokens:
            langs[token].add(entry.lang)
    for word in extra:
        langs[word].add("en")
    if base is not None:
        for word, held in base.langs.items():
            if word in langs:
                langs[word].update(held)
    new = {w: frozenset(ls) for w, ls in langs.items()}
    merged = {**base.langs, **new} if base is not None else new
    meaningful = {
        t for tokens, entry in pairs if entry.entity.kind not in FUNCTION_KINDS for t in tokens
    }
    small = {
        t
        for tokens, entry in pairs
        if entry.entity.kind in FUNCTION_KINDS
        for t in tokens
        if t not in meaningful
    }
    index = Index.build(
        [(tokens, entry.entity) for tokens, entry in pairs],
        extra_words=extra,
        word_langs=new,
        base=base.index if base is not None else None,
        small_words=small,
    )
    capitals = frozenset(
        tokens[0]
        for tokens, entry in pairs
        if len(tokens) == 1
        and entry.lang == ANY
        and len(entry.text.replace(".", "")) <= 3
        and entry.text.isupper()
    )
    if base is not None:
        capitals |= base.capitals
    meanings: dict[tuple[tuple[str, ...], Entity], set[str]] = defaultdict(set)
    for tokens, entry in pairs:
        meanings[(tokens, entry.entity)].add(entry.lang)
    meaning_langs: dict[tuple[tuple[str, ...], Entity], frozenset[str]] = (
        dict(base.meaning_langs) if base is not None else {}
    )
    for key, found in meanings.items():
        previous = meaning_langs.get(key)
        meaning_langs[key] = frozenset(found) if previous is None else previous.union(found)
    voting: dict[str, set[str]] = defaultdict(set)
    for tokens, entry in pairs:
        if entry.votes:
            for token in tokens:
                voting[token].add(entry.lang)
    voters = dict(base.voters) if base is not None else {}
    for word, found_langs in voting.items():
        voters[word] = frozenset(found_langs) | voters.get(word, frozenset())
    return Vocabulary(index, merged, capitals=capitals, meaning_langs=meaning_langs, voters=voters)


def language_part(kb: KnowledgeBase) -> tuple[Vocabulary, frozenset[str]]:
    """The vocabulary of the languages (lexicons and language.yaml), built once for as long
    as they do not change: a reload after an edited sight rebuilds only the knowledge's part.
    Also the tokens of the words that say how a question asks."""
    key = language_entries(kb)
    part = _LANGUAGE_PARTS.get(key)
    if part is None:
        pairs = tokenised(list(key))
        # the English ones: the answer units are written in English
        function = frozenset(
            t
            for tokens, entry in pairs
            if entry.entity.kind in FUNCTION_KINDS and entry.lang == "en"
            for t in tokens
        )
        part = _LanguagePart(_vocabulary(pairs), function)
        if len(_LANGUAGE_PARTS) >= _LANGUAGE_PARTS_HELD:
            _LANGUAGE_PARTS.clear()
        _LANGUAGE_PARTS[key] = part
    return part.vocabulary, part.function_tokens


def build(kb: KnowledgeBase, base: Vocabulary, extra: Iterable[str] = ()) -> Vocabulary:
    """The whole vocabulary: the languages' part and the knowledge's names and keywords.
    ``extra`` are words to know without meaning (the answer units' words), so that they are
    neither corrected away nor counted as unknown."""
    pairs = tokenised(list(_knowledge_entries(kb)))
    return _vocabulary(pairs, extra, base)
