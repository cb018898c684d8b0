"""The whole bot in one process: updates per second through python-telegram-bot, start-up time
of ``travelbot ask``, and resident memory of ``travelbot run``.

Run from the project's root:

    .venv/bin/python benchmarks/bot_throughput.py [--quick] [--breakdown] [--check]

1. **Throughput.** The real ``Application`` built by ``bot.telegram_app.build_application``
   (every handler, the flood guard, the metrics, the SQLite question store in a temporary
   folder, the engine on the shipped knowledge) handles N private-chat text updates. Its
   request layer is ``InstantRequest``: a ``telegram.request.BaseRequest`` that encodes each
   call as PTB's HTTPXRequest does and answers at once with canned Bot API JSON, so no
   network is involved. Beside it, in the same run and on the same request layer, an echo
   bot: an ``Application`` built the same way (defaults, rate limiter, concurrency) with one
   handler that replies with the message's text. The ratio is travelbot's updates/s over the
   echo bot's; the floor is 0.8, sequential. AIORateLimiter stays in both with its
   throttling off (0 = no limit): throttled to Telegram's 30 messages a second, both would
   measure the limiter, not themselves. Three modes:

   - sequential: ``Application.process_update`` on each update, each awaited in turn;
   - concurrent: the updates go through the fair dispatcher ``travelbot run`` uses
     (``bot.dispatch``, 8 at a time, one at a time per user);
   - loopback: sequential again, but PTB's real HTTPXRequest talks to the fake Bot API
     (``python -m tests.fake_bot_api``) in another process (N / 4 updates; ``--no-loopback``
     skips it).

   Travelbot also runs with an in-memory store (no disk), to show the durable write's cost.
   The questions are every turn of ``tests/eval/questions.yaml`` and ``holdout.yaml``,
   cycled to N; each conversation is a new private chat, so the flood guard never refuses
   one (the script checks that no "slow down" was sent). Each run gets new chats and a new
   application; the kinds alternate their order; 5 repeats; medians, and the ratio is the
   median of the per-repeat ratios. ``--breakdown`` also times travelbot with parts of its
   handler taken out (the store call, the keyboards, the engine).
2. **Start to first answer.** Wall time of ``travelbot ask "which city is number 2?"`` in a
   subprocess, from spawn to exit with the answer printed; median of 5 (floor 1.5 s).
3. **Resident memory.** ``travelbot run`` on the shipped knowledge, polling the fake Bot API
   in another process; after it has answered 8 questions and idled 2 s, VmRSS from
   ``/proc/PID/status`` (floor 120 MB). Linux only.

The report ends with the floors, MET or NOT MET; the exit code is 0 unless ``--check`` is
given and a floor is not met. It is a report, not a test: CI does not run it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import gc
import itertools
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from unittest import mock

import yaml
from telegram import LinkPreviewOptions, Update
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest, RequestData

from bot import telegram_app
from bot.config import SHIPPED_KNOWLEDGE, Settings
from bot.dispatch import Dispatcher
from bot.engine import Engine
from bot.handlers.common import html, keyboard
from bot.knowledge import load_knowledge
from bot.messages import t
from bot.polling import update_key
from bot.store import Stats, UnansweredGroup

ROOT = Path(__file__).resolve().parent.parent
QUESTION_FILES = (
    ROOT / "tests" / "eval" / "questions.yaml",
    ROOT / "tests" / "eval" / "holdout.yaml",
)
TOKEN: Final = "123456789:AAFakeTokenForTravelbotTests_012345"
BOT_USER: Final = {
    "id": 123456789,
    "is_bot": True,
    "first_name": "Travel Bench Bot",
    "username": "travel_bench_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": True,
}
FIRST_CHAT = 10_000_000
ASK_QUESTION = "which city is number 2?"

# Floors (from the benchmark issue).
FLOOR_RATIO = 0.8
FLOOR_ASK_S = 1.5
FLOOR_RSS_MB = 120.0


# -- the request layer ------------------------------------------------------------------------


class InstantRequest(BaseRequest):
    """A Bot API that answers every call at once, with what Telegram would return.

    Parameters are encoded as ``HTTPXRequest`` encodes them (``json_parameters``), so the
    bot pays the same serialisation cost as in production; only the socket is missing."""

    def __init__(self) -> None:
        self._message_ids = itertools.count(1)
        self.calls: dict[str, int] = {}
        self.texts: list[str] = []
        self.keep_texts = False

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        params: dict[str, Any] = {}
        if request_data is not None:
            request_data.json_parameters  # noqa: B018 - the encoding HTTPXRequest does
            params = request_data.parameters
        self.calls[endpoint] = self.calls.get(endpoint, 0) + 1
        result = self._result(endpoint, params)
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _result(self, endpoint: str, params: dict[str, Any]) -> Any:
        if endpoint == "getMe":
            return BOT_USER
        if endpoint == "getUpdates":
            return []
        if endpoint in ("sendMessage", "sendVenue", "editMessageText"):
            chat_id = int(params.get("chat_id", 0))
            message: dict[str, Any] = {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private", "first_name": "Traveller"},
                "from": BOT_USER,
            }
            if "reply_markup" in params:  # Telegram returns the keyboard with the message
                message["reply_markup"] = params["reply_markup"]
            if "text" in params:
                message["text"] = params["text"]
                if self.keep_texts:
                    self.texts.append(str(params["text"]))
            if endpoint == "sendVenue":
                message["venue"] = {
                    "location": {"latitude": params["latitude"], "longitude": params["longitude"]},
                    "title": params["title"],
                    "address": params["address"],
                }
            return message
        return True  # setMyCommands, answerCallbackQuery, deleteWebhook...


def _unthrottled() -> AIORateLimiter:
    return AIORateLimiter(
        overall_max_rate=0, group_max_rate=0, max_retries=telegram_app.RATE_LIMIT_RETRIES
    )


class _BenchBuilder(ApplicationBuilder):  # type: ignore[type-arg]
    """``ApplicationBuilder`` as ``build_application`` configures it, with the rate limiter's
    throttling off and, unless ``instant`` is cleared, the instant request layer."""

    instant = True
    request_layer: InstantRequest | None = None

    def build(self) -> Any:
        self.rate_limiter(_unthrottled())
        if type(self).instant:
            layer = InstantRequest()
            type(self).request_layer = layer
            self.request(layer).get_updates_request(InstantRequest())
        return super().build()


class _InstantBuilder(_BenchBuilder):
    instant = True


class _HttpBuilder(_BenchBuilder):
    instant = False


class MemoryStore:
    """A question store that keeps nothing: travelbot without its disk write."""

    def record(self, *args: Any, **kwargs: Any) -> None:
        pass

    def unanswered(self, limit: int = 20, include_handled: bool = False) -> list[UnansweredGroup]:
        return []

    def count_unanswered(self, include_handled: bool = False) -> int:
        return 0

    def mark_handled(self, group_id: int) -> int:
        return 0

    def stats(self, days: int = 30, now: Any = None) -> Stats:
        return Stats(days)

    def close(self) -> None:
        pass


# -- the two bots ------------------------------------------------------------------------------


Bot = Application[Any, Any, Any, Any, Any, Any]


NO_SERVER: Final = "http://127.0.0.1:9/bot"  # never called: the instant layer answers


def travelbot_app(
    engine: Engine, data_dir: Path, in_memory: bool, base_url: str | None = None
) -> tuple[Bot, InstantRequest]:
    """travelbot from ``build_application``; over HTTP to ``base_url`` when it is given,
    else on the instant request layer (returned; a spare one for HTTP)."""
    settings = Settings(token=TOKEN, base_url=base_url or NO_SERVER, data_dir=data_dir)
    builder = _HttpBuilder if base_url else _InstantBuilder
    builder.request_layer = None
    with mock.patch.object(telegram_app, "ApplicationBuilder", builder):
        app = telegram_app.build_application(
            settings, engine, store=MemoryStore() if in_memory else None
        )
    return app, builder.request_layer or InstantRequest()


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text is not None:
        await message.reply_text(message.text)


def echo_app(base_url: str | None = None) -> tuple[Bot, InstantRequest]:
    """The baseline: built like travelbot (defaults, rate limiter, concurrency), one handler
    that sends the text back."""
    layer = InstantRequest()
    defaults = Defaults(
        parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
    )
    builder = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(base_url or NO_SERVER)
        .defaults(defaults)
        .rate_limiter(_unthrottled())
    )
    if base_url is None:
        builder = builder.request(layer).get_updates_request(InstantRequest())
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo))
    return app, layer


# -- the updates -------------------------------------------------------------------------------


def load_conversations(paths: Iterable[Path] = QUESTION_FILES) -> list[list[str]]:
    """Every case of the question files as a conversation (a single question is one turn)."""
    conversations: list[list[str]] = []
    for path in paths:
        for item in yaml.safe_load(path.read_text(encoding="utf-8")):
            turns = item.get("chat", [item])
            conversations.append([str(turn["q"]) for turn in turns])
    return conversations


def update_payloads(conversations: Sequence[list[str]], n: int, first_chat: int) -> list[Any]:
    """N private-chat text updates: the conversations in order, cycled, each in a new chat."""
    payloads: list[dict[str, Any]] = []
    chats = itertools.count(first_chat)
    now = int(time.time())
    for turns in itertools.cycle(conversations):
        chat = next(chats)
        for text in turns:
            if len(payloads) == n:
                return payloads
            message: dict[str, Any] = {
                "message_id": len(payloads) + 1,
                "date": now,
                "chat": {"id": chat, "type": "private", "first_name": "Traveller"},
                "from": {"id": chat, "is_bot": False, "first_name": "Traveller"},
                "text": text,
            }
            if text.startswith("/"):
                length = len(text.split(maxsplit=1)[0])
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
            payloads.append({"update_id": len(payloads) + 1, "message": message})
    return payloads


@dataclass
class Run:
    updates: int
    seconds: float
    sends: int

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds


async def drive(app: Bot, layer: InstantRequest, payloads: list[Any], concurrent: bool) -> Run:
    """Initialize, then hand the bot every update; timed from the first update to the last
    one handled. The updates are parsed before the clock starts (both bots alike).

    Sequential: ``process_update`` on each update in turn, each awaited before the next.
    Concurrent: the updates go to the fair dispatcher (``bot.dispatch``) that ``travelbot
    run`` uses, which runs them through ``process_update`` 8 at a time."""
    await app.initialize()
    try:
        updates = [Update.de_json(p, app.bot) for p in payloads]
        gc.collect()
        if concurrent:
            await app.start()
            start = time.perf_counter()
            dispatcher = Dispatcher()
            for update in updates:
                dispatcher.submit(update_key(update), functools.partial(app.process_update, update))
            await dispatcher.join()
            seconds = time.perf_counter() - start
            await app.stop()
        else:
            start = time.perf_counter()
            for update in updates:
                await app.process_update(update)
            seconds = time.perf_counter() - start
    finally:
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
    return Run(len(updates), seconds, layer.calls.get("sendMessage", 0))


MODES: Final = ("sequential", "concurrent", "loopback")
MODE_TITLES: Final = {
    "sequential": "instant request layer, sequential (process_update, one at a time):",
    "concurrent": "instant request layer, concurrent (bot.dispatch, 8 at once):",
    "loopback": "HTTP over loopback to the fake Bot API in another process, sequential:",
}
KINDS: Final = ("echo", "bot", "memory")
LABELS: Final = {
    "echo": "echo bot",
    "bot": "travelbot (SQLite store)",
    "memory": "travelbot (in-memory store)",
}


@dataclass
class Throughput:
    runs: dict[tuple[str, str], list[Run]] = field(default_factory=dict)
    slow_downs: int = 0

    def has(self, kind: str, mode: str) -> bool:
        return (kind, mode) in self.runs

    def per_second(self, kind: str, mode: str) -> float:
        return _median([r.per_second for r in self.runs[kind, mode]])

    def ratio(self, kind: str, mode: str) -> float:
        """The median of the per-repeat ratios to the echo bot's run of the same repeat."""
        pairs = zip(self.runs[kind, mode], self.runs["echo", mode], strict=True)
        return _median([b.per_second / e.per_second for b, e in pairs])


async def throughput(
    engine: Engine, n: int, repeats: int, fake_url: str | None, loopback_n: int
) -> Throughput:
    """Every mode, every kind, ``repeats`` times; the kinds alternate their order. Each run
    gets new chats (the engine is shared, so old chats would carry context); over loopback
    the chats are made known to the fake first, and echo and travelbot share them."""
    conversations = load_conversations()
    result = Throughput()
    slow_down = t("slow_down")
    chats = itertools.count(FIRST_CHAT, 1_000_000)
    for repeat in range(repeats):
        for mode in MODES:
            if mode == "loopback" and fake_url is None:
                continue
            kinds = ("echo", "bot") if mode == "loopback" else KINDS
            payloads = update_payloads(conversations, loopback_n, next(chats))
            if mode == "loopback":
                assert fake_url is not None
                for chat in sorted({p["message"]["chat"]["id"] for p in payloads}):
                    _post(fake_url, "add_chat", {"chat_id": chat})
            for kind in kinds if repeat % 2 == 0 else kinds[::-1]:
                if mode != "loopback":
                    payloads = update_payloads(conversations, n, next(chats))
                base_url = f"{fake_url}/bot" if mode == "loopback" else None
                with tempfile.TemporaryDirectory(prefix="travelbot-bench-") as data:
                    if kind == "echo":
                        app, layer = echo_app(base_url)
                    else:
                        memory = kind == "memory"
                        app, layer = travelbot_app(engine, Path(data), memory, base_url)
                        layer.keep_texts = True
                    run = await drive(app, layer, payloads, mode == "concurrent")
                    result.slow_downs += layer.texts.count(slow_down)
                result.runs.setdefault((kind, mode), []).append(run)
                print(
                    f"  repeat {repeat + 1}/{repeats} {mode:>10} {kind:>6}: "
                    f"{run.per_second:6.0f} updates/s",
                    flush=True,
                )
    return result


def engine_alone(engine: Engine, n: int, repeats: int) -> float:
    """Microseconds per question of what travelbot's handler adds to an echo in pure
    Python: ``Engine.ask_interpreted``, the Telegram HTML and the keyboard, on the same
    questions (new chats), without python-telegram-bot; the median of ``repeats``."""
    conversations = load_conversations()
    chats = itertools.count(900_000_000, 1_000_000)
    times: list[float] = []
    for _ in range(repeats):
        payloads = update_payloads(conversations, n, next(chats))
        asked = [(p["message"]["text"], str(p["message"]["chat"]["id"])) for p in payloads]
        asked = [(q, c) for q, c in asked if not q.startswith("/")]
        start = time.perf_counter()
        for question, chat in asked:
            answer, _ = engine.ask_interpreted(question, chat)
            html(answer, engine)
            keyboard(answer)
        times.append((time.perf_counter() - start) / len(asked) * 1e6)
    return _median(times)


async def _no_record(*args: Any, **kwargs: Any) -> None:
    pass


BREAKDOWN: Final = (
    ("travelbot (in-memory store)", ()),
    ("  without the store call (a thread hop)", ("record",)),
    ("  and without keyboards", ("record", "keyboard")),
    ("  and one fixed answer, no engine", ("record", "keyboard", "engine")),
)


async def breakdown(engine: Engine, n: int, repeats: int) -> dict[str, float]:
    """Microseconds per sequential update of travelbot (in-memory store) with parts of its
    handler taken out, one at a time, beside the echo bot: where the gap comes from."""
    from bot.handlers import common, conversation

    fixed = engine.ask_interpreted("what does the GII measure?", "breakdown")
    conversations = load_conversations()
    chats = itertools.count(800_000_000, 1_000_000)
    times: dict[str, list[float]] = {}
    for _ in range(repeats):
        payloads = update_payloads(conversations, n, next(chats))
        app, layer = echo_app()
        times.setdefault("echo bot", []).append(
            1e6 / (await drive(app, layer, payloads, False)).per_second
        )
        for label, removed in BREAKDOWN:
            payloads = update_payloads(conversations, n, next(chats))
            with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory() as data:
                if "record" in removed:
                    stack.enter_context(mock.patch.object(conversation, "record", _no_record))
                if "keyboard" in removed:
                    stack.enter_context(mock.patch.object(common, "keyboard", lambda a: None))
                if "engine" in removed:
                    stack.enter_context(
                        mock.patch.object(Engine, "ask_interpreted", lambda *a: fixed)
                    )
                app, layer = travelbot_app(engine, Path(data), in_memory=True)
                run = await drive(app, layer, payloads, False)
            times.setdefault(label, []).append(1e6 / run.per_second)
    return {label: _median(values) for label, values in times.items()}


# -- start-up and memory -----------------------------------------------------------------------


def travelbot_command() -> list[str]:
    script = Path(sys.executable).parent / "travelbot"
    if script.exists():
        return [str(script)]
    found = shutil.which("travelbot")
    return [found] if found else [sys.executable, "-m", "bot"]


def ask_times(runs: int) -> tuple[list[float], str]:
    """Wall time of ``travelbot ask`` from spawn to exit, and its answer."""
    times: list[float] = []
    answer = ""
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(
            [*travelbot_command(), "ask", ASK_QUESTION],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        times.append(time.perf_counter() - start)
        answer = done.stdout.strip().splitlines()[0] if done.stdout.strip() else ""
    return times, answer


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post(base: str, action: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        f"{base}/_fake/{action}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


def _get(base: str, action: str, query: str = "") -> Any:
    with urllib.request.urlopen(f"{base}/_fake/{action}{query}", timeout=5) as response:
        return json.load(response)


def _status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process, in kB."""
    found: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


@contextlib.contextmanager
def _process(command: list[str], **kwargs: Any) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(command, text=True, **kwargs)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@dataclass
class Memory:
    rss_kb: int
    peak_kb: int
    answered: int


RSS_QUESTIONS = (
    "which city is number 2?",
    "wat 2 see in tokio",
    "where can I ride a driverless train?",
    "compare seoul and beijing",
    "/top",
    "東京の見どころは？",
    "tell me about teamLab Planets",
    "hotel prices in seoul",
)


@contextlib.contextmanager
def fake_bot_api() -> Iterator[str]:
    """``python -m tests.fake_bot_api`` in another process; yields its base URL."""
    port = _free_port()
    command = [sys.executable, "-m", "tests.fake_bot_api", "--port", str(port)]
    with _process(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as fake:
        assert fake.stdout is not None
        fake.stdout.readline()  # "fake Bot API: ..." once it listens
        yield f"http://127.0.0.1:{port}"


def run_memory(settle_seconds: float = 2.0) -> Memory:
    """``travelbot run`` against the fake Bot API in another process: answer a few questions,
    wait a little, read its resident memory."""
    with tempfile.TemporaryDirectory(prefix="travelbot-rss-") as data, fake_bot_api() as base:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_BASE_URL": f"{base}/bot",
            "TRAVELBOT_DATA_DIR": data,
            "TRAVELBOT_LOG_LEVEL": "WARNING",
        }
        for name in ("TRAVELBOT_WEBHOOK_URL", "TRAVELBOT_KNOWLEDGE", "TRAVELBOT_ADMIN_IDS"):
            env.pop(name, None)
        log = Path(data) / "bot.log"
        with (
            log.open("w") as stderr,
            _process(
                [*travelbot_command(), "run"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            ) as bot,
        ):
            chats = range(7001, 7001 + len(RSS_QUESTIONS))
            for chat, question in zip(chats, RSS_QUESTIONS, strict=True):
                _post(base, "send_text", {"chat_id": chat, "text": question})
            answered = 0
            deadline = time.monotonic() + 30
            while answered < len(RSS_QUESTIONS) and time.monotonic() < deadline:
                if bot.poll() is not None:
                    raise RuntimeError(f"travelbot run exited {bot.returncode}: {log.read_text()}")
                time.sleep(0.2)
                answered = sum(
                    1 for chat in chats if _get(base, "sent_messages", f"?chat_id={chat}")
                )
            time.sleep(settle_seconds)
            status = _status(bot.pid)
    return Memory(status["VmRSS"], status["VmHWM"], answered)


# -- report ------------------------------------------------------------------------------------


def _median(values: Sequence[float]) -> float:
    return statistics.median(values)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="500 updates, 3 repeats")
    parser.add_argument("--updates", type=int, help="updates per run (default 2,000)")
    parser.add_argument("--repeats", type=int, help="repeats (default 5)")
    parser.add_argument("--no-loopback", action="store_true", help="skip the HTTP runs")
    parser.add_argument(
        "--breakdown", action="store_true", help="also time travelbot with parts taken out"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a floor is not met")
    args = parser.parse_args(argv)
    n = args.updates or (500 if args.quick else 2_000)
    repeats = args.repeats or (3 if args.quick else 5)
    loopback_n = max(1, n // 4)

    print(
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {platform.system()} {platform.machine()}"
    )
    print(
        f"throughput: {n} updates per run ({loopback_n} over loopback), {repeats} repeats, medians"
    )
    engine = Engine(load_knowledge([SHIPPED_KNOWLEDGE]))
    with contextlib.ExitStack() as stack:
        fake_url = None if args.no_loopback else stack.enter_context(fake_bot_api())
        tp = asyncio.run(throughput(engine, n, repeats, fake_url, loopback_n))
        violations = _get(fake_url, "violations") if fake_url else []
    for mode in MODES:
        if not tp.has("echo", mode):
            continue
        print(MODE_TITLES[mode])
        for kind in KINDS:
            if not tp.has(kind, mode):
                continue
            rate = tp.per_second(kind, mode)
            line = f"  {LABELS[kind]:<28} {rate:7.0f} updates/s {1e6 / rate:6.0f} µs each"
            if kind != "echo":
                line += f"  ratio {tp.ratio(kind, mode):.2f}"
            print(line)
    if tp.slow_downs:
        print(f"warning: the flood guard refused {tp.slow_downs} update(s)")
    if violations:
        print(f"warning: {len(violations)} Bot API rule violation(s) over loopback")
    core_us = engine_alone(engine, n, repeats)
    echo_us = 1e6 / tp.per_second("echo", "sequential")
    memory_us = 1e6 / tp.per_second("memory", "sequential")
    bot_us = 1e6 / tp.per_second("bot", "sequential")
    print("where a sequential update's time goes on the instant layer (µs):")
    print(f"  PTB and the echo handler (the echo bot)      {echo_us:6.0f}")
    print(f"  engine + HTML + keyboard (measured alone)    {core_us:6.0f}")
    print(f"  travelbot's other handler work               {memory_us - echo_us - core_us:6.0f}")
    print(f"  the durable SQLite write                     {bot_us - memory_us:6.0f}")
    print(f"  what the floor lets travelbot add            {echo_us / FLOOR_RATIO - echo_us:6.0f}")
    ratio = tp.ratio("bot", "sequential")
    if args.breakdown:
        print("travelbot with parts of its handler taken out (sequential, µs per update):")
        for label, us in asyncio.run(breakdown(engine, n, repeats)).items():
            print(f"  {label:<42} {us:6.0f}")

    print("start to first answer: travelbot ask, 5 runs")
    times, answer = ask_times(5)
    ask_s = _median(times)
    print(f"  {ask_s:.2f} s (runs: {', '.join(f'{x:.2f}' for x in times)}); {answer[:60]!r}")

    rss_mb: float | None = None
    if Path("/proc/self/status").exists():
        print("resident memory: travelbot run against the fake Bot API")
        mem = run_memory()
        rss_mb = mem.rss_kb / 1024
        print(
            f"  VmRSS {rss_mb:.1f} MB, peak (VmHWM) {mem.peak_kb / 1024:.1f} MB, "
            f"after {mem.answered}/{len(RSS_QUESTIONS)} questions answered"
        )

    floors = [
        ("travelbot / echo, updates per second (instant, sequential)", f"≥ {FLOOR_RATIO}",
         f"{ratio:.2f}", ratio >= FLOOR_RATIO),
        ("travelbot ask: start to first answer", f"≤ {FLOOR_ASK_S} s", f"{ask_s:.2f} s",
         ask_s <= FLOOR_ASK_S),
    ]  # fmt: skip
    if rss_mb is not None:
        floors.append(
            ("travelbot run: resident memory", f"≤ {FLOOR_RSS_MB:.0f} MB", f"{rss_mb:.1f} MB",
             rss_mb <= FLOOR_RSS_MB)
        )  # fmt: skip
    print("floors:")
    for name, limit, measured, met in floors:
        print(f"  {name}: {measured} (floor {limit}) {'MET' if met else 'NOT MET'}")
    if args.check and not all(met for *_, met in floors):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
