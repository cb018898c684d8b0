"""The terminal conversations: an interactive chat, and ``chat --json`` for other tools."""

from __future__ import annotations

import json
import logging
from typing import Any, TextIO

from bot import render
from bot.answer import Answer, text
from bot.engine import Engine
from bot.messages import t

DEFAULT_CHAT = "default"
log = logging.getLogger(__name__)


def _parse_line(line: str) -> tuple[str, str]:
    """(chat_id, text) of an input line: a JSON object with "text", or plain text."""
    stripped = line.strip()
    if stripped.startswith("{"):
        try:
            obj: Any = json.loads(stripped)
        except ValueError:
            return DEFAULT_CHAT, line
        if isinstance(obj, dict) and isinstance(obj.get("text"), str):
            chat_id = obj.get("chat_id", DEFAULT_CHAT)
            return str(chat_id) if chat_id is not None else DEFAULT_CHAT, obj["text"]
    return DEFAULT_CHAT, line


def _safe_answer(engine: Engine, question: str, chat_id: str) -> Answer:
    try:
        return engine.ask(question, chat_id)
    except Exception:  # one bad line must never end the conversation for the other tool
        log.exception("answering failed")
        return Answer("unknown", (), 0.0, (text(t("error")),))


def json_chat(engine: Engine, stdin: TextIO, stdout: TextIO) -> int:
    """Exactly one JSON object per input line, flushed at once."""
    for raw in stdin:
        chat_id, question = _parse_line(raw.rstrip("\r\n"))
        answer = _safe_answer(engine, question, chat_id)
        try:
            reply = render.to_json(answer, engine.kb, chat_id)
        except Exception:
            log.exception("rendering failed")
            reply = render.to_json(
                Answer("unknown", (), 0.0, (text(t("error")),)), engine.kb, chat_id
            )
        stdout.write(render.dumps(reply) + "\n")
        stdout.flush()
    return 0


def terminal_chat(engine: Engine, stdin: TextIO, stdout: TextIO, interactive: bool) -> int:
    """A readable conversation; ``quit`` or end of input leaves."""
    if interactive:
        stdout.write(t("welcome") + "\n(type 'quit' to leave)\n\n")
    while True:
        if interactive:
            stdout.write("you> ")
            stdout.flush()
        line = stdin.readline()
        if not line or line.strip().lower() in ("quit", "exit", "/quit"):
            return 0
        answer = _safe_answer(engine, line.rstrip("\r\n"), DEFAULT_CHAT)
        stdout.write(render.to_terminal(answer, engine.kb) + "\n\n")
        stdout.flush()
