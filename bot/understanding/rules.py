"""The decision: ordered tables of named rules over a question's frame and the chat's context.

``RULES`` is read top to bottom and the first rule whose condition holds answers. Rules that
find the one cluster a question is about (named, pointed at by a rank, the only holder of a
figure, the chat's last cluster) hand over to ``ABOUT_ONE``, the table for questions about one
cluster. Each answer request carries the name of its rule (``travelbot ask --explain``).

A new kind of question is a new row (a condition and an answer over the frame); a new
language is data in ``knowledge/languages``. Every number is a named tunable.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, get_args

from bot.dialogue import ChatContext
from bot.knowledge import KnowledgeBase
from bot.knowledge.schema import ReplyAsk
from bot.ordinals import RankRef
from bot.request import AnswerRequest
from bot.understanding import tunables as T
from bot.understanding.frame import CONTENT_KINDS, Frame, meaningful
from bot.understanding.retrieval import Hit
from bot.understanding.units import INTENT_OF_KIND

# The asks that are reply intents too, in the schema's order (ties go to the first).
_CUE_ASKS: tuple[str, ...] = get_args(ReplyAsk)
_CLUSTER_ASKS = ("rank", "sights", "overview", "stat", "compare")
_INHERITABLE = ("rank", "sights", "overview", "stat")
_FACT_ASKS = ("who", "when", "what")


@dataclass
class Reading:
    """A frame with the chat's context and the knowledge, and what the rules derive from them."""

    f: Frame
    ctx: ChatContext | None
    kb: KnowledgeBase
    cluster: str = ""  # for ABOUT_ONE: the cluster the question is about
    from_context: bool = False
    rank_used: bool = False  # the rank only said which cluster ("more about number 3")

    # -- derived ---------------------------------------------------------------------------

    @cached_property
    def direct(self) -> list[str]:
        return list(self.f.ids("cluster"))

    @cached_property
    def named(self) -> list[str]:
        """Clusters named directly or through a sight, an everyday tech or a person."""
        clusters = list(self.direct)
        kb = self.kb
        owners = [kb.sight_by_id[s][0].id for s in self.f.ids("sight")]
        owners += [x.partition("#")[0] for x in self.f.ids("tech")]
        owners += [x.partition("#")[0] for x in self.f.ids("person")]
        for owner in owners:
            if owner not in clusters:
                clusters.append(owner)
        return clusters

    @cached_property
    def in_economies(self) -> list[str]:
        """The top-five clusters in the economies named (for "what to see in Japan")."""
        return list(
            dict.fromkeys(c.id for e in self.f.ids("economy") for c in self.kb.clusters_in(e))
        )

    @cached_property
    def clusters(self) -> list[str]:
        if self.named or not self.f.has("economy") or len(self.in_economies) != 1:
            return self.named
        return list(self.in_economies)

    @cached_property
    def rank(self) -> RankRef | None:
        if self.rank_used:
            return None
        return self.f.ranks[0] if self.f.ranks else None

    def ask(self, name: str) -> float:
        if name == "rank" and self.rank_used:
            return 0.0
        return self.f.ask(name)

    @cached_property
    def has_content(self) -> bool:
        named = bool(self.named) or any(self.f.has(k) for k in CONTENT_KINDS)
        return named or self.rank is not None

    @cached_property
    def content_tokens(self) -> list[str]:
        return [t for t in self.f.words if not t[0].isdigit() and meaningful(t)]

    @cached_property
    def best_cue(self) -> float:
        return self.f.best_ask(_CUE_ASKS)[1]

    @cached_property
    def points_back(self) -> bool:
        return self.f.has("followup")

    @cached_property
    def usable_context(self) -> bool:
        """Unknown words block the context ("sights in mumbai"), unless the question points
        back at it and asks something clear ("what % of vc deals happen there")."""
        ctx = self.ctx
        if ctx is None or not ctx.clusters:
            return False
        clear = self.f.has("measure") or self.best_cue >= T.CLEAR_ASK
        return not self.f.unknown or (self.points_back and clear)

    def units_for(self, cluster: str | None) -> list[Hit]:
        return [h for h in self.f.hits if cluster is None or h.unit.cluster in (cluster, None)]

    def asked_unit(self, cluster: str | None) -> Hit | None:
        """The one answer unit the question is about, if its words point at one clearly."""
        hits = self.units_for(cluster)
        if not hits:
            return None
        best = hits[0]
        if best.coverage < T.UNIT_COVERAGE or best.score < T.UNIT_MIN_SCORE:
            return None
        if cluster is None and best.matched <= self.f.ask_words:
            return None  # "list the top 5" names no fact, though a fact's text says "list"
        if best.matched <= self.f.small_words:
            return None  # "must sees": "must" alone does not name "the country must innovate"
        asks_fact = any(self.f.ask(a) for a in _FACT_ASKS)
        # a close second about another place makes the question ambiguous; one about the
        # same place (Shenzhen's note and its makerspace both say "fishing village") does not
        rivals = [h for h in hits[1:] if h.unit.cluster != best.unit.cluster]
        if rivals and best.score < rivals[0].score * T.UNIT_MARGIN and not asks_fact:
            return None
        return best

    # -- building requests -------------------------------------------------------------------

    @property
    def coverage(self) -> float:
        """The share of the question's content words the reading accounts for."""
        words = self.content_tokens
        if not words:
            return 1.0
        unknown = sum(1 for w in (*self.f.unknown, *self.f.unread) if w in words)
        return max(0.0, 1.0 - unknown / len(words))

    def request(self, intent: str, **fields: Any) -> AnswerRequest:
        f = self.f
        confidence = 0.0 if intent == "unknown" else self.coverage
        if intent == "clarify":
            confidence /= max(1, len(fields.get("candidates", ())))
        values: dict[str, Any] = {
            "themes": tuple(f.ids("theme")),
            "measures": tuple(f.ids("measure")),
            "economies": tuple(f.ids("economy")),
            "regions": tuple(f.ids("region")),
            "tech": tuple(f.ids("tech")),
            "general": tuple(f.ids("general")),
            "unknown_words": tuple(f.unknown),
            "places": tuple(f.places),
            "economy_ranking": f.has("economyword"),
            "mentioned": tuple(self.named),
            # what the answer may match facts by: the content words (other languages' words
            # mapped to the knowledge's English) and the words as typed
            "words": tuple(dict.fromkeys([*f.content, *f.words])),
            "lang": f.lang,
            "asks": dict(f.asks),
        }
        values.update(fields)
        return AnswerRequest(intent, round(min(confidence, 1.0), 3), **values)


Condition = Callable[[Reading], bool]
Action = Callable[[Reading], AnswerRequest]


@dataclass(frozen=True)
class Rule:
    name: str
    when: Condition
    then: Action


def decide(rules: tuple[Rule, ...], r: Reading) -> AnswerRequest:
    for rule in rules:
        if rule.when(r):
            request = rule.then(r)
            return request if request.rule else replace(request, rule=rule.name)
    raise AssertionError("the last rule of a table always applies")


def understand(f: Frame, ctx: ChatContext | None, kb: KnowledgeBase) -> AnswerRequest:
    return decide(RULES, Reading(f, ctx, kb))


def about_one(
    r: Reading, cluster: str, from_context: bool = False, rank_used: bool = False
) -> AnswerRequest:
    one = Reading(r.f, r.ctx, r.kb, cluster=cluster, from_context=from_context, rank_used=rank_used)
    return decide(ABOUT_ONE, one)


# -- conditions and answers, top table ------------------------------------------------------


def _unknown(r: Reading, **fields: Any) -> AnswerRequest:
    return r.request("unknown", **fields)


def _clarify(r: Reading, candidates: tuple[str, ...]) -> AnswerRequest:
    pending, _ = r.f.best_ask(_CLUSTER_ASKS)
    return r.request("clarify", candidates=candidates, pending=pending or "overview")


def _correction(r: Reading) -> bool:
    ctx = r.ctx
    return (
        r.f.has("correction")
        and ctx is not None
        and ctx.last is not None
        and bool(r.clusters)
        and not r.f.has("unsupported")
    )


def _reask(r: Reading) -> AnswerRequest:
    """ "No, I meant Seoul": the last question again, about the place now named."""
    assert r.ctx is not None and r.ctx.last is not None
    last = r.ctx.last
    intent = last.intent if last.intent in (*_INHERITABLE, "reverse") else "overview"
    if intent == "reverse":
        intent = "sights"
    return about_one_intent(r, r.clusters[0], intent, last.measures)


def about_one_intent(
    r: Reading, cluster: str, intent: str, measures: tuple[str, ...] = ()
) -> AnswerRequest:
    return r.request(intent, clusters=(cluster,), measures=measures or tuple(r.f.ids("measure")))


def _economy_talk(r: Reading) -> bool:
    f = r.f
    if not (f.has("economy") or f.has("economyword")) or r.named or f.has("clusterword"):
        return False
    if f.has("general") or f.has("economyword") or r.rank is not None:
        return True
    return any(f.ask(i) >= T.CLEAR_ASK for i in ("rank", "list", "general"))


def _economy_not_ranked(r: Reading) -> bool:
    kb = r.kb
    named = r.f.ids("economy")
    ranked = [e for e in named if kb.economy_by_id[e].gii_rank is not None]
    return bool(named) and not ranked and not r.f.has("general")


def _region_or_economy_filter(r: Reading) -> bool:
    """ "Which top clusters are in China / Asia?": a list filtered by where they are."""
    f = r.f
    if r.named or not (f.has("region") or f.has("economy")):
        return False
    if f.has("economyword") or f.ask("count") > 0:
        return False  # "how many clusters does China have": the GII's count, not the top five
    if r.rank is not None and not (f.has("region") or f.has("clusterword")):
        return False  # "is Germany still top 10?": the economy ranking
    listing = f.ask("list") >= T.CLEAR_ASK or f.has("clusterword")
    asks = ("sights", "stat", "overview", "superlative", "compare", "rank")
    other_ask = max(f.ask(a) for a in asks)
    if f.has("region") and not listing:
        listing = other_ask < T.CLEAR_ASK  # "any in Europe?"
    plural = f.has("clusterword") or (r.rank is not None and r.rank.top)
    several = f.has("region") or len(r.in_economies) != 1 or plural
    return listing and other_ask <= f.ask("list") and several


def _filtered_list(r: Reading) -> AnswerRequest:
    kb = r.kb
    economies = set(r.f.ids("economy"))
    for region in r.f.ids("region"):
        economies.update(kb.region_by_id[region].economies)
    inside = tuple(c.id for c in kb.clusters if economies.intersection(c.economies))
    return r.request("list", clusters=inside, economies=tuple(sorted(economies)))


def _in_regions(r: Reading) -> tuple[str, ...]:
    kb = r.kb
    economies = {e for x in r.f.ids("region") for e in kb.region_by_id[x].economies}
    return tuple(c.id for c in kb.clusters if economies.intersection(c.economies))


def _facts_naming(r: Reading) -> tuple[str, ...]:
    """The GII facts that name the economies asked about ("how many clusters does China
    have?" → China's 24 of the top 100)."""
    kb = r.kb
    names = [kb.economy_by_id[e].name for e in r.f.ids("economy")]
    return tuple(g.id for g in kb.general if any(n in g.text for n in names))


def _others_topic(r: Reading) -> bool:
    f = r.f
    if not f.has("other") or r.clusters:
        return False
    plain = {"rank", "general", "list", "reverse", "what", "who"}
    if len(f.ids("other")) > 1:
        plain |= {"superlative", "compare"}  # "is New York higher than Boston?": their ranks
    other_cues = [v for k, v in f.asks.items() if k not in plain]
    return f.has("measure") or f.has("theme") or any(v >= T.CLEAR_ASK for v in other_cues)


def _others(r: Reading) -> tuple[int, ...]:
    return tuple(int(x) for x in r.f.ids("other"))


def _ambiguous_all(r: Reading) -> bool:
    return bool(r.f.ambiguous) and not set(r.clusters) - set(r.f.ambiguous[0])


def _last_rank(r: Reading) -> tuple[str, int] | None:
    """The rank the last answer was about: a cluster's, one of 6–10, or an economy's."""
    ctx, kb = r.ctx, r.kb
    if ctx is None:
        return None
    if ctx.clusters and ctx.clusters[0] in kb.cluster_by_id:
        return "cluster", kb.cluster_by_id[ctx.clusters[0]].rank
    last = ctx.last
    if last is None:
        return None
    if last.others:
        return "cluster", last.others[0]
    if last.intent == "general" and last.economies:
        rank = kb.economy_by_id[last.economies[0]].gii_rank
        return ("economy", rank) if rank else None
    if last.intent == "general" and last.rank is not None and not last.rank.top:
        return "economy", last.rank.n
    return None


def _neighbour(r: Reading) -> bool:
    return r.f.neighbour is not None and not r.clusters and _last_rank(r) is not None


def _neighbour_rank(r: Reading) -> AnswerRequest:
    assert r.f.neighbour is not None
    kb = r.kb
    ranked, last = _last_rank(r) or ("cluster", 0)
    step = 1 if r.f.neighbour == "below" else -1
    target = last + step
    if ranked == "economy":
        return r.request("general", rank=RankRef(target), economies=(), economy_ranking=True)
    if target in kb.cluster_by_rank:
        return r.request("rank", clusters=(kb.cluster_by_rank[target].id,), rank=None)
    if target in kb.other_by_rank:
        return r.request("rank", others=(target,))
    return _unknown(r, rank=RankRef(max(target, 0)))


def _position_in_last(r: Reading) -> bool:
    """ "sights in the second one" after "Tokyo vs Beijing": a position among the clusters
    just shown, not a rank."""
    ctx, rank = r.ctx, r.rank
    if ctx is None or rank is None or rank.top or r.clusters or len(ctx.clusters) < 2:
        return False
    return r.points_back and rank.n <= len(ctx.clusters)


def _position_cluster(r: Reading) -> str:
    assert r.ctx is not None and r.rank is not None
    return r.ctx.clusters[r.rank.n - 1]


def _rank_cluster(r: Reading) -> str | None:
    rank = r.rank
    if rank is None or rank.top or rank.n not in r.kb.cluster_by_rank:
        return None
    return r.kb.cluster_by_rank[rank.n].id


def _rank_points(r: Reading) -> bool:
    """ "tell me more about number 3": the number only says which cluster."""
    if r.clusters or _rank_cluster(r) is None:
        return False
    _, score = r.f.best_ask(("sights", "stat", "overview", "compare"))
    return r.f.has("measure") or score >= T.CLEAR_ASK


def _exact_rank(r: Reading) -> bool:
    return not r.clusters and r.rank is not None and not r.rank.top


def _exact_rank_answer(r: Reading) -> AnswerRequest:
    assert r.rank is not None
    cluster = _rank_cluster(r)
    if cluster is not None:
        return r.request("rank", clusters=(cluster,), rank=r.rank)
    if r.rank.n in r.kb.other_by_rank:
        return r.request("rank", others=(r.rank.n,), rank=r.rank)
    return _unknown(r, rank=r.rank)


def _holders(r: Reading) -> list[str]:
    by_measure = r.kb.stats_by_measure
    return list(dict.fromkeys(c.id for m in r.f.ids("measure") for c, _ in by_measure.get(m, [])))


def _reverse_wins(r: Reading) -> bool:
    return r.f.ask("reverse") >= T.CLEAR_ASK and r.f.ask("reverse") > r.f.ask("superlative")


def _figure_no_place(r: Reading) -> bool:
    return not r.clusters and r.f.has("measure") and not (r.f.has("theme") and _reverse_wins(r))


def _follow_up_cue(r: Reading) -> tuple[str | None, float]:
    return r.f.best_ask(_CUE_ASKS)


def _follows_up(r: Reading) -> bool:
    if r.clusters or not r.usable_context:
        return False
    _, score = _follow_up_cue(r)
    return score >= T.WEAK_ASK or r.points_back or r.f.has("theme") or r.rank is not None


def _follow_up(r: Reading) -> AnswerRequest:
    assert r.ctx is not None
    intent, _ = _follow_up_cue(r)
    ctx = r.ctx
    pair = ctx.clusters if len(ctx.clusters) > 1 else ctx.recent[:2]
    if intent == "compare" and len(pair) > 1:
        return r.request("compare", clusters=pair, from_context=True)
    return about_one(r, ctx.clusters[0], from_context=True)


def _fact_follow_up(r: Reading) -> bool:
    """ "who said that?", "when did it launch?", "what does he do?" after an answer."""
    ctx = r.ctx
    if r.clusters or ctx is None or not ctx.clusters:
        return False
    located = r.f.ask("location") >= T.CLEAR_ASK or r.f.ask("reverse") >= T.CLEAR_ASK
    about = ("sight:", "quote:")  # "where is it exactly?", "where does she live?"
    where = ctx.unit is not None and ctx.unit.startswith(about) and located
    # "how long is it?": a short question about the fact just shown, asking nothing else
    brief = (
        ctx.unit is not None
        and r.points_back
        and len(r.f.tokens) <= T.SHORT_FACT_FOLLOW_UP
        and r.best_cue < T.CLEAR_ASK
        and not r.f.unknown
    )
    where = where or brief
    if not any(r.f.ask(a) >= T.CLEAR_ASK for a in _FACT_ASKS) and not where:
        return False  # "where is it exactly?" after a sight: that sight, with its address
    return r.points_back or not r.f.hits or r.asked_unit(ctx.clusters[0]) is not None


def _fact_follow_up_answer(r: Reading) -> AnswerRequest:
    assert r.ctx is not None
    ctx = r.ctx
    cluster = ctx.clusters[0]
    hit = r.asked_unit(cluster)
    if hit is not None and hit.unit.cluster is not None:
        return replace(_unit_answer(r, hit), from_context=True)
    unit = ctx.unit
    held = r.kb.cluster_by_id.get(cluster)
    if unit is None and r.f.ask("who") >= T.CLEAR_ASK and held is not None and held.quotes:
        unit = f"quote:{cluster}#0"  # "who said that?" after a cluster's card: its resident
    if unit is not None:
        return r.request(
            "overview" if not unit.startswith("sight:") else "sights",
            clusters=(cluster,),
            units=(unit,),
            sights=(unit.partition(":")[2],) if unit.startswith("sight:") else (),
            from_context=True,
        )
    return about_one(r, cluster, from_context=True)


def _quoted_fact(r: Reading) -> bool:
    """ "Who said the country must innovate to compete?": the words of one fact, asked who
    or when, whatever else they name ("country")."""
    if r.named or not any(r.f.ask(a) >= T.CLEAR_ASK for a in ("who", "when")):
        return False
    hit = r.asked_unit(None)
    return hit is not None and hit.unit.kind in ("quote", "tech", "note", "summary", "general")


def _unit_anywhere(r: Reading) -> bool:
    """A question about one fact that names no cluster: "who is Jamie River?", "where do
    street vendors take QR payments?". Theme questions without a fact ask stay reverse."""
    if r.clusters or r.f.has("other") or r.f.has("region"):
        return False
    asks_fact = any(r.f.ask(a) >= T.CLEAR_ASK for a in _FACT_ASKS)
    if (r.f.has("theme") or r.f.has("measure")) and not asks_fact:
        return False
    hit = r.asked_unit(None)
    if hit is None:
        return False
    # "where can I see calligraphy?" lists places (reverse); "where did a city rise from a
    # fishing village?" is one fact
    return r.f.ask("reverse") < T.CLEAR_ASK or hit.unit.kind not in ("sight", "tech")


def _unit_answer(r: Reading, hit: Hit) -> AnswerRequest:
    unit = hit.unit
    intent = INTENT_OF_KIND[unit.kind]
    fields: dict[str, Any] = {"units": (unit.id,)}
    if unit.cluster is not None:
        fields["clusters"] = (unit.cluster,)
    if unit.kind == "sight":
        fields["sights"] = (unit.ref,)
    if unit.kind == "general":
        fields["general"] = (unit.ref,)
    if unit.kind == "stat":
        stat_measure = next(s.measure for c in r.kb.clusters for s in c.stats if s.id == unit.ref)
        fields["measures"] = (stat_measure,)
    return r.request(intent, **fields)


def _unit_anywhere_answer(r: Reading) -> AnswerRequest:
    hit = r.asked_unit(None)
    assert hit is not None
    return _unit_answer(r, hit)


def _reverse_unit(r: Reading) -> bool:
    """ "I like calligraphy, where should I go?": the sight or tech whose words match."""
    if r.clusters or r.f.has("theme") or r.f.ask("reverse") < T.CLEAR_ASK:
        return False
    hit = r.asked_unit(None)
    return hit is not None and hit.unit.kind in ("sight", "tech")


def _reverse_unit_answer(r: Reading) -> AnswerRequest:
    hit = r.asked_unit(None)
    assert hit is not None
    kb = r.kb
    unit = hit.unit
    if unit.kind == "sight":
        themes = tuple(kb.sight_by_id[unit.ref][1].themes)
        return r.request("reverse", sights=(unit.ref,), themes=themes, units=(unit.id,))
    cluster_id, _, index = unit.ref.partition("#")
    tech = kb.cluster_by_id[cluster_id].everyday_tech[int(index)]
    return r.request("reverse", themes=tuple(tech.themes), units=(unit.id,))


def _asked_units(r: Reading) -> tuple[str, ...]:
    hit = r.asked_unit(None)
    return (hit.unit.id,) if hit is not None else ()


def _all_clusters(r: Reading) -> tuple[str, ...]:
    return tuple(c.id for c in r.kb.clusters)


def _top_n(r: Reading) -> bool:
    rank = r.rank
    return (
        not r.clusters
        and rank is not None
        and rank.top
        and not (r.points_back and r.usable_context)
        and (not r.f.unknown or r.f.has("clusterword"))
    )


def _top_n_list(r: Reading) -> AnswerRequest:
    assert r.rank is not None
    count = min(r.rank.n, len(r.kb.clusters))
    return r.request("list", clusters=_all_clusters(r)[:count], rank=r.rank)


def _cue(name: str, *, known_only: bool = False) -> Condition:
    def holds(r: Reading) -> bool:
        intent, score = r.f.best_ask(_CUE_ASKS)
        return intent == name and score >= T.CLEAR_ASK and not (known_only and r.f.unknown)

    return holds


# Small talk that stands alone; "ok" or "cool" before a question does not hide it.
_LIGHT_TALK = ("ack", "praise", "howareyou")


def _smalltalk(r: Reading) -> bool:
    f = r.f
    if f.smalltalk is None or r.has_content:
        return False
    strongest = max([r.best_cue, *(f.ask(a) for a in _FACT_ASKS)])
    if f.smalltalk in _LIGHT_TALK:
        return f.smalltalk_strength > strongest and not r.points_back
    return f.smalltalk_strength >= strongest


def _mostly_unknown(r: Reading) -> bool:
    """Mostly words nothing explains: not answered from the little that is known, unless it
    names a place and asks something clear ("12h layover in Seoul, how do locals pay?")."""
    if r.named and (r.best_cue >= T.CLEAR_ASK or r.f.has("theme") or r.f.has("measure")):
        return False
    unknown = r.f.unknown
    return len(unknown) >= 2 and len(unknown) >= T.UNKNOWN_SHARE * len(r.content_tokens)


RULES: tuple[Rule, ...] = (
    Rule("empty question", lambda r: r.f.empty, lambda r: _unknown(r)),
    Rule("correction re-asks the last question", _correction, _reask),
    Rule(
        "topic the sources do not cover",
        lambda r: r.f.has("unsupported"),
        lambda r: _unknown(r, unsupported=tuple(r.f.ids("unsupported"))),
    ),
    Rule("another year", lambda r: bool(r.f.years), lambda r: _unknown(r)),
    Rule(
        "a rank that cannot be",
        lambda r: r.f.impossible_ranks and r.rank is None and not r.clusters,
        lambda r: _unknown(r),
    ),
    Rule("small talk", _smalltalk, lambda r: r.request("smalltalk", smalltalk=r.f.smalltalk)),
    Rule(
        "place not in the index",
        lambda r: (
            bool(r.f.places)
            and not (set(r.named) - {c for group in r.f.ambiguous for c in group})
            and not r.f.has("other")
            and not r.f.has("economy")
            and not r.f.has("region")
        ),
        lambda r: _unknown(r),
    ),
    Rule("mostly unknown words", _mostly_unknown, lambda r: _unknown(r)),
    Rule("who said it, when was it: a fact's own words", _quoted_fact, _unit_anywhere_answer),
    Rule("rank neighbour of the last answer", _neighbour, _neighbour_rank),
    Rule(
        "one of the clusters just shown",
        _position_in_last,
        lambda r: about_one(r, _position_cluster(r), from_context=False, rank_used=True),
    ),
    Rule(
        "GII fact",
        lambda r: (
            r.f.has("general")
            and not r.named
            and not (r.points_back and r.f.has("measure") and r.usable_context)
        ),
        lambda r: r.request("general", rank=r.rank),
    ),
    Rule("clusters filtered by region or economy", _region_or_economy_filter, _filtered_list),
    Rule(
        "the last list, filtered",
        lambda r: (
            (r.f.has("economy") or r.f.has("region"))
            and not r.named
            and r.ctx is not None
            and r.ctx.last is not None
            and r.ctx.last.intent == "list"
        ),
        _filtered_list,
    ),
    Rule(
        "region with several clusters",
        lambda r: (
            r.f.has("region")
            and not r.named
            and len(_in_regions(r)) > 1
            and not r.f.has("measure")
            and not r.f.has("general")
        ),
        lambda r: _clarify(r, _in_regions(r)),
    ),
    Rule(
        "economy without a rank in the sources",
        lambda r: _economy_talk(r) and _economy_not_ranked(r),
        lambda r: _unknown(r),
    ),
    Rule(
        "economy not in the knowledge",
        lambda r: (
            _economy_talk(r)
            and bool(r.f.places)
            and not r.f.has("economy")
            and not r.f.has("general")
        ),
        lambda r: _unknown(r),
    ),
    Rule("economy ranking", _economy_talk, lambda r: r.request("general", rank=r.rank)),
    Rule(
        "an economy on its own",
        lambda r: (
            r.f.has("economy")
            and not r.named
            and not r.in_economies
            and not r.f.unknown
            and max(r.f.ask(a) for a in ("sights", "overview", "stat", "reverse")) < T.CLEAR_ASK
            and all(r.kb.economy_by_id[e].gii_rank for e in r.f.ids("economy"))
        ),
        lambda r: r.request("general", general=_facts_naming(r)),
    ),
    Rule(
        "economy without a top cluster",
        lambda r: r.f.has("economy") and not r.named and not r.in_economies,
        lambda r: _unknown(r),
    ),
    Rule(
        "the GII about an economy",
        lambda r: r.f.has("economy") and not r.named and r.f.ask("general") >= T.CLEAR_ASK,
        lambda r: r.request("general", general=_facts_naming(r)),
    ),
    Rule(
        "same GII question, another economy",
        lambda r: (
            r.f.has("economy")
            and not r.named
            and r.points_back
            and r.ctx is not None
            and r.ctx.last is not None
            and r.ctx.last.intent == "general"
            and bool(r.ctx.last.economies or r.ctx.last.general)
        ),
        lambda r: r.request("general", general=r.ctx.last.general if r.ctx and r.ctx.last else ()),
    ),
    Rule(
        "the economy just asked about, again",
        lambda r: (
            not r.named
            and not r.f.has("economy")
            and r.ctx is not None
            and r.ctx.last is not None
            and r.ctx.last.intent == "general"
            and bool(r.ctx.last.economies or r.ctx.last.economy_ranking)
            and (r.points_back or len(r.f.tokens) <= T.SHORT_FOLLOW_UP)
            and not r.f.unknown
            and r.f.ask("general") > 0
        ),
        lambda r: r.request(
            "general",
            economies=r.ctx.last.economies if r.ctx and r.ctx.last else (),
            rank=r.ctx.last.rank if r.ctx and r.ctx.last else None,
            economy_ranking=True,
            from_context=True,
        ),
    ),
    Rule(
        "another place in the economy ranking",
        lambda r: (
            r.rank is not None
            and not r.rank.top
            and not r.named
            and r.ctx is not None
            and r.ctx.last is not None
            and r.ctx.last.intent == "general"
            and (r.ctx.last.economy_ranking or bool(r.ctx.last.economies))
            and (r.points_back or len(r.f.tokens) <= 3)
        ),
        lambda r: r.request("general", rank=r.rank, economies=(), economy_ranking=True),
    ),
    Rule(
        "economy with several clusters",
        lambda r: r.f.has("economy") and not r.named and len(r.in_economies) > 1,
        lambda r: _clarify(r, tuple(r.in_economies)),
    ),
    Rule(
        "cluster 6-10 asked beyond its rank",
        _others_topic,
        lambda r: _unknown(r, others=_others(r)),
    ),
    Rule(
        "cluster 6-10 rank",
        lambda r: r.f.has("other") and not r.clusters,
        lambda r: r.request("rank", others=_others(r)),
    ),
    Rule(
        "shared name, superlative",
        lambda r: (
            _ambiguous_all(r) and r.f.has("measure") and r.f.ask("superlative") >= T.CLEAR_ASK
        ),
        lambda r: r.request("superlative", candidates=r.f.ambiguous[0]),
    ),
    Rule("shared name", _ambiguous_all, lambda r: _clarify(r, r.f.ambiguous[0])),
    Rule(
        "two clusters",
        lambda r: len(r.clusters) >= 2,
        lambda r: r.request("compare", clusters=tuple(r.clusters), sights=tuple(r.f.ids("sight"))),
    ),
    Rule("one cluster", lambda r: len(r.clusters) == 1, lambda r: about_one(r, r.clusters[0])),
    # -- from here on, the question names no cluster ------------------------------------------
    Rule(
        "a place in a figure's ranking",
        lambda r: (
            not r.clusters
            and r.f.has("measure")
            and r.rank is not None
            and not r.rank.top
            and r.ask("rank") < T.CLEAR_ASK
            and not r.f.has("clusterword")  # "the #2 cluster's patents" is a cluster's figure
            and max(r.f.ask("superlative"), r.f.ask("who")) >= T.CLEAR_ASK
        ),
        lambda r: r.request("superlative", rank=r.rank),
    ),
    Rule(
        "rank number points at a cluster",
        _rank_points,
        lambda r: about_one(r, _rank_cluster(r) or "", rank_used=True),
    ),
    Rule("exact rank", _exact_rank, _exact_rank_answer),
    Rule(
        "superlative among the clusters just compared",
        lambda r: (
            r.f.has("measure")
            and r.usable_context
            and r.f.ask("superlative") >= T.CLEAR_ASK
            and r.ctx is not None
            and len(r.ctx.clusters) > 1
        ),
        lambda r: r.request("superlative", candidates=r.ctx.clusters if r.ctx else ()),
    ),
    Rule(
        "figure of the clusters just compared",
        lambda r: (
            r.f.has("measure")
            and r.usable_context
            and r.f.ask("superlative") < T.CLEAR_ASK
            and r.ctx is not None
            and r.ctx.intent == "compare"
            and len(r.ctx.clusters) > 1
        ),
        lambda r: r.request("compare", clusters=r.ctx.clusters if r.ctx else (), from_context=True),
    ),
    Rule(
        "figure of the last cluster",
        lambda r: r.f.has("measure") and r.usable_context and r.f.ask("superlative") < T.CLEAR_ASK,
        lambda r: about_one(r, r.ctx.clusters[0] if r.ctx else "", from_context=True),
    ),
    Rule(
        "figure only one cluster has",
        lambda r: (
            _figure_no_place(r) and len(_holders(r)) == 1 and r.f.ask("superlative") < T.CLEAR_ASK
        ),
        lambda r: about_one(r, _holders(r)[0]),
    ),
    Rule(
        "who leads in a figure",
        _figure_no_place,
        lambda r: r.request("superlative", candidates=_in_regions(r)),
    ),
    Rule("fact about the last answer", _fact_follow_up, _fact_follow_up_answer),
    Rule("one fact, no cluster named", _unit_anywhere, _unit_anywhere_answer),
    Rule("where to find what a fact describes", _reverse_unit, _reverse_unit_answer),
    Rule(
        "where to find a theme",
        lambda r: r.f.has("theme") and not (r.points_back and r.usable_context),
        lambda r: r.request("reverse", units=_asked_units(r)),
    ),
    Rule(
        "the best cluster of all",
        lambda r: (
            not r.clusters
            and r.f.ask("superlative") >= T.CLEAR_ASK
            and r.f.ask("list") < T.CLEAR_ASK
            and r.rank is None
            and not r.f.has("measure")
            and not r.f.has("theme")
            and not r.f.unknown
            and not (r.points_back and r.usable_context)
        ),
        lambda r: r.request("rank", clusters=(r.kb.clusters[0].id,), rank=RankRef(1)),
    ),
    Rule("top N", _top_n, _top_n_list),
    Rule("GII fact (late)", lambda r: r.f.has("general"), lambda r: r.request("general")),
    Rule(
        "unknown words",
        lambda r: bool(r.f.unknown) and not r.f.ask("list") and not r.f.ask("sights"),
        lambda r: _unknown(r),
    ),
    Rule("follow-up on the last answer", _follows_up, _follow_up),
    Rule("about the GII", _cue("general"), lambda r: r.request("general")),
    Rule(
        "the ranking",
        lambda r: (
            (_cue("list", known_only=True)(r) or _cue("rank", known_only=True)(r))
            and not (r.points_back and not r.f.has("clusterword"))
        ),
        lambda r: r.request("list", clusters=_all_clusters(r)),
    ),
    Rule(
        "which cluster?",
        lambda r: _cue("sights", known_only=True)(r) or _cue("overview", known_only=True)(r),
        lambda r: r.request(
            "clarify",
            candidates=_all_clusters(r),
            pending=r.f.best_ask(_CUE_ASKS)[0] or "overview",
        ),
    ),
    Rule("nothing the knowledge answers", lambda r: True, lambda r: _unknown(r)),
)


# -- ABOUT_ONE: the question is about r.cluster -----------------------------------------------


def _one(r: Reading, intent: str, **fields: Any) -> AnswerRequest:
    values: dict[str, Any] = {
        "clusters": (r.cluster,),
        "sights": tuple(s for s in r.f.ids("sight") if r.kb.sight_by_id[s][0].id == r.cluster),
        "rank": r.rank,
        "from_context": r.from_context,
    }
    values.update(fields)
    return r.request(intent, **values)


def _one_cue(r: Reading) -> tuple[str | None, float]:
    return r.f.best_ask(("sights", "stat", "overview", "reverse", "superlative"))


def _rank_asked(r: Reading) -> bool:
    f = r.f
    explicit = r.ask("rank") >= T.CLEAR_ASK or f.ask("list") >= T.CLEAR_ASK
    if not explicit and r.rank is not None and r.asked_unit(r.cluster) is not None:
        return False  # "where did Uber first catch on": "first" is a word of the fact
    asked = r.rank is not None or explicit
    return asked and not f.has("measure") and f.ask("sights") <= r.ask("rank")


def _compare_previous(r: Reading) -> bool:
    ctx = r.ctx
    return (
        r.f.ask("compare") >= T.CLEAR_ASK
        and ctx is not None
        and bool(ctx.clusters)
        and not r.from_context
        and ctx.clusters[0] != r.cluster
    )


def _sight_named(r: Reading) -> bool:
    if not r.f.has("sight") or r.from_context:
        return False
    _, score = r.f.best_ask(("rank", "stat", "compare", "superlative"))
    return score < T.CLEAR_ASK and not r.f.has("measure")


def _unit_in_cluster(r: Reading) -> bool:
    hit = r.asked_unit(r.cluster)
    if hit is None or hit.unit.cluster is None:
        return False
    if (hit.unit.kind == "stat") != r.f.has("measure"):
        return False  # a figure named is answered with the figures; a figure's words alone not
    asks_fact = any(r.f.ask(a) >= T.CLEAR_ASK for a in _FACT_ASKS)
    figure = max(r.f.ask("stat"), r.f.ask("count"))
    if figure >= T.CLEAR_ASK and hit.unit.kind != "stat" and not asks_fact:
        return False  # "how many robots work at the Henn Na Hotel": a figure not held
    # "what to see in Seoul" has no content words; "makerspaces in Shenzhen?" names a sight
    return not (r.f.ask("sights") >= T.CLEAR_ASK and hit.unit.kind in ("summary", "note"))


def _unit_in_cluster_answer(r: Reading) -> AnswerRequest:
    hit = r.asked_unit(r.cluster)
    assert hit is not None
    unit = hit.unit
    where = r.f.ask("reverse") >= T.CLEAR_ASK and not r.direct and not r.from_context
    if where and unit.kind == "tech":
        # "where do people use WeChat for everything?": the place, with the fact
        owner, _, index = unit.ref.partition("#")
        tech = r.kb.cluster_by_id[owner].everyday_tech[int(index)]
        return r.request("reverse", themes=tuple(tech.themes), units=(unit.id,))
    request = _unit_answer(r, hit)
    return replace(request, from_context=r.from_context)


def _quote_of(r: Reading) -> str:
    """The cluster's quote the question's words point at, else its first."""
    for hit in r.units_for(r.cluster):
        if hit.unit.kind == "quote":
            return hit.unit.id
    return f"quote:{r.cluster}#0"


def _figure_asked(r: Reading) -> bool:
    return max(r.f.ask("count"), r.f.ask("stat")) >= T.CLEAR_ASK and not r.f.has("measure")


def _figure_unit(r: Reading) -> Hit | None:
    """ "how many drones in Shenzhen?": the cluster's figure whose words the question uses."""
    for hit in r.units_for(r.cluster)[:3]:
        if hit.unit.kind == "stat" and hit.matched - r.f.small_words:
            return hit
    return None


def _themed(r: Reading) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The cluster's sights and everyday-tech units of the themes asked about ("makerspaces
    in Shenzhen" → its three makerspaces; "AI apps in Beijing" → DeepSeek and DouBao)."""
    cluster = r.kb.cluster_by_id[r.cluster]
    themes = set(r.f.ids("theme"))
    sights = tuple(s.id for s in cluster.sights if themes.intersection(s.themes))
    tech = tuple(
        f"tech:{cluster.id}#{i}"
        for i, x in enumerate(cluster.everyday_tech)
        if themes.intersection(x.themes)
    )
    return sights, tech


_YEAR = re.compile(r"\b(1[89]|20)\d\d\b")


def _dated(r: Reading) -> bool:
    """Whether the fact asked about says when: "when did the Octopus card come out?" (1997)
    is answered, "what year did teamLab Planets open?" is not. The fact is the one named (an
    everyday tech or sight), else the chat's last one for a follow-up, else the best found."""
    texts = _named_texts(r)
    if not texts and r.from_context and r.ctx is not None and r.ctx.unit is not None:
        texts = [_unit_text(r, r.ctx.unit)]
    if not texts:
        hit = r.asked_unit(r.cluster)
        found = r.units_for(r.cluster)
        hit = hit or (found[0] if found else None)
        texts = [hit.unit.text] if hit is not None else []
    return any(_YEAR.search(text) for text in texts)


def _named_texts(r: Reading) -> list[str]:
    """The texts of the everyday tech and sights of this cluster the question names."""
    ids = [f"tech:{t}" for t in r.f.ids("tech")] + [f"sight:{s}" for s in r.f.ids("sight")]
    return [text for unit in ids if (text := _unit_text(r, unit, r.cluster))]


def _unit_text(r: Reading, unit_id: str, cluster: str | None = None) -> str:
    """A fact's text (a sight's what and why), if it belongs to ``cluster`` (any when None)."""
    kind, _, ref = unit_id.partition(":")
    if kind == "sight" and ref in r.kb.sight_by_id:
        owner, sight = r.kb.sight_by_id[ref]
        mine = cluster is None or owner.id == cluster
        return f"{sight.what} {sight.why}" if mine else ""
    owner_id, _, index = ref.partition("#")
    held = r.kb.cluster_by_id.get(owner_id)
    if held is None or not index.isdigit() or (cluster is not None and owner_id != cluster):
        return ""
    texts: dict[str, list[str]] = {
        "tech": [x.text for x in held.everyday_tech],
        "quote": [x.text for x in held.quotes],
        "note": [x.text for x in held.notes],
    }
    found = texts.get(kind, [])
    return found[int(index)] if int(index) < len(found) else ""


def _context_intent(r: Reading) -> str:
    return r.ctx.intent if r.ctx is not None else ""


ABOUT_ONE: tuple[Rule, ...] = (
    Rule(
        "everyday tech named, topic unknown",
        lambda r: (
            r.f.has("tech")
            and not r.direct
            and not r.f.has("sight")
            and bool(r.f.unknown)
            and not r.from_context
        ),
        lambda r: _unknown(r),
    ),
    Rule(
        "when, but the facts hold no date",
        lambda r: r.f.ask("when") >= T.CLEAR_ASK and not _dated(r),
        lambda r: _unknown(r),
    ),
    Rule(
        "who or what, about words the facts do not hold",
        lambda r: (
            any(r.f.ask(a) >= T.CLEAR_ASK for a in _FACT_ASKS)
            and bool(r.f.unknown)
            and r.asked_unit(r.cluster) is None
        ),
        lambda r: _unknown(r),
    ),
    Rule(
        "a figure asked by its words",
        lambda r: _figure_asked(r) and _figure_unit(r) is not None,
        lambda r: _unit_answer(r, _figure_unit(r)),  # type: ignore[arg-type]
    ),
    Rule(
        "a figure the knowledge does not hold",
        lambda r: _figure_asked(r) and bool(r.f.content),
        lambda r: _unknown(r),
    ),
    Rule(
        "sight named, topic unknown",
        lambda r: (
            _sight_named(r)
            and bool(r.f.unknown)
            and max(r.f.ask("sights"), r.f.ask("location")) < T.CLEAR_ASK
        ),
        lambda r: _unknown(r),
    ),
    Rule(
        "where to do what a sight offers",
        lambda r: (
            _sight_named(r)
            and r.f.ask("reverse") > r.f.ask("sights")
            and r.f.ask("location") < T.CLEAR_ASK
        ),
        lambda r: _one(r, "reverse"),
    ),
    Rule("sight named", _sight_named, lambda r: _one(r, "sights")),
    Rule("cluster rank", _rank_asked, lambda r: _one(r, "rank")),
    Rule(
        "compare with the last cluster",
        _compare_previous,
        lambda r: _one(r, "compare", clusters=(r.ctx.clusters[0] if r.ctx else "", r.cluster)),
    ),
    Rule("one fact of the cluster", _unit_in_cluster, _unit_in_cluster_answer),
    Rule(
        "who, among the cluster's residents",
        lambda r: (
            r.f.ask("who") >= T.CLEAR_ASK
            and not r.f.unknown
            and bool(r.kb.cluster_by_id[r.cluster].quotes)
        ),
        lambda r: _one(r, "overview", units=(_quote_of(r),)),
    ),
    Rule(
        "everyday tech named",
        lambda r: r.f.has("tech") and not r.f.has("measure") and _one_cue(r)[0] != "sights",
        lambda r: _one(r, "overview"),
    ),
    Rule(
        "figure word in a general question",
        lambda r: (
            r.f.has("measure")
            and _one_cue(r)[0] == "overview"
            and r.f.ask("stat") < T.CLEAR_ASK
            and r.f.ask("superlative") < T.CLEAR_ASK
        ),
        lambda r: _one(r, "overview"),
    ),
    Rule("cluster figure", lambda r: r.f.has("measure"), lambda r: _one(r, "stat")),
    Rule(
        "where to find a theme in the cluster",
        lambda r: (
            r.f.has("theme")
            and _one_cue(r)[0] in (None, "reverse", "superlative", "overview")
            and r.f.ask("reverse") >= T.CLEAR_ASK
            and not _themed(r)[0]
        ),
        lambda r: _one(r, "reverse"),
    ),
    Rule(
        "sights of a theme in the cluster",
        lambda r: (
            r.f.has("theme")
            and _one_cue(r)[0] in (None, "reverse", "superlative", "sights")
            and bool(_themed(r)[0])
        ),
        lambda r: _one(r, "sights", sights=_themed(r)[0]),
    ),
    Rule(
        "everyday tech of a theme in the cluster",
        lambda r: (
            r.f.has("theme")
            and _one_cue(r)[0] in (None, "reverse", "superlative", "overview")
            and bool(_themed(r)[1])
        ),
        lambda r: _one(r, "overview", units=_themed(r)[1]),
    ),
    Rule(
        "theme in the cluster",
        lambda r: (
            r.f.has("theme") and _one_cue(r)[0] in (None, "reverse", "superlative", "overview")
        ),
        lambda r: _one(r, "overview"),
    ),
    Rule(
        "figure not held",
        lambda r: _one_cue(r)[0] == "stat" and bool(r.f.unknown),
        lambda r: _unknown(r),
    ),
    Rule(
        "sights of a named sight's cluster",
        lambda r: _one_cue(r)[0] is None and r.f.has("sight"),
        lambda r: _one(r, "sights"),
    ),
    Rule(
        "another cluster, in a word of another language",
        lambda r: (
            _one_cue(r)[0] is None
            and _context_intent(r) in _INHERITABLE
            and not r.from_context
            and len(r.f.tokens) <= T.SHORT_FOLLOW_UP
            and len(r.f.unknown) == 1
        ),
        lambda r: _one(r, _context_intent(r), from_context=True),
    ),
    Rule(
        "topic unknown about a known place",
        lambda r: _one_cue(r)[0] is None and bool(r.f.unknown) and not r.from_context,
        lambda r: _unknown(r),
    ),
    Rule(
        "same question, another cluster",
        lambda r: (
            _one_cue(r)[0] is None and _context_intent(r) in _INHERITABLE and not r.from_context
        ),
        lambda r: _one(
            r,
            _context_intent(r),
            from_context=True,
            measures=tuple(r.f.ids("measure")) or (r.ctx.measures if r.ctx else ()),
        ),
    ),
    Rule(
        "what the question asks about the cluster",
        lambda r: True,
        lambda r: _one(
            r,
            {"superlative": "overview", "reverse": "sights", None: "overview"}.get(
                _one_cue(r)[0], _one_cue(r)[0] or "overview"
            ),
        ),
    ),
)
