"""Answers computed from the knowledge for an ``AnswerRequest``: never canned per question.

Each builder gathers facts from the data (ranks, figures, sights by theme...) and records the
sources it used, so every factual answer ends with where it came from.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator
from itertools import combinations
from urllib.parse import quote_plus

from bot import actions
from bot.answer import Action, Answer, Line, Pin, Span, bold, italic, text
from bot.index import alias_texts
from bot.knowledge import KnowledgeBase
from bot.knowledge.schema import Cluster, Sight, Stat
from bot.messages import t
from bot.request import AnswerRequest
from bot.text import normalise, tokenise
from bot.understanding.tunables import MAX_CLUSTERS_SHOWN as _MAX_CLUSTERS_SHOWN
from bot.understanding.tunables import MAX_SIGHTS_LISTED as _MAX_SIGHTS_LISTED
from bot.understanding.units import Unit
from bot.understanding.units import stem as _stem

MAP_SEARCH = "https://www.google.com/maps/search/?api=1&query="
_MAX_FOCUS = 4  # facts shown first when a question asks about several of one cluster
_COMPARED_SIGHTS = 2  # sights per cluster when a comparison asks what to see
_RANK_WORDS = re.compile(r"No\.\d+ for|years before|moved up")


# (-best score, cluster rank, cluster, [(score, position, sight)], everyday tech texts)
_Ranked = tuple[int, int, Cluster, list[tuple[int, int, Sight]], list[str]]


def _by_rank(*lists: list[Cluster]) -> Iterator[Cluster]:
    last = None
    for cluster in heapq.merge(*lists, key=lambda c: c.rank):
        if cluster is not last:
            yield cluster
            last = cluster


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
    def __init__(self, kb: KnowledgeBase, units: dict[str, Unit] | None = None) -> None:
        self.kb = kb
        self.units = units or {}
        # Built once, so that a reverse question costs in proportion to what it matches, not
        # to the knowledge: each sight's words (of its name; of its description and aliases),
        # the sights each word stem appears in, and clusters in rank order by the themes (and
        # pairs of themes) of their sights and by those of their everyday tech; a reverse
        # question walks only the first few of those lists.
        self._stem_sights: dict[str, set[str]] = {}
        self._sight_clusters: dict[frozenset[str], list[Cluster]] = {}
        self._theme_tech: dict[str, list[Cluster]] = {}
        for cluster in kb.clusters:  # by rank
            for sight in cluster.sights:
                for size in (1, 2):
                    for combo in combinations(sorted(set(sight.themes)), size):
                        held = self._sight_clusters.setdefault(frozenset(combo), [])
                        if not held or held[-1] is not cluster:
                            held.append(cluster)
            for tech in cluster.everyday_tech:
                for theme in tech.themes:
                    held = self._theme_tech.setdefault(theme, [])
                    if not held or held[-1] is not cluster:
                        held.append(cluster)
        self._sight_words: dict[str, tuple[set[str], set[str]]] = {}
        for cluster in kb.clusters:
            for sight in cluster.sights:
                described = " ".join([sight.what, *alias_texts(sight.aliases)])
                in_name = {_stem(w) for w in tokenise(normalise(sight.name))}
                described_by = {_stem(w) for w in tokenise(normalise(described))}
                self._sight_words[sight.id] = (in_name, described_by)
                for stem in in_name | described_by:
                    self._stem_sights.setdefault(stem, set()).add(sight.id)

    def answer(self, it: AnswerRequest) -> Answer:
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

    def _rank(self, it: AnswerRequest) -> Answer:
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
            holder = kb.cluster_by_rank.get(it.rank.n) if it.rank and not it.rank.top else None
            if holder is not None and holder is not cluster:  # "isn't Silicon Valley No.1?"
                b.add(t("rank_holder", rank=holder.rank, name=holder.name))
                b.cite(holder.rank_source)
        b.add(italic(cluster.headline))
        b.cite(cluster.rank_source)
        for note in cluster.notes:  # what the sources say of its rank before ("No.2 for…")
            if _RANK_WORDS.search(note.text) and cluster.name in note.text:
                b.add(note.text)
                b.cite(note.source)
        self.cluster_buttons(b, cluster)
        return b.done("rank", (cluster.id,), it.confidence)

    def _where(self, it: AnswerRequest) -> str:
        kb = self.kb
        names = [kb.region_by_id[r].name for r in it.regions]
        names += [kb.economy_by_id[e].name for e in it.economies if not it.regions]
        return " / ".join(names)

    def _filtered(self, it: AnswerRequest) -> Answer:
        """ "Which top clusters are in Asia?": the top five in those economies, and those
        ranked 6–10 there too (press-reported)."""
        b = _Builder()
        kb = self.kb
        where = self._where(it)
        shown = [kb.cluster_by_id[c] for c in it.clusters]
        if shown:
            b.add(t("list_in", n=len(shown), where=where))
        else:
            b.add(t("list_in_none", where=where))
        for c in shown:
            b.add(f"{c.rank}. ", bold(c.name), f": {c.headline}")
            b.cite(c.rank_source)
        others = [o for o in kb.other_clusters if set(o.economies) & set(it.economies)]
        if others:
            names = ", ".join(f"{o.rank}. {o.name}" for o in others)
            b.add(italic(t("list_in_more", names=names)))
            b.cite(*(o.source for o in others))
        self.pick_buttons(b, shown)
        return b.done("list", [c.id for c in shown], it.confidence)

    def _list(self, it: AnswerRequest) -> Answer:
        if it.economies and it.rule.startswith("clusters filtered"):
            return self._filtered(it)
        b = _Builder()
        shown = [self.kb.cluster_by_id[c] for c in it.clusters] or list(self.kb.clusters)
        everything = len(shown) == len(self.kb.clusters)
        shown = shown[:_MAX_CLUSTERS_SHOWN]
        b.add(t("list_title", n=len(shown)))
        for c in shown:
            b.add(f"{c.rank}. ", bold(c.name), f": {c.headline}")
            b.cite(c.rank_source)
        if everything and self.kb.other_clusters:
            names = ", ".join(f"{o.rank}. {o.name}" for o in self.kb.other_clusters)
            b.add(italic(t("list_more", names=names)))
            b.cite(*(o.source for o in self.kb.other_clusters))
        self.pick_buttons(b, shown)
        return b.done("list", [c.id for c in shown], it.confidence)

    def _sights(self, it: AnswerRequest) -> Answer:
        cluster = self.kb.cluster_by_id[it.clusters[0]]
        named = [self.kb.sight_by_id[s][1] for s in it.sights if s in self.kb.sight_by_id]
        named = [s for s in named if s in cluster.sights]
        b = _Builder()
        if len(named) == 1:
            return self._one_sight(it, cluster, named[0])
        b.add(bold(t("sights_title", name=cluster.name)))
        # several named ("makerspaces in Shenzhen"): those first, the others after
        shown = named + [s for s in cluster.sights if s not in named]
        for sight in shown[:_MAX_SIGHTS_LISTED]:
            b.add("• ", bold(sight.name), f": {sight.what}")
            b.cite(sight.source)
        mapped = [s for s in cluster.sights if s.location is not None][:4]
        b.row(*(Action(f"📍 {s.name}", actions.encode("map", s.id)) for s in mapped[:2]))
        b.row(*(Action(f"📍 {s.name}", actions.encode("map", s.id)) for s in mapped[2:4]))
        self.cluster_buttons(b, cluster, skip="sights")
        return b.done("sights", (cluster.id,), it.confidence)

    def _one_sight(self, it: AnswerRequest, cluster: Cluster, sight: Sight) -> Answer:
        b = _Builder()
        b.add(bold(t("sight_title", name=sight.name, cluster=cluster.name)))
        b.add(sight.what)
        b.add(italic(sight.why))
        b.cite(sight.source)
        pin = None
        if sight.location is not None:
            where = sight.location
            address = where.address or sight.map_query
            pin = Pin(sight.id, sight.name, address, where.lat, where.lon)
            b.add(f"📍 {address} ({where.lat:.4f}, {where.lon:.4f})")
            if where.note:
                b.add(italic(where.note))
            b.cite(where.source)
        url = map_url(sight)
        b.row(Action(t("map"), url=url))
        self.cluster_buttons(b, cluster, skip="")
        return b.done("sights", (cluster.id,), it.confidence, pin, url)

    def sight_answer(self, sight_id: str) -> Answer:
        cluster, sight = self.kb.sight_by_id[sight_id]
        it = AnswerRequest("sights", 1.0, clusters=(cluster.id,), sights=(sight_id,))
        return self._one_sight(it, cluster, sight)

    def _focus(self, it: AnswerRequest, cluster: Cluster) -> Answer | None:
        """The one fact asked about, first: a quote with who said it, an everyday-tech item,
        a note; then the cluster in a line."""
        units = [self.units[u] for u in it.units if u in self.units]
        units = [u for u in units if u.cluster == cluster.id]
        if not units:
            return None
        b = _Builder()
        tech = [u for u in units if u.kind == "tech"]
        if len(tech) > 1:
            b.add(bold(t("overview_tech")))
        for unit in units[:_MAX_FOCUS]:
            if unit.kind == "quote":
                quote = cluster.quotes[int(unit.ref.partition("#")[2])]
                who = f"{quote.who}, {quote.role}" if quote.role else quote.who
                b.add(italic(f"“{quote.text}”"), " (", bold(who), ")")
            elif unit.kind == "tech" and len(tech) > 1:
                b.add("• ", unit.text)
            elif unit.kind == "tech":
                b.add(bold(t("overview_tech")), " ", unit.text)
            else:
                b.add(unit.text)
            b.cite(unit.source)
        b.add(
            bold(cluster.name), f": No.{cluster.rank} in the GII 2025. ", italic(cluster.headline)
        )
        b.cite(cluster.rank_source)
        self.cluster_buttons(b, cluster)
        return b.done("overview", (cluster.id,), it.confidence)

    def _overview(self, it: AnswerRequest) -> Answer:
        cluster = self.kb.cluster_by_id[it.clusters[0]]
        focused = self._focus(it, cluster)
        if focused is not None:
            return focused
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

    def _stat(self, it: AnswerRequest) -> Answer:
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
        return self._stat(AnswerRequest("stat", 1.0, clusters=(cluster_id,)))

    def _leaders(self, measure: str, scope: tuple[str, ...]) -> list[tuple[Cluster, Stat]]:
        """Clusters by a measure: a global position from the sources first, then the value.
        Within a scope (e.g. the Asian clusters) only values compare: positions are global."""
        pairs = self.kb.stats_by_measure.get(measure, [])
        if scope:
            inside = [(c, s) for c, s in pairs if c.id in scope]
            return sorted(inside, key=lambda p: (-(p[1].value or 0), p[0].rank))
        return list(pairs)

    def _superlative(self, it: AnswerRequest) -> Answer:
        b = _Builder()
        leaders: list[str] = []
        for measure in it.measures:
            ranked = self._leaders(measure, it.candidates)
            if not ranked:
                continue
            place = it.rank.n if it.rank is not None and not it.rank.top else 1
            if 1 < place <= len(ranked):  # "who's second in patents": that one first
                ranked = [ranked[place - 1], *ranked[: place - 1], *ranked[place:]]
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

    def _reverse(self, it: AnswerRequest) -> Answer:
        kb = self.kb
        themes = list(it.themes)
        for sight_id in it.sights:  # "where can I take a Waymo": what that sight is about
            themes += [x for x in kb.sight_by_id[sight_id][1].themes if x not in themes]
        names = " / ".join(kb.theme_by_id[x].name for x in themes)
        wanted = set(themes)
        asked = {_stem(w) for w in it.words}  # once per question, not once per sight
        # the place of the fact the question's words found comes first ("无人驾驶出租车":
        # Apollo's robotaxis before Waymo's cars)
        focus = {self.units[u].cluster for u in it.units if u in self.units}
        if it.clusters or len(wanted) > 2:  # a few clusters named, or rare: score directly
            candidates = [kb.cluster_by_id[c] for c in dict.fromkeys(it.clusters)] or list(
                _by_rank(
                    *(self._sight_clusters.get(frozenset([x]), []) for x in wanted),
                    *(self._theme_tech.get(x, []) for x in wanted),
                )
            )
            entries = [
                self._rescore(self._theme_entry(c, wanted), wanted, asked) for c in candidates
            ]
            chosen = [x for x in entries if x[3] or x[4]]
        else:
            # only the sights sharing a word with the question score above their themes
            boosted = set().union(*(self._stem_sights.get(a, ()) for a in asked))
            touched: dict[str, Cluster] = {}
            for sight_id in boosted:
                cluster, sight = kb.sight_by_id[sight_id]
                if wanted.intersection(sight.themes):
                    touched[cluster.id] = cluster
            chosen = [
                self._rescore(self._theme_entry(c, wanted), wanted, asked) for c in touched.values()
            ]
            for cluster in self._theme_order(wanted):
                if len(chosen) >= _MAX_CLUSTERS_SHOWN + len(touched):
                    break
                if cluster.id not in touched:
                    chosen.append(self._theme_entry(cluster, wanted))
        b = _Builder()
        if not chosen:
            b.add(t("reverse_none", themes=names))
            b.add(t("can_answer"))
            return b.done("unknown", (), 0.3)
        chosen = heapq.nsmallest(
            _MAX_CLUSTERS_SHOWN, chosen, key=lambda x: (x[2].id not in focus, x[0], x[1])
        )
        # Only the best matches: a "driverless train" is the Yurikamome, not every sight that
        # shares one theme with it; a sight one point short (a word less) still counts.
        best = -chosen[0][0]
        scored: list[tuple[int, int, Cluster, list[Sight], list[str]]] = []
        for score, rank, cluster, ranked, tech in chosen:
            kept = [sight for points, _, sight in ranked if points >= best - 1]
            if kept or (not ranked and tech):
                scored.append((score, rank, cluster, kept, tech))
        b.add(bold(t("reverse_title", themes=names)))
        found = [self.units[u] for u in it.units if u in self.units]
        for unit in found:  # the everyday tech the question's words named comes first
            if unit.kind == "tech" and unit.cluster in kb.cluster_by_id:
                b.add("• ", bold(kb.cluster_by_id[unit.cluster].name), f": {unit.text}")
                b.cite(unit.source)
        shown = {u.text for u in found}
        for _, _, cluster, sights, tech in scored:
            for sight in sights:
                b.add("• ", bold(sight.name), f" ({cluster.name}): {sight.what}")
                b.cite(sight.source)
            if not sights and tech[0] not in shown:
                b.add("• ", bold(cluster.name), f": {tech[0]}")
                b.cite(*(x.source for x in cluster.everyday_tech if x.text == tech[0]))
        first_sights = [s for s in scored[0][3] if s.location is not None][:2]
        b.row(*(Action(f"📍 {s.name}", actions.encode("map", s.id)) for s in first_sights))
        self.pick_buttons(b, [x[2] for x in scored[:4]], verb="sights")
        confidence = it.confidence if scored[0][3] else it.confidence * 0.9
        return b.done("reverse", [x[2].id for x in scored], confidence)

    def _theme_entry(self, cluster: Cluster, wanted: set[str]) -> _Ranked:
        ranked = sorted(
            (
                (2 * len(wanted.intersection(sight.themes)), position, sight)
                for position, sight in enumerate(cluster.sights)
                if wanted.intersection(sight.themes)
            ),
            key=lambda x: (-x[0], x[1]),
        )
        tech = [x.text for x in cluster.everyday_tech if wanted.intersection(x.themes)]
        return (-(ranked[0][0] if ranked else 0), cluster.rank, cluster, ranked, tech)

    def _theme_order(self, wanted: set[str]) -> Iterator[Cluster]:
        """Clusters by their best sight's theme score, then by rank, lazily (one or two themes)."""
        seen: set[str] = set()
        levels: list[Iterator[Cluster]] = []
        if len(wanted) == 2:
            levels.append(iter(self._sight_clusters.get(frozenset(wanted), [])))
        levels.append(_by_rank(*(self._sight_clusters.get(frozenset([x]), []) for x in wanted)))
        levels.append(_by_rank(*(self._theme_tech.get(x, []) for x in wanted)))
        for level in levels:
            for cluster in level:
                if cluster.id not in seen:
                    seen.add(cluster.id)
                    yield cluster

    def _rescore(self, entry: _Ranked, wanted: set[str], asked: set[str]) -> _Ranked:
        _, rank, cluster, ranked, tech = entry
        again = sorted(
            ((self._quick_score(s, wanted, asked), p, s) for _, p, s in ranked),
            key=lambda x: (-x[0], x[1]),
        )
        return (-(again[0][0] if again else 0), rank, cluster, again, tech)

    def _quick_score(self, sight: Sight, wanted: set[str], asked: set[str]) -> int:
        """Themes shared count double; words of the question found in the sight's own text
        break ties, a word of its name double ("robotaxi" names Apollo's robotaxis, not
        Waymo's cars)."""
        in_name, described_by = self._sight_words[sight.id]
        return (
            2 * len(wanted.intersection(sight.themes))
            + 2 * len(asked & in_name)
            + len(asked & (described_by - in_name))
        )

    def _compare(self, it: AnswerRequest) -> Answer:
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
            if it.asks.get("sights", 0) >= 1:  # "SF or Tokyo, what's there to do in each?"
                for sight in cluster.sights[:_COMPARED_SIGHTS]:
                    b.add("  • ", bold(sight.name), f": {sight.what}")
                    b.cite(sight.source)
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

    def _general(self, it: AnswerRequest) -> Answer:
        kb = self.kb
        b = _Builder()
        if not it.general and (it.economies or it.rank is not None or it.economy_ranking):
            return self._economies(it)
        facts = [kb.general_by_id[g] for g in it.general] or list(kb.general[:4])
        names = [kb.economy_by_id[e].name for e in it.economies]
        if names:  # "how many clusters are in China": the facts that name China come first
            pool = facts + [g for g in kb.general if g not in facts]
            naming = [g for g in pool if any(n in g.text for n in names)]
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

    def _economies(self, it: AnswerRequest) -> Answer:
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

    def _smalltalk(self, it: AnswerRequest) -> Answer:
        b = _Builder()
        kind = it.smalltalk or "greeting"
        b.add(t(kind))
        if kind in ("greeting", "help", "identity"):
            b.add(t("help"))
        self.pick_buttons(b, list(self.kb.clusters[:_MAX_CLUSTERS_SHOWN]))
        return b.done("smalltalk", (), it.confidence)

    def _clarify(self, it: AnswerRequest) -> Answer:
        b = _Builder()
        candidates = [self.kb.cluster_by_id[c] for c in it.candidates]
        if len(candidates) <= 4:
            b.add(t("clarify"))
            for c in candidates:
                b.add("• ", bold(c.name))
        else:
            b.add(t("clarify_which"))
        self.pick_buttons(b, candidates[:5], verb="pick")
        return b.done("clarify", tuple(it.candidates), it.confidence)

    def _unknown(self, it: AnswerRequest) -> Answer:
        b = _Builder()
        kb = self.kb
        if it.places and not it.unsupported:
            b.add(t("unknown_world_place", place=", ".join(p.title() for p in it.places[:3])))
        elif it.unsupported:
            names = [kb.unsupported_by_id[u].name for u in it.unsupported]
            # the names are headings ("Prices and costs"); mid-sentence they read lower-case
            topics = ", ".join(n[:1].lower() + n[1:] for n in names)
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
        self.pick_buttons(b, list(kb.clusters[:_MAX_CLUSTERS_SHOWN]))
        return b.done("unknown", (), min(it.confidence, 0.3))


def _dedupe(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
