"""``travelbot eval``: run a question file through the engine and score every turn.

A case is a single question or a conversation (``chat``: turns share one chat's context; each
case gets a fresh chat). A turn passes when its intent matches, its expected clusters are
exactly the first clusters of the answer (none expected: none given), and every keyword
appears in the answer's text (HTML removed, case ignored).
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


@dataclass(frozen=True)
class Turn:
    question: str
    intent: str
    clusters: tuple[str, ...] | None
    keywords: tuple[str, ...]
    tags: tuple[str, ...]


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


@dataclass
class Result:
    total: int = 0
    passed: int = 0
    by_intent: Counter[str] = field(default_factory=Counter)
    passed_by_intent: Counter[str] = field(default_factory=Counter)
    by_tag: Counter[str] = field(default_factory=Counter)
    passed_by_tag: Counter[str] = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.passed / self.total if self.total else 0.0


def _turn(raw: dict[str, Any], tags: list[str]) -> Turn:
    clusters = raw.get("clusters")
    return Turn(
        question=str(raw["q"]),
        intent=str(raw["intent"]),
        clusters=None if clusters is None else tuple(clusters),
        keywords=tuple(str(k) for k in raw.get("keywords", [])),
        tags=tuple(dict.fromkeys([*tags, *raw.get("tags", [])])),
    )


def load_cases(path: Path) -> list[Case]:
    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    cases: list[Case] = []
    for item in items:
        if "chat" in item:
            tags = list(item.get("tags", []))
            turns = [_turn(t, tags) for t in item["chat"]]
        else:
            turns = [_turn(item, [])]
        cases.append(Case(tuple(turns)))
    return cases


def plain_text(html_text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


def check(turn: Turn, intent: str, clusters: tuple[str, ...], text: str) -> tuple[str, ...] | None:
    """None when the turn passes, else the keywords missing (empty if something else failed)."""
    folded = plain_text(text).casefold()
    missing = tuple(k for k in turn.keywords if k.casefold() not in folded)
    ok = intent == turn.intent and not missing
    if turn.clusters is not None:
        if turn.clusters:
            ok = ok and set(clusters[: len(turn.clusters)]) == set(turn.clusters)
        else:
            ok = ok and not clusters
    return None if ok else missing


def evaluate(kb: KnowledgeBase, cases: list[Case]) -> Result:
    result = Result()
    for number, case in enumerate(cases, 1):
        engine = Engine(kb)  # a fresh chat per case: no context leaks between cases
        for turn in case.turns:
            answer = engine.ask(turn.question, f"eval-{number}")
            rendered = render.to_html(answer, kb)
            missing = check(turn, answer.intent, answer.clusters, rendered)
            result.total += 1
            result.by_intent[turn.intent] += 1
            for tag in turn.tags:
                result.by_tag[tag] += 1
            if missing is None:
                result.passed += 1
                result.passed_by_intent[turn.intent] += 1
                for tag in turn.tags:
                    result.passed_by_tag[tag] += 1
            else:
                result.failures.append(
                    Failure(
                        number, turn, answer.intent, answer.clusters, missing, plain_text(rendered)
                    )
                )
    return result


def report(result: Result, verbose: bool = True) -> str:
    lines: list[str] = []
    if verbose:
        for f in result.failures:
            lines.append(
                f"FAIL case {f.case}: {f.turn.question!r}\n"
                f"  expected {f.turn.intent} {list(f.turn.clusters or [])}"
                f"{' keywords ' + str(list(f.turn.keywords)) if f.turn.keywords else ''}\n"
                f"  got      {f.got_intent} {list(f.got_clusters)}"
                f"{' missing ' + str(list(f.missing)) if f.missing else ''}\n"
                f"  text     {f.text[:160]!r}"
            )
        lines.append("")
    lines.append(f"{'intent':<12} {'passed':>7} {'total':>6} {'accuracy':>9}")
    for intent in sorted(result.by_intent):
        n, ok = result.by_intent[intent], result.passed_by_intent[intent]
        lines.append(f"{intent:<12} {ok:>7} {n:>6} {ok / n:>9.1%}")
    for tag in sorted(result.by_tag):
        n, ok = result.by_tag[tag], result.passed_by_tag[tag]
        lines.append(f"{'#' + tag:<12} {ok:>7} {n:>6} {ok / n:>9.1%}")
    lines.append(f"{'overall':<12} {result.passed:>7} {result.total:>6} {result.accuracy:>9.1%}")
    return "\n".join(lines)
