"""The fake Bot API must refuse what Telegram refuses and still speak well enough for real PTB.

Every end-to-end test of travelbot trusts this fake; if it accepted bad HTML or answered in a
shape PTB cannot parse, those tests would pass for the wrong reason. So its rules are checked
here through the real PTB client over loopback, never by calling the fake's Python directly.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Awaitable

import aiohttp
import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    MenuButtonCommands,
    MessageEntity,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fake_bot_api import FakeBotApi, UploadedFile

CHAT = 4242  # a private chat, so also the user's id
HTML = ParseMode.HTML
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"


@pytest.fixture
async def bot(fake: FakeBotApi) -> AsyncIterator[Bot]:
    fake.add_chat(CHAT)
    async with Bot(fake.token, base_url=fake.base_url) as client:
        yield client


def keyboard(*buttons: InlineKeyboardButton) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([list(buttons)])


async def expect_refusal(fake: FakeBotApi, call: Awaitable[object], description: str) -> None:
    """The bot sees BadRequest with Telegram's words and the fake records one violation."""
    with pytest.raises(BadRequest) as caught:
        await call
    # PTB strips "Bad Request: " and capitalizes what is left.
    assert caught.value.message == description.removeprefix("Bad Request: ").capitalize()
    violations = fake.pop_violations()
    assert [v.description for v in violations] == [description]
    assert violations[0].status == 400


# ---- protocol ------------------------------------------------------------------------------


async def test_ptb_joins_base_url_and_token_and_parses_get_me(fake: FakeBotApi, bot: Bot) -> None:
    assert fake.base_url == f"http://127.0.0.1:{fake.port}/bot"
    assert bot.base_url == f"{fake.base_url}{fake.token}"
    assert bot.bot.username == "travel_test_bot"
    assert bot.bot.id == int(fake.token.split(":")[0])
    assert bot.bot.supports_inline_queries and bot.bot.can_join_groups
    assert fake.calls[0].method == "getMe"
    fake.assert_no_violations()


async def test_a_wrong_token_is_unauthorized(fake: FakeBotApi) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("987654321:WrongSecretWrongSecretWrongSecret1", base_url=fake.base_url):
            pass
    [violation] = fake.pop_violations()
    assert (violation.method, violation.status, violation.description) == (
        "getMe",
        401,
        "Unauthorized",
    )


async def test_an_unknown_method_is_404_and_a_violation(fake: FakeBotApi, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendHologram", api_kwargs={"chat_id": CHAT})
    [violation] = fake.pop_violations()
    assert (violation.status, violation.description) == (404, "Not Found: method not found")


async def test_an_unknown_chat_is_not_found(fake: FakeBotApi, bot: Bot) -> None:
    await expect_refusal(fake, bot.send_message(999, "hello?"), "Bad Request: chat not found")


# ---- text and HTML -------------------------------------------------------------------------


async def test_valid_html_round_trips_with_utf16_entities(fake: FakeBotApi, bot: Bot) -> None:
    markup = keyboard(
        InlineKeyboardButton("Sights", callback_data="sights:tokyo"),
        InlineKeyboardButton("Map", url="https://maps.example.com/?q=tokyo"),
    )
    message = await bot.send_message(
        CHAT,
        "<b>Tokyo</b>–Yokohama &amp; 😀 <i>Shenzhen</i>",
        parse_mode=HTML,
        reply_markup=markup,
    )
    assert message.text == "Tokyo–Yokohama & 😀 Shenzhen"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [
        (MessageEntity.BOLD, 0, 5),
        (MessageEntity.ITALIC, 20, 8),  # the emoji counts two UTF-16 units
    ]
    assert message.reply_markup == markup
    [call] = fake.calls_to("sendMessage")
    assert call.params["parse_mode"] == "HTML"
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "sights:tokyo"
    assert fake.sent_messages(CHAT)[-1]["text"] == message.text
    fake.assert_no_violations()


@pytest.mark.parametrize(
    ("html", "problem"),
    [
        ("<b>Tokyo", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<script>alert(1)</script>", 'Unsupported start tag "script" at byte offset 0'),
        (
            "<b><i>Tokyo</b></i>",
            'Unmatched end tag at byte offset 11, expected "</i>", found "</b>"',
        ),
        ("Rank 1 < 2", 'Unsupported start tag "" at byte offset 7'),
        ("AT&T Labs", 'Character "&" at byte offset 2 must be escaped as "&amp;"'),
        ("5 > 4", 'Character ">" at byte offset 2 must be escaped as "&gt;"'),
        ('<b class="big">x</b>', 'Unsupported attribute "class" in the tag "b" at byte offset 0'),
        ("<pre><b>x</b></pre>", 'Tag "b" can\'t be nested in the tag "pre" at byte offset 5'),
        (
            '<a href="javascript:alert(1)">x</a>',
            'Invalid URL "javascript:alert(1)" in the tag "a" at byte offset 0',
        ),
    ],
)
async def test_bad_html_is_refused(fake: FakeBotApi, bot: Bot, html: str, problem: str) -> None:
    await expect_refusal(
        fake,
        bot.send_message(CHAT, html, parse_mode=HTML),
        f"Bad Request: can't parse entities: {problem}",
    )


async def test_lenient_mode_accepts_what_telegram_tolerates() -> None:
    async with FakeBotApi(strict=False) as fake:
        fake.add_chat(CHAT)
        async with Bot(fake.token, base_url=fake.base_url) as bot:
            message = await bot.send_message(CHAT, "AT&T > <b class='x'>all</b>", parse_mode=HTML)
        assert message.text == "AT&T > all"
        fake.assert_no_violations()


async def test_length_is_counted_after_parsing_and_trimming(fake: FakeBotApi, bot: Bot) -> None:
    bold = await bot.send_message(CHAT, "<b>" + "x" * 4096 + "</b>", parse_mode=HTML)
    assert bold.text is not None and len(bold.text) == 4096
    escaped = await bot.send_message(CHAT, "&amp;" * 4096, parse_mode=HTML)
    assert escaped.text == "&" * 4096
    padded = await bot.send_message(CHAT, "  \n" + "y" * 4096 + "\n ")
    assert padded.text == "y" * 4096
    fake.assert_no_violations()
    await expect_refusal(
        fake, bot.send_message(CHAT, "x" * 4097), "Bad Request: message is too long"
    )
    await expect_refusal(fake, bot.send_message(CHAT, ""), "Bad Request: message text is empty")
    await expect_refusal(
        fake,
        bot.send_message(CHAT, "<b> </b>", parse_mode=HTML),
        "Bad Request: text must be non-empty",
    )


# ---- keyboards, callback and inline queries ------------------------------------------------


async def test_callback_data_is_limited_in_utf8_bytes(fake: FakeBotApi, bot: Bot) -> None:
    await bot.send_message(
        CHAT, "64 bytes", reply_markup=keyboard(InlineKeyboardButton("é", callback_data="é" * 32))
    )
    fake.assert_no_violations()
    await expect_refusal(
        fake,
        bot.send_message(
            CHAT,
            "65 bytes",
            reply_markup=keyboard(InlineKeyboardButton("é", callback_data="é" * 32 + "x")),
        ),
        "Bad Request: BUTTON_DATA_INVALID",
    )


@pytest.mark.parametrize(
    ("button", "description"),
    [
        (
            InlineKeyboardButton("Just text"),
            "Bad Request: can't parse inline keyboard button: "
            "Text buttons are unallowed in the inline keyboard",
        ),
        (
            InlineKeyboardButton("FTP", url="ftp://example.com"),
            "Bad Request: inline keyboard button URL 'ftp://example.com' is invalid: "
            "Unsupported URL protocol",
        ),
        (
            InlineKeyboardButton("Broken", url="https://not-a-host"),
            "Bad Request: inline keyboard button URL 'https://not-a-host' is invalid: "
            "Wrong HTTP URL",
        ),
    ],
)
async def test_invalid_buttons_are_refused(
    fake: FakeBotApi, bot: Bot, button: InlineKeyboardButton, description: str
) -> None:
    await expect_refusal(
        fake, bot.send_message(CHAT, "Pick", reply_markup=keyboard(button)), description
    )


async def test_a_callback_query_is_answered_once(fake: FakeBotApi, bot: Bot) -> None:
    await bot.send_message(
        CHAT,
        "Pick a city",
        reply_markup=keyboard(InlineKeyboardButton("Tokyo", callback_data="city:tokyo")),
    )
    sent = fake.sent_messages(CHAT)[-1]
    with pytest.raises(ValueError, match="no button"):
        fake.press_button(sent, "city:osaka")
    query_id = fake.press_button(sent, "city:tokyo")["callback_query"]["id"]
    assert fake.unanswered_queries() == [query_id]
    await expect_refusal(
        fake, bot.answer_callback_query(query_id, text="x" * 201), "Bad Request: MESSAGE_TOO_LONG"
    )
    assert await bot.answer_callback_query(query_id, text="Tokyo it is")
    assert fake.unanswered_queries() == []
    await expect_refusal(fake, bot.answer_callback_query(query_id), QUERY_INVALID)


async def test_inline_answers_are_checked(fake: FakeBotApi, bot: Bot) -> None:
    query_id = fake.inline_query("tokyo")["inline_query"]["id"]
    results = [
        InlineQueryResultArticle(
            str(i), f"Cluster {i}", InputTextMessageContent(f"<b>#{i}</b>", parse_mode=HTML)
        )
        for i in range(51)
    ]
    await expect_refusal(
        fake, bot.answer_inline_query(query_id, results), "Bad Request: RESULTS_TOO_MUCH"
    )
    twins = [results[0], InlineQueryResultArticle("0", "Twin", InputTextMessageContent("x"))]
    await expect_refusal(
        fake, bot.answer_inline_query(query_id, twins), "Bad Request: RESULT_ID_DUPLICATE"
    )
    broken = InlineQueryResultArticle("b", "B", InputTextMessageContent("<b>x", parse_mode=HTML))
    await expect_refusal(
        fake,
        bot.answer_inline_query(query_id, [broken]),
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"",
    )
    assert await bot.answer_inline_query(query_id, results[:50], cache_time=0)
    await expect_refusal(fake, bot.answer_inline_query(query_id, results[:1]), QUERY_INVALID)


# ---- editing, venues, commands, other methods ----------------------------------------------


async def test_edits_need_a_message_and_a_change(fake: FakeBotApi, bot: Bot) -> None:
    markup = keyboard(InlineKeyboardButton("More", callback_data="more"))
    sent = await bot.send_message(CHAT, "Tokyo", reply_markup=markup)
    await expect_refusal(
        fake,
        bot.edit_message_text(
            "Tokyo", chat_id=CHAT, message_id=sent.message_id, reply_markup=markup
        ),
        NOT_MODIFIED,
    )
    edited = await bot.edit_message_text(
        "<b>Tokyo</b>", chat_id=CHAT, message_id=sent.message_id, parse_mode=HTML
    )
    assert not isinstance(edited, bool)
    assert edited.reply_markup is None  # no reply_markup in an edit removes the keyboard
    assert fake.message(CHAT, sent.message_id)["entities"] == [
        {"type": "bold", "offset": 0, "length": 5}
    ]
    await expect_refusal(
        fake,
        bot.edit_message_text("x", chat_id=CHAT, message_id=9999),
        "Bad Request: message to edit not found",
    )


async def test_venues_and_locations(fake: FakeBotApi, bot: Bot) -> None:
    venue = await bot.send_venue(
        CHAT, 35.6586, 139.7454, "Tokyo Tower", "4-2-8 Shibakoen, Minato City"
    )
    assert venue.venue is not None and venue.venue.title == "Tokyo Tower"
    assert venue.location is not None and venue.location.latitude == pytest.approx(35.6586)
    location = await bot.send_location(CHAT, 22.5431, 114.0579)
    assert location.location is not None and location.location.longitude == pytest.approx(114.0579)
    fake.assert_no_violations()
    await expect_refusal(
        fake,
        bot.send_venue(CHAT, 95.0, 139.0, "Nowhere", "Off the map"),
        "Bad Request: wrong location specified",
    )
    await expect_refusal(
        fake, bot.send_venue(CHAT, 35.0, 139.0, "  ", "Somewhere"), "Bad Request: title is empty"
    )


async def test_commands_are_validated_and_scoped(fake: FakeBotApi, bot: Bot) -> None:
    commands = [BotCommand("start", "Start"), BotCommand("rank", "Where a cluster ranks")]
    assert await bot.set_my_commands(commands)
    assert await bot.set_my_commands([BotCommand("admin", "Reports")], BotCommandScopeChat(CHAT))
    assert [c.command for c in await bot.get_my_commands()] == ["start", "rank"]
    scoped = await bot.get_my_commands(scope=BotCommandScopeChat(CHAT))
    assert [c.command for c in scoped] == ["admin"]
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    fake.assert_no_violations()
    bad_cases = [
        ([BotCommand("Bad Cmd", "x")], "Bad Request: BOT_COMMAND_INVALID"),
        ([BotCommand("ok", "")], "Bad Request: command description must be non-empty"),
        ([BotCommand(f"c{i}", "d") for i in range(101)], "Bad Request: BOT_COMMANDS_TOO_MUCH"),
    ]
    for bad, description in bad_cases:
        await expect_refusal(fake, bot.set_my_commands(bad), description)
    await expect_refusal(
        fake,
        bot.set_my_commands(commands, scope=BotCommandScopeChat(777)),
        "Bad Request: chat not found",
    )


async def test_photo_upload_actions_deletion_and_menu(fake: FakeBotApi, bot: Bot) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(200)
    photo = await bot.send_photo(CHAT, png, caption="<b>Shenzhen</b> skyline", parse_mode=HTML)
    assert photo.caption == "Shenzhen skyline"
    assert max(size.width for size in photo.photo) == 800
    upload = fake.calls_to("sendPhoto")[0].params["photo"]
    assert isinstance(upload, UploadedFile) and upload.data == png  # multipart, bytes intact
    assert await bot.send_chat_action(CHAT, "typing")
    assert await bot.set_chat_menu_button(menu_button=MenuButtonCommands())
    assert await bot.delete_message(CHAT, photo.message_id)
    fake.assert_no_violations()
    await expect_refusal(
        fake, bot.delete_message(CHAT, photo.message_id), "Bad Request: message to delete not found"
    )
    await expect_refusal(
        fake,
        bot.send_chat_action(CHAT, "dancing"),
        "Bad Request: wrong parameter action in request",
    )


# ---- fault injection -----------------------------------------------------------------------


# RetryAfter's constructor itself warns about its future timedelta type.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_injected_faults_reach_ptb_as_telegram_errors(fake: FakeBotApi, bot: Bot) -> None:
    fake.fail_next("sendMessage", 429, retry_after=3)
    with pytest.raises(RetryAfter, match="Retry in 3 seconds"):
        await bot.send_message(CHAT, "hello")
    fake.fail_next("sendMessage", 403)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(CHAT, "hello")
    fake.fail_next("sendMessage", 500, count=2)
    for _ in range(2):
        with pytest.raises(NetworkError):
            await bot.send_message(CHAT, "hello")
    assert (await bot.send_message(CHAT, "hello")).text == "hello"
    fake.block_bot(CHAT)
    with pytest.raises(Forbidden):
        await bot.send_message(CHAT, "still there?")
    assert [call.injected for call in fake.calls_to("sendMessage")] == [
        True,
        True,
        True,
        True,
        False,
        False,
    ]
    assert fake.sent_messages(CHAT)[0]["text"] == "hello"  # failed calls sent nothing
    fake.assert_no_violations()  # Telegram failing is not the bot breaking a rule


async def test_a_delayed_answer_times_out_in_ptb_but_still_happens(
    fake: FakeBotApi, bot: Bot
) -> None:
    fake.delay_next("sendMessage", 0.3)
    with pytest.raises(TimedOut):
        await bot.send_message(CHAT, "slow", read_timeout=0.05)
    call = await fake.wait_for("sendMessage", chat_id=CHAT, timeout=2)
    assert call.ok and call.result["text"] == "slow"  # the retry trap: it was sent after all


# ---- receiving updates ---------------------------------------------------------------------


async def test_get_updates_long_polls_confirms_and_filters(fake: FakeBotApi, bot: Bot) -> None:
    asyncio.get_running_loop().call_later(0.05, fake.send_text, CHAT, "hello")
    started = time.monotonic()
    updates = await bot.get_updates(timeout=30)  # held until the update arrives
    assert time.monotonic() - started < 0.9
    assert [u.message.text for u in updates if u.message] == ["hello"]
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()
    assert fake.pending_updates == []

    await bot.send_message(
        CHAT, "Pick", reply_markup=keyboard(InlineKeyboardButton("A", callback_data="a"))
    )
    fake.press_button(fake.sent_messages(CHAT)[-1], "a")
    fake.send_text(CHAT, "text only please")
    filtered = await bot.get_updates(allowed_updates=["message"], timeout=0)
    assert [u.message.text for u in filtered if u.message] == ["text only please"]
    assert all(u.callback_query is None for u in filtered)
    fake.assert_no_violations()


async def test_user_entities_and_group_privacy_mode(fake: FakeBotApi) -> None:
    update = Update.de_json(fake.send_text(CHAT, "/start@travel_test_bot 😀 @someone_else"), None)
    assert update.message is not None
    assert [(e.type, e.offset, e.length) for e in update.message.entities] == [
        (MessageEntity.BOT_COMMAND, 0, 22),
        (MessageEntity.MENTION, 26, 13),
    ]
    group = -1001234567890
    fake.send_text(group, "just chatting among ourselves")
    fake.send_text(group, "/rank@other_bot")
    fake.send_text(group, "/rank shenzhen")
    fake.send_text(group, "hey @travel_test_bot, where to eat?")
    seen = [u["message"]["text"] for u in fake.pending_updates if u["message"]["chat"]["id"] < 0]
    assert seen == ["/rank shenzhen", "hey @travel_test_bot, where to eat?"]
    assert len(fake.undelivered) == 2
    assert fake.pending_updates[-1]["message"]["chat"]["type"] == "supergroup"


async def test_webhook_mode(fake: FakeBotApi, bot: Bot) -> None:
    received: list[tuple[str | None, object]] = []

    async def hook(request: web.Request) -> web.Response:
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        received.append((secret, await request.json()))
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
        assert await bot.set_webhook(url, secret_token="s3cret_token")
        with pytest.raises(Conflict):
            await bot.get_updates()
        assert fake.pop_violations()[0].status == 409
        update = fake.send_text(CHAT, "via webhook")
        assert (await bot.get_webhook_info()).pending_update_count == 1
        assert await fake.deliver_via_webhook(update) == 200
        assert received == [("s3cret_token", update)]
        assert (await bot.get_webhook_info()).url == url
        assert fake.pending_updates == []
        await expect_refusal(
            fake,
            bot.set_webhook("http://example.com/hook"),
            "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
        )
        assert await bot.delete_webhook()
    finally:
        await runner.cleanup()


async def test_wait_for_hands_out_each_call_once_and_fails_fast(fake: FakeBotApi, bot: Bot) -> None:
    await bot.send_message(CHAT, "one")
    await bot.send_message(CHAT, "two")
    first = await fake.wait_for("sendMessage")
    second = await fake.wait_for(lambda call: call.method == "sendMessage")
    assert (first.params["text"], second.params["text"]) == ("one", "two")
    method, params = first
    assert (method, params["chat_id"]) == ("sendMessage", CHAT)
    with pytest.raises(AssertionError, match="no sendMessage call"):
        await fake.wait_for("sendMessage", timeout=0.05)


async def test_control_routes_serve_another_process(fake: FakeBotApi) -> None:
    root = fake.base_url.removesuffix("/bot")
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{root}/_fake/send_text", json={"chat_id": 7, "text": "hi"}) as r:
            assert r.status == 200
            assert (await r.json())["message"]["text"] == "hi"
        async with session.post(f"{root}/bot{fake.token}/getUpdates", data={"timeout": "0"}) as r:
            body = await r.json()
        assert body["ok"] and body["result"][0]["message"]["chat"]["id"] == 7
        async with session.get(f"{root}/_fake/calls") as r:
            assert [c["method"] for c in await r.json()] == ["getUpdates"]


# ---- a real Application --------------------------------------------------------------------


async def test_a_polling_application_talks_to_the_fake(fake: FakeBotApi) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        await update.message.reply_text(update.message.text)

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_html(
            "<b>Welcome</b>, traveller",
            reply_markup=keyboard(InlineKeyboardButton("Tokyo", callback_data="city:tokyo")),
        )

    async def chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await query.edit_message_text(f"You chose {query.data}")

    app = ApplicationBuilder().token(fake.token).base_url(fake.base_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(chosen))
    assert app.updater is not None
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0)
    try:
        fake.send_text(CHAT, "hello there")
        echoed = await fake.wait_for("sendMessage", chat_id=CHAT)
        assert echoed.ok and echoed.params["text"] == "hello there"

        fake.send_text(CHAT, "/start")
        welcome = await fake.wait_for("sendMessage", chat_id=CHAT)
        assert welcome.result["text"] == "Welcome, traveller"

        fake.press_button(welcome.result, "city:tokyo")
        await fake.wait_for("answerCallbackQuery")
        edit = await fake.wait_for("editMessageText", chat_id=CHAT)
        assert edit.result["text"] == "You chose city:tokyo"
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert fake.unanswered_queries() == []
    fake.assert_no_violations()


async def test_a_webhook_application_gets_updates_pushed(fake: FakeBotApi) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        await update.message.reply_text(f"echo: {update.message.text}")

    with socket.socket() as probe:  # PTB's webhook server needs its port before it starts
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = ApplicationBuilder().token(fake.token).base_url(fake.base_url).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    assert app.updater is not None
    await app.initialize()
    await app.start()
    await app.updater.start_webhook(
        listen="127.0.0.1",
        port=port,
        url_path="hook",
        webhook_url=f"http://127.0.0.1:{port}/hook",
        secret_token="s3cret_token",
    )
    try:
        update = fake.send_text(CHAT, "hi via webhook")
        assert await fake.deliver_via_webhook(update) == 200
        reply = await fake.wait_for("sendMessage", chat_id=CHAT)
        assert reply.params["text"] == "echo: hi via webhook"
        forged = fake.send_text(CHAT, "forged")
        assert await fake.deliver_via_webhook(forged, secret_token="wrong") == 403
        assert [u["update_id"] for u in fake.pending_updates] == [forged["update_id"]]
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    fake.assert_no_violations()
