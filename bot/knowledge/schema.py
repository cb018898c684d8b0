"""The shape of the knowledge YAML, as frozen pydantic models.

Every model forbids unknown keys so that a misspelt key is an error rather than a silently
ignored fact. Each fact carries a ``source`` id that must resolve to an entry of ``sources``
(checked after all files are merged, in ``crosscheck``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

KebabId = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", min_length=1, max_length=48)
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1500)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Source(Model):
    """A publication that facts point at."""

    id: KebabId
    title: Text
    publisher: ShortText
    url: ShortText | None = None
    date: ShortText | None = None
    note: Text | None = None


class SharedAlias(Model):
    """An alias that deliberately names more than one place (each place must declare it)."""

    text: ShortText
    shared: Literal[True]


Alias = ShortText | SharedAlias


class Location(Model):
    """Approximate coordinates for a map pin; only where facts-gii-2025.md gives them."""

    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]
    address: ShortText | None = None
    note: Text | None = None
    source: KebabId


# Words travellers use for a fact that its text does not contain ("door codes" for "homes
# unlock using digital door codes" is in the text; "smart lock" is not): retrieval finds the
# fact by them too. Any language; checked like every other string.
Words = list[ShortText]


class Sight(Model):
    """Something the article recommends a tech traveller to see or do."""

    id: KebabId
    name: ShortText
    aliases: list[Alias] = []
    words: Words = []
    what: Text
    why: Text
    themes: list[KebabId] = Field(min_length=1)
    location: Location | None = None
    map_query: ShortText
    source: KebabId


class Stat(Model):
    """A figure about a cluster and what it measures."""

    id: KebabId
    measure: KebabId
    text: Text
    value: float | None = None
    unit: ShortText | None = None
    position: Annotated[int, Field(ge=1)] | None = None
    article_says: Text | None = None
    words: Words = []
    source: KebabId


class Tech(Model):
    """Technology residents use every day; ``names`` are what travellers call it (Octopus)."""

    text: Text
    names: list[Alias] = []
    themes: list[KebabId] = []
    words: Words = []
    source: KebabId


class Quote(Model):
    """A resident's words; ``who`` is a person travellers may ask about ("who is Dana Yao")."""

    who: ShortText
    role: ShortText | None = None
    text: Text
    words: Words = []
    source: KebabId


class Sourced(Model):
    text: Text
    words: Words = []
    source: KebabId


class Cluster(Model):
    """One of the top five science and technology clusters of the GII 2025."""

    id: KebabId
    name: ShortText
    rank: Annotated[int, Field(ge=1)]
    rank_source: KebabId
    economies: list[KebabId] = Field(min_length=1)
    aliases: list[Alias] = Field(min_length=1)
    headline: ShortText
    summary: Sourced
    stats: list[Stat] = []
    everyday_tech: list[Tech] = []
    quotes: list[Quote] = []
    notes: list[Sourced] = []
    sights: list[Sight] = []


class OtherCluster(Model):
    """A cluster beyond the top five: known only by rank and name, often press-reported."""

    id: KebabId
    rank: Annotated[int, Field(ge=1)]
    name: ShortText
    economies: list[KebabId] = Field(min_length=1)
    aliases: list[Alias] = []
    press_reported: bool
    source: KebabId


class Economy(Model):
    """A country or territory; its GII 2025 economy rank where the sources give it."""

    id: KebabId
    name: ShortText
    aliases: list[Alias] = []
    gii_rank: Annotated[int, Field(ge=1)] | None = None
    score: Annotated[float, Field(ge=0, le=100)] | None = None
    note: Text | None = None
    source: KebabId | None = None


class Region(Model):
    """A part of the world travellers filter by ("which top clusters are in Asia?"): a set of
    economies, so that membership follows from the economies the sources give each cluster."""

    id: KebabId
    name: ShortText
    aliases: list[Alias] = []
    economies: list[KebabId] = Field(min_length=1)


class Theme(Model):
    """What a traveller may want to see or ride; sights and everyday tech are tagged with it."""

    id: KebabId
    name: ShortText
    keywords: list[ShortText] = Field(min_length=1)


class Measure(Model):
    """What a figure measures (patents, VC, science...), for stat and superlative questions."""

    id: KebabId
    name: ShortText
    keywords: list[ShortText] = Field(min_length=1)


class GeneralFact(Model):
    """A fact about the GII itself."""

    id: KebabId
    text: Text
    keywords: list[ShortText] = Field(min_length=1)
    words: Words = []
    source: KebabId


# The intents a question can be answered with (besides small talk); what a question can ask
# starts from them.
ReplyAsk = Literal[
    "rank",
    "sights",
    "overview",
    "stat",
    "superlative",
    "reverse",
    "compare",
    "general",
    "list",
]
IntentName = Literal[ReplyAsk, "smalltalk"]


class Intent(Model):
    """Words and example phrases that point at an intent (any language)."""

    id: IntentName
    keywords: list[ShortText] = []
    examples: list[ShortText] = []


SmalltalkName = Literal[
    "greeting", "thanks", "help", "identity", "goodbye", "howareyou", "praise", "ack"
]


class SmalltalkKind(Model):
    id: SmalltalkName
    keywords: list[ShortText] = Field(min_length=1)


class Unsupported(Model):
    """A topic travellers ask about that the knowledge deliberately does not cover."""

    id: KebabId
    name: ShortText
    keywords: list[ShortText] = Field(min_length=1)


class Language(Model):
    """Words that carry no topic of their own, and ordinal words, per language."""

    stopwords: list[ShortText] = []
    # words that turn a rank question from clusters to the economy ranking ("which country")
    economy_words: list[ShortText] = []
    # words that keep a question about clusters even when a country is named ("China's cluster")
    cluster_words: list[ShortText] = []
    # words pointing back at what the chat was about ("there", "it", "and Seoul?")
    followup_words: list[ShortText] = []
    number_words: dict[ShortText, Annotated[int, Field(ge=0, le=1000)]] = {}


# What a question can ask, beyond the reply intents: "who said…", "when did…", "what is…",
# "how many…". The frame records each; the rules turn them into an intent of the contract.
AskName = Literal[ReplyAsk, "who", "when", "what", "count", "location"]
LangCode = Literal["en", "zh", "ja", "ko", "es", "fr", "de", "it", "pt", "pl", "ru", "vi", "th"]


class Lexicon(Model):
    """One language's words, as data: how a question in it asks (``asks``), greets, points back
    ("there", "it") or corrects itself ("no, I meant"); its names for the knowledge's places
    (keyed by cluster, sight, economy, other-cluster or region id); its words for themes,
    measures, GII facts and out-of-scope topics (keyed by their ids); and ``terms``: the
    English word the knowledge's text uses, with this language's words for it, so that a
    question in any language finds the facts written in English."""

    lang: LangCode
    name: ShortText
    asks: dict[AskName, list[ShortText]] = {}
    smalltalk: dict[SmalltalkName, list[ShortText]] = {}
    followup: list[ShortText] = []
    correction: list[ShortText] = []
    below: list[ShortText] = []
    above: list[ShortText] = []
    economy_words: list[ShortText] = []
    cluster_words: list[ShortText] = []
    stopwords: list[ShortText] = []
    numbers: dict[ShortText, Annotated[int, Field(ge=0, le=1000)]] = {}
    names: dict[KebabId, list[ShortText]] = {}
    themes: dict[KebabId, list[ShortText]] = {}
    measures: dict[KebabId, list[ShortText]] = {}
    general: dict[KebabId, list[ShortText]] = {}
    unsupported: dict[KebabId, list[ShortText]] = {}
    terms: dict[ShortText, list[ShortText]] = {}


class KnowledgeFile(Model):
    """One YAML file: any subset of the sections; the files are merged in name order."""

    sources: list[Source] = []
    clusters: list[Cluster] = []
    other_clusters: list[OtherCluster] = []
    economies: list[Economy] = []
    regions: list[Region] = []
    themes: list[Theme] = []
    measures: list[Measure] = []
    general: list[GeneralFact] = []
    intents: list[Intent] = []
    smalltalk: list[SmalltalkKind] = []
    unsupported: list[Unsupported] = []
    language: Language | None = None
    lexicon: Lexicon | None = None
