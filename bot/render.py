"""Answer → Telegram HTML (escaped, within 4,096 characters), terminal text, or JSON.

The one place where text meets markup: every span is escaped here, so facts from the YAML and
echoes of the traveller's words can never break Telegram's HTML parser.
"""

from __future__ import annotations

import html
import json
from typing import Any

from bot.answer import Action, Answer, Line, Span
from bot.knowledge import KnowledgeBase
from bot.messages import t

TELEGRAM_LIMIT = 4096
_ELLIPSIS = "…"


def _span_html(span: Span) -> str:
    body = html.escape(span.text, quote=False)
    if span.url:
        body = f'<a href="{html.escape(span.url, quote=True)}">{body}</a>'
    if span.style:
        body = f"<{span.style}>{body}</{span.style}>"
    return body


def _line_html(line: Line) -> str:
    return "".join(_span_html(s) for s in line if s.text)


def _visible_length(line: Line) -> int:
    return sum(len(s.text) for s in line)


def source_lines(answer: Answer, kb: KnowledgeBase) -> list[Line]:
    if not answer.sources:
        return []
    parts: list[Span] = [Span(f"{t('sources' if len(answer.sources) > 1 else 'source')}: ", "i")]
    for i, source_id in enumerate(answer.sources):
        source = kb.source_by_id.get(source_id)
        if source is None:
            continue
        label = (
            source.publisher
            if source.publisher in source.title
            else (f"{source.publisher}, {source.title}")
        )
        if source.date:
            label += f" ({source.date})"
        if i:
            parts.append(Span("; ", "i"))
        parts.append(Span(label, "i", url=source.url))
    return [tuple(parts)]


def to_html(answer: Answer, kb: KnowledgeBase, limit: int = TELEGRAM_LIMIT) -> str:
    """Telegram HTML of at most ``limit`` visible characters; whole lines are dropped from
    the body (never the sources) when an answer is too long, and a line too long on its own
    is cut at a character boundary, never inside a tag or an entity."""
    body = list(answer.lines)
    tail = source_lines(answer, kb)
    lines = body + ([()] if tail else []) + tail
    total = sum(_visible_length(x) for x in lines) + len(lines) - 1
    while total > limit and len(body) > 1:
        dropped = body.pop()
        total -= _visible_length(dropped) + 1
        lines = body + [(Span(_ELLIPSIS),)] + ([()] if tail else []) + tail
        total = sum(_visible_length(x) for x in lines) + len(lines) - 1
    if total > limit:
        lines = [_cut(line, max(1, limit - (total - _visible_length(line)))) for line in lines[:1]]
        lines += (
            tail
            if sum(_visible_length(x) for x in lines) + 1 + sum(_visible_length(x) for x in tail)
            <= limit
            else []
        )
    rendered = "\n".join(_line_html(x) for x in lines)
    return rendered or html.escape(t("unknown"))


def _cut(line: Line, room: int) -> Line:
    out: list[Span] = []
    for span in line:
        if room <= 1:
            break
        if len(span.text) < room:
            out.append(span)
            room -= len(span.text)
        else:
            out.append(Span(span.text[: room - 1] + _ELLIPSIS, span.style, span.url))
            room = 0
    return tuple(out)


def buttons(answer: Answer) -> list[list[dict[str, str]]]:
    """The inline keyboard as rows of {"text", "callback_data" | "url"}."""
    rows: list[list[dict[str, str]]] = []
    for row in answer.actions:
        out: list[dict[str, str]] = []
        for action in row:
            out.append(_button(action))
        if out:
            rows.append(out)
    return rows


def _button(action: Action) -> dict[str, str]:
    if action.url:
        return {"text": action.label, "url": action.url}
    return {"text": action.label, "callback_data": action.data or ""}


def to_terminal(answer: Answer, kb: KnowledgeBase) -> str:
    """Readable plain text for the terminal chat: bold as-is, links after their text."""
    out: list[str] = []
    for line in [*answer.lines, *([()] if answer.sources else []), *source_lines(answer, kb)]:
        out.append("".join(s.text + (f" <{s.url}>" if s.url else "") for s in line))
    labels = [f"[{a.label}]" for row in answer.actions for a in row]
    if answer.pin:
        out.append(f"📍 {answer.pin.title}: {answer.pin.lat}, {answer.pin.lon}")
    elif answer.map_url:
        out.append(f"📍 {answer.map_url}")
    if labels:
        out.append(" ".join(labels))
    return "\n".join(out)


def to_json(answer: Answer, kb: KnowledgeBase, chat_id: str) -> dict[str, Any]:
    """The ``chat --json`` object, exactly the keys of the command-line contract."""
    return {
        "chat_id": chat_id,
        "intent": answer.intent,
        "clusters": list(answer.clusters),
        "confidence": round(float(answer.confidence), 3),
        "text": to_html(answer, kb),
        "buttons": buttons(answer),
    }


def dumps(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False)
