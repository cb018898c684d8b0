"""``travelbot eval``: run a question file through the engine and score it.

A file is a list of cases, or a mapping ``{scoring: every-turn | last-turn, cases: [...]}``.
A case is a single question or a conversation (``chat``: turns share one chat's context; each
case gets a fresh chat). With ``every-turn`` (the default, as the first sets were written)
each turn is scored; with ``last-turn`` only a conversation's last turn is (earlier turns set
the context up). A turn passes when its intent is the expected one (or one of a list), its
expected clusters are exactly the first clusters of the answer (none expected: none given),
and every keyword appears in the answer's text (HTML removed, case ignored); a keyword may be
a list of alternatives, any one of which will do. Results are counted per intent, per tag and
per language (``lang`` on a case or turn; English when absent).
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot import render
from bot.engine import Engine
from bot.knowledge import KnowledgeBase

Keyword = tuple[str, ...]  # alternatives: any one must appear


@dataclass(frozen=True)
class Turn:
    question: str
    intents: tuple[str, ...]
    clusters: tuple[str, ...] | None
    keywords: tuple[Keyword, ...]
    tags: tuple[str, ...]
    lang: str = "en"
    scored: bool = True

    @property
    def intent(self) -> str:
        return self.intents[0]


@dataclass(frozen=True)
class Case:
    turns: tuple[Turn, ...]


@dataclass
class Failure:
    case: int
    turn: Turn
    got_intent: str
    got_clusters: tuple[str, ...]
    missing: tuple[str, ...]
    text: str
    rule: str = ""


@dataclass
class Result:
    total: int = 0
    passed: int = 0
    by_intent: Counter[str] = field(default_factory=Counter)
    passed_by_intent: Counter[str] = field(default_factory=Counter)
    by_tag: Counter[str] = field(default_factory=Counter)
    passed_by_tag: Counter[str] = field(default_factory=Counter)
    by_lang: Counter[str] = field(default_factory=Counter)
    passed_by_lang: Counter[str] = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.passed / self.total if self.total else 0.0

    def share(self, passed: Counter[str], total: Counter[str], key: str) -> float:
        return passed[key] / total[key] if total[key] else 0.0

    @property
    def non_english(self) -> float:
        total = sum(n for lang, n in self.by_lang.items() if lang != "en")
        passed = sum(n for lang, n in self.passed_by_lang.items() if lang != "en")
        return passed / total if total else 0.0


def _keywords(raw: Any) -> tuple[Keyword, ...]:
    out: list[Keyword] = []
    for item in raw or []:
        if isinstance(item, list):
            out.append(tuple(str(x) for x in item))
        else:
            out.append((str(item),))
    return tuple(out)


def _turn(raw: dict[str, Any], tags: list[str], lang: str, scored: bool) -> Turn:
    clusters = raw.get("clusters")
    intent = raw["intent"]
    intents = tuple(str(i) for i in intent) if isinstance(intent, list) else (str(intent),)
    return Turn(
        question=str(raw["q"]),
        intents=intents,
        clusters=None if clusters is None else tuple(clusters),
        keywords=_keywords(raw.get("keywords")),
        tags=tuple(dict.fromkeys([*tags, *raw.get("tags", [])])),
        lang=str(raw.get("lang", lang)),
        scored=scored,
    )


def load_cases(path: Path) -> list[Case]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    scoring = "every-turn"
    if isinstance(data, dict):
        scoring = str(data.get("scoring", scoring))
        data = data.get("cases", [])
    if scoring not in ("every-turn", "last-turn"):
        raise ValueError(f"{path}: scoring must be every-turn or last-turn, not {scoring!r}")
    cases: list[Case] = []
    for item in data:
        lang = str(item.get("lang", "en"))
        if "chat" in item:
            tags = list(item.get("tags", []))
            raw_turns = item["chat"]
            last = len(raw_turns) - 1
            turns = [
                _turn(t, tags, lang, scoring == "every-turn" or i == last)
                for i, t in enumerate(raw_turns)
            ]
        else:
            turns = [_turn(item, [], lang, True)]
        cases.append(Case(tuple(turns)))
    return cases


def plain_text(html_text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


def check(turn: Turn, intent: str, clusters: tuple[str, ...], text: str) -> tuple[str, ...] | None:
    """None when the turn passes, else the keywords missing (empty if something else failed)."""
    folded = plain_text(text).casefold()
    missing = tuple(
        " | ".join(k) for k in turn.keywords if not any(a.casefold() in folded for a in k)
    )
    ok = intent in turn.intents and not missing
    if turn.clusters is not None:
        if turn.clusters:
            ok = ok and set(clusters[: len(turn.clusters)]) == set(turn.clusters)
        else:
            ok = ok and not clusters
    return None if ok else missing


def evaluate(kb: KnowledgeBase, cases: list[Case], engine: Engine | None = None) -> Result:
    """Score every case; one engine, a fresh chat per case, so no context leaks between
    cases."""
    result = Result()
    engine = engine if engine is not None else Engine(kb)
    for number, case in enumerate(cases, 1):
        for turn in case.turns:
            answer, request = engine.ask_interpreted(turn.question, f"eval-{number}")
            if not turn.scored:
                continue
            rendered = render.to_html(answer, kb)
            missing = check(turn, answer.intent, answer.clusters, rendered)
            result.total += 1
            result.by_intent[turn.intent] += 1
            result.by_lang[turn.lang] += 1
            for tag in turn.tags:
                result.by_tag[tag] += 1
            if missing is None:
                result.passed += 1
                result.passed_by_intent[turn.intent] += 1
                result.passed_by_lang[turn.lang] += 1
                for tag in turn.tags:
                    result.passed_by_tag[tag] += 1
            else:
                result.failures.append(
                    Failure(
                        number,
                        turn,
                        answer.intent,
                        answer.clusters,
                        missing,
                        plain_text(rendered),
                        request.rule,
                    )
                )
    return result


def report(result: Result, verbose: bool = True) -> str:
    lines: list[str] = []
    if verbose:
        for f in result.failures:
            keywords = [" | ".join(k) for k in f.turn.keywords]
            lines.append(
                f"FAIL case {f.case}: {f.turn.question!r}\n"
                f"  expected {'|'.join(f.turn.intents)} {list(f.turn.clusters or [])}"
                f"{' keywords ' + str(keywords) if keywords else ''}\n"
                f"  got      {f.got_intent} {list(f.got_clusters)} by rule {f.rule!r}"
                f"{' missing ' + str(list(f.missing)) if f.missing else ''}\n"
                f"  text     {f.text[:160]!r}"
            )
        lines.append("")
    lines.append(f"{'':<12} {'passed':>7} {'total':>6} {'accuracy':>9}")
    for title, passed, total, prefix in (
        ("intent", result.passed_by_intent, result.by_intent, ""),
        ("tag", result.passed_by_tag, result.by_tag, "#"),
        ("language", result.passed_by_lang, result.by_lang, "@"),
    ):
        if not total:
            continue
        lines.append(f"-- per {title}")
        for key in sorted(total):
            n, ok = total[key], passed[key]
            lines.append(f"{prefix + key:<12} {ok:>7} {n:>6} {ok / n:>9.1%}")
    if any(lang != "en" for lang in result.by_lang):
        lines.append(f"{'non-English':<12} {'':>7} {'':>6} {result.non_english:>9.1%}")
    lines.append(f"{'overall':<12} {result.passed:>7} {result.total:>6} {result.accuracy:>9.1%}")
    return "\n".join(lines)
