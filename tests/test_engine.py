"""The answer engine on questions shaped like travellers' (not the evaluation set's)."""

from __future__ import annotations

import html
import re

import pytest

from bot import render
from bot.engine import Engine
from bot.knowledge import KnowledgeBase


def plain(engine: Engine, question: str, chat: str = "t") -> tuple[str, tuple[str, ...], str]:
    answer = engine.ask(question, chat)
    text = html.unescape(re.sub(r"<[^>]+>", "", render.to_html(answer, engine.kb)))
    return answer.intent, answer.clusters, text


@pytest.mark.parametrize(
    ("question", "intent", "cluster"),
    [
        ("Which city is number 2?", "rank", "tokyo-yokohama"),
        ("what rank is SEOUL", "rank", "seoul"),
        ("東京は何位?", "rank", "tokyo-yokohama"),
        ("wat 2 see in seol", "sights", "seoul"),
        ("tell me about Pékin", "overview", "beijing"),
        ("ＴＯＫＹＯ vs seoul patents", "compare", "tokyo-yokohama"),
    ],
)
def test_understands_messy_questions(
    engine: Engine, question: str, intent: str, cluster: str
) -> None:
    got_intent, clusters, _ = plain(engine, question)
    assert got_intent == intent
    assert clusters[0] == cluster


def test_rank_answer_is_computed_from_the_data(engine: Engine, kb: KnowledgeBase) -> None:
    for cluster in kb.clusters:
        _, clusters, text = plain(engine, f"which cluster is number {cluster.rank}?")
        assert clusters == (cluster.id,)
        assert cluster.name in text
        assert "Source" in text


def test_top_n_both_ways(engine: Engine) -> None:
    _, _, yes = plain(engine, "is beijing top 5")
    _, _, no = plain(engine, "is beijing top 3")
    assert yes.startswith("Yes")
    assert no.startswith("No")


def test_follow_up_uses_the_chat_context_and_never_another_chat(engine: Engine) -> None:
    plain(engine, "tell me about tokyo", "a")
    intent, clusters, text = plain(engine, "what should I see there?", "a")
    assert (intent, clusters) == ("sights", ("tokyo-yokohama",))
    assert "teamLab" in text
    _, other_clusters, _ = plain(engine, "what should I see there?", "b")
    assert other_clusters != ("tokyo-yokohama",)


@pytest.mark.parametrize(
    "question",
    [
        "hotel prices in Seoul",
        "is Paris in the top five?",
        "what's the weather in tokyo",
        "asdfghjkl qwerty",
        "",
    ],
)
def test_out_of_scope_is_an_honest_unknown(engine: Engine, question: str) -> None:
    intent, clusters, text = plain(engine, question)
    assert intent == "unknown"
    assert clusters == ()
    assert "don't know" in text


def test_superlative_names_the_leader_with_its_figure(engine: Engine) -> None:
    intent, clusters, text = plain(engine, "which cluster leads in patents?")
    assert intent == "superlative"
    assert clusters[0] == "tokyo-yokohama"
    assert "10.3%" in text


def test_reverse_lookup_by_theme(engine: Engine) -> None:
    intent, clusters, text = plain(engine, "where can I ride a driverless train")
    assert intent == "reverse"
    assert clusters[0] == "tokyo-yokohama"
    assert "Yurikamome" in text


def test_buttons_fit_telegram_and_tap_back(engine: Engine) -> None:
    answer = engine.ask("tell me about shenzhen", "c")
    datas = [a.data for row in answer.actions for a in row if a.data]
    assert datas
    for data in datas:
        assert 1 <= len(data.encode()) <= 64
        assert engine.tap(data, "c") is not None
    assert engine.tap("v1|about|no-such-cluster", "c") is None
    assert engine.tap("garbage", "c") is None


def test_clarify_button_answers_what_was_asked(engine: Engine) -> None:
    answer = engine.ask("what to see in china", "k")
    assert answer.intent == "clarify"
    assert set(answer.clusters) == {"shenzhen-hong-kong-guangzhou", "beijing"}
    beijing = next(a for row in answer.actions for a in row if "Beijing" in a.label)
    assert beijing.data is not None
    picked = engine.tap(beijing.data, "k")
    assert picked is not None
    assert (picked.intent, picked.clusters) == ("sights", ("beijing",))
    assert "Apollo" in picked.plain
