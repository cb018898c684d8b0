"""The structured answer every renderer works from (Telegram HTML, terminal, JSON).

Answers hold text as spans with a style, never markup: escaping is the renderer's job, done in
one place, so no fact can break Telegram's HTML however it is written in the YAML.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    text: str
    style: str = ""  # "", "b" (bold), "i" (italic)
    url: str | None = None


Line = tuple[Span, ...]


@dataclass(frozen=True)
class Action:
    """A button: ``data`` is the callback payload (see ``bot.actions``), or ``url`` a link."""

    label: str
    data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Pin:
    """A sight with coordinates, for a Telegram venue."""

    sight_id: str
    title: str
    address: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Answer:
    intent: str
    clusters: tuple[str, ...]
    confidence: float
    lines: tuple[Line, ...]
    sources: tuple[str, ...] = ()  # source ids, shown at the end
    actions: tuple[tuple[Action, ...], ...] = ()
    pin: Pin | None = None
    map_url: str | None = None  # where a sight has no coordinates

    @property
    def plain(self) -> str:
        return "\n".join("".join(s.text for s in line) for line in self.lines)


def text(*parts: str | Span) -> Line:
    return tuple(p if isinstance(p, Span) else Span(p) for p in parts)


def bold(value: str) -> Span:
    return Span(value, "b")


def italic(value: str) -> Span:
    return Span(value, "i")


def link(value: str, url: str) -> Span:
    return Span(value, url=url)
