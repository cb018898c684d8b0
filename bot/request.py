"""What to answer: the one type between understanding and composing.

The rules build an ``AnswerRequest`` from a question's frame; buttons, deep links, commands and
inline cards build one directly (never a pretend question). The composer for ``intent`` reads
only the fields it needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.ordinals import RankRef


@dataclass(frozen=True)
class AnswerRequest:
    """``clusters`` most relevant first. ``confidence`` is the share of the question's content
    words the reading accounts for (1.0 for a button or a command), divided among the
    candidates when the bot has to ask which one is meant; ``rule`` names the rule that
    decided (shown by ``travelbot ask --explain``, never to travellers)."""

    intent: str
    confidence: float
    clusters: tuple[str, ...] = ()
    sights: tuple[str, ...] = ()
    tech: tuple[str, ...] = ()  # everyday tech named, as "cluster-id#index"
    themes: tuple[str, ...] = ()
    measures: tuple[str, ...] = ()
    economies: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    others: tuple[int, ...] = ()
    general: tuple[str, ...] = ()
    units: tuple[str, ...] = ()  # the answer units asked about, best first
    rank: RankRef | None = None
    smalltalk: str | None = None
    unsupported: tuple[str, ...] = ()
    places: tuple[str, ...] = ()  # places of the world the knowledge does not hold
    unknown_words: tuple[str, ...] = ()
    candidates: tuple[str, ...] = ()
    from_context: bool = False
    mentioned: tuple[str, ...] = ()  # clusters the question named, even when not answered
    pending: str = ""  # for clarify: what the question asked, once the cluster is chosen
    economy_ranking: bool = False  # "which country…": about the economy ranking
    words: tuple[str, ...] = ()  # the question's content words, typos corrected
    rule: str = ""
    lang: str = "en"
    asks: dict[str, float] = field(default_factory=dict)  # what the wording asked, how strongly
