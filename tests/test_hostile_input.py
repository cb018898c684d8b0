"""Hostile and odd input: the engine never raises, and everything it would send is valid for
Telegram (HTML the Bot API parses, at most 4,096 characters, callback data of 1-64 bytes)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import render
from bot.engine import Engine
from bot.knowledge import KnowledgeBase
from tests.fake_bot_api import parse_html, utf16_len

CORPUS = [
    "",
    " ",
    "\n\t\r",
    "x" * 4096,
    "tokyo " * 700,
    "\x00\x01\x02\x1b[31mred\x7f",
    "\u202eoykot\u202c",  # right-to-left override
    "to\u200bkyo\u200d",  # zero-width characters
    "🇯🇵🇰🇷🇨🇳 🏳️‍🌈 👨‍👩‍👧 ❤️",
    "ＴＯＫＹＯ ｒａｎｋ",
    "𝐓𝐨𝐤𝐲𝐨 𝕤𝕖𝕠𝕦𝕝",
    "<b>tokyo</b> & <script>alert(1)</script> &amp; &lt;",
    "*bold* _it_ `code` [link](http://x) ~~s~~ ||spoiler||",
    "'; DROP TABLE questions; --",
    "{{7*7}} ${jndi:ldap://x} %s%s%n",
    "number 99999999999999999999999999",
    "top 1000000000000 clusters",
    "第99999名",
    "東京 vs 서울 vs Pékin vs SF",
    "سيول ما هو الترتيب",
    "/start cluster-" + "a" * 300,
    "\ud800",  # a lone surrogate, as a broken client might send
]


def check_reply(engine: Engine, text: str, chat: str = "h") -> None:
    answer = engine.ask(text, chat)
    html = render.to_html(answer, engine.kb)
    plain, _ = parse_html(html)  # raises on HTML Telegram would refuse
    assert 1 <= utf16_len(plain) <= 4096
    for row in render.buttons(answer):
        for button in row:
            assert button["text"]
            data = button.get("callback_data")
            if data is not None:
                assert 1 <= len(data.encode()) <= 64
                assert engine.tap(data, chat) is not None


@pytest.mark.parametrize("text", CORPUS)
def test_fixed_corpus(engine: Engine, text: str) -> None:
    check_reply(engine, text)


_CHATS = itertools.count()


@pytest.fixture(scope="module")
def shared(kb: KnowledgeBase) -> Engine:
    """One engine for all examples (building the index per example is slow); each example
    gets a chat of its own, so no context carries over between them."""
    return Engine(kb)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=300))
def test_any_text(shared: Engine, text: str) -> None:
    check_reply(shared, text, f"any-{next(_CHATS)}")


WORDS = st.sampled_from(
    ["tokyo", "seoul", "rank", "what", "see", "vs", "top", "3", "#2", "東京", "서울", "深圳",
     "patents", "where", "driverless", "<b>", "&", "🙂", "and", "there", "china", "capital",
     "price", "hi", "GII", "london", "number", "second", "Pékin", "robots"]
)  # fmt: skip


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.lists(WORDS, min_size=1, max_size=8).map(" ".join), min_size=1, max_size=4))
def test_conversations_of_known_words(shared: Engine, turns: list[str]) -> None:
    chat = f"conv-{next(_CHATS)}"
    for turn in turns:
        check_reply(shared, turn, chat)
