"""Latency of the answer engine against knowledge size, beside brute-force fuzzy matching.

Run from the project's root:

    .venv/bin/python benchmarks/engine_latency.py [--quick] [--plot PATH] [--check]

It times ``Engine.ask`` and ``Understander.understand`` per question over a fixed list of questions
taken from ``tests/eval/questions.yaml`` (every turn of every conversation, plus every second
single question; a fresh chat per conversation, as ``travelbot eval`` does) on three knowledge
sizes:

1. the shipped knowledge;
2. the shipped knowledge grown to 1,000 clusters of 10 sights each;
3. the shipped knowledge grown to about 100,000 indexed phrases (entries of
   ``knowledge_entries`` below: the knowledge's and the languages' phrases).

The grown clusters, sights and economies get pseudo-random names and aliases (Latin syllables,
a misspelling, kanji, katakana and hangul) from a seeded generator, so every run builds the
same knowledge. Beside the engine, in the same run, each question is matched by brute force:
``rapidfuzz.process.extractOne`` with ``fuzz.WRatio`` over every phrase.

Every figure is the median over several repeats (shared machines are noisy). Before each
repeat the caches that remember questions (``normalise``'s and the index's typo corrections)
are emptied, so every repeat meets each question for the first time. The report ends with
the floors, MET or NOT MET; the exit code is 0 unless ``--check`` is given and a floor is
not met. It is a report, not a test: CI does not run it.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import importlib
import math
import platform
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process, utils

from bot.config import SHIPPED_KNOWLEDGE
from bot.dialogue import ChatContext, MemoryContextStore
from bot.engine import Engine
from bot.evaluation import load_cases
from bot.index import Entity, Index
from bot.understanding.vocabulary import entries as vocabulary_entries
from bot.knowledge import KnowledgeBase
from bot.knowledge.loader import load_knowledge
from bot.knowledge.schema import Alias, Cluster, Economy, Language, Sight, Sourced
from bot.text import normalise

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "tests" / "eval" / "questions.yaml"
DEFAULT_PLOT = ROOT / "benchmarks" / "latency.png"
SEED = 2025
GROWN_CLUSTERS = 1_000
SIGHTS_PER_CLUSTER = 10
TARGET_PHRASES = 100_000
BRUTE_SUBSET = 30  # questions matched by brute force at 100,000 phrases (about 0.1 s each)

# Floors (from the benchmark issue).
FLOOR_P99_SHIPPED_MS = 1.0
FLOOR_P99_LARGE_MS = 3.0
FLOOR_SPEEDUP_LARGE = 100.0
FLOOR_LOAD_MS = 300.0
FLOOR_HOSTILE_P99_MS = 5.0  # issue 11: long or pathological input, answered in ≤ 5 ms p99


def hostile_questions() -> list[str]:
    """What an attacker (or a cat on the keyboard) sends: one 600-letter word, a word just
    past the correction limit, 600 CJK characters, emoji, combining marks, a name repeated,
    digits, mixed scripts, near-miss typos of every length."""
    rng = random.Random(SEED)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = ["".join(rng.choice(letters) for _ in range(n)) for n in range(4, 24)]
    return [
        "a" * 600,
        "tokyoo" * 100,
        "x" * 21,
        "東" * 600,
        "😀" * 300,
        "a\u0301" * 300,
        "tokyo " * 100,
        "1" * 600,
        "Shenzhen深圳セン선전Шэньчжэнь" * 20,
        " ".join(words) * 5,
        " ".join("patnet" for _ in range(100)),
        "wat 2 see in tokio " * 30,
    ]


# -- questions --------------------------------------------------------------------------------


def load_conversations(path: Path = QUESTIONS) -> list[list[str]]:
    """The benchmark's fixed questions, as conversations (each gets a fresh chat).

    Every conversation of the evaluation set is kept whole (follow-ups need their context),
    and every second single question, which gives about 200 questions over all intents.
    """
    conversations: list[list[str]] = []
    singles = 0
    for case in load_cases(path):
        if len(case.turns) == 1:
            singles += 1
            if singles % 2 == 0:
                continue
        conversations.append([turn.question for turn in case.turns])
    return conversations


# -- synthetic knowledge ----------------------------------------------------------------------

_ONSETS = ("", "b", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z")
_ONSETS_2 = ("sh", "ch", "tr", "kr", "br", "st", "th", "gl")
_VOWELS = ("a", "e", "i", "o", "u", "a", "o", "ai", "ou", "ei")
_CODAS = ("", "", "", "", "n", "r", "l", "s", "m", "k")
_KANJI = "東西南北山川田中本木林森花海空雲風光明星月金銀石竹松橋港島湾城門市町村原野谷岡崎宮寺"
_KATAKANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモラリルレロン"
_HANGUL_FIRST, _HANGUL_COUNT = 0xAC00, 11_172
_SIGHT_KINDS = (
    "Museum",
    "Tower",
    "Lab",
    "Park",
    "Hall",
    "Bridge",
    "Garden",
    "Station",
    "Market",
    "Gallery",
    "Centre",
    "Hub",
    "Pier",
    "Arcade",
    "Dome",
)


class NameMaker:
    """Deterministic pseudo-random names: Latin words of syllables, and CJK-like words.

    Every name and alias it hands out is new: none repeats another, and no Latin word is a
    word of the shipped knowledge, so the shipped questions keep meaning what they meant.
    """

    def __init__(self, seed: int, reserved_words: frozenset[str]) -> None:
        self.rng = random.Random(seed)
        self.reserved_words = reserved_words
        self.used: set[str] = set()

    def _syllable(self) -> str:
        rng = self.rng
        onset = rng.choice(_ONSETS_2) if rng.random() < 0.15 else rng.choice(_ONSETS)
        return onset + rng.choice(_VOWELS) + rng.choice(_CODAS)

    def _fresh(self, make: Callable[[], str]) -> str:
        while True:
            text = make()
            key = normalise(text)
            if key in self.used or any(w in self.reserved_words for w in key.split()):
                continue
            self.used.add(key)
            return text

    def word(self) -> str:
        def make() -> str:
            while True:
                text = "".join(self._syllable() for _ in range(self.rng.randint(2, 3)))
                if len(text) >= 4 and not re.search(r"(.)\1\1", text):
                    return text.capitalize()

        return self._fresh(make)

    def misspelling(self, word: str) -> str:
        """``word`` with two neighbouring letters swapped or one letter doubled."""

        def make() -> str:
            i = self.rng.randrange(1, len(word) - 1)
            if self.rng.random() < 0.5:
                return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
            return word[: i + 1] + word[i] + word[i + 1 :]

        for _ in range(10):
            try:
                return self._fresh(make)
            except IndexError:
                continue
        return self.word()

    def cjk(self) -> str:
        """Kanji, katakana or hangul, the way the shipped aliases are written."""
        rng = self.rng

        def make() -> str:
            script = rng.randrange(3)
            if script == 0:
                return "".join(rng.choice(_KANJI) for _ in range(rng.randint(3, 4)))
            if script == 1:
                return "".join(rng.choice(_KATAKANA) for _ in range(rng.randint(4, 6)))
            return "".join(
                chr(_HANGUL_FIRST + rng.randrange(_HANGUL_COUNT)) for _ in range(rng.randint(2, 3))
            )

        return self._fresh(make)

    def pick(self, options: Sequence[str]) -> str:
        return self.rng.choice(options)


def _slug(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40].strip("-")
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    taken.add(slug)
    return slug


def _grown_clusters(
    kb: KnowledgeBase, names: NameMaker
) -> Iterator[tuple[Cluster, Economy | None]]:
    """New clusters after the shipped ones, each with its sights; a new economy every tenth."""
    source = kb.sources[0].id
    themes = [t.id for t in kb.themes]
    ids = {c.id for c in kb.clusters} | {e.id for e in kb.economies} | set(kb.sight_by_id)
    rank = max([c.rank for c in kb.clusters] + [o.rank for o in kb.other_clusters]) + 1
    economy: Economy | None = None
    for n in range(sys.maxsize):
        new_economy = None
        if n % 10 == 0:
            land = names.word()
            aliases: list[Alias] = [names.misspelling(land), names.cjk()]
            economy = Economy(id=_slug(land, ids), name=land, aliases=aliases)
            new_economy = economy
        assert economy is not None
        first, second = names.word(), names.word()
        name = f"{first}–{second}" if names.rng.random() < 0.6 else first
        cluster_aliases: list[Alias] = [names.misspelling(first), names.cjk(), names.cjk()]
        if name != first:
            cluster_aliases[:0] = [first, second]
        sights = []
        for _ in range(SIGHTS_PER_CLUSTER):
            word = names.word()
            sight_name = f"{word} {names.pick(_SIGHT_KINDS)}"
            sight_aliases: list[Alias] = [word, names.cjk()]
            if names.rng.random() < 0.5:
                sight_aliases.append(names.misspelling(word))
            sights.append(
                Sight(
                    id=_slug(sight_name, ids),
                    name=sight_name,
                    aliases=sight_aliases,
                    what=f"A generated sight of {name}.",
                    why="It makes the benchmark's knowledge bigger.",
                    themes=[names.pick(themes)],
                    map_query=f"{sight_name}, {name}",
                    source=source,
                )
            )
        cluster = Cluster(
            id=_slug(name, ids),
            name=name,
            rank=rank + n,
            rank_source=source,
            economies=[economy.id],
            aliases=cluster_aliases,
            headline=f"Generated cluster number {rank + n}.",
            summary=Sourced(text=f"{name} is generated for the benchmark.", source=source),
            sights=sights,
        )
        yield cluster, new_economy


def knowledge_entries(kb: KnowledgeBase) -> Iterator[tuple[str, Entity]]:
    """Every phrase the engine indexes: the knowledge's names and keywords and the languages'
    words (bot.understanding.vocabulary)."""
    for entry in vocabulary_entries(kb):
        yield entry.text, entry.entity


def _phrase_count(
    bare: KnowledgeBase, clusters: tuple[Cluster, ...] = (), economies: tuple[Economy, ...] = ()
) -> int:
    """How many entries ``knowledge_entries`` yields for just these clusters and economies."""
    only = dataclasses.replace(bare, clusters=clusters, economies=economies)
    return sum(1 for _ in knowledge_entries(only))


def grow(kb: KnowledgeBase, *, clusters: int = 0, phrases: int = 0) -> KnowledgeBase:
    """The shipped knowledge plus generated clusters, up to ``clusters`` clusters in all, or
    until it holds at least ``phrases`` phrases."""
    reserved = Index.build(knowledge_entries(kb)).vocabulary
    names = NameMaker(SEED, reserved)
    count = sum(1 for _ in knowledge_entries(kb))
    bare = dataclasses.replace(
        kb,
        clusters=(),
        other_clusters=(),
        economies=(),
        themes=(),
        measures=(),
        general=(),
        intents=(),
        smalltalk=(),
        unsupported=(),
        regions=(),
        lexicons=(),
        language=Language(),
    )
    new_clusters: list[Cluster] = []
    new_economies: list[Economy] = []
    for cluster, economy in _grown_clusters(kb, names):
        if len(kb.clusters) + len(new_clusters) >= clusters and count >= phrases:
            break
        if economy is not None:
            new_economies.append(economy)
            count += _phrase_count(bare, economies=(economy,))
        new_clusters.append(cluster)
        count += _phrase_count(bare, clusters=(cluster,))
    return dataclasses.replace(
        kb,
        clusters=(*kb.clusters, *new_clusters),
        economies=(*kb.economies, *new_economies),
        fingerprint=f"synthetic-{len(new_clusters)}",
    )


# -- measuring --------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of non-empty ``values``."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def median_of(values: Sequence[float]) -> float:
    return statistics.median(values)


def _clear_question_caches(engine: Engine) -> None:
    """Forget every question seen: the benchmark must not measure a cache of its own questions."""
    normalise.cache_clear()
    engine.understanding.vocabulary.index._corrections.clear()  # the index's memo of typo corrections


@dataclass
class Latency:
    """Per-repeat percentiles in milliseconds, and the per-question times of the repeats."""

    p50: list[float] = dataclasses.field(default_factory=list)
    p99: list[float] = dataclasses.field(default_factory=list)
    per_question: list[list[float]] = dataclasses.field(default_factory=list)

    def add(self, times_ms: list[float]) -> None:
        self.p50.append(percentile(times_ms, 50))
        self.p99.append(percentile(times_ms, 99))
        self.per_question.append(times_ms)

    @property
    def median_p50(self) -> float:
        return median_of(self.p50)

    @property
    def median_p99(self) -> float:
        return median_of(self.p99)

    def question_medians(self, which: Sequence[int]) -> list[float]:
        """Each chosen question's time, median over the repeats."""
        return [median_of([run[i] for run in self.per_question]) for i in which]


def time_engine(
    engine: Engine, conversations: list[list[str]], repeats: int
) -> tuple[Latency, Latency]:
    """Latencies of ``Engine.ask`` and of ``Understander.understand`` (given the same contexts)."""
    ask, interpret = Latency(), Latency()
    clock = time.perf_counter_ns
    for repeat in range(repeats):
        engine.contexts = MemoryContextStore()
        _clear_question_caches(engine)
        gc.collect()
        seen: list[tuple[str, ChatContext | None]] = []
        times: list[float] = []
        for number, turns in enumerate(conversations):
            chat = f"bench-{repeat}-{number}"
            for question in turns:
                seen.append((question, engine.contexts.get(chat)))
                start = clock()
                engine.ask(question, chat)
                times.append((clock() - start) / 1e6)
        ask.add(times)

        _clear_question_caches(engine)
        gc.collect()
        understanding = engine.understanding
        times = []
        for question, context in seen:
            start = clock()
            understanding.understand(question, context)
            times.append((clock() - start) / 1e6)
        interpret.add(times)
    return ask, interpret


def time_hostile(engine: Engine, repeats: int) -> Latency:
    """Each hostile question, in a fresh chat, with no memo of earlier corrections."""
    result = Latency()
    questions = hostile_questions()
    clock = time.perf_counter_ns
    for repeat in range(repeats):
        _clear_question_caches(engine)
        gc.collect()
        times: list[float] = []
        for number, question in enumerate(questions):
            start = clock()
            engine.ask(question, f"hostile-{repeat}-{number}")
            times.append((clock() - start) / 1e6)
        result.add(times)
    return result


def time_brute(phrases: list[str], questions: list[str], repeats: int) -> Latency:
    brute = Latency()
    clock = time.perf_counter_ns
    for _ in range(repeats):
        gc.collect()
        times: list[float] = []
        for question in questions:
            start = clock()
            process.extractOne(
                question, phrases, scorer=fuzz.WRatio, processor=utils.default_process
            )
            times.append((clock() - start) / 1e6)
        brute.add(times)
    return brute


def time_call(call: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``call()`` in milliseconds."""
    times: list[float] = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter_ns()
        call()
        times.append((time.perf_counter_ns() - start) / 1e6)
    return median_of(times)


def time_shipped_load(repeats: int) -> float:
    """``load_knowledge`` + ``Engine(kb)`` of the shipped knowledge, median, in ms."""

    def load() -> Engine:
        normalise.cache_clear()
        return Engine(load_knowledge([SHIPPED_KNOWLEDGE]))

    return time_call(load, repeats)


@dataclass
class SizeResult:
    label: str
    clusters: int
    sights: int
    phrases: int
    vocabulary: int
    index_build_ms: float
    engine_build_ms: float
    ask: Latency
    interpret: Latency
    brute: Latency
    brute_questions: int
    speedup_p50: float  # brute's median / the engine's median over the same questions
    speedup_total: float  # brute's total time / the engine's total over the same questions
    slowest: tuple[float, str]  # the slowest question for Engine.ask (median of repeats)
    worst_call: tuple[float, str]  # the slowest single Engine.ask call of any repeat


def measure_size(
    label: str,
    kb: KnowledgeBase,
    conversations: list[list[str]],
    *,
    repeats: int,
    build_repeats: int,
    brute_repeats: int,
    brute_subset: int | None,
) -> SizeResult:
    entries = list(knowledge_entries(kb))
    phrases = [text for text, _ in entries]
    index_ms = time_call(lambda: Index.build(entries), build_repeats)
    engine_ms = time_call(lambda: Engine(kb), build_repeats)
    engine = Engine(kb)
    engine.understanding.warm()  # as the bot does after start: steady state is measured
    print(
        f"  {label}: {len(kb.clusters):,} clusters, {len(kb.sight_by_id):,} sights, "
        f"{len(phrases):,} phrases; index built in {index_ms:,.0f} ms",
        flush=True,
    )
    ask, interpret = time_engine(engine, conversations, repeats)
    questions = [q for turns in conversations for q in turns]
    chosen = list(range(len(questions)))
    if brute_subset is not None and brute_subset < len(questions):
        step = len(questions) / brute_subset
        chosen = [int(i * step) for i in range(brute_subset)]
    brute = time_brute(phrases, [questions[i] for i in chosen], brute_repeats)
    engine_times = ask.question_medians(chosen)
    medians = ask.question_medians(range(len(questions)))
    slow = max(range(len(questions)), key=lambda i: medians[i])
    worst = max(
        ((t, questions[i]) for run in ask.per_question for i, t in enumerate(run)),
        key=lambda p: p[0],
    )
    brute_times = brute.question_medians(range(len(chosen)))
    return SizeResult(
        label=label,
        clusters=len(kb.clusters),
        sights=len(kb.sight_by_id),
        phrases=len(phrases),
        vocabulary=len(engine.understanding.vocabulary.index.vocabulary),
        index_build_ms=index_ms,
        engine_build_ms=engine_ms,
        ask=ask,
        interpret=interpret,
        brute=brute,
        brute_questions=len(chosen),
        speedup_p50=median_of(brute_times) / median_of(engine_times),
        speedup_total=sum(brute_times) / sum(engine_times),
        slowest=(medians[slow], questions[slow]),
        worst_call=worst,
    )


# -- report -----------------------------------------------------------------------------------


def table(results: list[SizeResult], questions: int, repeats: int) -> str:
    head = (
        "| knowledge | clusters | sights | phrases | index build | `ask` p50 | `ask` p99 "
        "| `interpret` p50 | `interpret` p99 | brute p50 | brute p99 | brute / engine |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in results:
        brute_note = "" if r.brute_questions == questions else f" ({r.brute_questions} q.)"
        lines.append(
            f"| {r.label} | {r.clusters:,} | {r.sights:,} | {r.phrases:,} "
            f"| {r.index_build_ms:,.0f} ms | {r.ask.median_p50:.3f} ms | {r.ask.median_p99:.3f} ms "
            f"| {r.interpret.median_p50:.3f} ms | {r.interpret.median_p99:.3f} ms "
            f"| {r.brute.median_p50:.2f} ms | {r.brute.median_p99:.2f} ms{brute_note} "
            f"| {r.speedup_p50:,.0f}× |"
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class Floor:
    what: str
    limit: str
    value: str
    met: bool


def floors(results: list[SizeResult], load_ms: float, hostile: Latency) -> list[Floor]:
    shipped, large = results[0], results[-1]
    return [
        Floor(
            "p99 of Engine.ask on hostile input, shipped knowledge",
            f"≤ {FLOOR_HOSTILE_P99_MS:g} ms",
            f"{hostile.median_p99:.3f} ms",
            hostile.median_p99 <= FLOOR_HOSTILE_P99_MS,
        ),
        Floor(
            "p99 of Engine.ask, shipped knowledge",
            f"≤ {FLOOR_P99_SHIPPED_MS:g} ms",
            f"{shipped.ask.median_p99:.3f} ms",
            shipped.ask.median_p99 <= FLOOR_P99_SHIPPED_MS,
        ),
        Floor(
            f"p99 of Engine.ask, {large.phrases:,} phrases",
            f"≤ {FLOOR_P99_LARGE_MS:g} ms",
            f"{large.ask.median_p99:.3f} ms",
            large.ask.median_p99 <= FLOOR_P99_LARGE_MS,
        ),
        Floor(
            f"brute force / Engine.ask (median time), {large.phrases:,} phrases",
            f"≥ {FLOOR_SPEEDUP_LARGE:g}×",
            f"{large.speedup_p50:,.0f}×",
            large.speedup_p50 >= FLOOR_SPEEDUP_LARGE,
        ),
        Floor(
            "load_knowledge + Engine(kb), shipped knowledge",
            f"≤ {FLOOR_LOAD_MS:g} ms",
            f"{load_ms:.0f} ms",
            load_ms <= FLOOR_LOAD_MS,
        ),
    ]


def plot(results: list[SizeResult], path: Path) -> None:
    """Latency against knowledge size, log-log; skipped when matplotlib is not installed."""
    try:
        # imported by name: matplotlib is optional (the `bench` extra), and the type
        # checker must pass without it
        matplotlib = importlib.import_module("matplotlib")
        matplotlib.use("Agg")
        plt = importlib.import_module("matplotlib.pyplot")
    except ImportError:
        print("plot skipped: matplotlib is not installed (.venv/bin/pip install -e '.[bench]')")
        return
    sizes = [r.phrases for r in results]
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    series = (
        ("Engine.ask p50", [r.ask.median_p50 for r in results], "C0", "-"),
        ("Engine.ask p99", [r.ask.median_p99 for r in results], "C0", "--"),
        ("Matcher.interpret p50", [r.interpret.median_p50 for r in results], "C2", "-"),
        ("Matcher.interpret p99", [r.interpret.median_p99 for r in results], "C2", "--"),
        ("brute force (extractOne, WRatio) p50", [r.brute.median_p50 for r in results], "C3", "-"),
        ("brute force p99", [r.brute.median_p99 for r in results], "C3", "--"),
    )
    for label, values, colour, style in series:
        ax.plot(sizes, values, marker="o", color=colour, linestyle=style, label=label)
    ax.axhline(FLOOR_P99_LARGE_MS, color="grey", linewidth=0.8, linestyle=":")
    ax.text(sizes[0], FLOOR_P99_LARGE_MS * 1.1, "3 ms floor (p99)", color="grey", fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("indexed phrases (knowledge_entries)")
    ax.set_ylabel("latency per question (ms, median of repeats)")
    ax.set_title("travelbot: latency per question against knowledge size")
    ax.grid(True, which="both", linewidth=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    print(f"plot written to {path}")


# -- main -------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a rough look)")
    parser.add_argument("--plot", type=Path, default=DEFAULT_PLOT, help="where the PNG goes")
    parser.add_argument("--check", action="store_true", help="exit 1 when a floor is not met")
    args = parser.parse_args(argv)

    repeats = 2 if args.quick else 7
    build_repeats = 1 if args.quick else 3
    brute_repeats = 1 if args.quick else 3
    load_repeats = 3 if args.quick else 5

    conversations = load_conversations()
    questions = sum(len(turns) for turns in conversations)
    print(
        f"travelbot engine latency: Python {platform.python_version()}, "
        f"{platform.machine()}, {questions} questions in {len(conversations)} conversations, "
        f"medians of {repeats} repeats{' (--quick)' if args.quick else ''}",
        flush=True,
    )
    load_ms = time_shipped_load(load_repeats)
    shipped = load_knowledge([SHIPPED_KNOWLEDGE])
    print("building the synthetic knowledge...", flush=True)
    sizes = [
        ("shipped", shipped, None),
        (f"{GROWN_CLUSTERS:,} clusters", grow(shipped, clusters=GROWN_CLUSTERS), None),
        ("~100k phrases", grow(shipped, phrases=TARGET_PHRASES), BRUTE_SUBSET),
    ]
    results: list[SizeResult] = []
    for label, kb, subset in sizes:
        results.append(
            measure_size(
                label,
                kb,
                conversations,
                repeats=repeats,
                build_repeats=build_repeats,
                brute_repeats=brute_repeats,
                brute_subset=subset,
            )
        )
    print(
        f"\nphrases counted as entries of bot.understanding.vocabulary.entries: "
        f"{', '.join(f'{r.label} {r.phrases:,}' for r in results)}"
    )
    print()
    print(table(results, questions, repeats))
    print()
    print(
        f"index build = Index.build(knowledge_entries(kb)), median of {build_repeats}; "
        "Engine(kb) (units, retrieval, vocabulary, reader, answerer): "
        + ", ".join(f"{r.label} {r.engine_build_ms:,.0f} ms" for r in results)
    )
    for r in results:
        print(
            f"slowest question, {r.label}: {r.slowest[0]:.3f} ms {r.slowest[1]!r}; "
            f"slowest single call of any repeat: {r.worst_call[0]:.3f} ms {r.worst_call[1]!r}"
        )
    large = results[-1]
    print(
        f"brute force at {large.phrases:,} phrases ran on {large.brute_questions} of the "
        f"{questions} questions (evenly spaced); its speed ratio compares the engine on those "
        f"same questions (median time; total time: {large.speedup_total:,.0f}×)"
    )
    print(
        f"load_knowledge + Engine(kb), shipped knowledge, median of {load_repeats}: "
        f"{load_ms:.0f} ms"
    )
    print()
    hostile_engine = Engine(shipped)
    hostile_engine.understanding.warm()
    hostile = time_hostile(hostile_engine, repeats)
    print(
        f"hostile input ({len(hostile_questions())} questions, each in a fresh chat), shipped "
        f"knowledge: p50 {hostile.median_p50:.3f} ms, p99 {hostile.median_p99:.3f} ms, "
        f"slowest single call {max(max(t) for t in hostile.per_question):.3f} ms"
    )
    checks = floors(results, load_ms, hostile)
    width = max(len(f.what) for f in checks)
    for f in checks:
        verdict = "MET" if f.met else "NOT MET"
        print(f"{f.what:<{width}}  {f.limit:>9}  {f.value:>10}  {verdict}")
    print()
    plot(results, args.plot)
    return 1 if args.check and not all(f.met for f in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
