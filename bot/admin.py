"""What admins read: the outcome of a reload, the questions the bot could not answer, and the
usage stats, as ``Answer``s packed into Telegram-sized messages; and what the question store
keeps of a question besides its intent and clusters (the candidates the bot hesitated
between).

Core module: nothing here imports ``telegram``. The Telegram layer sends these answers through
``bot.render`` like any other, so every question a traveller typed is escaped there.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Final

from bot.answer import Answer, Line, Span, bold, italic, text
from bot.knowledge import KnowledgeBase
from bot.messages import t
from bot.reloading import ReloadResult
from bot.render import TELEGRAM_LIMIT
from bot.request import AnswerRequest
from bot.store import Stats, UnansweredGroup

ADMIN_COMMANDS: Final = ("reload", "unanswered", "handled", "stats")
"""Commands for the user ids in ``TRAVELBOT_ADMIN_IDS`` only, in the order of their menu."""
ASKING_COMMANDS: Final = frozenset({"top", "sights", "cluster", "about", "compare"})
"""Commands that ask the knowledge something: recorded in the store like a question."""

MAX_PROBLEMS: Final = 40
"""Problems listed in a chat; ``travelbot validate`` lists them all."""
MAX_PROBLEM_CHARS: Final = 600
UNANSWERED_SHOWN: Final = 15
QUESTION_ECHO: Final = 200
"""At most this much of a stored question is shown in ``/unanswered``."""
CUE_CANDIDATES: Final = 3
STATS_DAYS: Final = 30
PER_DAY_SHOWN: Final = 7
_ELLIPSIS: Final = "…"


# ---- what the store keeps --------------------------------------------------------------------


def candidates(answer: Answer, interpretation: AnswerRequest | None) -> tuple[str, ...]:
    """What the bot hesitated between, for a question it did not answer: for ``clarify`` the
    clusters it offered; for ``unknown`` what its wording asked most strongly, then the
    clusters the question named. Answered questions keep none."""
    it = interpretation
    if answer.intent == "clarify":
        return it.candidates if it is not None and it.candidates else answer.clusters
    if answer.intent != "unknown" or it is None:
        return ()
    ranked = sorted(it.asks.items(), key=lambda item: (-item[1], item[0]))
    strongest = [intent for intent, weight in ranked if weight > 0][:CUE_CANDIDATES]
    return tuple(dict.fromkeys([*strongest, *it.mentioned]))


# ---- packing lines into messages -------------------------------------------------------------


def _units(value: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji counts two)."""
    return len(value.encode("utf-16-le")) // 2


def _length(line: Line) -> int:
    return sum(_units(span.text) for span in line)


def _cut_text(value: str, room: int) -> str:
    if _units(value) <= room:
        return value
    out: list[str] = []
    used = 0
    for ch in value:
        if used + _units(ch) > room - 1:
            break
        out.append(ch)
        used += _units(ch)
    return "".join(out) + _ELLIPSIS


def _cut(line: Line, room: int) -> Line:
    """``line`` within ``room`` code units, cut at a character with an ellipsis."""
    if _length(line) <= room:
        return line
    out: list[Span] = []
    for span in line:
        size = _units(span.text)
        if size < room:
            out.append(span)
            room -= size
            continue
        out.append(Span(_cut_text(span.text, room), span.style, span.url))
        break
    return tuple(out)


def pack(lines: Sequence[Line], limit: int = TELEGRAM_LIMIT) -> list[Answer]:
    """``lines`` in as few messages as fit ``limit``, split between lines; a line too long on
    its own is cut, and blank lines at a split are dropped (Telegram trims them anyway)."""
    parts: list[list[Line]] = []
    size = 0
    for raw in lines:
        line = _cut(raw, limit)
        length = _length(line)
        if parts and size + 1 + length <= limit:
            parts[-1].append(line)
            size += 1 + length
        elif length:
            parts.append([line])
            size = length
    for part in parts:
        while not _length(part[-1]):
            part.pop()
    return [Answer("admin", (), 1.0, tuple(part)) for part in parts]


def note(line: str) -> list[Answer]:
    return pack([text(line)])


# ---- reports ---------------------------------------------------------------------------------


def summary(kb: KnowledgeBase) -> str:
    """``5 clusters, 16 sights (51324aa368c6)``: what a reload log line says."""
    sights = sum(len(c.sights) for c in kb.clusters)
    return f"{len(kb.clusters)} clusters, {sights} sights ({kb.fingerprint})"


def reload_report(
    result: ReloadResult, kb: KnowledgeBase, *, watched: bool = False
) -> list[Answer]:
    """The reply to ``/reload`` (``watched``: the message to admins about a change on disk).
    ``kb`` is the knowledge in force after the attempt."""
    if result.ok and result.changed:
        sights = sum(len(c.sights) for c in kb.clusters)
        return note(
            t(
                "admin_reloaded",
                clusters=len(kb.clusters),
                sights=sights,
                fingerprint=result.fingerprint,
            )
        )
    if result.ok:
        return note(t("admin_unchanged", fingerprint=result.fingerprint))
    problems = result.lines()
    head = "admin_watch_refused" if watched else "admin_refused"
    lines: list[Line] = [
        text(bold(t(head, n=len(problems), fingerprint=result.fingerprint))),
    ]
    lines += [text(_cut_text(p, MAX_PROBLEM_CHARS)) for p in problems[:MAX_PROBLEMS]]
    if len(problems) > MAX_PROBLEMS:
        lines.append(text(italic(t("admin_more_problems", n=len(problems) - MAX_PROBLEMS))))
    return pack(lines)


def unanswered_report(
    groups: Sequence[UnansweredGroup], shown: int = UNANSWERED_SHOWN, total: int | None = None
) -> list[Answer]:
    """The most asked groups first, each with its id (for ``/handled``), its count, the
    question most often asked in that group and the candidates. ``total``: how many groups
    there are, when ``groups`` holds only the first ones."""
    if not groups:
        return note(t("admin_unanswered_none"))
    listed = groups[:shown]
    count = len(groups) if total is None else max(total, len(groups))
    lines: list[Line] = [text(bold(t("admin_unanswered_title", shown=len(listed), total=count)))]
    for group in listed:
        line: list[Span] = [
            bold(t("admin_unanswered_line", id=group.id, count=group.count)),
            Span(" " + _cut_text(" ".join(group.text.split()), QUESTION_ECHO)),
        ]
        if group.candidates:
            names = ", ".join(group.candidates)
            line += [Span(" · "), italic(t("admin_candidates", names=names))]
        lines.append(tuple(line))
    lines += [(), text(italic(t("admin_unanswered_hint", id=listed[0].id)))]
    return pack(lines)


def handled_report(group_id: int, marked: int) -> list[Answer]:
    if marked:
        return note(t("admin_handled", id=group_id, n=marked))
    return note(t("admin_handled_none", id=group_id))


def _counts(pairs: Sequence[tuple[str, int]]) -> str:
    return " · ".join(f"{name} {n}" for name, n in pairs) or t("admin_none")


def _rate(rate: float | None) -> str:
    return t("admin_stats_no_rate") if rate is None else f"{rate:.0%}"


def stats_report(stats: Stats, kb: KnowledgeBase, today: date) -> list[Answer]:
    """Questions per day (the last week), per intent and per cluster (``stats.days``), and
    the answered rate for the last 7 and 30 days. ``today`` is the UTC date."""
    per_day = dict(stats.per_day)
    days = [today - timedelta(days=back) for back in range(PER_DAY_SHOWN - 1, -1, -1)]
    names = kb.cluster_by_id
    clusters = [(names[c].name if c in names else c, n) for c, n in stats.per_cluster]
    lines: list[Line] = [
        text(bold(t("admin_stats_total", days=stats.days, total=stats.total))),
        (),
        text(bold(t("admin_stats_days"))),
        *(text(f"{day.isoformat()} {day:%a}: {per_day.get(day.isoformat(), 0)}") for day in days),
        (),
        text(bold(t("admin_stats_intents", days=stats.days))),
        text(_counts(stats.per_intent)),
        (),
        text(bold(t("admin_stats_clusters", days=stats.days))),
        text(_counts(clusters)),
        (),
        text(
            t(
                "admin_stats_rate",
                week=_rate(stats.answered_rate_7),
                month=_rate(stats.answered_rate_30),
            )
        ),
    ]
    return pack(lines)
