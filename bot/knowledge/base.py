"""The validated knowledge, merged from all files, with the look-ups the answers need."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from bot.knowledge.schema import (
    Cluster,
    Economy,
    GeneralFact,
    Intent,
    Language,
    Lexicon,
    Measure,
    OtherCluster,
    Region,
    Sight,
    SmalltalkKind,
    Source,
    Stat,
    Theme,
    Unsupported,
)


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything travelbot knows. Immutable: a reload builds a new one and swaps it in."""

    sources: tuple[Source, ...]
    clusters: tuple[Cluster, ...]  # by rank
    other_clusters: tuple[OtherCluster, ...]  # by rank
    economies: tuple[Economy, ...]
    regions: tuple[Region, ...]
    themes: tuple[Theme, ...]
    measures: tuple[Measure, ...]
    general: tuple[GeneralFact, ...]
    intents: tuple[Intent, ...]
    smalltalk: tuple[SmalltalkKind, ...]
    unsupported: tuple[Unsupported, ...]
    language: Language
    lexicons: tuple[Lexicon, ...] = ()  # one per language, in file order
    files: tuple[str, ...] = field(default=())
    fingerprint: str = ""  # hash of the files' bytes; tells reloads apart

    @cached_property
    def source_by_id(self) -> dict[str, Source]:
        return {s.id: s for s in self.sources}

    @cached_property
    def cluster_by_id(self) -> dict[str, Cluster]:
        return {c.id: c for c in self.clusters}

    @cached_property
    def cluster_by_rank(self) -> dict[int, Cluster]:
        return {c.rank: c for c in self.clusters}

    @cached_property
    def other_by_rank(self) -> dict[int, OtherCluster]:
        return {c.rank: c for c in self.other_clusters}

    @cached_property
    def sight_by_id(self) -> dict[str, tuple[Cluster, Sight]]:
        return {s.id: (c, s) for c in self.clusters for s in c.sights}

    @cached_property
    def other_by_id(self) -> dict[str, OtherCluster]:
        return {c.id: c for c in self.other_clusters}

    @cached_property
    def region_by_id(self) -> dict[str, Region]:
        return {r.id: r for r in self.regions}

    @cached_property
    def economy_by_id(self) -> dict[str, Economy]:
        return {e.id: e for e in self.economies}

    @cached_property
    def theme_by_id(self) -> dict[str, Theme]:
        return {t.id: t for t in self.themes}

    @cached_property
    def measure_by_id(self) -> dict[str, Measure]:
        return {m.id: m for m in self.measures}

    @cached_property
    def general_by_id(self) -> dict[str, GeneralFact]:
        return {g.id: g for g in self.general}

    @cached_property
    def unsupported_by_id(self) -> dict[str, Unsupported]:
        return {u.id: u for u in self.unsupported}

    @cached_property
    def stats_by_measure(self) -> dict[str, list[tuple[Cluster, Stat]]]:
        """Every figure of a measure, leaders first: a position the sources give, then the
        value. Built once, so a superlative does not scan every cluster."""
        found: dict[str, list[tuple[Cluster, Stat]]] = {}
        for cluster in self.clusters:
            for stat in cluster.stats:
                found.setdefault(stat.measure, []).append((cluster, stat))
        for pairs in found.values():
            pairs.sort(key=lambda p: (p[1].position or 999, -(p[1].value or 0), p[0].rank))
        return found

    @cached_property
    def _clusters_by_economy(self) -> dict[str, list[Cluster]]:
        found: dict[str, list[Cluster]] = {}
        for cluster in self.clusters:
            for economy in cluster.economies:
                found.setdefault(economy, []).append(cluster)
        return found

    def clusters_in(self, economy_id: str) -> list[Cluster]:
        return list(self._clusters_by_economy.get(economy_id, ()))

    def ranked_economies(self) -> list[Economy]:
        return sorted((e for e in self.economies if e.gii_rank), key=lambda e: e.gii_rank or 0)
