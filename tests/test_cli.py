"""The command-line contract: ask, chat --json, validate."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.chat import json_chat
from bot.cli import main
from bot.engine import Engine

CONTRACT_KEYS = {"chat_id", "intent", "clusters", "confidence", "text", "buttons"}


def test_chat_json_answers_every_line_once(engine: Engine) -> None:
    lines = [
        "which city is number 2?",
        json.dumps({"chat_id": "x", "text": "tell me about seoul"}),
        json.dumps({"chat_id": "x", "text": "what should I see there?"}),
        "",
        "{not json",
        json.dumps({"chat_id": 7, "text": "<b>&amp; 🙂"}),
        "x" * 5000,
        "\x00\x1b[31m",
    ]
    out = io.StringIO()
    json_chat(engine, io.StringIO("\n".join(lines) + "\n"), out)
    replies = [json.loads(x) for x in out.getvalue().splitlines()]
    assert len(replies) == len(lines)
    for reply in replies:
        assert set(reply) == CONTRACT_KEYS
        assert 0 <= reply["confidence"] <= 1
        assert len(reply["text"]) <= 4096 + 200  # HTML tags on top of 4,096 visible characters
    assert replies[0]["intent"] == "rank" and replies[0]["clusters"] == ["tokyo-yokohama"]
    assert replies[2]["chat_id"] == "x" and replies[2]["intent"] == "sights"
    assert "Cheonggyecheon" in replies[2]["text"]
    assert replies[5]["chat_id"] == "7"


def test_ask_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "hotel prices in Seoul?", "--json"]) == 0
    reply = json.loads(capsys.readouterr().out)
    assert reply["intent"] == "unknown" and reply["clusters"] == []


def test_validate_shipped(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 0
    assert capsys.readouterr().out.startswith("ok:")


def test_validate_reports_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  - id: a\n    title: T\n    publisher: P\n    publsher: Q\n")
    assert main(["validate", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}:5: unknown key 'publsher'; did you mean 'publisher'?" in out
