"""Issue 11, the Telegram runtime: what one bad update, a flood, a slow Telegram or a deleted
question does to everybody else. The real ``Application`` polls the fake Bot API over
loopback (``tests.telegram_support.running``); nothing of python-telegram-bot is mocked.

Each test here failed before its fix (see the commit that added it)."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from bot.engine import Engine
from bot.flood import DEFAULT_BURST, DEFAULT_INLINE_BURST
from bot.logs import MASK, SecretFilter
from bot.messages import t
from bot.telegram_app import TravelApp
from tests.fake_bot_api import FakeBotApi
from tests.telegram_support import check_rules, running, sent_to, settle

USER = 6401
OTHER = 6402
GROUP = -100_6400
INNOCENT = 6499
FLOODERS = range(6410, 6430)  # 20 users
FLOOD_MESSAGES = 40
PTB_RETRY_AFTER_WARNING = pytest.mark.filterwarnings(
    "ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning"
)


@pytest.fixture(autouse=True)
def info_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Every record's message and traceback, as an operator would read them."""
    parts = []
    for record in caplog.records:
        parts.append(record.getMessage())
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


def delivered(fake: FakeBotApi, chat_id: int) -> list[str]:
    return [c.result["text"] for c in sent_to(fake, chat_id) if c.ok]


# ---- High 4: one update PTB cannot read ----------------------------------------------------


async def test_an_update_ptb_cannot_read_is_skipped_logged_once_by_id_and_others_answered(
    app: TravelApp, fake: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    """A poll in the shape older Bot API servers send (options without ``persistent_id``):
    PTB 22.8 raises on it. Before: polling stopped for every chat, and PTB logged the raw
    batch (user texts and names) at CRITICAL in a loop."""
    fake.add_user(USER, "Private Person")
    bad = fake.send_poll(
        USER, "Secret poll question?", ["Hidden option A", "B"], persistent_ids=False
    )
    fake.send_text(OTHER, "which city is number 2?")
    answer = await fake.wait_for("sendMessage", chat_id=OTHER)
    assert answer.ok and "Tokyo–Yokohama" in answer.result["text"]
    await settle(app, fake)
    assert fake.pending_updates == []  # confirmed: it is not fetched again and again
    named = [r for r in caplog.records if f"update {bad['update_id']} " in r.getMessage()]
    assert len(named) == 1, [r.getMessage() for r in named]
    assert named[0].levelno == logging.WARNING and named[0].exc_info is None
    text = logged(caplog)
    for content in ("Secret poll", "Hidden option", "Private Person", "Which city"):
        assert content not in text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    fake.send_text(USER, "rank of seoul")  # its sender is answered afterwards as anyone
    assert (await fake.wait_for("sendMessage", chat_id=USER)).ok


# ---- Medium 8: floods judged at arrival ----------------------------------------------------


async def test_many_flooders_never_delay_an_innocent_users_answer(engine: Engine) -> None:
    """20 users send 40 messages each at once; an innocent user asks three times while their
    backlog is being worked off. Before: the guard judged at dispatch, so a flooder's bucket
    refilled while its backlog waited (each got far more than a burst), and the innocent
    waited behind all of it."""
    loop = asyncio.get_running_loop()
    async with FakeBotApi() as fake, running(fake, engine) as app:
        for i in range(FLOOD_MESSAGES):
            for flooder in FLOODERS:
                fake.send_text(flooder, f"rank of seoul {i}")
        latencies = []
        for question in ("which city is number 2?", "what to see in seoul", "rank of tokyo"):
            await asyncio.sleep(0.4)
            asked = loop.time()
            fake.send_text(INNOCENT, question)
            answer = await fake.wait_for("sendMessage", chat_id=INNOCENT, timeout=30)
            latencies.append(loop.time() - asked)
            assert answer.ok and answer.result["text"] != t("slow_down")
        await settle(app, fake, within=60)
        check_rules(fake)
    assert max(latencies) < 1.0, latencies
    for flooder in FLOODERS:
        texts = delivered(fake, flooder)
        assert texts.count(t("slow_down")) == 1
        assert len(texts) <= DEFAULT_BURST + 2, (flooder, len(texts))  # the burst, one refill


# ---- High 3 (Telegram side): inline queries are limited per user ----------------------------


async def test_inline_queries_are_limited_per_user(app: TravelApp, fake: FakeBotApi) -> None:
    """Each inline query costs the engine real work. Before: no limit at all. Now one user
    typing 60 queries at once gets a burst's worth of cards, the rest an empty answer (every
    query is still answered, so no client spins), and another user's query is answered in
    full."""
    sender = {}
    for i in range(60):
        sender[fake.inline_query(f"tokyo sights {i}", user_id=USER)["inline_query"]["id"]] = USER
    sender[fake.inline_query("seoul", user_id=OTHER)["inline_query"]["id"]] = OTHER
    await settle(app, fake)
    answers = {c.params["inline_query_id"]: c for c in fake.calls_to("answerInlineQuery")}
    assert set(sender) <= set(answers)  # every query answered
    with_cards = [qid for qid in sender if answers[qid].params["results"]]
    flooder = [qid for qid in with_cards if sender[qid] == USER]
    assert len(flooder) <= DEFAULT_INLINE_BURST + 1, len(flooder)
    assert [qid for qid in with_cards if sender[qid] == OTHER]


# ---- Low: a group question deleted before the reply ----------------------------------------


async def test_a_group_question_deleted_before_the_reply_is_still_answered(
    app: TravelApp, fake: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    """Before: the quoted reply got 400 "message to be replied not found", an ERROR with a
    traceback, and "Sorry" in the group."""
    update = fake.send_text(
        GROUP, f"@{fake.bot_username} rank of seoul", user_id=USER, chat_type="group"
    )
    fake.delete_user_message(update["message"])
    reply = await fake.wait_for("sendMessage", chat_id=GROUP)
    assert reply.ok and reply.result["text"].startswith("Seoul is No.5")
    await settle(app, fake)
    assert delivered(fake, GROUP) == [reply.result["text"]]  # no apology
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


# ---- Low: a long retry_after ---------------------------------------------------------------


@PTB_RETRY_AFTER_WARNING
async def test_a_long_retry_after_does_not_stall_other_chats_or_the_stop(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """Telegram asks one send to wait 60 s. Before: AIORateLimiter held every chat's sends
    for those 60 s, and stopping waited for them too."""
    async with FakeBotApi() as fake:
        stopping = 0.0
        async with running(fake, engine) as app:
            fake.fail_next("sendMessage", 429, retry_after=60)
            fake.send_text(USER, "rank of seoul")
            refused = await fake.wait_for("sendMessage", chat_id=USER)
            assert refused.status == 429
            asked = time.monotonic()
            fake.send_text(OTHER, "which city is number 2?")
            other = await fake.wait_for("sendMessage", chat_id=OTHER, timeout=10)
            assert other.ok and time.monotonic() - asked < 2.0
            await settle(app, fake)
            stopping = time.monotonic()
        assert time.monotonic() - stopping < 5.0
    given_up = [r for r in caplog.records if "given up" in r.getMessage()]
    assert len(given_up) == 1 and given_up[0].exc_info is None


# ---- Low: getUpdates failures, one concise line --------------------------------------------


async def test_get_updates_failures_are_one_line_without_traceback(
    app: TravelApp, fake: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    """Before: every failed getUpdates was an ERROR with a full traceback."""
    fake.fail_next("getUpdates", 502, count=3)
    for _ in range(3):
        await fake.wait_for(lambda c: c.method == "getUpdates" and c.injected, timeout=10)
    fake.send_text(USER, "rank of seoul")
    assert (await fake.wait_for("sendMessage", chat_id=USER, timeout=10)).ok
    await settle(app, fake)
    trouble = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(trouble) == 1, [r.getMessage() for r in trouble]
    assert trouble[0].levelno == logging.WARNING and trouble[0].exc_info is None
    assert "getUpdates" in trouble[0].getMessage() and "Bad Gateway" in trouble[0].getMessage()
    assert "\n" not in trouble[0].getMessage()


# ---- Low: a token echoed in another case ---------------------------------------------------


def test_the_mask_catches_a_token_in_any_case() -> None:
    token = "123456789:AAFakeTokenForTravelbotTests_012345"
    record = logging.LogRecord(
        "telegram.ext", logging.ERROR, __file__, 1, "proxy said: %s / %s", None, None
    )
    record.args = (f"https://api/bot{token.lower()}/getMe", token.upper())
    SecretFilter([token]).filter(record)
    message = record.getMessage()
    assert token.lower() not in message and token.upper() not in message
    assert message.count(MASK) == 2
