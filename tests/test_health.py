"""Health: the heartbeat file, the /healthz probe, and ``travelbot health`` in both modes."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bot import health
from bot.cli import main


def test_fresh_heartbeat_is_healthy(tmp_path: Path) -> None:
    path = health.heartbeat_path(tmp_path)
    health.write_heartbeat(path, now=1000.0)
    assert health.read_heartbeat(path) == 1000.0
    assert health.check(path, 90, now=1030.0) == (True, "heartbeat 30 s old")


def test_stale_heartbeat_says_how_old(tmp_path: Path) -> None:
    path = health.heartbeat_path(tmp_path)
    health.write_heartbeat(path, now=1000.0)
    ok, reason = health.check(path, 90, now=1200.0)
    assert not ok
    assert reason == f"heartbeat at {path} is 200 s old (limit 90 s): the bot has stopped beating"


def test_missing_heartbeat(tmp_path: Path) -> None:
    ok, reason = health.check(tmp_path / "heartbeat", 90)
    assert not ok and reason.startswith(f"no heartbeat at {tmp_path / 'heartbeat'}:")


@pytest.mark.parametrize("content", ["", "soon\n", "nan\n", "inf\n", "\x00\xff"])
def test_garbled_heartbeat_is_unhealthy(tmp_path: Path, content: str) -> None:
    path = tmp_path / "heartbeat"
    path.write_text(content, encoding="latin-1")
    ok, reason = health.check(path, 90)
    assert not ok and reason.startswith(f"heartbeat at {path} is unreadable:")


def test_heartbeat_from_the_future_is_unhealthy(tmp_path: Path) -> None:
    path = tmp_path / "heartbeat"
    health.write_heartbeat(path, now=10_000.0)
    assert health.check(path, 90, now=10_000.0 - 30)[0]  # small skew: fine
    ok, reason = health.check(path, 90, now=10_000.0 - 3600)
    assert not ok and "in the future" in reason


def test_write_is_atomic_and_creates_the_folder(tmp_path: Path) -> None:
    path = tmp_path / "new" / "deeper" / "heartbeat"
    for stamp in (1.0, 2.0, 3.0):
        health.write_heartbeat(path, now=stamp)
    assert os.listdir(path.parent) == ["heartbeat"]  # no temporary file left behind
    assert path.read_text() == "3.000\n"


def test_failed_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "heartbeat"
    path.mkdir()  # os.replace cannot put a file over a folder
    with pytest.raises(OSError):
        health.write_heartbeat(path)
    assert os.listdir(tmp_path) == ["heartbeat"]


def test_concurrent_readers_never_see_a_partial_beat(tmp_path: Path) -> None:
    path = tmp_path / "heartbeat"
    health.write_heartbeat(path, now=1.0)
    stop = threading.Event()
    seen: list[tuple[bool, str]] = []

    def read() -> None:
        while not stop.is_set():
            seen.append(health.check(path, 1e12, now=1.0))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(300):
            health.write_heartbeat(path, now=1.0 + i / 1000)
    finally:
        stop.set()
        reader.join()
    assert seen and all(ok for ok, _ in seen)


@pytest.mark.parametrize(
    ("listen", "url"),
    [
        ("0.0.0.0", "http://127.0.0.1:8443/healthz"),
        ("::", "http://127.0.0.1:8443/healthz"),
        ("127.0.0.1", "http://127.0.0.1:8443/healthz"),
        ("::1", "http://[::1]:8443/healthz"),
        ("[::1]", "http://[::1]:8443/healthz"),
    ],
)
def test_healthz_url_is_loopback(listen: str, url: str) -> None:
    assert health.healthz_url(listen, 8443) == url


class _Server:
    """A tiny HTTP server on loopback whose /healthz answers ``status``."""

    def __init__(self) -> None:
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                code = outer.status if self.path == "/healthz" else 404
                body = b"ok\n" if code == 200 else b"not ready\n"
                self.send_response(code)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.httpd.server_address[1])
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/healthz"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[_Server]:
    s = _Server()
    yield s
    s.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_probe_200(server: _Server) -> None:
    assert health.probe(server.url) == (True, f"{server.url} answered 200")


def test_probe_503(server: _Server) -> None:
    server.status = 503
    ok, reason = health.probe(server.url)
    assert not ok and reason == f"{server.url} answered 503 Service Unavailable"


def test_probe_ignores_proxy_variables(server: _Server, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{_free_port()}")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    assert health.probe(server.url)[0]


def test_probe_nothing_listening() -> None:
    url = f"http://127.0.0.1:{_free_port()}/healthz"
    ok, reason = health.probe(url, timeout=2)
    assert not ok and reason.startswith(f"cannot reach {url}: ")


def test_probe_times_out_on_a_silent_server() -> None:
    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/healthz"
        started = time.monotonic()
        ok, reason = health.probe(url, timeout=0.3)
    assert not ok and reason == f"{url} did not answer within 0.3 s"
    assert time.monotonic() - started < 5


async def test_start_heartbeat_beats_now_then_repeats(tmp_path: Path) -> None:
    calls: list[dict[str, Any]] = []

    def run_repeating(callback: Any, **kwargs: Any) -> str:
        calls.append({"callback": callback, **kwargs})
        return "job"

    path = tmp_path / "data" / "heartbeat"
    assert health.start_heartbeat(run_repeating, path) == "job"
    assert health.check(path, 5)[0]  # the first beat does not wait for the job queue
    (call,) = calls
    assert call["interval"] == health.HEARTBEAT_INTERVAL
    assert call["first"] == health.HEARTBEAT_INTERVAL
    health.write_heartbeat(path, now=0)
    await call["callback"](object())
    assert health.check(path, 5)[0]


async def test_a_failed_beat_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    callbacks: list[Any] = []
    path = tmp_path / "heartbeat"
    path.mkdir()
    health.start_heartbeat(lambda cb, **_: callbacks.append(cb), path)
    assert "cannot write the heartbeat" in caplog.text
    caplog.clear()
    await callbacks[0](None)
    assert "cannot write the heartbeat" in caplog.text


async def test_heartbeat_on_a_real_ptb_job_queue(tmp_path: Path) -> None:
    """The wiring the Telegram layer uses: PTB's own JobQueue runs the beat."""
    from telegram.ext import ApplicationBuilder

    app = ApplicationBuilder().token("123456789:AAFakeTokenForTravelbotTests_012345").build()
    assert app.job_queue is not None
    path = tmp_path / "heartbeat"
    health.start_heartbeat(app.job_queue.run_repeating, path, interval=0.05)
    await app.job_queue.start()
    try:
        first = health.read_heartbeat(path)
        for _ in range(100):
            await asyncio.sleep(0.02)
            if health.read_heartbeat(path) > first:
                break
        assert health.read_heartbeat(path) > first  # the job queue repeats it
    finally:
        await app.job_queue.stop()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """A clean environment: polling mode, data under tmp_path."""
    for name in list(os.environ):
        if name.startswith(("TRAVELBOT_", "TELEGRAM_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TRAVELBOT_DATA_DIR", str(tmp_path / "data"))
    return monkeypatch


def test_cli_polling_without_heartbeat(
    env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["health"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"unhealthy: no heartbeat at {tmp_path / 'data' / 'heartbeat'}")
    assert err.count("\n") == 1


def test_cli_polling_with_fresh_and_stale_heartbeat(
    env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "data" / "heartbeat"
    health.write_heartbeat(path)
    assert main(["health"]) == 0
    assert capsys.readouterr().out.startswith("healthy: heartbeat ")
    health.write_heartbeat(path, now=time.time() - 120)
    assert main(["health"]) == 1
    assert "s old (limit 90 s)" in capsys.readouterr().err
    assert main(["health", "--max-age", "300"]) == 0


def test_cli_webhook_mode_asks_healthz(
    env: pytest.MonkeyPatch, server: _Server, capsys: pytest.CaptureFixture[str]
) -> None:
    env.setenv("TRAVELBOT_WEBHOOK_URL", "https://bot.example.org/telegram")
    env.setenv("TRAVELBOT_WEBHOOK_SECRET", "s3cret-token")
    env.setenv("TRAVELBOT_PORT", str(server.port))
    assert main(["health"]) == 0
    assert capsys.readouterr().out == f"healthy: {server.url} answered 200\n"
    server.status = 503
    assert main(["health"]) == 1
    assert capsys.readouterr().err == f"unhealthy: {server.url} answered 503 Service Unavailable\n"


def test_cli_webhook_mode_nothing_listening(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env.setenv("TRAVELBOT_WEBHOOK_URL", "https://bot.example.org/telegram")
    env.setenv("TRAVELBOT_WEBHOOK_SECRET", "s3cret-token")
    env.setenv("TRAVELBOT_PORT", str(_free_port()))
    assert main(["health", "--timeout", "1"]) == 1
    assert capsys.readouterr().err.startswith("unhealthy: cannot reach http://127.0.0.1:")


def test_cli_bad_setting_is_unhealthy_with_exit_1(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env.setenv("TRAVELBOT_PORT", "eighty")
    assert main(["health"]) == 1  # not 2: Docker reserves it
    assert capsys.readouterr().err == (
        "unhealthy: TRAVELBOT_PORT must be a whole number, got 'eighty'\n"
    )


@pytest.mark.parametrize("value", ["0", "-5", "soon", "inf"])
def test_cli_rejects_a_bad_max_age(env: pytest.MonkeyPatch, value: str) -> None:
    with pytest.raises(SystemExit):
        main(["health", "--max-age", value])
