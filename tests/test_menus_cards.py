"""Commands, deep links, shared locations and inline cards, through the core alone (the
Telegram end-to-end tests then only need to check the wiring)."""

from __future__ import annotations

import logging
import re

import pytest

from bot import render
from bot.cards import MAX_CARDS, cards
from bot.engine import Engine
from bot.knowledge import KnowledgeBase
from bot.logs import MASK, JsonFormatter, SecretFilter
from bot.menus import deep_link, distance
from bot.messages import t

SECRET = "123456789:AAFakeTokenForTravelbotTests_012345"


def test_every_cluster_and_sight_has_a_valid_deep_link(engine: Engine, kb: KnowledgeBase) -> None:
    payloads = [f"cluster-{c.id}" for c in kb.clusters] + [f"sight-{s}" for s in kb.sight_by_id]
    payloads += [f"sights-{c.id}" for c in kb.clusters]
    for payload in payloads:
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", payload), payload  # Telegram's rule
        assert deep_link(engine, payload) is not None, payload


@pytest.mark.parametrize("payload", ["", "cluster-", "cluster-atlantis", "sight-seoul", "x"])
def test_a_deep_link_naming_nothing_opens_nothing(engine: Engine, payload: str) -> None:
    assert deep_link(engine, payload) is None


def test_start_with_a_bad_payload_is_the_welcome(engine: Engine) -> None:
    assert engine.command("start", "cluster-atlantis").plain == t("welcome")


def test_an_unknown_command_name_is_the_help(engine: Engine) -> None:
    assert engine.command("frobnicate").plain == engine.command("help").plain


def test_sights_of_a_country_with_two_clusters_asks_which(engine: Engine) -> None:
    answer = engine.command("sights", "china", "c")
    assert answer.intent == "clarify"
    assert {a.data for row in answer.actions for a in row} == {
        "v1|sights|beijing",
        "v1|sights|~d0563192b6",
    }


def test_sights_without_a_place_uses_the_chat_context(engine: Engine) -> None:
    assert engine.command("sights", "", "fresh").intent == "clarify"
    engine.ask("rank of seoul", "talked")
    assert "Cheonggyecheon" in engine.command("sights", "", "talked").plain


def test_a_shared_location_is_remembered_as_an_answer(engine: Engine) -> None:
    answer = engine.nearby(35.6812, 139.7671, "walker")
    assert answer.plain.startswith(t("nearby_title"))
    assert engine.contexts.get("walker") is not None


@pytest.mark.parametrize(
    ("km", "shown"),
    [(0.004, "10 m"), (0.85, "850 m"), (4.44, "4.4 km"), (12.6, "13 km"), (1159.3, "1,159 km")],
)
def test_distances_read_naturally(km: float, shown: str) -> None:
    assert distance(km) == shown


@pytest.mark.parametrize("query", ["", "tokyo", "teamlab", "china", "robots", "tokyo vs seoul"])
def test_cards_keep_telegrams_inline_rules(engine: Engine, kb: KnowledgeBase, query: str) -> None:
    found = cards(engine, query)
    assert 1 <= len(found) <= MAX_CARDS
    ids = [c.id for c in found]
    assert len(ids) == len(set(ids))
    assert all(1 <= len(i.encode()) <= 64 for i in ids)
    assert all(c.title.strip() for c in found)
    assert all(len(render.to_html(c.answer, kb)) <= 4096 + 1000 for c in found)


def test_cards_are_capped_and_empty_when_nothing_is_named(engine: Engine) -> None:
    assert len(cards(engine, "", limit=3)) == 3
    assert cards(engine, "nightlife in atlantis") == []


def test_the_secret_filter_masks_messages_and_tracebacks() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "url %s", (SECRET,), None)
    try:
        raise RuntimeError(f"failed at https://api.telegram.org/bot{SECRET}/getMe")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    assert SecretFilter([SECRET, None]).filter(record)
    formatted = logging.Formatter().format(record)
    assert SECRET not in formatted and MASK in formatted
    assert "RuntimeError" in formatted


def test_json_logs_are_one_object_per_line() -> None:
    import json

    record = logging.LogRecord("bot", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "hello world" and entry["level"] == "INFO"
