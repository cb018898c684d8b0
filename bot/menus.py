"""Answers that are not replies to a question: slash commands, deep links, a shared location.

They are built from the same knowledge and the same answer types as every other reply, so the
Telegram layer only maps a command to a name and an argument, and the wording stays in the
message catalogue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import actions, geo
from bot.answer import Action, Answer, Line, Span, bold, italic, text
from bot.knowledge.schema import Cluster
from bot.messages import t
from bot.request import AnswerRequest

if TYPE_CHECKING:
    from bot.engine import Engine

Reply = tuple[Answer, AnswerRequest | None]
"""An answer, with the interpretation to remember for follow-ups when there is one."""

COMMANDS = ("start", "help", "top", "sights", "cluster", "about", "compare", "sources")
DEEP_LINK_PREFIXES = {"cluster-": "overview", "sights-": "sights", "sight-": "sight"}
NEARBY_LIMIT = 3
FAR_KM = 300.0  # beyond this the nearest sight is in another city: say so
_ECHO = 60  # at most this much of the traveller's words is echoed back


def command(engine: Engine, name: str, argument: str, chat_id: str) -> Reply:
    """The reply to ``/name argument``; unknown names get the help."""
    argument = " ".join(argument.split())
    if name == "start":
        opened = deep_link(engine, argument) if argument else None
        return (opened or welcome(engine)), None
    if name == "top":
        return engine.answerer.answer(AnswerRequest("list", 1.0)), None
    if name == "sights":
        return place(engine, "sights", argument, chat_id)
    if name in ("cluster", "about"):
        return place(engine, "overview", argument, chat_id)
    if name == "compare":
        return compare(engine, argument, chat_id)
    if name == "sources":
        return sources(engine), None
    return help_answer(engine), None


def _pick_rows(clusters: list[Cluster], verb: str) -> tuple[tuple[Action, ...], ...]:
    buttons = [Action(f"{c.rank}. {c.name}", actions.encode(verb, c.id)) for c in clusters]
    return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))


def welcome(engine: Engine) -> Answer:
    clusters = list(engine.kb.clusters)[:5]
    lines = (text(t("welcome")),)
    return Answer("smalltalk", (), 1.0, lines, actions=_pick_rows(clusters, "about"))


def help_answer(engine: Engine) -> Answer:
    lines = (text(t("help")), text(t("help_commands")))
    return Answer(
        "smalltalk", (), 1.0, lines, actions=_pick_rows(list(engine.kb.clusters), "about")
    )


def deep_link(engine: Engine, payload: str) -> Answer | None:
    """What a ``t.me/bot?start=PAYLOAD`` link opens: ``cluster-ID``, ``sights-ID`` or
    ``sight-ID``; None for a payload that names nothing we know."""
    kb = engine.kb
    for prefix, kind in DEEP_LINK_PREFIXES.items():
        if not payload.startswith(prefix):
            continue
        ref = payload.removeprefix(prefix)
        if kind == "sight" and ref in kb.sight_by_id:
            return engine.answerer.sight_answer(ref)
        if kind != "sight" and ref in kb.cluster_by_id:
            return engine.answerer.answer(AnswerRequest(kind, 1.0, clusters=(ref,)))
    return None


def _menu(engine: Engine, first: Line, verb: str, pending: str) -> Reply:
    clusters = list(engine.kb.clusters)
    ids = tuple(c.id for c in clusters)
    lines = (first, text(t("clarify_which"))) if first else (text(t("clarify_which")),)
    answer = Answer("clarify", ids, 0.5, lines, actions=_pick_rows(clusters, verb))
    return answer, AnswerRequest("clarify", 0.5, candidates=ids, pending=pending)


def _echo(argument: str) -> str:
    return argument if len(argument) <= _ECHO else argument[: _ECHO - 1] + "…"


def place(engine: Engine, intent: str, argument: str, chat_id: str) -> Reply:
    """``/sights PLACE`` or ``/cluster PLACE``; without a place, the chat's last cluster, or
    a menu of the clusters."""
    verb = "sights" if intent == "sights" else "about"
    if not argument:
        context = engine.contexts.get(chat_id)
        if context is not None and context.clusters and context.intent != "clarify":
            it = AnswerRequest(intent, 1.0, clusters=context.clusters[:1])
            return engine.answerer.answer(it), it
        return _menu(engine, (), verb, intent)
    it = engine.understanding.understand(argument, None)
    if intent == "sights" and len(it.sights) == 1:
        return engine.answerer.sight_answer(it.sights[0]), it
    if it.clusters and it.intent != "clarify":
        chosen = AnswerRequest(intent, 1.0, clusters=it.clusters[:1])
        return engine.answerer.answer(chosen), chosen
    if it.candidates:
        candidates = [engine.kb.cluster_by_id[c] for c in it.candidates]
        lines = (text(t("clarify")), *(text("• ", bold(c.name)) for c in candidates))
        answer = Answer("clarify", it.candidates, 0.5, lines, actions=_pick_rows(candidates, verb))
        return answer, AnswerRequest("clarify", 0.5, candidates=it.candidates, pending=intent)
    return _menu(engine, text(t("unknown_place", place=_echo(argument))), verb, intent)


def compare(engine: Engine, argument: str, chat_id: str) -> Reply:
    """``/compare A B``; with one place, the menu of what to compare it with."""
    if argument:
        it = engine.understanding.understand(argument, None)
        found = list(dict.fromkeys([*it.clusters, *it.candidates]))
    else:
        context = engine.contexts.get(chat_id)
        found = list(context.clusters[:1]) if context and context.intent != "clarify" else []
    if len(found) >= 2:
        chosen = AnswerRequest("compare", 1.0, clusters=tuple(found[:2]))
        return engine.answerer.answer(chosen), chosen
    if len(found) == 1:
        return engine.answerer.compare_choices(found[0]), None
    first = text(t("unknown_place", place=_echo(argument))) if argument else ()
    return _menu(engine, first, "compare", "compare")


def sources(engine: Engine) -> Answer:
    """Every publication the knowledge cites, linked where its address is known."""
    lines: list[Line] = [text(bold(t("sources_title")))]
    for source in engine.kb.sources:
        title = Span(source.title, url=source.url) if source.url else Span(source.title)
        extra = f" ({source.date})" if source.date else ""
        lines.append(text("• ", title, ", ", italic(f"{source.publisher}{extra}")))
    return Answer("general", (), 1.0, tuple(lines))


def distance(km: float) -> str:
    if km < 1:
        return t("distance_m", m=max(10, round(km * 100) * 10))
    if km < 10:
        return t("distance_km", km=f"{km:.1f}")
    return t("distance_km", km=f"{round(km):,}")


def nearby(engine: Engine, lat: float, lon: float) -> Answer:
    """The sights nearest to a shared location, with distances and a map button each."""
    kb = engine.kb
    if not geo.is_on_earth(lat, lon):  # a forged update: NaN, infinite or out of range
        return Answer("unknown", (), 0.0, (text(t("nearby_invalid")),))
    found = geo.nearest(kb, lat, lon, NEARBY_LIMIT)
    if not found:
        return Answer("unknown", (), 0.0, (text(t("nearby_none")),))
    far = found[0].km > FAR_KM
    if not far:  # near one cluster: the other cities' sights are no use to a walker
        found = [n for n in found if n.km <= FAR_KM]
    title = t("nearby_far") if far else t("nearby_title")
    lines: list[Line] = [text(bold(title))]
    rows: list[tuple[Action, ...]] = []
    sources: list[str] = []
    for near in found:
        cluster, sight = kb.sight_by_id[near.sight_id]
        lines.append(text("• ", bold(sight.name), f" ({cluster.name}): {distance(near.km)}"))
        lines.append(text("  ", sight.what))
        rows.append((Action(f"📍 {sight.name}", actions.encode("map", sight.id)),))
        for source_id in (sight.source, sight.location.source if sight.location else None):
            if source_id and source_id not in sources:
                sources.append(source_id)
    clusters = tuple(dict.fromkeys(n.cluster_id for n in found))
    return Answer("sights", clusters, 1.0, tuple(lines), tuple(sources), tuple(rows))
