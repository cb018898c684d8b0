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


class Sight(Model):
    """Something the article recommends a tech traveller to see or do."""

    id: KebabId
    name: ShortText
    aliases: list[Alias] = []
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
    source: KebabId


class Tech(Model):
    """Technology residents use every day; ``names`` are what travellers call it (Octopus)."""

    text: Text
    names: list[Alias] = []
    themes: list[KebabId] = []
    source: KebabId


class Quote(Model):
    who: ShortText
    role: ShortText | None = None
    text: Text
    source: KebabId


class Sourced(Model):
    text: Text
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
    source: KebabId


IntentName = Literal[
    "rank",
    "sights",
    "overview",
    "stat",
    "superlative",
    "reverse",
    "compare",
    "general",
    "list",
    "smalltalk",
]


class Intent(Model):
    """Words and example phrases that point at an intent (any language)."""

    id: IntentName
    keywords: list[ShortText] = []
    examples: list[ShortText] = []


class SmalltalkKind(Model):
    id: Literal["greeting", "thanks", "help", "identity", "goodbye"]
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


class KnowledgeFile(Model):
    """One YAML file: any subset of the sections; the files are merged in name order."""

    sources: list[Source] = []
    clusters: list[Cluster] = []
    other_clusters: list[OtherCluster] = []
    economies: list[Economy] = []
    themes: list[Theme] = []
    measures: list[Measure] = []
    general: list[GeneralFact] = []
    intents: list[Intent] = []
    smalltalk: list[SmalltalkKind] = []
    unsupported: list[Unsupported] = []
    language: Language | None = None
