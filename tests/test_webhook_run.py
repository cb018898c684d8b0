"""``travelbot run`` in webhook mode as a real process, and ``travelbot run --check``.

The fake Bot API runs in the test's event loop and posts to the bot's own loopback listener
(``TRAVELBOT_WEBHOOK_URL=http://127.0.0.1:PORT/...``: plain http is allowed to loopback only).
A stop signal (SIGTERM or SIGINT) must let the update in flight finish, close the store and
exit 0, in webhook and in polling mode; the logs, at DEBUG and as JSON lines, must hold
neither the token nor the webhook secret.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
from pathlib import Path

import httpx
import pytest

from bot.cli import main
from bot.config import SHIPPED_KNOWLEDGE
from tests.fake_bot_api import FakeBotApi
from tests.test_telegram_run import _one_line_error, clean_env, travelbot_run

__all__ = ["clean_env"]  # the fixture, imported for these tests

USER = 6101
SECRET = "Run-webhook_secret-0123456789abcdef"
TOKEN = "123456789:AAFakeTokenForTravelbotTests_012345"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def webhook_env(fake: FakeBotApi, data: Path, port: int) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_BASE_URL": fake.base_url,
        "TRAVELBOT_WEBHOOK_URL": f"http://127.0.0.1:{port}/hook",
        "TRAVELBOT_WEBHOOK_SECRET": SECRET,
        "TRAVELBOT_LISTEN": "127.0.0.1",
        "TRAVELBOT_PORT": str(port),
        "TRAVELBOT_LOG_LEVEL": "DEBUG",
        "TRAVELBOT_LOG_FORMAT": "json",
        "TRAVELBOT_DATA_DIR": str(data),
    }


async def wait_healthy(port: int, process: asyncio.subprocess.Process) -> httpx.Response:
    async with httpx.AsyncClient(trust_env=False, timeout=2) as client:
        for _ in range(600):
            if process.returncode is not None:
                break
            try:
                response = await client.get(f"http://127.0.0.1:{port}/healthz")
            except httpx.TransportError:
                response = None
            if response is not None and response.status_code == 200:
                return response
            await asyncio.sleep(0.1)
    raise AssertionError("the bot's /healthz never answered 200")


def assert_clean_json_log(log: str, fake: FakeBotApi) -> list[dict[str, object]]:
    entries = [json.loads(line) for line in log.splitlines() if line.strip()]
    assert entries, "no log lines"
    assert fake.token.split(":", 1)[1] not in log
    assert SECRET not in log
    assert "Traceback" not in log
    return entries


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_webhook_run_answers_refuses_forgeries_and_stops_on_a_signal(
    tmp_path: Path,
    clean_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    stop: signal.Signals,
) -> None:
    """The issue's acceptance check for webhook mode, on the real command."""
    data = tmp_path / "data"
    port = free_port()
    async with FakeBotApi() as fake:
        env = webhook_env(fake, data, port)
        async with travelbot_run(env) as process:
            set_webhook = await fake.wait_for("setWebhook", timeout=60)
            assert set_webhook.ok
            assert set_webhook.params["secret_token"] == SECRET
            assert set_webhook.params["url"] == env["TRAVELBOT_WEBHOOK_URL"]
            health = await wait_healthy(port, process)
            assert health.json()["status"] == "ok"
            for name, value in env.items():  # `travelbot health`, as the image's HEALTHCHECK
                clean_env.setenv(name, value)
            assert main(["health"]) == 0, capsys.readouterr().err

            update = fake.send_text(USER, "which city is number 2?")
            assert await fake.deliver_via_webhook(update) == 200
            reply = await fake.wait_for("sendMessage", chat_id=USER, timeout=20)
            assert "Tokyo–Yokohama" in reply.result["text"]

            forged = fake.send_text(USER, "what should I see in seoul")
            assert await fake.deliver_via_webhook(forged, use_stored_secret=False) == 403
            assert await fake.deliver_via_webhook(forged, secret_token="guess") == 403

            async with httpx.AsyncClient(trust_env=False) as client:
                metrics = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
            assert 'travelbot_updates_total{type="message"} 1.0' in metrics
            assert 'travelbot_answers_total{intent="rank"} 1.0' in metrics
            assert "travelbot_answer_latency_seconds_count 1.0" in metrics

            fake.delay_next("sendMessage", 1.5)  # this reply is in flight when the signal comes
            late = fake.send_text(USER, "rank of seoul")
            assert await fake.deliver_via_webhook(late) == 200
            await asyncio.sleep(0.3)
            process.send_signal(stop)
            out, err = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0, err.decode()
        answers = [c for c in fake.calls_to("sendMessage") if c.params.get("chat_id") == USER]
        assert len(answers) == 2, "the update in flight was not finished"
        assert "Seoul" in answers[1].result["text"]
        assert not (data / "travelbot.sqlite3-wal").exists()  # the store was closed
        entries = assert_clean_json_log((out + err).decode(), fake)
        messages = " ".join(str(e["message"]) for e in entries)
        assert "setWebhook" in messages  # it did log at DEBUG
        assert "webhook call without the right secret token refused" in messages
        assert fake.calls_to("getUpdates") == []
        fake.assert_no_violations()


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_polling_run_finishes_the_update_in_flight_on_a_signal(
    tmp_path: Path, stop: signal.Signals
) -> None:
    data = tmp_path / "data"
    async with FakeBotApi() as fake:
        env = {
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_BASE_URL": fake.base_url,
            "TRAVELBOT_WEBHOOK_SECRET": SECRET,  # set but unused: polling; still never logged
            "TRAVELBOT_LOG_LEVEL": "DEBUG",
            "TRAVELBOT_LOG_FORMAT": "json",
            "TRAVELBOT_DATA_DIR": str(data),
        }
        async with travelbot_run(env) as process:
            await fake.wait_for("getUpdates", timeout=60)
            fake.delay_next("sendMessage", 1.5)
            fake.send_text(USER, "which city is number 2?")
            await fake.wait_for(lambda call: call.method == "getUpdates" and bool(call.result))
            await asyncio.sleep(0.3)
            process.send_signal(stop)
            out, err = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0, err.decode()
        (reply,) = [c for c in fake.calls_to("sendMessage") if c.params.get("chat_id") == USER]
        assert reply.ok and "Tokyo–Yokohama" in reply.result["text"]
        assert not (data / "travelbot.sqlite3-wal").exists()
        assert_clean_json_log((out + err).decode(), fake)
        fake.assert_no_violations()


async def test_webhook_run_on_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        async with FakeBotApi() as fake:
            env = webhook_env(fake, tmp_path / "data", port)
            env["TRAVELBOT_LOG_LEVEL"] = "ERROR"
            async with travelbot_run(env) as process:
                _, err = await asyncio.wait_for(process.communicate(), 60)
            assert process.returncode == 2
            line = _one_line_error(err.decode())
            assert "TRAVELBOT_PORT" in line and str(port) in line
            assert fake.calls == []  # refused before contacting Telegram


async def test_webhook_url_the_bot_api_refuses_is_one_line(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    """A self-hosted Bot API (TELEGRAM_BASE_URL) may be told any port; the fake still refuses
    a URL whose host cannot be resolved, as Telegram does: one line, exit 2."""
    async with FakeBotApi() as fake:
        env = webhook_env(fake, tmp_path / "data", free_port())
        env["TRAVELBOT_WEBHOOK_URL"] = "https://no-such-host.invalid:9999/hook"
        env["TRAVELBOT_LOG_LEVEL"] = "ERROR"
        fake.fail_next("setWebhook", 400, "Bad Request: bad webhook: Failed to resolve host")
        async with travelbot_run(env) as process:
            _, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 2
        line = _one_line_error(err.decode())
        assert "TRAVELBOT_WEBHOOK_URL" in line and "resolve host" in line
        assert SECRET not in line


# ---- run --check ---------------------------------------------------------------------------


async def test_run_check_prints_the_settings_masked_and_does_not_contact_telegram(
    tmp_path: Path, clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with FakeBotApi() as fake:
        for name, value in webhook_env(fake, tmp_path / "data", 8443).items():
            clean_env.setenv(name, value)
        clean_env.setenv("TRAVELBOT_ADMIN_IDS", "42,7")
        assert main(["run", "--check"]) == 0
        assert fake.calls == []
    out, err = capsys.readouterr()
    assert err == ""
    assert fake.token not in out and fake.token.split(":", 1)[1] not in out
    assert SECRET not in out
    table, _, summary = out.partition("\n\n")
    lines = dict(line.split(None, 1) for line in table.splitlines())
    assert lines["mode"].startswith("webhook: Telegram posts to http://127.0.0.1:8443/hook")
    assert lines["token"] == "(set, hidden)"
    assert lines["webhook_secret"] == "(set, hidden)"
    assert lines["admin_ids"] == "7,42"
    assert lines["listen"] == "127.0.0.1" and lines["port"] == "8443"
    assert lines["log_format"] == "json"
    assert lines["knowledge"] == str(SHIPPED_KNOWLEDGE)
    assert summary.startswith("knowledge is valid: ") and " clusters, " in summary
    assert "not contacted" in summary
    assert not (tmp_path / "data").exists()  # nothing written


def test_run_check_in_polling_mode(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    clean_env.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    clean_env.setenv("TRAVELBOT_DATA_DIR", str(tmp_path / "new" / "data"))
    assert main(["run", "--check"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("mode") and "polling" in out.splitlines()[0]
    assert TOKEN.split(":", 1)[1] not in out


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "TELEGRAM_BOT_TOKEN"),
        ({"TRAVELBOT_WEBHOOK_URL": "https://bot.example.org/hook"}, "TRAVELBOT_WEBHOOK_SECRET"),
        (
            {
                "TRAVELBOT_WEBHOOK_URL": "http://bot.example.org/hook",
                "TRAVELBOT_WEBHOOK_SECRET": SECRET,
            },
            "TRAVELBOT_WEBHOOK_URL",
        ),
        (
            {
                "TRAVELBOT_WEBHOOK_URL": "https://bot.example.org:8080/hook",
                "TRAVELBOT_WEBHOOK_SECRET": SECRET,
            },
            "TRAVELBOT_WEBHOOK_URL",
        ),
        ({"TRAVELBOT_LISTEN": "not an address!"}, "TRAVELBOT_LISTEN"),
        ({"TRAVELBOT_PORT": "99999"}, "TRAVELBOT_PORT"),
        ({"TRAVELBOT_LOG_FORMAT": "xml"}, "TRAVELBOT_LOG_FORMAT"),
        ({"TRAVELBOT_RELOAD_INTERVAL": "soon"}, "TRAVELBOT_RELOAD_INTERVAL"),
        ({"TRAVELBOT_ADMIN_IDS": "@me"}, "TRAVELBOT_ADMIN_IDS"),
        ({"TELEGRAM_BASE_URL": "ftp://x/bot"}, "TELEGRAM_BASE_URL"),
        ({"TRAVELBOT_KNOWLEDGE": "/no/such/folder"}, "TRAVELBOT_KNOWLEDGE"),
    ],
)
def test_run_check_names_the_bad_variable_in_one_line(
    clean_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    variable: str,
) -> None:
    if variable != "TELEGRAM_BOT_TOKEN":
        clean_env.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    for name, value in env.items():
        clean_env.setenv(name, value)
    assert main(["run", "--check"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    line = _one_line_error(err)
    assert variable in line
    assert TOKEN.split(":", 1)[1] not in line and SECRET not in line


def test_run_check_refuses_a_data_dir_that_is_a_file(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    clean_env.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    (tmp_path / "file").write_text("x")
    clean_env.setenv("TRAVELBOT_DATA_DIR", str(tmp_path / "file"))
    assert main(["run", "--check"]) == 2
    assert "TRAVELBOT_DATA_DIR" in _one_line_error(capsys.readouterr().err)


def test_run_check_reports_invalid_knowledge(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    clean_env.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    (tmp_path / "broken.yaml").write_text("clusters: [\n", encoding="utf-8")
    assert main(["run", "--check", "--knowledge", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "broken.yaml:" in err and "knowledge is invalid" in err
