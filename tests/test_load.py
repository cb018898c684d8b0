"""Load: a flooding user does not hold up anybody else, and memory stays flat.

The long variants run with ``TRAVELBOT_LONG_TESTS=1`` (20,000 messages instead of 2,000).
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import os
import random
import tracemalloc
from collections.abc import Iterable
from pathlib import Path

import pytest
import yaml

from bot import render
from bot.engine import Engine
from bot.flood import DEFAULT_BURST
from bot.knowledge import KnowledgeBase
from bot.messages import t
from tests.fake_bot_api import FakeBotApi
from tests.telegram_support import check_rules, running, sent_to, settle
from tests.test_hostile_input import CORPUS

LONG = os.environ.get("TRAVELBOT_LONG_TESTS", "") not in ("", "0")
FLOODER = 7001
OTHERS = range(7002, 7008)  # each asks within their own allowance
EVAL = Path(__file__).resolve().parent / "eval"


# ---- a flood -------------------------------------------------------------------------------


async def test_a_flooding_user_does_not_delay_another_users_answer(engine: Engine) -> None:
    """One user sends 100 messages within a second; meanwhile, and for a second after, other
    users ask a question every 0.1 s, and each of their answers must come within a second.
    The real Application with its default flood guard, against the fake Bot API. (Without
    the guard the flooder's 100 answers hold the others' behind AIORateLimiter's 30 messages
    a second: their answers then take seconds.)"""
    loop = asyncio.get_running_loop()
    async with FakeBotApi() as fake, running(fake, engine) as app:

        async def flood() -> None:
            for i in range(100):
                fake.send_text(FLOODER, f"rank of seoul {i}")
                await asyncio.sleep(0.01)

        flooding = asyncio.create_task(flood())
        until = loop.time() + 2.0  # the flood, then the time its answers would take to send
        latencies = []
        for other in itertools.cycle(OTHERS):
            if loop.time() > until:
                break
            asked = loop.time()
            fake.send_text(other, "which city is number 2?")
            answer = await fake.wait_for("sendMessage", chat_id=other)
            latencies.append(loop.time() - asked)
            assert answer.ok and "Tokyo–Yokohama" in answer.result["text"]
            await asyncio.sleep(0.1)
        await flooding
        await settle(app, fake)
        check_rules(fake)
        to_flooder = [c.result["text"] for c in sent_to(fake, FLOODER)]
    assert len(latencies) >= 5
    assert max(latencies) < 1.0, latencies
    # the flooder got a burst's worth of answers (and what refilled meanwhile), told once
    assert to_flooder.count(t("slow_down")) == 1
    assert len(to_flooder) <= DEFAULT_BURST + 3


# ---- memory --------------------------------------------------------------------------------


def _questions() -> list[str]:
    questions = []
    for name in ("questions.yaml", "holdout.yaml"):
        for item in yaml.safe_load((EVAL / name).read_text(encoding="utf-8")):
            turns = item.get("chat", [item])
            questions += [str(turn["q"]) for turn in turns]
    return questions


def _typo(rng: random.Random, text: str) -> str:
    """A dropped, swapped or stray letter, as travellers type on phones."""
    if len(text) < 4:
        return text
    i = rng.randrange(len(text) - 2)
    kind = rng.randrange(3)
    if kind == 0:
        return text[:i] + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz") + text[i:]


def _junk(rng: random.Random) -> str:
    """Random code points from ASCII to CJK: controls, RTL, symbols, half a surrogate..."""
    return "".join(chr(rng.randrange(0x1, 0xA000)) for _ in range(rng.randrange(1, 60)))


def traffic(distinct: int, chats: int, seed: int = 2025) -> list[tuple[str, str]]:
    """``distinct`` (question, chat) pairs: questions of both evaluation sets, the same with
    typos, the hostile corpus and random junk; from ``chats`` chats."""
    rng = random.Random(seed)
    questions = _questions()
    pool = []
    for _ in range(distinct):
        roll = rng.random()
        if roll < 0.55:
            text = rng.choice(questions)
        elif roll < 0.8:
            text = _typo(rng, rng.choice(questions))
        elif roll < 0.9:
            text = rng.choice(CORPUS)
        else:
            text = _junk(rng)
        pool.append((text, f"load-{rng.randrange(chats)}"))
    return pool


def _answer_all(engine: Engine, messages: Iterable[tuple[str, str]]) -> int:
    count = 0
    for text, chat in messages:
        answer = engine.ask(text, chat)
        render.to_html(answer, engine.kb)
        render.buttons(answer)
        count += 1
    return count


def _traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def test_memory_stays_flat(kb: KnowledgeBase) -> None:
    """Every message of a varied pool is asked once to warm up (the engine's bounded caches,
    its chats' context and the typo corrections, now hold every key the run will meet);
    then messages drawn from the pool run on, 2,000 of them (20,000 in the long variant).
    A bounded cache can only be replaced from then on, so any growth is a leak."""
    messages = 20_000 if LONG else 2_000
    pool = traffic(distinct=5_000 if LONG else 1_000, chats=2_000 if LONG else 500)
    rng = random.Random(7)
    engine = Engine(kb)
    tracemalloc.start()
    try:
        _answer_all(engine, pool)
        before = _traced()
        done = _answer_all(engine, (rng.choice(pool) for _ in range(messages)))
        after = _traced()
    finally:
        tracemalloc.stop()
    assert done == messages
    growth = after - before
    assert growth < 1_000_000, f"{growth / 1e6:.2f} MB more after {messages} messages"


@pytest.mark.skipif(not LONG, reason="long variant: TRAVELBOT_LONG_TESTS=1")
def test_memory_stays_bounded_on_all_new_messages(kb: KnowledgeBase) -> None:
    """20,000 messages nobody sent before, from 20,000 chats. Here the bounded caches do
    fill (chat contexts up to 50,000 chats, typo corrections up to 50,000 words, normalised
    questions up to 8,192): about 7 MB when this was written, 15 MB allowed."""
    engine = Engine(kb)
    pool = traffic(distinct=20_000, chats=20_000, seed=11)
    _answer_all(engine, pool[:1_000])
    tracemalloc.start()
    try:
        before = _traced()
        _answer_all(engine, pool[1_000:])
        after = _traced()
    finally:
        tracemalloc.stop()
    assert after - before < 15_000_000, f"{(after - before) / 1e6:.2f} MB more"
