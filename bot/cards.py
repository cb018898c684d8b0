"""Cards for inline mode (``@bot tokyo`` in any chat): what the query names, as ready answers.

A card is a title, a one-line description and the full answer it sends. Cards are matched by
the same matcher as questions, without any chat's context: an inline query belongs to no chat.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.answer import Answer
from bot.messages import t
from bot.request import AnswerRequest

if TYPE_CHECKING:
    from bot.engine import Engine

MAX_CARDS = 50  # Telegram's limit on the results of one inline query
_DESCRIPTION = 120
_ANSWERED = ("rank", "sights", "overview", "stat", "superlative", "reverse", "compare", "general")


@dataclass(frozen=True)
class Card:
    id: str  # unique among one query's cards, at most 64 bytes (Telegram's rules)
    title: str
    description: str
    answer: Answer


def _short(value: str) -> str:
    value = " ".join(value.split())
    return value if len(value) <= _DESCRIPTION else value[: _DESCRIPTION - 1] + "…"


def cards(engine: Engine, query: str, limit: int = MAX_CARDS) -> list[Card]:
    """Cards for ``query``, most relevant first: the answer to the query itself when it is a
    question the knowledge answers, then each cluster it names with its sights. An empty
    query offers the ranking and every cluster; a query naming nothing offers nothing."""
    kb = engine.kb
    answerer = engine.answerer
    out: list[Card] = []
    query = " ".join(query.split())
    sight_ids: list[str] = []
    named: list[str] = []
    if query:
        it = engine.understanding.understand(query, None)
        if it.intent in _ANSWERED:
            answer = answerer.answer(it)
            title = answer.plain.split("\n", 1)[0].rstrip(":")
            out.append(Card("answer", _short(title) or query, _short(answer.plain), answer))
            named.extend(answer.clusters)
        sight_ids = list(it.sights)
        named += [*it.clusters, *it.candidates, *(kb.sight_by_id[s][0].id for s in sight_ids)]
        cluster_ids = [c for c in dict.fromkeys(named) if c in kb.cluster_by_id]
    else:
        top = answerer.answer(AnswerRequest("list", 1.0))
        out.append(Card("top", t("card_top"), _short(top.plain.split("\n", 1)[-1]), top))
        cluster_ids = [c.id for c in kb.clusters]
    for sight_id in sight_ids:
        _, sight = kb.sight_by_id[sight_id]
        out.append(
            Card(f"s:{sight_id}", sight.name, _short(sight.what), answerer.sight_answer(sight_id))
        )
    for cluster_id in cluster_ids:
        cluster = kb.cluster_by_id[cluster_id]
        overview = answerer.answer(AnswerRequest("overview", 1.0, clusters=(cluster_id,)))
        title = f"{cluster.rank}. {cluster.name}"
        out.append(Card(f"c:{cluster_id}", title, _short(cluster.headline), overview))
        if cluster.sights:
            sights = answerer.answer(AnswerRequest("sights", 1.0, clusters=(cluster_id,)))
            names = ", ".join(s.name for s in cluster.sights)
            title = t("sights_title", name=cluster.name).rstrip(":")
            out.append(Card(f"l:{cluster_id}", title, _short(names), sights))
        for sight in cluster.sights:
            if sight.id not in sight_ids:
                answer = answerer.sight_answer(sight.id)
                out.append(Card(f"s:{sight.id}", sight.name, _short(sight.what), answer))
    unique: dict[str, Card] = {}
    for card in out:
        unique.setdefault(card.id, card)
    return list(unique.values())[: max(0, limit)]
