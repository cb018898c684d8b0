"""From a traveller's question to an ``Interpretation``: what it asks and about what.

Two kinds of evidence are combined:
- *what* the question names (clusters, sights, economies, themes, measures, ranks), found
  through the index, typo-tolerant;
- *how* it asks (intent cues): the intents' keywords and example phrases from the knowledge
  YAML, so admins teach new phrasings without code.

The decision is a short, ordered set of readings (out-of-scope first, then what the named
things allow, then follow-ups from the chat's context); a question that fits none is
``unknown``. A question naming something the knowledge does not hold must never be answered
about something nearby: words the knowledge does not know block the use of context and of a
bare overview.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import get_args

from bot.dialogue import ChatContext
from bot.index import Index, Mention, knowledge_entries
from bot.knowledge import KnowledgeBase
from bot.knowledge.schema import IntentName
from bot.ordinals import RankReader, RankRef
from bot.text import is_cjk, normalise, tokenise

MAX_QUESTION_CHARS = 600  # longer messages are read from their start; nobody asks 4 KB questions
_PLACE_KINDS = frozenset({"cluster", "sight", "economy", "other", "tech"})
_CONTENT_KINDS = _PLACE_KINDS | {"theme", "measure", "general", "unsupported"}
# The intents a question's wording can point at, in the schema's order (ties go to the first);
# small talk is weighed on its own.
_CUE_INTENTS: tuple[str, ...] = tuple(i for i in get_args(IntentName) if i != "smalltalk")
_CLUSTER_INTENTS = ("rank", "sights", "overview", "stat", "compare")
_EXAMPLE_WEIGHT = 0.35
# How much a question's intent may be taken from the chat's previous answer.
_INHERITABLE = ("rank", "sights", "overview", "stat")


@dataclass(frozen=True)
class Interpretation:
    """What the question asks; ``clusters`` most relevant first."""

    intent: str
    confidence: float
    clusters: tuple[str, ...] = ()
    sights: tuple[str, ...] = ()
    tech: tuple[str, ...] = ()  # everyday tech named, as "cluster-id#index"
    themes: tuple[str, ...] = ()
    measures: tuple[str, ...] = ()
    economies: tuple[str, ...] = ()
    others: tuple[int, ...] = ()
    general: tuple[str, ...] = ()
    rank: RankRef | None = None
    smalltalk: str | None = None
    unsupported: tuple[str, ...] = ()
    unknown_words: tuple[str, ...] = ()
    candidates: tuple[str, ...] = ()
    from_context: bool = False
    mentioned: tuple[str, ...] = ()  # clusters the question named, even when not answered
    pending: str = ""  # for clarify: what the question asked, once the cluster is chosen
    economy_ranking: bool = False  # "which country…": about the economy ranking
    words: tuple[str, ...] = ()  # the question's content words, typos corrected
    cues: dict[str, float] = field(default_factory=dict)


@dataclass
class _Evidence:
    tokens: list[str]
    fuzzy: bool
    mentions: list[Mention]
    found: dict[str, list[str]]  # kind -> ids in order of appearance
    ambiguous: list[tuple[str, ...]]  # cluster groups named by one shared alias
    cues: dict[str, float]
    unknown: list[str]
    ranks: list[RankRef]
    words: list[str]
    smalltalk: float  # how strongly the question is small talk (the longest phrase)
    named: tuple[str, ...] = ()  # clusters named, directly or through a sight

    def ids(self, kind: str) -> list[str]:
        return self.found.get(kind, [])

    def best_cue(self, allowed: tuple[str, ...]) -> tuple[str | None, float]:
        scored = [(self.cues.get(i, 0.0), -allowed.index(i), i) for i in allowed]
        score, _, intent = max(scored)
        return (intent, score) if score > 0 else (None, 0.0)


def _join_unknown_cjk(tokens: list[str], covered: set[int]) -> list[str]:
    """Uncovered tokens; adjacent unknown CJK characters are joined into one word, so a
    place the vocabulary lacks (大阪, 부산) counts as an unknown word, not as lone characters."""
    out: list[str] = []
    run = ""
    for i, token in enumerate(tokens):
        single_cjk = len(token) == 1 and is_cjk(token)
        if i not in covered and single_cjk:
            run += token
            continue
        if run:
            out.append(run)
            run = ""
        if i not in covered:
            out.append(token)
    if run:
        out.append(run)
    return out


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


class Matcher:
    """Built once per knowledge; ``interpret`` is pure and safe to call from any task."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.index = Index.build(knowledge_entries(kb))
        self.ranks = RankReader(kb.language.number_words)
        self.example_cues = self._example_cues()

    def _example_cues(self) -> dict[str, dict[str, float]]:
        """Words of the intents' example phrases that point at few intents."""
        seen: dict[str, set[str]] = defaultdict(set)
        for intent in self.kb.intents:
            for example in intent.examples:
                tokens = tokenise(normalise(example), self.index.known)
                named = self._named_spans(tokens)
                for i, token in enumerate(tokens):
                    if i not in named and not token.isdigit():
                        seen[token].add(intent.id)
        return {
            token: {intent: _EXAMPLE_WEIGHT for intent in intents}
            for token, intents in seen.items()
            if len(intents) <= 2
        }

    def _named_spans(self, tokens: list[str]) -> set[int]:
        covered: set[int] = set()
        for m in self.index.mentions(tokens, [False] * len(tokens)):
            if m.entity.kind in _PLACE_KINDS or m.entity.kind in ("stop", "number"):
                covered.update(range(m.start, m.end))
        return covered

    # -- evidence -------------------------------------------------------------------------

    def _tokens(self, normalised: str) -> tuple[list[str], list[bool]]:
        tokens: list[str] = []
        fuzzy: list[bool] = []
        for token in tokenise(normalised, self.index.known):
            corrected = None if self.index.known(token) else self.index.correct(token)
            tokens.append(corrected or token)
            fuzzy.append(corrected is not None)
        return tokens, fuzzy

    def _evidence(self, normalised: str) -> _Evidence:
        tokens, fuzzy = self._tokens(normalised)
        mentions = list(self.index.mentions(tokens, fuzzy))
        # A name inside a longer name ("Shenzhen" in "Shenzhen drone shows") is not a
        # mention of its own; other kinds (intent words, themes) are cues and all count.
        places = sorted(
            (m for m in mentions if m.entity.kind in _CONTENT_KINDS),
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
        ambiguous = [tuple(ids) for ids in by_span.values() if len(set(ids)) > 1]
        for kind in list(found):
            found[kind] = _unique(found[kind])

        cues: dict[str, float] = defaultdict(float)
        covered: set[int] = set()
        pointers = [(m.start, m.end) for m in mentions if m.entity.kind == "followup"]
        for m in mentions:
            covered.update(range(m.start, m.end))
            inside_pointer = any(
                a <= m.start and m.end <= b and m.length < b - a for a, b in pointers
            )
            if m.entity.kind == "intent" and not inside_pointer:
                cues[m.entity.id] += 1.0 + 0.5 * (m.length - 1)
            elif m.entity.kind in ("smalltalk", "economyword", "clusterword", "followup"):
                found[m.entity.kind] = _unique([*found.get(m.entity.kind, []), m.entity.id])
        pointed = {i for a, b in pointers for i in range(a, b)}
        for i, token in enumerate(tokens):
            if i in pointed:
                continue
            for intent, weight in self.example_cues.get(token, {}).items():
                cues[intent] += weight
                covered.add(i)
        smalltalk = max(
            (1.0 + 0.5 * (m.length - 1) for m in mentions if m.entity.kind == "smalltalk"),
            default=0.0,
        )
        unknown = [
            t
            for t in _join_unknown_cjk(tokens, covered)
            if not t[0].isdigit() and self._meaningful(t)
        ]
        function_words: set[int] = set()
        for m in mentions:
            if m.entity.kind in (
                "stop",
                "intent",
                "number",
                "smalltalk",
                "economyword",
                "clusterword",
                "followup",
            ):
                function_words.update(range(m.start, m.end))
        words = [t for i, t in enumerate(tokens) if i not in function_words]
        return _Evidence(
            tokens=tokens,
            fuzzy=any(fuzzy),
            mentions=mentions,
            found=dict(found),
            ambiguous=ambiguous,
            cues=dict(cues),
            unknown=unknown,
            ranks=self.ranks.find(normalised),
            words=words,
            smalltalk=smalltalk,
        )

    @staticmethod
    def _meaningful(token: str) -> bool:
        if is_cjk(token[0]):
            return len(token) > 1
        return len(token) > 2

    # -- decision -------------------------------------------------------------------------

    def interpret(self, text: str, context: ChatContext | None = None) -> Interpretation:
        normalised = normalise(text[:MAX_QUESTION_CHARS])
        if not normalised.strip(" #%.,'’"):
            return Interpretation("unknown", 0.0)
        return self._decide(self._evidence(normalised), context)

    def _base(
        self, ev: _Evidence, intent: str, confidence: float, **fields: object
    ) -> Interpretation:
        if ev.fuzzy:
            confidence *= 0.9
        values: dict[str, object] = {
            "themes": tuple(ev.ids("theme")),
            "measures": tuple(ev.ids("measure")),
            "economies": tuple(ev.ids("economy")),
            "tech": tuple(ev.ids("tech")),
            "general": tuple(ev.ids("general")),
            "unknown_words": tuple(ev.unknown),
            "economy_ranking": bool(ev.ids("economyword")),
            "mentioned": ev.named,
            "words": tuple(ev.words),
            "cues": dict(ev.cues),
        }
        values.update(fields)
        return Interpretation(intent, round(min(confidence, 1.0), 3), **values)  # type: ignore[arg-type]

    def _decide(self, ev: _Evidence, context: ChatContext | None) -> Interpretation:
        kb = self.kb
        clusters = list(ev.ids("cluster"))
        sights = ev.ids("sight")
        for sight_id in sights:
            owner = kb.sight_by_id[sight_id][0].id
            if owner not in clusters:
                clusters.append(owner)
        tech = ev.ids("tech")
        for tech_id in tech:
            owner = tech_id.partition("#")[0]
            if owner not in clusters:
                clusters.append(owner)
        ev.named = tuple(clusters)
        rank = ev.ranks[0] if ev.ranks else None
        named = bool(clusters or any(ev.ids(k) for k in _CONTENT_KINDS))
        has_content = named or rank is not None

        if ev.ids("unsupported") or self._other_year(ev):
            return self._base(ev, "unknown", 0.2, unsupported=tuple(ev.ids("unsupported")))
        _, best_cue = ev.best_cue(_CUE_INTENTS)
        if ev.ids("smalltalk") and not has_content and ev.smalltalk >= best_cue:
            return self._base(ev, "smalltalk", 0.95, smalltalk=ev.ids("smalltalk")[0])
        content_tokens = [t for t in ev.words if not t[0].isdigit() and self._meaningful(t)]
        if len(ev.unknown) >= 2 and len(ev.unknown) * 2 >= len(content_tokens):
            return self._base(ev, "unknown", 0.15)  # mostly words the knowledge does not hold
        if ev.ids("general") and not clusters:
            return self._base(ev, "general", 0.88, rank=rank)

        economies = ev.ids("economy")
        about_economies = bool(ev.ids("economyword"))
        cluster_talk = bool(ev.ids("clusterword"))
        if (economies or about_economies) and not clusters and not cluster_talk:
            if ev.ids("general") or about_economies or rank is not None:
                return self._economy_answer(ev, rank)
            if any(ev.cues.get(i, 0) >= 1 for i in ("rank", "list", "general")):
                return self._economy_answer(ev, rank)
        if economies and not clusters:
            in_top = _unique([c.id for e in economies for c in kb.clusters_in(e)])
            if not in_top:
                return self._base(ev, "unknown", 0.2)
            if len(in_top) > 1:
                return self._clarify(ev, tuple(in_top))
            clusters = in_top

        others = [int(r) for r in ev.ids("other")]
        if others and not clusters:
            other_cues = {
                k: v for k, v in ev.cues.items() if k not in ("rank", "general", "list", "reverse")
            }
            if ev.ids("measure") or ev.ids("theme") or any(v >= 1 for v in other_cues.values()):
                return self._base(ev, "unknown", 0.2, others=tuple(others))
            return self._base(ev, "rank", 0.8, others=tuple(others))

        if ev.ambiguous and not set(clusters) - set(ev.ambiguous[0]):
            group = ev.ambiguous[0]
            if ev.ids("measure") and ev.cues.get("superlative", 0) >= 1:
                return self._base(ev, "superlative", 0.8, candidates=group)
            return self._clarify(ev, group)

        if len(clusters) >= 2:
            return self._base(ev, "compare", 0.9, clusters=tuple(clusters), sights=tuple(sights))
        if len(clusters) == 1:
            if tech and not ev.ids("cluster") and not sights and ev.unknown:
                return self._base(ev, "unknown", 0.25)  # "is DeepSeek better than ChatGPT"
            if sights:
                _, score = ev.best_cue(("rank", "stat", "compare", "superlative"))
                if score < 1 and not ev.ids("measure"):  # a sight named: tell about that sight
                    if ev.unknown and ev.cues.get("sights", 0) < 1:
                        return self._base(ev, "unknown", 0.25)  # "how fast is the Yurikamome"
                    intent = "sights"
                    if ev.cues.get("reverse", 0) > ev.cues.get("sights", 0):
                        intent = "reverse"  # "where can I take a Waymo"
                    return self._base(
                        ev, intent, 0.92, clusters=(clusters[0],), sights=tuple(sights)
                    )
            return self._about_one(ev, clusters[0], sights, rank, context)
        return self._about_none(ev, rank, context)

    def _holders(self, measures: list[str]) -> list[str]:
        by_measure = self.kb.stats_by_measure
        return _unique([c.id for m in measures for c, _ in by_measure.get(m, [])])

    def _other_year(self, ev: _Evidence) -> bool:
        """A year other than the index's own: the knowledge is about the GII 2025 only."""
        return any(
            t.isdigit() and len(t) == 4 and t[:2] in ("19", "20") and t != "2025" for t in ev.words
        )

    def _clarify(self, ev: _Evidence, candidates: tuple[str, ...]) -> Interpretation:
        intent, _ = ev.best_cue(_CLUSTER_INTENTS)
        return self._base(ev, "clarify", 0.5, candidates=candidates, pending=intent or "overview")

    def _economy_answer(self, ev: _Evidence, rank: RankRef | None) -> Interpretation:
        known = [e for e in ev.ids("economy") if self.kb.economy_by_id[e].gii_rank is not None]
        if ev.ids("economy") and not known and not ev.ids("general"):
            return self._base(ev, "unknown", 0.3)  # e.g. Japan: no rank in the sources
        if ev.unknown and not ev.ids("economy") and not ev.ids("general"):
            return self._base(ev, "unknown", 0.2)  # "what rank is India": not in the knowledge
        return self._base(ev, "general", 0.85, rank=rank)

    def _about_one(
        self,
        ev: _Evidence,
        cluster: str,
        sights: list[str],
        rank: RankRef | None,
        context: ChatContext | None,
        from_context: bool = False,
    ) -> Interpretation:
        confidence = 0.8 if from_context else 0.92
        common: dict[str, object] = {
            "clusters": (cluster,),
            "sights": tuple(sights),
            "rank": rank,
            "from_context": from_context,
        }
        cues = ev.cues
        rank_asked = rank is not None or cues.get("rank", 0) >= 1 or cues.get("list", 0) >= 1
        if rank_asked and not ev.ids("measure") and cues.get("sights", 0) <= cues.get("rank", 0):
            return self._base(ev, "rank", confidence, **common)
        if cues.get("compare", 0) >= 1 and context and context.clusters and not from_context:
            previous = context.clusters[0]
            if previous != cluster:
                common["clusters"] = (previous, cluster)
                return self._base(ev, "compare", 0.8, **common)
        intent, score = ev.best_cue(("sights", "stat", "overview", "reverse", "superlative"))
        if ev.ids("tech") and not ev.ids("measure") and intent != "sights":
            return self._base(ev, "overview", confidence, **common)  # "DeepSeek used much?"
        if ev.ids("measure"):
            if intent == "overview" and not cues.get("stat") and not cues.get("superlative"):
                return self._base(ev, "overview", confidence, **common)  # "like for startups"
            return self._base(ev, "stat", confidence, **common)
        if ev.ids("theme") and intent in (None, "reverse", "superlative", "overview"):
            if cues.get("reverse", 0) >= 1:
                return self._base(ev, "reverse", confidence, **common)
            return self._base(ev, "overview", confidence, **common)
        if intent == "superlative":
            intent = "overview"
        if intent == "reverse":
            intent = "sights"
        if intent == "stat" and ev.unknown:
            return self._base(ev, "unknown", 0.25)  # "how many robots…": a figure not held
        if intent is None and sights:
            return self._base(ev, "sights", confidence, **common)
        if intent is None:
            if ev.unknown and not from_context:
                # "tokyo nightlife": a topic the knowledge does not hold, about a known place
                return self._base(ev, "unknown", 0.25)
            if context and context.intent in _INHERITABLE and not from_context:
                measures = ev.ids("measure") or list(context.measures)
                return self._base(
                    ev,
                    context.intent,
                    0.75,
                    clusters=(cluster,),
                    sights=tuple(sights),
                    rank=rank,
                    from_context=True,
                    measures=tuple(measures),
                )
            intent = "overview"
        return self._base(ev, intent, confidence * (1.0 if score >= 1 else 0.9), **common)

    def _about_none(
        self, ev: _Evidence, rank: RankRef | None, context: ChatContext | None
    ) -> Interpretation:
        kb = self.kb
        cues = ev.cues
        points_back = bool(ev.ids("followup"))
        _, strongest = ev.best_cue(_CUE_INTENTS)
        clear = bool(ev.ids("measure")) or strongest >= 1
        # unknown words block the context ("sights in mumbai"), unless the question points
        # back at it and asks something clear ("what % of vc deals happen there")
        usable_context = (
            context is not None
            and bool(context.clusters)
            and (not ev.unknown or (points_back and clear))
        )
        if rank is not None and not rank.top:
            if rank.n in kb.cluster_by_rank:
                cluster = kb.cluster_by_rank[rank.n].id
                _, score = ev.best_cue(("sights", "stat", "overview", "compare"))
                if ev.ids("measure") or score >= 1:
                    # the number only said which cluster: "tell me more about number 3"
                    ev.cues.pop("rank", None)
                    return self._about_one(ev, cluster, [], None, context)
                return self._base(ev, "rank", 0.9, clusters=(cluster,), rank=rank)
            if rank.n in kb.other_by_rank:
                return self._base(ev, "rank", 0.8, others=(rank.n,), rank=rank)
            return self._base(ev, "unknown", 0.2, rank=rank)
        superlative = cues.get("superlative", 0)
        if ev.ids("measure") and usable_context and superlative >= 1:
            assert context is not None
            if len(context.clusters) > 1:  # "which one files more patents" after a comparison
                return self._base(ev, "superlative", 0.8, candidates=context.clusters)
        if ev.ids("measure") and usable_context and superlative < 1:
            assert context is not None
            if context.intent == "compare" and len(context.clusters) > 1:
                return self._base(ev, "compare", 0.8, clusters=context.clusters, from_context=True)
            return self._about_one(ev, context.clusters[0], [], None, context, from_context=True)
        reverse_wins = cues.get("reverse", 0) > superlative
        if ev.ids("measure") and not (ev.ids("theme") and reverse_wins):
            holders = self._holders(ev.ids("measure"))
            if len(holders) == 1 and superlative < 1:
                # a figure only one cluster has ("the record drone show"): that cluster's figure
                return self._about_one(ev, holders[0], [], None, context)
            return self._base(ev, "superlative", 0.88)
        if ev.ids("theme") and not (points_back and usable_context):
            return self._base(ev, "reverse", 0.88)
        # "is Paris in the top 5?": a top-N about something unknown is not the list
        if (
            rank is not None
            and rank.top
            and not (points_back and usable_context)
            and not ev.unknown
        ):
            count = min(rank.n, len(kb.clusters))
            return self._base(
                ev, "list", 0.9, clusters=tuple(c.id for c in kb.clusters[:count]), rank=rank
            )
        if ev.ids("general"):
            return self._base(ev, "general", 0.88)
        if ev.unknown and not cues.get("list") and not cues.get("sights"):
            return self._base(ev, "unknown", 0.15)  # names nothing known, with unknown words
        intent, score = ev.best_cue(_CUE_INTENTS)
        if usable_context and (score >= 0.7 or points_back or ev.ids("theme") or rank):
            assert context is not None
            pair = context.clusters if len(context.clusters) > 1 else context.recent[:2]
            if intent == "compare" and len(pair) > 1:
                return self._base(ev, "compare", 0.75, clusters=pair, from_context=True)
            if intent != "compare":
                return self._about_one(
                    ev, context.clusters[0], [], rank, context, from_context=True
                )
        if intent == "general" and score >= 1:
            return self._base(ev, "general", 0.8)
        if intent in ("list", "rank") and score >= 1 and not ev.unknown:
            return self._base(ev, "list", 0.85, clusters=tuple(c.id for c in kb.clusters))
        if intent in ("sights", "overview") and score >= 1 and not ev.unknown:
            return self._base(
                ev, "clarify", 0.4, candidates=tuple(c.id for c in kb.clusters), pending=intent
            )
        return self._base(ev, "unknown", 0.1)
