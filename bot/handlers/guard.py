"""The per-user flood guard, judged when an update *arrives* (``bot.polling.Intake``), not
when it is dispatched: a backlog waiting to be handled must not refill its sender's bucket.

Updates the bot would answer are counted against their sender's bucket (``bot.flood``):
messages and commands addressed to the bot and button taps in one, inline queries in a bucket
of their own (they come once per pause in typing). An update over the limit is not handled.
The user hears about it once per flood, a tapped button always gets its spinner stopped, an
inline query gets an empty answer, and nobody else's updates wait on the flooder.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import filters

from bot.flood import Verdict
from bot.handlers.common import Services, note, reply
from bot.handlers.filters import ADDRESSED
from bot.messages import t

ALLOWED = Verdict(True)


def judge(update: Update, found: Services) -> Verdict:
    """Spend a token of the sender's bucket if the update counts; ``ALLOWED`` otherwise."""
    user = update.effective_user
    if user is None:
        return ALLOWED
    if update.inline_query is not None:
        return found.inline_flood.check(user.id)
    message = update.message or update.edited_message
    spoken_to = ADDRESSED.check_update(update) or filters.COMMAND.check_update(update)
    if message is not None and not spoken_to:
        return ALLOWED  # group chatter the bot ignores anyway must not use up the allowance
    return found.flood.check(user.id)


def needs_reply(update: Update, verdict: Verdict) -> bool:
    """Whether a refused update still needs an answer (so a client stops waiting, or the
    user learns to slow down)."""
    if update.callback_query is not None or update.inline_query is not None:
        return True
    return verdict.warn and (update.message or update.edited_message) is not None


async def refuse(update: Update, verdict: Verdict, found: Services) -> None:
    """The answer to an update over the limit (see ``needs_reply``)."""
    if update.callback_query is not None:
        await update.callback_query.answer(t("slow_down"))
    elif update.inline_query is not None:
        await update.inline_query.answer([], cache_time=0, is_personal=True)
    else:
        message = update.message or update.edited_message
        if verdict.warn and message is not None:
            await reply(message, note("slow_down"), found.engine)
