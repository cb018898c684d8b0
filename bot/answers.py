"""Answers computed from the knowledge for an ``Interpretation``: never canned per question.

Each builder gathers facts from the data (ranks, figures, sights by theme...) and records the
sources it used, so every factual answer ends with where it came from.
"""

from __future__ import annotations

from urllib.parse import quote_plus

from bot import actions
from bot.answer import Action, Answer, Line, Pin, Span, bold, italic, text
from bot.index import alias_texts
from bot.knowledge import KnowledgeBase
from bot.knowledge.schema import Cluster, Sight, Stat
from bot.matching import Interpretation
from bot.messages import t
from bot.text import normalise, tokenise

MAP_SEARCH = "https://www.google.com/maps/search/?api=1&query="
_MAX_SIGHTS_LISTED = 8


def map_url(sight: Sight) -> str:
    if sight.location is not None:
        return f"{MAP_SEARCH}{sight.location.lat},{sight.location.lon}"
    return MAP_SEARCH + quote_plus(sight.map_query)


class _Builder:
    """Collects lines, sources and buttons for one answer."""

    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.sources: list[str] = []
        self.rows: list[tuple[Action, ...]] = []

    def add(self, *parts: str | Span) -> None:
        self.lines.append(text(*parts))

    def cite(self, *source_ids: str) -> None:
        for s in source_ids:
            if s not in self.sources:
                self.sources.append(s)

    def row(self, *buttons: Action) -> None:
        if buttons:
            self.rows.append(tuple(buttons))

    def done(
        self,
        intent: str,
        clusters: tuple[str, ...] | list[str],
        confidence: float,
        pin: Pin | None = None,
        map_link: str | None = None,
    ) -> Answer:
        return Answer(
            intent,
            tuple(clusters),
            confidence,
            tuple(self.lines),
            tuple(self.sources),
            tuple(self.rows),
            pin,
            map_link,
        )


class Answerer:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._sight_words: dict[str, tuple[set[str], set[str]]] = {}

    def answer(self, it: Interpretation) -> Answer:
        handler = getattr(self, f"_{it.intent}")
        result: Answer = handler(it)
        return result

    # -- buttons ----------------------------------------------------------------------------

    def cluster_buttons(self, b: _Builder, cluster: Cluster, skip: str = "") -> None:
        buttons = [
            Action(t("button_sights"), actions.encode("sights", cluster.id)),
            Action(t("button_figures"), actions.encode("figures", cluster.id)),
            Action(t("button_compare"), actions.encode("compare", cluster.id)),
        ]
        if skip != "about":
            buttons.insert(0, Action(t("button_about"), actions.encode("about", cluster.id)))
        b.row(*(x for x in buttons if not (x.data or "").startswith(f"v1|{skip}|")))

    def pick_buttons(self, b: _Builder, clusters: list[Cluster], verb: str = "about") -> None:
        row: list[Action] = []
        for c in clusters:
            row.append(Action(f"{c.rank}. {c.name}", actions.encode(verb, c.id)))
            if len(row) == 2:
                b.row(*row)
                row = []
        b.row(*row)

    # -- intents -----------------------------------------------------------------------------

    def _rank(self, it: Interpretation) -> Answer:
        b = _Builder()
        kb = self.kb
        if it.others:
            for rank in it.others:
                other = kb.other_by_rank[rank]
                b.add(t("rank_other", rank=other.rank, name=other.name))
                b.cite(other.source)
            return b.done("rank", (), it.confidence)
        cluster = kb.cluster_by_id[it.clusters[0]]
        if it.rank is not None and it.rank.top and it.rank.n < 1000:
            key = "rank_top_yes" if cluster.rank <= it.rank.n else "rank_top_no"
            b.add(t(key, name=cluster.name, n=it.rank.n, rank=cluster.rank))
        elif it.rank is not None and not it.from_context and it.rank.n == cluster.rank:
            b.add(t("rank_holder", rank=cluster.rank, name=cluster.name))
        else:
            b.add(t("rank_is", name=cluster.name, rank=cluster.rank))
        b.add(italic(cluster.headline))
        b.cite(cluster.rank_source)
        self.cluster_buttons(b, cluster)
        return b.done("rank", (cluster.id,), it.confidence)

    def _list(self, it: Interpretation) -> Answer:
        b = _Builder()
        shown = [self.kb.cluster_by_id[c] for c in it.clusters] or list(self.kb.clusters)
        b.add(t("list_title", n=len(shown)))
        for c in shown:
            b.add(f"{c.rank}. ", bold(c.name), f": {c.headline}")
            b.cite(c.rank_source)
        if len(shown) == len(self.kb.clusters) and self.kb.other_clusters:
            names = ", ".join(f"{o.rank}. {o.name}" for o in self.kb.other_clusters)
            b.add(italic(t("list_more", names=names)))
            b.cite(*(o.source for o in self.kb.other_clusters))
        self.pick_buttons(b, shown)
        return b.done("list", [c.id for c in shown], it.confidence)

    def _sights(self, it: Interpretation) -> Answer:
        cluster = self.kb.cluster_by_id[it.clusters[0]]
        named = [self.kb.sight_by_id[s][1] for s in it.sights if s in self.kb.sight_by_id]
        named = [s for s in named if s in cluster.sights]
        b = _Builder()
        if len(named) == 1:
            return self._one_sight(it, cluster, named[0])
        b.add(bold(t("sights_title", name=cluster.name)))
        for sight in cluster.sights[:_MAX_SIGHTS_LISTED]:
            b.add("• ", bold(sight.name), f": {sight.what}")
            b.cite(sight.source)
        mapped = [s for s in cluster.sights if s.location is not None][:4]
        b.row(*(Action(f"📍 {s.name}", actions.encode("map", s.id)) for s in mapped[:2]))
        b.row(*(Action(f"📍 {s.name}", actions.encode("map", s.id)) for s in mapped[2:4]))
        self.cluster_buttons(b, cluster, skip="sights")
        return b.done("sights", (cluster.id,), it.confidence)

    def _one_sight(self, it: Interpretation, cluster: Cluster, sight: Sight) -> Answer:
        b = _Builder()
        b.add(bold(t("sight_title", name=sight.name, cluster=cluster.name)))
        b.add(sight.what)
        b.add(italic(sight.why))
        b.cite(sight.source)
        pin = None
        if sight.location is not None:
            address = sight.location.address or sight.map_query
            pin = Pin(sight.id, sight.name, address, sight.location.lat, sight.location.lon)
            b.cite(sight.location.source)
        url = map_url(sight)
        b.row(Action(t("map"), url=url))
        self.cluster_buttons(b, cluster, skip="")
        return b.done("sights", (cluster.id,), it.confidence, pin, url)

    def sight_answer(self, sight_id: str) -> Answer:
        cluster, sight = self.kb.sight_by_id[sight_id]
        it = Interpretation("sights", 1.0, clusters=(cluster.id,), sights=(sight_id,))
        return self._one_sight(it, cluster, sight)

    def _overview(self, it: Interpretation) -> Answer:
        cluster = self.kb.cluster_by_id[it.clusters[0]]
        b = _Builder()
        b.add(
            bold(cluster.name), f": No.{cluster.rank} in the GII 2025. ", italic(cluster.headline)
        )
        b.cite(cluster.rank_source)
        b.add(cluster.summary.text)
        b.cite(cluster.summary.source)
        named = [int(x.partition("#")[2]) for x in it.tech if x.startswith(cluster.id + "#")]
        techs = [cluster.everyday_tech[i] for i in named] + [
            x for i, x in enumerate(cluster.everyday_tech) if i not in named
        ]
        if techs:
            b.add(bold(t("overview_tech")))
            for tech in techs[:4]:
                b.add("• ", tech.text)
                b.cite(tech.source)
        for quote in cluster.quotes[:1]:
            who = f"{quote.who}, {quote.role}" if quote.role else quote.who
            b.add(italic(f"“{quote.text}”"), f" ({who})")
            b.cite(quote.source)
        self.cluster_buttons(b, cluster, skip="about")
        return b.done("overview", (cluster.id,), it.confidence)

    def _stats_for(self, cluster: Cluster, measures: tuple[str, ...]) -> list[Stat]:
        chosen = [s for s in cluster.stats if s.measure in measures] if measures else []
        return chosen or ([] if measures else list(cluster.stats))

    def _stat_line(self, b: _Builder, stat: Stat, prefix: str = "• ") -> None:
        extra = f" (the article says: {stat.article_says})" if stat.article_says else ""
        b.add(prefix, stat.text, italic(extra) if extra else "")
        b.cite(stat.source)

    def _stat(self, it: Interpretation) -> Answer:
        cluster = self.kb.cluster_by_id[it.clusters[0]]
        b = _Builder()
        stats = self._stats_for(cluster, it.measures)
        if not stats:
            names = ", ".join(self.kb.measure_by_id[m].name for m in it.measures)
            b.add(t("no_figures", name=cluster.name) + f" ({names})")
            b.add(t("can_answer"))
            self.cluster_buttons(b, cluster)
            return b.done("unknown", (), 0.3)
        b.add(bold(t("figures_title", name=cluster.name)))
        if not it.measures:
            b.add(f"• No.{cluster.rank} of the GII 2025's top innovation clusters")
            b.cite(cluster.rank_source)
        for stat in stats:
            self._stat_line(b, stat)
        self.cluster_buttons(b, cluster, skip="figures")
        return b.done("stat", (cluster.id,), it.confidence)

    def figures(self, cluster_id: str) -> Answer:
        return self._stat(Interpretation("stat", 1.0, clusters=(cluster_id,)))

    def _leaders(self, measure: str, scope: tuple[str, ...]) -> list[tuple[Cluster, Stat]]:
        """Clusters by a measure: a global position from the sources first, then the value.
        Within a scope (e.g. the Asian clusters) only values compare: positions are global."""
        clusters = [self.kb.cluster_by_id[c] for c in scope] or list(self.kb.clusters)
        pairs = [(c, s) for c in clusters for s in c.stats if s.measure == measure]
        if scope:
            return sorted(pairs, key=lambda p: (-(p[1].value or 0), p[0].rank))
        return sorted(pairs, key=lambda p: (p[1].position or 999, -(p[1].value or 0), p[0].rank))

    def _superlative(self, it: Interpretation) -> Answer:
        b = _Builder()
        leaders: list[str] = []
        for measure in it.measures:
            ranked = self._leaders(measure, it.candidates)
            if not ranked:
                continue
            cluster, stat = ranked[0]
            leaders.append(cluster.id)
            b.add(bold(t("superlative", name=cluster.name)), " ", stat.text)
            b.cite(stat.source)
            if stat.article_says:
                b.add(italic(f"(the article says: {stat.article_says})"))
            rest = [
                f"{c.name} {s.text.split(' of ')[0].split(',')[0]}"
                for c, s in ranked[1:4]
                if s.value is not None
            ]
            if rest:
                b.add(t("superlative_others", rest="; ".join(rest)))
                b.cite(*(s.source for _, s in ranked[1:4] if s.value is not None))
        if not leaders:
            return self._unknown(it)
        first = self.kb.cluster_by_id[leaders[0]]
        self.cluster_buttons(b, first)
        return b.done("superlative", _dedupe(leaders), it.confidence)

    def _reverse(self, it: Interpretation) -> Answer:
        kb = self.kb
        themes = list(it.themes)
        for sight_id in it.sights:  # "where can I take a Waymo": what that sight is about
            themes += [x for x in kb.sight_by_id[sight_id][1].themes if x not in themes]
        names = " / ".join(kb.theme_by_id[x].name for x in themes)
        scope = [kb.cluster_by_id[c] for c in it.clusters] or list(kb.clusters)
        words = set(it.words)
        scored: list[tuple[int, int, Cluster, list[Sight], list[str]]] = []
        for cluster in scope:
            ranked = sorted(
                ((self._sight_score(s, themes, words), s) for s in cluster.sights),
                key=lambda p: -p[0],
            )
            sights = [s for score, s in ranked if score > 0 and set(s.themes) & set(themes)]
            tech = [x.text for x in cluster.everyday_tech if set(x.themes) & set(themes)]
            best = ranked[0][0] if sights else 0
            if sights or tech:
                scored.append((-best, cluster.rank, cluster, sights, tech))
        b = _Builder()
        if not scored:
            b.add(t("reverse_none", themes=names))
            b.add(t("can_answer"))
            return b.done("unknown", (), 0.3)
        scored.sort(key=lambda x: (x[0], x[1]))
        b.add(bold(t("reverse_title", themes=names)))
        for _, _, cluster, sights, tech in scored:
            for sight in sights:
                b.add("• ", bold(sight.name), f" ({cluster.name}): {sight.what}")
                b.cite(sight.source)
            if not sights:
                b.add("• ", bold(cluster.name), f": {tech[0]}")
                b.cite(*(x.source for x in cluster.everyday_tech if x.text == tech[0]))
        first_sights = [s for s in scored[0][3] if s.location is not None][:2]
        b.row(*(Action(f"📍 {s.name}", actions.encode("map", s.id)) for s in first_sights))
        self.pick_buttons(b, [x[2] for x in scored[:4]], verb="sights")
        confidence = it.confidence if scored[0][3] else it.confidence * 0.9
        return b.done("reverse", [x[2].id for x in scored], confidence)

    def _sight_score(self, sight: Sight, themes: list[str], words: set[str]) -> int:
        """Themes shared count double; words of the question found in the sight's own
        description break ties ("robotaxi" names Apollo's robotaxis, not Waymo's cars)."""
        if sight.id not in self._sight_words:
            described = " ".join([sight.what, *alias_texts(sight.aliases)])
            self._sight_words[sight.id] = (
                {_stem(w) for w in tokenise(normalise(sight.name))},
                {_stem(w) for w in tokenise(normalise(described))},
            )
        in_name, described_by = self._sight_words[sight.id]
        asked = {_stem(w) for w in words}
        # a word of the sight's own name weighs double: Apollo's name says "robotaxis"
        return (
            2 * len(set(sight.themes) & set(themes))
            + 2 * len(asked & in_name)
            + len(asked & (described_by - in_name))
        )

    def _compare(self, it: Interpretation) -> Answer:
        kb = self.kb
        a, c = (kb.cluster_by_id[x] for x in it.clusters[:2])
        b = _Builder()
        b.add(bold(t("compare_title", a=a.name, b=c.name)))
        for cluster in (a, c):
            b.add(bold(cluster.name), f": No.{cluster.rank}. ", italic(cluster.headline))
            b.cite(cluster.rank_source)
            stats = self._stats_for(cluster, it.measures) if it.measures else list(cluster.stats)
            for stat in stats[:4]:
                self._stat_line(b, stat, prefix="  • ")
            if it.measures and not stats:
                b.add("  • ", t("no_figures", name=cluster.name))
        b.row(
            Action(f"{a.name}: {t('button_sights')}", actions.encode("sights", a.id)),
            Action(f"{c.name}: {t('button_sights')}", actions.encode("sights", c.id)),
        )
        return b.done("compare", (a.id, c.id), it.confidence)

    def compare_choices(self, cluster_id: str) -> Answer:
        cluster = self.kb.cluster_by_id[cluster_id]
        b = _Builder()
        b.add(t("compare_pick", name=cluster.name))
        for other in self.kb.clusters:
            if other.id != cluster.id:
                b.row(
                    Action(
                        f"{other.rank}. {other.name}", actions.encode("cmp", cluster.id, other.id)
                    )
                )
        return b.done("compare", (cluster.id,), 1.0)

    def _general(self, it: Interpretation) -> Answer:
        kb = self.kb
        b = _Builder()
        if not it.general and (it.economies or it.rank is not None or it.economy_ranking):
            return self._economies(it)
        facts = [kb.general_by_id[g] for g in it.general] or list(kb.general[:4])
        names = [kb.economy_by_id[e].name for e in it.economies]
        if names:  # "how many clusters are in China": the facts that name China come first
            naming = [g for g in kb.general if any(n in g.text for n in names)]
            facts = naming + [g for g in facts if g not in naming]
        b.add(bold(t("general_title")))
        for fact in facts:
            b.add("• ", fact.text)
            b.cite(fact.source)
        if it.economies:
            extra = self._economies(it)
            b.lines.extend(extra.lines)
            b.cite(*extra.sources)
        return b.done("general", (), it.confidence)

    def _economies(self, it: Interpretation) -> Answer:
        kb = self.kb
        b = _Builder()
        ranked = kb.ranked_economies()

        def score(e_score: float | None) -> str:
            return f" (score {e_score})" if e_score is not None else ""

        if it.economies:
            for economy_id in it.economies:
                economy = kb.economy_by_id[economy_id]
                if economy.gii_rank is None:
                    b.add(t("economy_no_rank", name=economy.name))
                    continue
                b.add(
                    t(
                        "economy_rank",
                        name=economy.name,
                        rank=economy.gii_rank,
                        score=score(economy.score),
                    )
                )
                if economy.note:
                    b.add(italic(economy.note))
                if economy.source:
                    b.cite(economy.source)
        elif it.rank is not None and not it.rank.top:
            match = [e for e in ranked if e.gii_rank == it.rank.n]
            if not match:
                b.add(t("economy_no_rank", name=f"No.{it.rank.n}"))
            for economy in match:
                b.add(
                    t(
                        "economy_holder",
                        rank=economy.gii_rank,
                        name=economy.name,
                        score=score(economy.score),
                    )
                )
                if economy.source:
                    b.cite(economy.source)
        else:
            count = it.rank.n if it.rank is not None and it.rank.top else 10
            shown = [e for e in ranked if (e.gii_rank or 0) <= count]
            b.add(bold(t("economy_top", n=len(shown))))
            for economy in shown:
                b.add(f"{economy.gii_rank}. {economy.name}{score(economy.score)}")
                if economy.source:
                    b.cite(economy.source)
        return b.done("general", (), it.confidence)

    def _smalltalk(self, it: Interpretation) -> Answer:
        b = _Builder()
        kind = it.smalltalk or "greeting"
        b.add(t(kind))
        if kind in ("greeting", "help", "identity"):
            b.add(t("help"))
        self.pick_buttons(b, list(self.kb.clusters))
        return b.done("smalltalk", (), it.confidence)

    def _clarify(self, it: Interpretation) -> Answer:
        b = _Builder()
        candidates = [self.kb.cluster_by_id[c] for c in it.candidates]
        if len(candidates) <= 3:
            b.add(t("clarify"))
            for c in candidates:
                b.add("• ", bold(c.name))
        else:
            b.add(t("clarify_which"))
        self.pick_buttons(b, candidates[:5], verb="pick")
        return b.done("clarify", tuple(it.candidates), it.confidence)

    def _unknown(self, it: Interpretation) -> Answer:
        b = _Builder()
        kb = self.kb
        if it.unsupported:
            topics = ", ".join(kb.unsupported_by_id[u].name for u in it.unsupported)
            b.add(t("unknown_topic", topic=topics))
        elif it.others:
            other = kb.other_by_rank[it.others[0]]
            b.add(t("unknown_other", name=other.name, rank=other.rank))
            b.cite(other.source)
        elif it.rank is not None and not it.rank.top:
            last = max([c.rank for c in kb.clusters] + [o.rank for o in kb.other_clusters])
            b.add(t("unknown_rank", n=it.rank.n, last=last))
        else:
            b.add(t("unknown"))
        b.add(t("can_answer"))
        self.pick_buttons(b, list(kb.clusters))
        return b.done("unknown", (), min(it.confidence, 0.3))


def _stem(word: str) -> str:
    """A plural and its singular compare equal ("robotaxi" finds "robotaxis")."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _dedupe(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
