"""The project's own question set keeps the size and mix issue 3 asks of it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bot.evaluation import load_cases

EVAL = Path(__file__).parent / "eval" / "questions.yaml"


def test_question_set_size_and_mix() -> None:
    cases = load_cases(EVAL)
    turns = [turn for case in cases for turn in case.turns]
    tags = Counter(tag for turn in turns for tag in turn.tags)
    followups = sum(len(case.turns) - 1 for case in cases)
    intents = Counter(turn.intent for turn in turns)
    assert len(turns) >= 250
    assert tags["typo"] >= 40
    assert tags["script"] >= 25
    assert followups >= 30
    assert tags["oos"] >= 40 and intents["unknown"] >= 40
    assert tags["smalltalk"] >= 10
    assert set(intents) == {
        "rank", "sights", "overview", "stat", "superlative", "reverse", "compare", "general",
        "list", "smalltalk", "clarify", "unknown",
    }  # fmt: skip
