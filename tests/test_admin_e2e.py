"""Admins on Telegram, end to end: the real ``Application`` built from ``Settings`` (a copy of
the shipped knowledge in a temporary folder, a temporary data folder) polls the fake Bot API.

Reloads (``/reload`` and the watch job), the question store behind ``/unanswered``,
``/handled`` and ``/stats`` across a restart, the admin-only command menu, and the heartbeat.
Nothing sleeps blindly: a test waits for the bot's call, or polls for the effect it expects.
After every test the fake must have recorded no violation of Telegram's rules.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot import health
from bot.cli import main
from bot.config import SHIPPED_KNOWLEDGE, Settings
from bot.flood import FloodGuard
from bot.handlers.common import Services, services_in
from bot.messages import t
from bot.reloading import KnowledgeHolder, ReloadResult
from bot.telegram_app import TravelApp
from tests.fake_bot_api import FakeBotApi
from tests.fs_faults import deny
from tests.telegram_support import ask, check_rules, polling, sent_to, settle

ADMIN = 7001
SECOND_ADMIN = 7003
TRAVELLER = 7002
GROUP = -1009876543210
ADMIN_COMMANDS = {"reload", "unanswered", "handled", "stats"}


@asynccontextmanager
async def running(fake: FakeBotApi, settings: Settings) -> AsyncIterator[TravelApp]:
    """The bot with a generous flood guard: an admin session sends more than a traveller's
    burst, and flooding is tested elsewhere."""
    async with polling(settings, flood=FloodGuard(burst=100)) as app:
        yield app


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as api:
        api.add_chat(ADMIN)  # the admin has started the bot: their chat exists
        yield api
        check_rules(api)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(SHIPPED_KNOWLEDGE, target)
    return target


@pytest.fixture
def settings(fake: FakeBotApi, folder: Path, tmp_path: Path) -> Settings:
    """The watch is off (interval 0) unless a test turns it on: reloads happen when asked."""
    return Settings(
        token=fake.token,
        base_url=fake.base_url,
        admin_ids=frozenset({ADMIN}),
        knowledge=folder,
        data_dir=tmp_path / "data",
        reload_interval=0,
    )


@pytest.fixture
async def app(fake: FakeBotApi, settings: Settings) -> AsyncIterator[TravelApp]:
    async with running(fake, settings) as application:
        yield application


def tokyo(folder: Path) -> Path:
    return next(folder.glob("clusters/*tokyo*.yaml"))


def edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` (which must be there) and write the file atomically, as editors do:
    the watch job must never read a half-written file."""
    source = path.read_text(encoding="utf-8")
    assert old in source, f"{old!r} is not in {path.name}"
    scratch = path.with_name(f".{path.name}.tmp")  # not a .yaml: the loader ignores it
    scratch.write_text(source.replace(old, new), encoding="utf-8")
    os.replace(scratch, path)


Reloads = asyncio.Queue[ReloadResult]


def spy_on_the_watch(holder: KnowledgeHolder, monkeypatch: pytest.MonkeyPatch) -> Reloads:
    """Each reload the watch job makes, as it returns: a test awaits the next one instead of
    sleeping. (The job calls ``reload_if_changed`` in a thread.)"""
    loop = asyncio.get_running_loop()
    results: Reloads = asyncio.Queue()
    look = holder.reload_if_changed

    def reload_if_changed() -> ReloadResult | None:
        result = look()
        if result is not None:
            loop.call_soon_threadsafe(results.put_nowait, result)
        return result

    monkeypatch.setattr(holder, "reload_if_changed", reload_if_changed)
    return results


async def next_reload(results: Reloads) -> ReloadResult:
    async with asyncio.timeout(5):
        return await results.get()


def services(app: TravelApp) -> Services:
    return services_in(app.bot_data)


async def help_text(fake: FakeBotApi, chat_id: int) -> str:
    """What any unknown command gets: the yardstick for a refused admin command."""
    return str((await ask(fake, "/frobnicate", chat_id)).result["text"])


def break_every_source(folder: Path) -> None:
    """Dozens of problems: every fact from the article points at a source that isn't there."""
    for path in folder.rglob("*.yaml"):
        if "source: article" in path.read_text(encoding="utf-8"):
            edit(path, "source: article", "source: no-such-source")


def problem_lines(text: str, path: Path) -> list[str]:
    return re.findall(rf"^{re.escape(str(path))}:\d+: .+$", text, flags=re.MULTILINE)


# ---- the admin menu and who may use it -----------------------------------------------------


async def test_admin_commands_are_in_the_menu_of_admin_chats_only(
    fake: FakeBotApi, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # SECOND_ADMIN never started the bot: Telegram does not know their chat
    both = replace(settings, admin_ids=frozenset({ADMIN, SECOND_ADMIN}))
    async with running(fake, both):
        calls = fake.calls_to("setMyCommands")
        menus = {
            (c.params["scope"]["type"], c.params["scope"].get("chat_id")): {
                command["command"] for command in c.params["commands"]
            }
            for c in calls
        }
        assert set(menus) == {
            ("all_private_chats", None),
            ("all_group_chats", None),
            ("chat", ADMIN),
            ("chat", SECOND_ADMIN),
        }
        assert not menus[("all_private_chats", None)] & ADMIN_COMMANDS
        assert not menus[("all_group_chats", None)] & ADMIN_COMMANDS
        assert menus[("chat", ADMIN)] == menus[("all_private_chats", None)] | ADMIN_COMMANDS
        refused = [c for c in calls if not c.ok]
        assert [c.params["scope"].get("chat_id") for c in refused] == [SECOND_ADMIN]
        assert "chat not found" in str(refused[0].description)
        # the bot started anyway, and says why the second admin has no menu
        assert any(
            "admin menu" in r.getMessage() and str(SECOND_ADMIN) in r.getMessage()
            for r in caplog.records
        )
        reply = await ask(fake, "which city is number 2?", TRAVELLER)
        assert "Tokyo–Yokohama" in reply.result["text"]
    # the one refusal was provoked on purpose; nothing else may have gone wrong
    assert [(v.method, v.description) for v in fake.pop_violations()] == [
        ("setMyCommands", "Bad Request: chat not found")
    ]


async def test_no_admins_means_no_admin_menu(fake: FakeBotApi, settings: Settings) -> None:
    async with running(fake, replace(settings, admin_ids=frozenset())):
        scopes = [c.params["scope"]["type"] for c in fake.calls_to("setMyCommands")]
        assert scopes == ["all_private_chats", "all_group_chats"]
        assert await help_text(fake, ADMIN) == (await ask(fake, "/stats", ADMIN)).result["text"]


@pytest.mark.parametrize("command", ["/reload", "/unanswered", "/stats", "/handled 1"])
async def test_a_travellers_admin_command_is_an_unknown_command(
    app: TravelApp, fake: FakeBotApi, folder: Path, command: str
) -> None:
    fake.send_text(TRAVELLER, "where can I buy a surfboard in lisbon?")  # something to handle
    await fake.wait_for("sendMessage", chat_id=TRAVELLER)
    edit(tokyo(folder), "name: teamLab Planets", "name: teamLab Planets Odaiba")
    expected = await help_text(fake, TRAVELLER)
    reply = await ask(fake, command, TRAVELLER)
    assert reply.result["text"] == expected  # the help, revealing nothing
    await settle(app, fake)
    found = services(app)
    assert found.knowledge.reloads == 0  # /reload did nothing
    assert "Odaiba" not in found.engine.ask("what should I see in tokyo").plain
    assert len(found.store.unanswered()) == 1  # /handled marked nothing


async def test_an_admins_command_in_a_group_is_an_unknown_command(
    app: TravelApp, fake: FakeBotApi
) -> None:
    # stats are not for a group's eyes, even when an admin asks there
    expected = await help_text(fake, ADMIN)
    reply = await ask(fake, "/stats@travel_test_bot", GROUP, user_id=ADMIN)
    assert reply.result["text"] == expected
    fake.send_text(GROUP, "/reload", user_id=ADMIN)  # a bare command may be another bot's
    await settle(app, fake)
    assert len(sent_to(fake, GROUP)) == 1
    assert services(app).knowledge.reloads == 0


# ---- /reload --------------------------------------------------------------------------------


async def test_reload_shows_an_edited_sight(app: TravelApp, fake: FakeBotApi, folder: Path) -> None:
    before = await ask(fake, "what should I see in tokyo", TRAVELLER)
    assert "teamLab Planets" in before.result["text"]
    assert "Odaiba" not in before.result["text"]
    old = services(app).engine.kb.fingerprint

    edit(tokyo(folder), "name: teamLab Planets", "name: teamLab Planets Odaiba")
    reloaded = await ask(fake, "/reload", ADMIN)
    new = services(app).engine.kb.fingerprint
    assert new != old
    kb = services(app).engine.kb
    sights = sum(len(c.sights) for c in kb.clusters)
    assert (
        reloaded.result["text"]
        == f"Reloaded: {len(kb.clusters)} clusters, {sights} sights ({new})."
    )

    after = await ask(fake, "what should I see in tokyo", TRAVELLER)
    assert "teamLab Planets Odaiba" in after.result["text"]
    # the chat's context came across the swap: a follow-up still knows the place
    follow_up = await ask(fake, "and its rank?", TRAVELLER)
    assert "Tokyo–Yokohama" in follow_up.result["text"]

    again = await ask(fake, "/reload", ADMIN)
    assert again.result["text"].startswith("Nothing changed")
    assert new in again.result["text"]


async def test_a_broken_reload_reports_file_line_and_keeps_the_old_knowledge(
    app: TravelApp, fake: FakeBotApi, folder: Path
) -> None:
    path = tokyo(folder)
    kept = services(app).engine
    edit(path, "    rank: 2\n", "    rank: two\n    <oops>: 1\n")
    reply = await ask(fake, "/reload", ADMIN)
    text = reply.result["text"]
    assert "still serving the previous knowledge" in text
    assert kept.kb.fingerprint in text
    lines = problem_lines(text, path)
    assert any("rank" in line for line in lines)
    # escaped HTML: the problem quotes '<oops>' and it arrives as written
    assert any("'<oops>'" in line for line in lines), lines
    assert "&lt;" in reply.params["text"]

    assert services(app).engine is kept
    answer = await ask(fake, "which city is number 2?", TRAVELLER)
    assert "Tokyo–Yokohama" in answer.result["text"]

    edit(path, "    rank: two\n    <oops>: 1\n", "    rank: 2\n")
    fixed = await ask(fake, "/reload", ADMIN)
    assert fixed.result["text"].startswith("Nothing changed")  # the same files as before


async def test_many_problems_are_split_into_messages_within_telegrams_limit(
    app: TravelApp, fake: FakeBotApi, folder: Path
) -> None:
    break_every_source(folder)
    fake.send_text(ADMIN, "/reload")
    await settle(app, fake)
    texts = [c.result["text"] for c in sent_to(fake, ADMIN)]
    assert len(texts) >= 2  # 40 problems of long temporary paths do not fit in one message
    assert all(len(x) <= 4096 for x in texts)
    joined = "\n".join(texts)
    listed = re.findall(r"^.+\.yaml:\d+: unknown source 'no-such-source'", joined, re.MULTILINE)
    assert len(listed) == 40
    assert re.search(r"…and \d+ more: run travelbot validate", joined)
    assert "still serving the previous knowledge" in texts[0]


# ---- the watch job --------------------------------------------------------------------------


async def test_the_watch_reloads_a_change_and_tells_the_admins_of_a_broken_one(
    fake: FakeBotApi, settings: Settings, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.add_chat(SECOND_ADMIN)
    admins = frozenset({ADMIN, SECOND_ADMIN})
    watched = replace(settings, admin_ids=admins, reload_interval=0.1)
    path = tokyo(folder)
    async with running(fake, watched) as app:
        found = services(app)
        reloads = spy_on_the_watch(found.knowledge, monkeypatch)
        first = found.engine

        # a good change is picked up without /reload
        edit(path, "name: teamLab Planets", "name: teamLab Planets Odaiba")
        assert (await next_reload(reloads)).changed
        assert found.engine is not first
        after = await ask(fake, "what should I see in tokyo", TRAVELLER)
        assert "teamLab Planets Odaiba" in after.result["text"]
        good = found.engine

        # a broken change: every admin gets the FILE:LINE lines by direct message
        edit(path, "    rank: 2\n", "    rank: two\n")
        assert not (await next_reload(reloads)).ok
        for admin in (ADMIN, SECOND_ADMIN):
            told = await fake.wait_for("sendMessage", chat_id=admin)
            assert "still serving the previous knowledge" in told.result["text"]
            assert any("rank" in line for line in problem_lines(told.result["text"], path))
        assert found.engine is good
        answer = await ask(fake, "which city is number 2?", TRAVELLER)
        assert "Tokyo–Yokohama" in answer.result["text"]

        # saved again with the same problem: not sent again
        later = time.time() + 5
        os.utime(path, (later, later))
        assert not (await next_reload(reloads)).ok
        # another problem is news: sent. Had the repeat been sent, it would come first.
        edit(path, "    rank: two\n", "    rank: two\n    ranc: 2\n")
        assert not (await next_reload(reloads)).ok
        for admin in (ADMIN, SECOND_ADMIN):
            told = await fake.wait_for("sendMessage", chat_id=admin)
            assert "'ranc'" in told.result["text"]
            assert len(sent_to(fake, admin)) == 2

        # fixed: served, and nobody is told (the log says it)
        edit(path, "    rank: two\n    ranc: 2\n", "    rank: 2\n")
        assert (await next_reload(reloads)).ok
        assert found.engine is good  # the same files as the last good knowledge
        await settle(app, fake)
        assert len(sent_to(fake, ADMIN)) == len(sent_to(fake, SECOND_ADMIN)) == 2


# ---- the question store: /unanswered, /handled, /stats ------------------------------------


async def test_unanswered_questions_survive_a_restart_and_can_be_marked_handled(
    fake: FakeBotApi, settings: Settings
) -> None:
    fake.add_user(TRAVELLER, "Zebulon", username="zebulon_travels")
    async with running(fake, settings):
        for question in (
            "where can I buy a surfboard in lisbon?",
            "Where can I buy a surfboard in Lisbon??",
            "what to see in china",
        ):
            await ask(fake, question, TRAVELLER)
        await ask(fake, "@travel_test_bot where can I buy a surfboard in lisbon", GROUP)
        await ask(fake, "rank of seoul", TRAVELLER)  # answered: counted, its text not kept

    # a new process on the same data folder
    async with running(fake, settings):
        listing = (await ask(fake, "/unanswered", ADMIN)).result["text"]
        surf = re.search(r"#(\d+) ×3 where can I buy a surfboard in lisbon\?", listing)
        china = re.search(
            r"#(\d+) ×1 what to see in china · hesitated between: "
            r"beijing, shenzhen-hong-kong-guangzhou",  # the store sorts them
            listing,
        )
        assert surf and china, listing
        assert "rank of seoul" not in listing

        marked = await ask(fake, f"/handled {surf.group(1)}", ADMIN)
        assert marked.result["text"] == f"Marked #{surf.group(1)} handled: 3 question(s)."
        listing = (await ask(fake, "/unanswered", ADMIN)).result["text"]
        assert "surfboard" not in listing and "what to see in china" in listing

        gone = await ask(fake, f"/handled {surf.group(1)}", ADMIN)
        assert gone.result["text"] == t("admin_handled_none", id=surf.group(1))
        usage = await ask(fake, "/handled soon", ADMIN)
        assert usage.result["text"] == t("admin_handled_usage")

        await ask(fake, f"/handled {china.group(1)}", ADMIN)
        empty = await ask(fake, "/unanswered", ADMIN)
        assert empty.result["text"] == t("admin_unanswered_none")

    # travellers' privacy: no user id, name or chat id anywhere in the store
    db = sqlite3.connect(settings.data_dir / "travelbot.sqlite3")
    try:
        dump = "\n".join(db.iterdump())
    finally:
        db.close()
    for secret in (str(TRAVELLER), "Zebulon", "zebulon_travels", str(GROUP)):
        assert secret not in dump


async def test_stats_count_questions_per_day_intent_and_cluster(
    app: TravelApp, fake: FakeBotApi
) -> None:
    for question in (
        "rank of seoul",
        "what should I see in seoul",
        "is the weather nice in seoul in march?",  # not answered
        "/compare tokyo seoul",
        "/sights",  # only opens the menu: not counted
    ):
        await ask(fake, question, TRAVELLER)
    text = (await ask(fake, "/stats", ADMIN)).result["text"]
    today = datetime.now(UTC).date()
    assert "Questions in the last 30 days: 4." in text
    assert f"{today.isoformat()} {today:%a}: 4" in text
    assert "compare 1 · rank 1 · sights 1 · unknown 1" in text
    assert "Seoul 3 · Tokyo–Yokohama 1" in text
    assert "Answered: 75% in the last 7 days, 75% in the last 30 days." in text


async def test_stats_of_an_empty_store(app: TravelApp, fake: FakeBotApi) -> None:
    text = (await ask(fake, "/stats", ADMIN)).result["text"]
    assert "Questions in the last 30 days: 0." in text
    assert "Answered: n/a in the last 7 days, n/a in the last 30 days." in text


# ---- heartbeat ------------------------------------------------------------------------------


async def test_the_heartbeat_is_written_at_start_up(
    fake: FakeBotApi, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    beat = health.heartbeat_path(settings.data_dir)
    assert not beat.exists()
    started = time.time()
    async with running(fake, settings) as app:
        assert health.read_heartbeat(beat) >= started - 1
        jobs = app.job_queue
        assert jobs is not None
        assert [j.name for j in jobs.jobs()] == ["heartbeat"]  # no watch: interval 0
        for name in list(os.environ):
            if name.startswith(("TRAVELBOT_", "TELEGRAM_")):
                monkeypatch.delenv(name)
        monkeypatch.setenv("TRAVELBOT_DATA_DIR", str(settings.data_dir))
        assert main(["health"]) == 0


# ---- a loader that meets hostile files reports them; it never raises ----------------------


async def test_files_that_broke_the_loader_are_reported_by_reload_and_the_watch(
    fake: FakeBotApi, settings: Settings, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    watched = replace(settings, reload_interval=0.1)
    deep = folder / "deep.yaml"
    async with running(fake, watched) as app:
        found = services(app)
        reloads = spy_on_the_watch(found.knowledge, monkeypatch)
        kept = found.engine

        # nested deeper than Python's recursion allows the loader to walk
        deep.write_text("sources: " + "[" * 600 + "]" * 600 + "\n", encoding="utf-8")
        assert not (await next_reload(reloads)).ok
        told = await fake.wait_for("sendMessage", chat_id=ADMIN)
        assert "still serving the previous knowledge" in told.result["text"]
        [line] = problem_lines(told.result["text"], deep)
        assert "nested more than" in line

        asked = (await ask(fake, "/reload", ADMIN)).result["text"]
        assert problem_lines(asked, deep) == [line]
        assert t("error") not in asked

        # a link loop instead: the watch sees the change, the admins hear of it
        deep.unlink()
        (folder / "one.yaml").symlink_to("two.yaml")
        (folder / "two.yaml").symlink_to("one.yaml")
        assert not (await next_reload(reloads)).ok
        told = await fake.wait_for("sendMessage", chat_id=ADMIN)
        assert problem_lines(told.result["text"], folder / "one.yaml")
        assert found.engine is kept
        answer = await ask(fake, "which city is number 2?", TRAVELLER)
        assert "Tokyo–Yokohama" in answer.result["text"]

        (folder / "one.yaml").unlink()
        (folder / "two.yaml").unlink()
        assert (await next_reload(reloads)).ok


async def test_an_unreadable_clusters_folder_is_refused_and_the_admins_are_told(
    fake: FakeBotApi, settings: Settings, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    watched = replace(settings, reload_interval=0.1)
    clusters = folder / "clusters"
    async with running(fake, watched) as app:
        found = services(app)
        reloads = spy_on_the_watch(found.knowledge, monkeypatch)
        kept = found.engine
        with pytest.MonkeyPatch.context() as denied:
            deny(denied, clusters)  # what a folder without read permission does
            assert not (await next_reload(reloads)).ok
            told = (await fake.wait_for("sendMessage", chat_id=ADMIN)).result["text"]
            assert "still serving the previous knowledge" in told
            assert f"{clusters}/: cannot list this folder: Permission denied" in told
            assert found.engine is kept
            answer = await ask(fake, "which city is number 2?", TRAVELLER)
            assert "Tokyo–Yokohama" in answer.result["text"]
            asked = (await ask(fake, "/reload", ADMIN)).result["text"]
            assert f"{clusters}/: cannot list this folder" in asked
        # readable again: the watch looks again and finds the knowledge it serves
        result = await next_reload(reloads)
        assert result.ok and not result.changed
        assert found.engine is kept

        # the folder gone (moved away by mistake): 0 clusters is not a knowledge
        clusters.rename(folder.parent / "clusters-old")
        assert not (await next_reload(reloads)).ok
        told = (await fake.wait_for("sendMessage", chat_id=ADMIN)).result["text"]
        assert f"{folder}/: no clusters:" in told
        answer = await ask(fake, "which city is number 2?", TRAVELLER)
        assert "Tokyo–Yokohama" in answer.result["text"]


async def test_an_admin_report_does_not_hold_up_a_travellers_reply(
    app: TravelApp, fake: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report runs on its own thread and connection: however long /unanswered takes, a
    traveller's question is recorded and answered meanwhile."""
    found = services(app)
    under_way, release = threading.Event(), threading.Event()
    unanswered = found.store.unanswered

    def slow_report(*args: Any, **kwargs: Any) -> Any:
        under_way.set()
        release.wait(timeout=20)
        return unanswered(*args, **kwargs)

    monkeypatch.setattr(found.store, "unanswered", slow_report)
    fake.send_text(ADMIN, "/unanswered")
    assert await asyncio.to_thread(under_way.wait, 5)
    try:
        reply = await ask(fake, "where can I buy a surfboard in lisbon?", TRAVELLER)
        assert reply.result["text"]
        rank = await ask(fake, "which city is number 2?", TRAVELLER)
        assert "Tokyo–Yokohama" in rank.result["text"]
    finally:
        release.set()
    listing = (await fake.wait_for("sendMessage", chat_id=ADMIN)).result["text"]
    assert "×1 where can I buy a surfboard in lisbon?" in listing, listing


# ---- a corrupt question store --------------------------------------------------------------


async def test_a_corrupt_store_is_set_aside_and_the_bot_starts(
    fake: FakeBotApi, settings: Settings
) -> None:
    """Answering does not need the statistics: the bot starts with a new store, keeps a copy of
    the bad file and tells the admins."""
    settings.data_dir.mkdir(parents=True)
    bad = settings.data_dir / "travelbot.sqlite3"
    garbage = b"not a database, whatever its name says\n" * 200
    bad.write_bytes(garbage)
    async with running(fake, settings):
        told = (await fake.wait_for("sendMessage", chat_id=ADMIN)).result["text"]
        [copy] = settings.data_dir.glob("travelbot.sqlite3.corrupt-*")
        assert copy.read_bytes() == garbage
        assert str(copy) in told and "new" in told
        answer = await ask(fake, "which city is number 2?", TRAVELLER)
        assert "Tokyo–Yokohama" in answer.result["text"]
        stats = (await ask(fake, "/stats", ADMIN)).result["text"]
        assert "Questions in the last 30 days: 1." in stats
