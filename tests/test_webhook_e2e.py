"""Webhook mode end to end: the real ``Application`` (no ``Updater``) and uvicorn serving
``bot.webhook`` on a loopback port, against the fake Bot API, which posts updates to the URL
the bot gave ``setWebhook``, with the secret token in its header, as Telegram does.

The webhook URL is plain http to 127.0.0.1: the one exception ``Settings`` and the fake both
allow (Telegram itself wants https). After every test the fake must have recorded no
violation of Telegram's rules.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.config import SHIPPED_KNOWLEDGE, Settings
from bot.engine import Engine
from bot.flood import FloodGuard
from bot.handlers.common import services_in
from bot.telegram_app import ALLOWED_UPDATES, WebhookBot, bind_listener, build_application
from bot.webhook import SECRET_HEADER
from tests.fake_bot_api import ApiCall, FakeBotApi
from tests.telegram_support import check_rules, running, sent_to

USER = 8001
ADMIN = 8002
SECRET = "wh-Secret_for-travelbot-tests-0123456789"
PATH = "/telegram/updates"
JSON = dict[str, Any]
_T = TypeVar("_T")


def webhook_settings(fake: FakeBotApi, data: Path, port: int, **changes: Any) -> Settings:
    settings = Settings(
        token=fake.token,
        base_url=fake.base_url,
        data_dir=data,
        webhook_url=f"http://127.0.0.1:{port}{PATH}",
        webhook_secret=SECRET,
        listen="127.0.0.1",
        port=port,
    )
    return replace(settings, **changes)


@asynccontextmanager
async def serving(
    fake: FakeBotApi, data: Path, engine: Engine | None = None, **changes: Any
) -> AsyncIterator[WebhookBot]:
    """The bot as ``travelbot run`` runs it in webhook mode, on a free loopback port."""
    sock = bind_listener("127.0.0.1", 0)
    port = sock.getsockname()[1]
    settings = webhook_settings(fake, data, port, **changes)
    app = build_application(settings, engine, flood=FloodGuard(burst=100))
    bot = WebhookBot(app, settings, sock)
    assert app.updater is None  # webhook mode: the server feeds update_queue, no Updater
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


@pytest.fixture
async def bot(fake: FakeBotApi, engine: Engine, tmp_path: Path) -> AsyncIterator[WebhookBot]:
    async with serving(fake, tmp_path / "data", engine) as running_bot:
        yield running_bot
    check_rules(fake)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False, timeout=10) as http:
        yield http


def base(bot: WebhookBot) -> str:
    return f"http://127.0.0.1:{bot.settings.port}"


async def eventually(
    check: Callable[[], Awaitable[_T]], ok: Callable[[_T], bool], within: float = 5.0
) -> _T:
    """Poll ``check`` until ``ok`` holds; the last value either way."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    value = await check()
    while not ok(value) and loop.time() < deadline:
        await asyncio.sleep(0.02)
        value = await check()
    return value


async def deliver_text(fake: FakeBotApi, chat_id: int, text: str, **kwargs: Any) -> JSON:
    update = fake.send_text(chat_id, text, **kwargs)
    status = await fake.deliver_via_webhook(update)
    assert status == 200
    return update


async def ask(fake: FakeBotApi, text: str, chat_id: int = USER) -> ApiCall:
    await deliver_text(fake, chat_id, text)
    call = await fake.wait_for("sendMessage", chat_id=chat_id)
    assert call.ok, call.description
    return call


async def settle(bot: WebhookBot, fake: FakeBotApi) -> None:
    """Every update delivered so far has been handled: a probe inline query goes last."""
    probe = fake.inline_query("settle", user_id=9999)
    assert await fake.deliver_via_webhook(probe) == 200
    probe_id = probe["inline_query"]["id"]

    def probe_answered(call: ApiCall) -> bool:
        return call.method == "answerInlineQuery" and call.params.get("inline_query_id") == probe_id

    await fake.wait_for(probe_answered)
    await services_in(bot.app.bot_data).dispatcher.join()


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse_metrics(text: str) -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


async def scrape(client: httpx.AsyncClient, bot: WebhookBot) -> Samples:
    response = await client.get(base(bot) + "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return parse_metrics(response.text)


def metric(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


# ---- start-up ------------------------------------------------------------------------------


async def test_set_webhook_is_called_with_the_secret(bot: WebhookBot, fake: FakeBotApi) -> None:
    (call,) = fake.calls_to("setWebhook")
    assert call.ok
    assert call.params["url"] == bot.settings.webhook_url
    assert call.params["secret_token"] == SECRET
    assert call.params["allowed_updates"] == list(ALLOWED_UPDATES)
    assert not call.params.get("drop_pending_updates")
    assert fake.calls_to("getUpdates") == []  # no Updater polling behind the server's back
    assert fake.calls_to("deleteWebhook") == []
    info = await bot.app.bot.get_webhook_info()
    assert info.url == bot.settings.webhook_url
    # the menus and jobs of post_init ran as in polling mode
    assert {c.params["scope"]["type"] for c in fake.calls_to("setMyCommands")} == {
        "all_private_chats",
        "all_group_chats",
    }


# ---- updates through the webhook -----------------------------------------------------------


async def test_an_update_through_the_webhook_is_answered(bot: WebhookBot, fake: FakeBotApi) -> None:
    reply = await ask(fake, "which city is number 2?")
    assert "Tokyo–Yokohama" in reply.result["text"]
    assert fake.pending_updates == []  # the 200 told the fake it was delivered


async def test_buttons_and_inline_queries_come_through_too(
    bot: WebhookBot, fake: FakeBotApi
) -> None:
    reply = await ask(fake, "what should I see in seoul")
    press = fake.press_button(reply.result, "v1|map|cheonggyecheon-stream")
    assert await fake.deliver_via_webhook(press) == 200
    assert (await fake.wait_for("answerCallbackQuery")).ok
    venue = await fake.wait_for("sendVenue", chat_id=USER)
    assert venue.params["title"] == "Cheonggyecheon Stream"
    query = fake.inline_query("tokyo", user_id=USER)
    assert await fake.deliver_via_webhook(query) == 200
    answer = await fake.wait_for("answerInlineQuery")
    assert answer.ok and answer.params["results"]


@pytest.mark.parametrize(
    "secret",
    [None, "", "wrong", SECRET.upper(), SECRET[:-1], SECRET + "0", "ünïcode"],
    ids=["missing", "empty", "wrong", "case", "prefix", "longer", "non-ascii"],
)
async def test_a_request_without_the_right_secret_gets_403_and_no_answer(
    bot: WebhookBot, fake: FakeBotApi, client: httpx.AsyncClient, secret: str | None
) -> None:
    update = fake.send_text(USER, "which city is number 2?")
    if secret is None:
        status = await fake.deliver_via_webhook(update, use_stored_secret=False)
    elif secret and secret.isascii():
        status = await fake.deliver_via_webhook(update, secret_token=secret)
    else:  # an empty header, or raw latin-1 bytes as an attacker could send
        response = await client.post(
            base(bot) + PATH,
            json=update,
            headers={SECRET_HEADER.encode(): secret.encode("utf-8")},
        )
        status = response.status_code
    assert status == 403
    await settle(bot, fake)
    assert sent_to(fake, USER) == []
    assert fake.pending_updates and fake.pending_updates[0]["update_id"] == update["update_id"]
    info = await bot.app.bot.get_webhook_info()
    assert info.last_error_message is None or "403" in info.last_error_message


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 400),
        (b"\xff\xfe", 400),
        (b"[1, 2]", 400),
        (b'{"message": {}}', 400),
        (b'{"update_id": "7"}', 400),
        (b'{"update_id": 7, "message": "not an object"}', 400),
        (b"{" + b" " * (1024 * 1024 + 1) + b"}", 413),
    ],
    ids=["text", "binary", "array", "no-id", "string-id", "bad-message", "too-large"],
)
async def test_a_bad_body_with_the_right_secret_gets_an_error_and_no_answer(
    bot: WebhookBot, fake: FakeBotApi, client: httpx.AsyncClient, body: bytes, status: int
) -> None:
    response = await client.post(
        base(bot) + PATH,
        content=body,
        headers={SECRET_HEADER: SECRET, "Content-Type": "application/json"},
    )
    assert response.status_code == status
    await settle(bot, fake)
    assert fake.calls_to("sendMessage") == []


async def test_other_routes_and_methods(bot: WebhookBot, client: httpx.AsyncClient) -> None:
    assert (await client.get(base(bot) + PATH)).status_code == 405
    assert (await client.post(base(bot) + "/elsewhere", json={})).status_code == 404
    assert (await client.post(base(bot) + "/healthz")).status_code == 405


# ---- health and metrics --------------------------------------------------------------------


async def test_healthz_is_503_before_start_200_while_serving_and_503_after_stop(
    fake: FakeBotApi, engine: Engine, tmp_path: Path, client: httpx.AsyncClient
) -> None:
    sock = bind_listener("127.0.0.1", 0)
    settings = webhook_settings(fake, tmp_path / "data", sock.getsockname()[1])
    app = build_application(settings, engine)
    bot = WebhookBot(app, settings, sock)
    transport = httpx.ASGITransport(app=bot.asgi)
    async with httpx.AsyncClient(transport=transport, base_url="http://bot") as in_process:
        before = await in_process.get("/healthz")
        assert before.status_code == 503
        assert before.json() == {"status": "unavailable"}
        assert not bot.serving
        await bot.start()
        try:
            response = await client.get(base(bot) + "/healthz")
            assert response.status_code == 200
            body = response.json()
            assert body["status"] == "ok" and body["mode"] == "webhook"
            assert body["knowledge"] == engine.kb.fingerprint
            assert body["clusters"] == len(engine.kb.clusters)
        finally:
            await bot.stop()
        after = await in_process.get("/healthz")
        assert after.status_code == 503
    with pytest.raises(httpx.ConnectError):
        await client.get(base(bot) + "/healthz")
    check_rules(fake)


async def test_metrics_count_updates_answers_and_latency(
    bot: WebhookBot, fake: FakeBotApi, client: httpx.AsyncClient
) -> None:
    before = await scrape(client, bot)
    for name in (
        "travelbot_updates_total",
        "travelbot_answers_total",
    ):
        assert any(key[0] == name for key in before), name
    assert metric(before, "travelbot_answers_total", intent="rank") == 0
    assert metric(before, "travelbot_knowledge_reloads_total") == 0
    assert metric(before, "travelbot_knowledge_reload_failures_total") == 0
    assert metric(before, "travelbot_answer_latency_seconds_count") == 0

    reply = await ask(fake, "which city is number 2?")
    assert "Tokyo–Yokohama" in reply.result["text"]
    after = await eventually(
        lambda: scrape(client, bot),
        lambda s: metric(s, "travelbot_answers_total", intent="rank") == 1,
    )
    assert metric(after, "travelbot_updates_total", type="message") == 1
    assert metric(after, "travelbot_answers_total", intent="rank") == 1
    assert metric(after, "travelbot_answer_latency_seconds_count") == 1
    assert 0 < metric(after, "travelbot_answer_latency_seconds_sum") < 5
    assert metric(after, "travelbot_answer_latency_seconds_bucket", le="+Inf") == 1

    press = fake.press_button(reply.result, "v1|sights|tokyo-yokohama")
    assert await fake.deliver_via_webhook(press) == 200
    await fake.wait_for("sendMessage", chat_id=USER)
    later = await eventually(
        lambda: scrape(client, bot),
        lambda s: metric(s, "travelbot_answers_total", intent="sights") == 1,
    )
    assert metric(later, "travelbot_updates_total", type="callback_query") == 1
    assert metric(later, "travelbot_answer_latency_seconds_count") == 2
    # refused requests are not updates
    forged = fake.send_text(USER, "hello")
    assert await fake.deliver_via_webhook(forged, secret_token="nope") == 403
    final = await scrape(client, bot)
    assert metric(final, "travelbot_updates_total", type="message") == 1


async def test_metrics_count_reloads_and_failed_reloads(
    fake: FakeBotApi, tmp_path: Path, client: httpx.AsyncClient
) -> None:
    folder = tmp_path / "knowledge"
    shutil.copytree(SHIPPED_KNOWLEDGE, folder)
    fake.add_chat(ADMIN)
    async with serving(
        fake,
        tmp_path / "data",
        knowledge=folder,
        admin_ids=frozenset({ADMIN}),
        reload_interval=0.0,
    ) as bot:
        reply = await ask(fake, "/reload", chat_id=ADMIN)
        assert reply.ok
        samples = await scrape(client, bot)
        assert metric(samples, "travelbot_knowledge_reloads_total") == 1
        assert metric(samples, "travelbot_knowledge_reload_failures_total") == 0
        broken = next(folder.glob("clusters/*.yaml"))
        broken.write_text(broken.read_text(encoding="utf-8") + "\n  bogus_key: 1\n", "utf-8")
        refused = await ask(fake, "/reload", chat_id=ADMIN)
        assert refused.ok
        samples = await scrape(client, bot)
        assert metric(samples, "travelbot_knowledge_reloads_total") == 1
        assert metric(samples, "travelbot_knowledge_reload_failures_total") == 1
    check_rules(fake)


# ---- shutdown and logs ---------------------------------------------------------------------


async def test_stop_finishes_the_update_in_flight_and_closes_the_store(
    fake: FakeBotApi, engine: Engine, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    async with serving(fake, data, engine) as bot:
        fake.delay_next("sendMessage", 1.0)  # the reply is in flight when the stop comes
        await deliver_text(fake, USER, "which city is number 2?")
        await asyncio.sleep(0.2)
        bot.request_stop()
    reply = await fake.wait_for("sendMessage", chat_id=USER, timeout=0.1)
    assert reply.ok and "Tokyo–Yokohama" in reply.result["text"]
    assert not bot.app.running
    assert not (data / "travelbot.sqlite3-wal").exists()  # the last connection closed cleanly
    check_rules(fake)


def _assert_no_secrets(text: str, fake: FakeBotApi) -> None:
    assert fake.token not in text
    assert fake.token.split(":", 1)[1] not in text
    assert SECRET not in text


async def test_no_token_or_secret_in_debug_logs_in_webhook_mode(
    fake: FakeBotApi, engine: Engine, tmp_path: Path, client: httpx.AsyncClient, caplog: Any
) -> None:
    """A whole session at DEBUG, every library's records included, unmasked by any handler
    (the capture has no filter of ours): neither the token nor the secret shows up."""
    caplog.set_level(logging.DEBUG)
    async with serving(fake, tmp_path / "data", engine) as bot:
        reply = await ask(fake, "which city is number 2?")
        press = fake.press_button(reply.result, "v1|sights|tokyo-yokohama")
        assert await fake.deliver_via_webhook(press) == 200
        await fake.wait_for("answerCallbackQuery")
        forged = fake.send_text(USER, "hi")
        assert await fake.deliver_via_webhook(forged, secret_token="wrong") == 403
        bad = await client.post(base(bot) + PATH, content=b"{", headers={SECRET_HEADER: SECRET})
        assert bad.status_code == 400
        assert (await client.get(base(bot) + "/healthz")).status_code == 200
        assert (await client.get(base(bot) + "/metrics")).status_code == 200
        fake.fail_next("sendMessage", 500)  # a failure's log lines too
        await deliver_text(fake, USER, "rank of seoul")
        await settle(bot, fake)
    text = caplog.text
    assert "setWebhook" in text  # DEBUG really was on: PTB logged its calls
    assert "[hidden]" in text  # ... and the secret token in setWebhook's parameters was masked
    _assert_no_secrets(text, fake)
    fake.assert_no_violations()


async def test_no_token_or_secret_in_debug_logs_in_polling_mode(
    fake: FakeBotApi, engine: Engine, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    async with running(fake, engine) as app:
        services = services_in(app.bot_data)
        assert services.settings.webhook_url is None
        fake.send_text(USER, "which city is number 2?")
        assert (await fake.wait_for("sendMessage", chat_id=USER)).ok
        fake.fail_next("sendMessage", 500)
        fake.send_text(USER, "rank of seoul")
        await fake.wait_for("sendMessage", chat_id=USER)
    text = caplog.text
    assert "getUpdates" in text
    _assert_no_secrets(text, fake)
    fake.assert_no_violations()


def test_json_log_lines_carry_no_secret(fake_token: str = "") -> None:
    """``TRAVELBOT_LOG_FORMAT=json``: one object per line, masked like the text format."""
    import io

    from bot.logs import setup_logging

    stream = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        setup_logging("DEBUG", "json", ["123:TOKENPART", SECRET], stream)
        logging.getLogger("some.library").info("url http://x/bot123:TOKENPART/getMe %s", SECRET)
        try:
            raise RuntimeError(f"boom {SECRET}")
        except RuntimeError:
            logging.getLogger("bot").exception("failed")
    finally:
        root.handlers, root.level = saved[0], saved[1]
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    entries = [json.loads(line) for line in lines]
    assert entries[0]["level"] == "INFO" and entries[0]["logger"] == "some.library"
    assert "[hidden]" in entries[0]["message"]
    assert "RuntimeError" in entries[1]["error"]
    for line in lines:
        assert "TOKENPART" not in line and SECRET not in line
