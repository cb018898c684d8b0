"""What admins read, without Telegram: reports packed within Telegram's limit, and what the
store keeps of a question the bot could not answer."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from bot import admin, render
from bot.answer import Answer, Span, text
from bot.config import SHIPPED_KNOWLEDGE, Settings
from bot.engine import Engine
from bot.flood import FloodGuard
from bot.handlers.commands import ADMIN_MENU, PRIVATE_MENU, menu
from bot.handlers.common import Services
from bot.knowledge import KnowledgeBase, Problem
from bot.reloading import KnowledgeHolder, ReloadResult
from bot.request import AnswerRequest
from bot.store import SqliteStore, Stats, UnansweredGroup


def units(value: str) -> int:
    return len(value.encode("utf-16-le")) // 2


def test_pack_splits_between_lines_within_the_limit() -> None:
    lines = [text(f"line {i} " + "x" * 50) for i in range(200)]
    parts = admin.pack(lines, limit=1000)
    assert len(parts) > 1
    assert all(units(p.plain) <= 1000 for p in parts)
    # nothing lost, nothing cut, in order
    assert [line for p in parts for line in p.lines] == lines


def test_pack_cuts_a_line_too_long_counting_utf16() -> None:
    line = (Span("😀" * 3000, "b"),)  # 6,000 UTF-16 code units
    (part,) = admin.pack([line])
    assert units(part.plain) <= render.TELEGRAM_LIMIT
    assert part.plain.endswith("…")
    assert part.lines[0][0].style == "b"


def test_pack_drops_blank_lines_at_a_split() -> None:
    lines = [text("a" * 90), (), text("b" * 90), (), ()]
    parts = admin.pack(lines, limit=100)
    assert [p.plain for p in parts] == ["a" * 90, "b" * 90]


def test_candidates() -> None:
    clarify = Answer("clarify", ("beijing", "seoul"), 0.5, ())
    unknown = Answer("unknown", (), 0.0, ())
    answered = Answer("rank", ("seoul",), 1.0, ())
    it = AnswerRequest(
        "unknown",
        0.0,
        candidates=("seoul", "beijing"),
        mentioned=("seoul",),
        asks={"sights": 1.35, "reverse": 0.35, "rank": 0.0, "stat": 2.0, "list": 1.0},
    )
    assert admin.candidates(clarify, it) == ("seoul", "beijing")
    assert admin.candidates(clarify, None) == ("beijing", "seoul")
    assert admin.candidates(unknown, it) == ("stat", "sights", "list", "seoul")
    assert admin.candidates(unknown, None) == ()
    assert admin.candidates(answered, it) == ()


def test_many_problems_fit_and_say_how_many_are_left_out(kb: KnowledgeBase) -> None:
    problems = tuple(
        Problem(f"/very/long/path/{'deep/' * 20}file{i}.yaml", i, "unknown key 'x' <&>")
        for i in range(100)
    )
    answers = admin.reload_report(ReloadResult(False, True, problems, "abc"), kb)
    html_parts = [render.to_html(a, kb) for a in answers]
    assert len(answers) >= 2
    assert all(units(a.plain) <= 4096 for a in answers)
    joined = "\n".join(a.plain for a in answers)
    assert joined.count("unknown key 'x' <&>") == admin.MAX_PROBLEMS
    assert "…and 60 more" in joined
    assert "&lt;&amp;&gt;" in html_parts[0] and "<&>" not in "".join(html_parts)


def test_reload_report_texts(kb: KnowledgeBase) -> None:
    sights = sum(len(c.sights) for c in kb.clusters)
    (done,) = admin.reload_report(ReloadResult(True, True, (), kb.fingerprint), kb)
    assert (
        done.plain == f"Reloaded: {len(kb.clusters)} clusters, {sights} sights ({kb.fingerprint})."
    )
    (same,) = admin.reload_report(ReloadResult(True, False, (), kb.fingerprint), kb)
    assert same.plain.startswith("Nothing changed")


def test_unanswered_report_escapes_and_cuts_what_travellers_typed(kb: KnowledgeBase) -> None:
    group = UnansweredGroup(12, "<b>hi</b> " + "z" * 500, 3, "2025-01-01", ("private",), ())
    (answer,) = admin.unanswered_report([group])
    html = render.to_html(answer, kb)
    assert "<b>#12 ×3</b> &lt;b&gt;hi&lt;/b&gt; zzz" in html
    assert "z" * admin.QUESTION_ECHO not in answer.plain
    assert "/handled 12" in answer.plain


def test_stats_report_from_the_store(tmp_path: Path, kb: KnowledgeBase) -> None:
    store = SqliteStore.in_dir(tmp_path)
    now = datetime(2025, 6, 11, 12, tzinfo=UTC)
    for day, intent, clusters in [
        (11, "rank", ["seoul"]),
        (11, "unknown", []),
        (10, "sights", ["seoul", "beijing"]),
        (1, "rank", ["beijing"]),  # within 30 days, not within 7
    ]:
        store.record("q", intent, clusters, "private", at=now.replace(day=day))
    (answer,) = admin.stats_report(store.stats(30, now), kb, now.date())
    store.close()
    plain = answer.plain
    assert "Questions in the last 30 days: 4." in plain
    assert "2025-06-10 Tue: 1\n2025-06-11 Wed: 2" in plain  # oldest first
    assert "2025-06-05 Thu: 0" in plain  # days without questions too
    assert "2025-06-01" not in plain  # per day: the last 7 days only
    assert "rank 2 · sights 1 · unknown 1" in plain
    assert "Seoul 2 · Beijing 2" in plain or "Beijing 2 · Seoul 2" in plain
    assert "Answered: 67% in the last 7 days, 75% in the last 30 days." in plain


def test_an_empty_stats_report(kb: KnowledgeBase) -> None:
    (answer,) = admin.stats_report(Stats(days=30), kb, date(2025, 6, 11))
    assert "Per intent, last 30 days:\nnone" in answer.plain
    assert "n/a in the last 7 days" in answer.plain


def test_services_serve_the_holders_current_engine(
    tmp_path: Path, kb: KnowledgeBase, engine: Engine
) -> None:
    holder = KnowledgeHolder(SHIPPED_KNOWLEDGE, engine=engine)
    store = SqliteStore.in_dir(tmp_path)
    found = Services(holder, FloodGuard(), store, Settings())
    assert found.engine is engine
    holder.engine = Engine(kb)
    assert found.engine is holder.engine and found.engine is not engine
    found.store_thread.shutdown()
    store.close()


def test_the_admin_menu_is_the_private_menu_plus_the_admin_commands() -> None:
    names = [c.command for c in menu(ADMIN_MENU)]
    assert names == [name for name, _ in PRIVATE_MENU] + list(admin.ADMIN_COMMANDS)
    assert all(c.description for c in menu(ADMIN_MENU))
