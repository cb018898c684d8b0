"""travelbot on Telegram, end to end: the real PTB ``Application`` from ``build_application``
polls the fake Bot API over loopback, and the tests act as users and read what the bot sent.

Nothing of python-telegram-bot is mocked. After every test the fake must have recorded no
violation of Telegram's rules and no unanswered callback or inline query.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.engine import Engine
from bot.flood import FloodGuard
from bot.messages import t
from bot.telegram_app import TravelApp
from tests.fake_bot_api import FakeBotApi
from tests.telegram_support import USER, ask, check_rules, running, sent_to, settle

OTHER_USER = 5002
GROUP = -1001234567890  # a supergroup
JSON = dict[str, Any]


def callback_data(message: JSON) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row if "callback_data" in b]


def urls(message: JSON) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [b["url"] for row in rows for b in row if "url" in b]


# ---- start-up and commands -----------------------------------------------------------------


async def test_start_welcomes_with_the_top_five_and_the_menus_are_set(
    app: TravelApp, fake: FakeBotApi
) -> None:
    scopes = {
        c.params["scope"]["type"]: c.params["commands"] for c in fake.calls_to("setMyCommands")
    }
    assert set(scopes) == {"all_private_chats", "all_group_chats"}
    assert {"start", "help", "top", "sights", "cluster", "compare", "sources"} <= {
        c["command"] for c in scopes["all_private_chats"]
    }
    assert "start" not in {c["command"] for c in scopes["all_group_chats"]}

    welcome = await ask(fake, "/start")
    assert welcome.params["parse_mode"] == "HTML"
    assert welcome.params["link_preview_options"] == {"is_disabled": True}
    assert "travelbot" in welcome.result["text"]
    buttons = callback_data(welcome.result)
    assert len(buttons) == 5 and all(b.startswith("v1|about|") for b in buttons)
    assert "v1|about|tokyo-yokohama" in buttons


async def test_a_deep_link_opens_a_cluster(app: TravelApp, fake: FakeBotApi) -> None:
    opened = await ask(fake, "/start cluster-tokyo-yokohama")
    assert opened.result["text"].startswith("Tokyo–Yokohama: No.2")
    assert "v1|sights|tokyo-yokohama" in callback_data(opened.result)


async def test_a_deep_link_to_a_sight_sends_its_venue(app: TravelApp, fake: FakeBotApi) -> None:
    opened = await ask(fake, "/start sight-teamlab-planets")
    assert "teamLab Planets" in opened.result["text"]
    venue = await fake.wait_for("sendVenue", chat_id=USER)
    assert venue.ok and venue.params["title"] == "teamLab Planets"


async def test_an_unknown_deep_link_gets_the_welcome(app: TravelApp, fake: FakeBotApi) -> None:
    reply = await ask(fake, "/start cluster-atlantis")
    assert reply.result["text"] == t("welcome")


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/help", "/compare"),
        ("/top", "1. Shenzhen–Hong Kong–Guangzhou"),
        ("/sights seoul", "Cheonggyecheon"),
        ("/sights", t("clarify_which")),
        ("/cluster tokyo", "Tokyo–Yokohama: No.2"),
        ("/about beijing", "Beijing: No.4"),
        ("/compare tokyo seoul", "Tokyo–Yokohama vs Seoul"),
        ("/compare tokyo", "Compare Tokyo–Yokohama with"),
        ("/sources", t("sources_title")),
        ("/cluster atlantis", "atlantis"),
        ("/frobnicate", "/sights"),  # unknown commands get the help
        ("/TOP@travel_test_bot", "1. Shenzhen–Hong Kong–Guangzhou"),
    ],
)
async def test_commands(app: TravelApp, fake: FakeBotApi, command: str, expected: str) -> None:
    reply = await ask(fake, command)
    assert expected in reply.result["text"]


# ---- questions, buttons, map pins ----------------------------------------------------------


async def test_which_city_is_number_2(app: TravelApp, fake: FakeBotApi) -> None:
    reply = await ask(fake, "which city is number 2?")
    assert "Tokyo–Yokohama" in reply.result["text"]
    assert "v1|sights|tokyo-yokohama" in callback_data(reply.result)


async def test_what_to_see_in_seoul_and_its_map_button(app: TravelApp, fake: FakeBotApi) -> None:
    reply = await ask(fake, "what should I see in seoul")
    assert "Cheonggyecheon" in reply.result["text"]
    fake.press_button(reply.result, "v1|map|cheonggyecheon-stream")
    answered = await fake.wait_for("answerCallbackQuery")
    assert answered.ok
    venue = await fake.wait_for("sendVenue", chat_id=USER)
    assert venue.params["title"] == "Cheonggyecheon Stream"
    assert venue.params["latitude"] == pytest.approx(37.5689)


async def test_a_question_about_teamlab_sends_a_venue(app: TravelApp, fake: FakeBotApi) -> None:
    reply = await ask(fake, "tell me about teamLab Planets")
    assert "teamLab Planets" in reply.result["text"]
    assert any(u.startswith("https://www.google.com/maps/") for u in urls(reply.result))
    venue = await fake.wait_for("sendVenue", chat_id=USER)
    assert venue.ok
    assert (venue.params["latitude"], venue.params["longitude"]) == pytest.approx(
        (35.6491, 139.7898)
    )
    assert venue.params["address"]


async def test_a_follow_up_button_adds_a_new_message(app: TravelApp, fake: FakeBotApi) -> None:
    reply = await ask(fake, "which city is number 2?")
    fake.press_button(reply.result, "v1|sights|tokyo-yokohama")
    assert (await fake.wait_for("answerCallbackQuery")).ok
    follow_up = await fake.wait_for("sendMessage", chat_id=USER)
    assert "What to see in Tokyo–Yokohama" in follow_up.result["text"]
    # the answer it followed up is left as it was
    assert fake.message(USER, reply.result["message_id"])["text"] == reply.result["text"]


async def test_a_clarify_button_replaces_the_question(app: TravelApp, fake: FakeBotApi) -> None:
    question = await ask(fake, "what to see in china")
    assert question.result["text"].startswith(t("clarify"))
    assert "v1|pick|beijing" in callback_data(question.result)
    fake.press_button(question.result, "v1|pick|beijing")
    assert (await fake.wait_for("answerCallbackQuery")).ok
    edit = await fake.wait_for("editMessageText", chat_id=USER)
    # the pick answers what was asked (what to see), for the cluster picked
    assert edit.ok and edit.result["text"].startswith("What to see in Beijing")
    assert "Apollo" in edit.result["text"]
    assert edit.result["message_id"] == question.result["message_id"]


@pytest.mark.parametrize("command", ["/sights", "/sights atlantis"])
async def test_a_command_menu_turns_into_the_choice(
    app: TravelApp, fake: FakeBotApi, command: str
) -> None:
    menu = await ask(fake, command)
    assert t("clarify_which") in menu.result["text"]
    fake.press_button(menu.result, "v1|sights|seoul")
    await fake.wait_for("answerCallbackQuery")
    edit = await fake.wait_for("editMessageText", chat_id=USER)
    assert "Cheonggyecheon" in edit.result["text"]


async def test_the_compare_menu_turns_into_the_comparison(app: TravelApp, fake: FakeBotApi) -> None:
    reply = await ask(fake, "rank of seoul")
    fake.press_button(reply.result, "v1|compare|seoul")
    await fake.wait_for("answerCallbackQuery")
    menu = await fake.wait_for("sendMessage", chat_id=USER)
    assert menu.result["text"] == t("compare_pick", name="Seoul")
    fake.press_button(menu.result, "v1|cmp|seoul|tokyo-yokohama")
    await fake.wait_for("answerCallbackQuery")
    edit = await fake.wait_for("editMessageText", chat_id=USER)
    assert edit.result["text"].startswith("Seoul vs Tokyo–Yokohama")


async def test_a_stale_button_gets_a_polite_answer(app: TravelApp, fake: FakeBotApi) -> None:
    # a message from an older version of the bot, with a payload this one no longer knows
    fake.add_chat(USER)
    old = await app.bot.send_message(
        USER,
        "An old answer",
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("Atlantis", callback_data="v0|about|atlantis")]]
        ),
    )
    await fake.wait_for("sendMessage", chat_id=USER)
    fake.press_button(old.to_dict(), "v0|about|atlantis")
    answered = await fake.wait_for("answerCallbackQuery")
    assert answered.ok and answered.params["text"] == t("stale_button")
    await settle(app, fake)
    assert len(sent_to(fake, USER)) == 1  # only the old message itself


# ---- inline mode and locations -------------------------------------------------------------


async def test_inline_query_offers_cards(app: TravelApp, fake: FakeBotApi) -> None:
    fake.inline_query("tokyo")
    call = await fake.wait_for("answerInlineQuery")
    assert call.ok
    results = call.params["results"]
    assert 1 <= len(results) <= 50
    ids = [r["id"] for r in results]
    assert len(ids) == len(set(ids))
    assert call.params["cache_time"] == 300
    assert all(r["type"] == "article" for r in results)
    assert any("Tokyo–Yokohama" in r["title"] for r in results)
    assert any(r["title"] == "teamLab Planets" for r in results)
    texts = [r["input_message_content"]["message_text"] for r in results]
    assert all(0 < len(x) <= 4096 for x in texts)


async def test_an_empty_inline_query_offers_every_cluster(app: TravelApp, fake: FakeBotApi) -> None:
    fake.inline_query("")
    results = (await fake.wait_for("answerInlineQuery")).params["results"]
    titles = [r["title"] for r in results]
    assert {"1. Shenzhen–Hong Kong–Guangzhou", "5. Seoul"} <= set(titles)
    assert len(results) <= 50


async def test_an_inline_query_naming_nothing_offers_nothing(
    app: TravelApp, fake: FakeBotApi
) -> None:
    fake.inline_query("nightlife in atlantis")
    call = await fake.wait_for("answerInlineQuery")
    assert call.ok and call.params["results"] == []


async def test_a_location_near_tokyo_gets_the_nearest_sights(
    app: TravelApp, fake: FakeBotApi
) -> None:
    fake.send_location(USER, 35.6812, 139.7671)  # Tokyo station
    reply = await fake.wait_for("sendMessage", chat_id=USER)
    text = reply.result["text"]
    assert text.startswith(t("nearby_title"))
    assert text.index("teamLab Planets") < text.index("Yurikamome Line")
    assert " km" in text and "Seoul" not in text
    assert "v1|map|teamlab-planets" in callback_data(reply.result)


async def test_a_location_far_from_every_sight_says_so(app: TravelApp, fake: FakeBotApi) -> None:
    fake.send_location(USER, 48.8584, 2.2945)  # Paris
    reply = await fake.wait_for("sendMessage", chat_id=USER)
    assert reply.result["text"].startswith(t("nearby_far"))


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [(math.nan, 139.7), (35.6, math.inf), (-math.inf, 0.0), (91.0, 10.0), (35.6, 540.0)],
    ids=["nan", "inf", "-inf", "latitude-91", "longitude-540"],
)
async def test_a_forged_location_gets_a_plain_refusal(
    app: TravelApp, fake: FakeBotApi, latitude: float, longitude: float
) -> None:
    """Telegram sends only points on Earth, but an update is just JSON (Python reads NaN and
    Infinity in it): a point that is none gets a sentence, not nonsense or an error."""
    update = fake.send_location(USER, 35.6812, 139.7671)
    update["message"]["location"] = {"latitude": latitude, "longitude": longitude}
    fake.replace_pending(update)  # before the bot polls: nothing has been awaited yet
    reply = await fake.wait_for("sendMessage", chat_id=USER)
    assert reply.result["text"] == t("nearby_invalid")


# ---- groups --------------------------------------------------------------------------------


async def test_in_a_group_the_bot_answers_only_when_spoken_to(engine: Engine) -> None:
    # privacy mode off: the bot receives every group message and must keep quiet by itself
    async with FakeBotApi(privacy_mode=False) as fake:
        async with running(fake, engine) as app:
            chatter = fake.send_text(GROUP, "what should I see in seoul", chat_type="supergroup")
            fake.send_sticker(GROUP)
            fake.send_text(GROUP, "/frobnicate")  # may be another bot's command
            await settle(app, fake)
            assert sent_to(fake, GROUP) == []

            mention = await ask(fake, "@travel_test_bot rank of seoul", GROUP)
            assert mention.result["text"].startswith("Seoul is No.5")
            asked = mention.params["reply_parameters"]["message_id"]
            assert fake.message(GROUP, asked)["text"] == "@travel_test_bot rank of seoul"

            reply = await ask(fake, "and what to see there?", GROUP, reply_to_bot=True)
            assert "Cheonggyecheon" in reply.result["text"]

            command = await ask(fake, "/top", GROUP)
            assert "1. Shenzhen–Hong Kong–Guangzhou" in command.result["text"]

            addressed = await ask(fake, "/frobnicate@travel_test_bot", GROUP)
            assert "/sights" in addressed.result["text"]

            fake.send_location(GROUP, 35.6812, 139.7671)
            fake.edit_text(chatter["message"], "what should I see in tokyo")
            await settle(app, fake)
            assert len(sent_to(fake, GROUP)) == 4
        check_rules(fake)


async def test_privacy_mode_group_mention(app: TravelApp, fake: FakeBotApi) -> None:
    fake.send_text(GROUP, "what should I see in seoul")  # never delivered under privacy mode
    reply = await ask(fake, "@travel_test_bot which city is number 2?", GROUP)
    assert "Tokyo–Yokohama" in reply.result["text"]
    assert len(fake.undelivered) == 1


# ---- odd input -----------------------------------------------------------------------------


async def test_a_sticker_or_photo_in_private_gets_a_hint(app: TravelApp, fake: FakeBotApi) -> None:
    fake.send_sticker(USER)
    hint = await fake.wait_for("sendMessage", chat_id=USER)
    assert hint.result["text"] == t("non_text")
    fake.send_photo(USER, caption="tokyo?")
    hint = await fake.wait_for("sendMessage", chat_id=USER)
    assert hint.result["text"] == t("non_text")


async def test_an_edited_message_gets_a_hint(app: TravelApp, fake: FakeBotApi) -> None:
    asked = fake.send_text(USER, "rank of seoul")["message"]
    await fake.wait_for("sendMessage", chat_id=USER)
    fake.edit_text(asked, "rank of tokyo")
    hint = await fake.wait_for("sendMessage", chat_id=USER)
    assert hint.result["text"] == t("edited")


@pytest.mark.parametrize(
    "text",
    [
        "x" * 4096,
        ("tokyo seoul " * 400)[:4096],
        "<b>&amp; & <script>alert(1)</script>",
        "what to see in <i>tokyo</i> & seoul?",
        "😀😀😀",
        " . ",
        "@travel_test_bot",
        "東京の見どころは？",
        "\u202e\u200b",
    ],
    ids=["4096-x", "4096-words", "html", "html-question", "emoji", "dot", "mention", "cjk", "bidi"],
)
async def test_odd_input_gets_a_valid_reply(app: TravelApp, fake: FakeBotApi, text: str) -> None:
    reply = await ask(fake, text)
    assert 0 < len(reply.result["text"]) <= 4096
    check_rules(fake)


async def test_emoji_only_asks_for_words(app: TravelApp, fake: FakeBotApi) -> None:
    reply = await ask(fake, "🗼🚄")
    assert reply.result["text"] == t("empty")


# ---- robustness ----------------------------------------------------------------------------


async def test_one_user_flooding_does_not_stop_another(engine: Engine) -> None:
    burst = 3
    flood = FloodGuard(rate=0.0, burst=burst, clock=lambda: 0.0)  # no refill: exact counts
    async with FakeBotApi() as fake, running(fake, engine, flood) as app:
        for i in range(15):
            fake.send_text(USER, f"rank of seoul {i}")
        fake.send_text(OTHER_USER, "which city is number 2?")
        other = await fake.wait_for("sendMessage", chat_id=OTHER_USER)
        assert "Tokyo–Yokohama" in other.result["text"]
        await settle(app, fake)
        texts = [c.result["text"] for c in sent_to(fake, USER)]
        assert len(texts) == burst + 1, [x[:40] for x in texts]
        assert texts.count(t("slow_down")) == 1
        check_rules(fake)


async def test_group_commands_and_button_taps_count_too(engine: Engine) -> None:
    flood = FloodGuard(rate=0.0, burst=2, clock=lambda: 0.0)
    async with FakeBotApi() as fake, running(fake, engine, flood) as app:
        for _ in range(5):
            fake.send_text(GROUP, "/top", user_id=USER)
        await settle(app, fake)
        texts = [c.result["text"] for c in sent_to(fake, GROUP)]
        # updates are handled concurrently: the warning may overtake the answers it follows
        assert len(texts) == 3 and texts.count(t("slow_down")) == 1
        first = next(c for c in sent_to(fake, GROUP) if c.result["text"] != t("slow_down"))
        fake.press_button(first.result, "v1|about|beijing", user_id=USER)
        answered = await fake.wait_for("answerCallbackQuery")
        assert answered.params["text"] == t("slow_down")
        await settle(app, fake)
        assert len(sent_to(fake, GROUP)) == 3
        check_rules(fake)


async def test_a_failed_reply_is_logged_and_the_user_told(
    app: TravelApp, fake: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail_next("sendMessage", 500)
    update = fake.send_text(USER, "rank of seoul")
    failed = await fake.wait_for("sendMessage", chat_id=USER)
    assert failed.injected
    told = await fake.wait_for("sendMessage", chat_id=USER)
    assert told.ok and told.result["text"] == t("error")
    records = [r for r in caplog.records if r.name == "bot.telegram"]
    assert any(f"update {update['update_id']} failed" in r.getMessage() for r in records)


async def test_the_token_never_reaches_the_logs(
    fake: FakeBotApi, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with running(fake, engine) as app:
        await ask(fake, "which city is number 2?")
        fake.inline_query("seoul")
        await fake.wait_for("answerInlineQuery")
        fake.fail_next("sendMessage", 502)
        fake.send_text(USER, "/top")
        await fake.wait_for("sendMessage", chat_id=USER)  # the failed one
        await fake.wait_for("sendMessage", chat_id=USER)  # the apology
        await settle(app, fake)
    assert caplog.records  # the run did log (DEBUG): the check below is not vacuous
    secret = fake.token.split(":", 1)[1]
    assert secret not in caplog.text
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
    check_rules(fake)
