"""Admin commands and the knowledge watch.

``/reload``, ``/unanswered``, ``/handled ID`` and ``/stats`` reach these handlers only from the
user ids in ``TRAVELBOT_ADMIN_IDS``, in their private chats (the filter is set where the
handlers are registered, ``bot.telegram_app``). Anyone else's ``/reload`` falls through to the
unknown-command handler and gets the help, like ``/frobnicate``: nothing tells them the
command exists. The watch is a job-queue job that reloads the knowledge when its files change
and tells the admins, once, when a change is refused.

The store and the reloads block (disk, parsing), so they run in threads: the reports' own
(``Services.in_reports``, apart from the travellers' writes) and, for a reload,
``asyncio.to_thread``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from telegram import Bot, Update
from telegram.error import TelegramError

from bot import admin
from bot.answer import Answer
from bot.handlers.commands import command_name
from bot.handlers.common import Context, Services, html, reply, services
from bot.messages import t
from bot.store import QuestionStore, UnansweredGroup

log = logging.getLogger("bot.telegram")


async def on_admin_command(update: Update, context: Context) -> None:
    """An admin's command, in their private chat."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    found = services(context)
    engine = found.engine
    name = command_name(message.text)
    if name == "reload":
        answers = await _reload(found)
    elif name == "unanswered":
        groups, total = await found.in_reports(_unanswered, found.store)
        answers = admin.unanswered_report(groups, total=total)
    elif name == "handled":
        answers = await _handled(found, context.args or [])
    else:
        now = datetime.now(UTC)
        stats = await found.in_reports(found.store.stats, admin.STATS_DAYS, now)
        answers = admin.stats_report(stats, engine.kb, now.date())
    for answer in answers:
        await reply(message, answer, engine)


async def _reload(found: Services) -> list[Answer]:
    result = await asyncio.to_thread(found.knowledge.reload)
    found.metrics.reloaded(result.ok)
    kb = found.engine.kb
    if result.ok:
        found.reported_failure = None
        if result.changed:
            log.info("knowledge reloaded by an admin: %s", admin.summary(kb))
    else:
        log.warning("reload refused: %d problem(s) in the knowledge", len(result.problems))
    return admin.reload_report(result, kb)


def _unanswered(store: QuestionStore) -> tuple[list[UnansweredGroup], int]:
    """The groups /unanswered lists, and how many there are (on the reports' thread)."""
    return store.unanswered(admin.UNANSWERED_SHOWN), store.count_unanswered()


async def _handled(found: Services, args: list[str]) -> list[Answer]:
    raw = args[0].lstrip("#") if len(args) == 1 else ""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        return admin.note(t("admin_handled_usage"))
    group_id = int(raw)
    marked = await found.in_reports(found.store.mark_handled, group_id)
    return admin.handled_report(group_id, marked)


async def watch_knowledge(context: Context) -> None:
    """The periodic look at the knowledge folder: a changed folder is reloaded; a refused
    change is sent to every admin, once per distinct set of problems."""
    found = services(context)
    result = await asyncio.to_thread(found.knowledge.reload_if_changed)
    if result is None:
        return
    found.metrics.reloaded(result.ok)
    kb = found.engine.kb
    if result.ok:
        found.reported_failure = None
        if result.changed:
            log.info("knowledge reloaded after a change on disk: %s", admin.summary(kb))
        else:
            log.info("knowledge files touched, content unchanged (%s)", kb.fingerprint)
        return
    problems = tuple(result.lines())
    log.warning(
        "a change in the knowledge was refused, still serving %s: %s",
        kb.fingerprint,
        "; ".join(problems[:3]) + (" …" if len(problems) > 3 else ""),
    )
    if problems == found.reported_failure:
        return
    found.reported_failure = problems
    await tell_admins(context.bot, found, admin.reload_report(result, kb, watched=True))


async def tell_admins(bot: Bot, found: Services, answers: list[Answer]) -> None:
    """A direct message to every admin; one who never started the bot, or blocked it, is
    logged and skipped."""
    engine = found.engine
    for admin_id in sorted(found.settings.admin_ids):
        try:
            for answer in answers:
                await bot.send_message(admin_id, html(answer, engine))
        except TelegramError as exc:
            log.warning("could not send admin %s a message: %s", admin_id, exc)
