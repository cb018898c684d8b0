"""The per-user flood guard, run before every other handler (group -1).

Updates the bot would answer are counted against their sender's bucket (``bot.flood``); an
update over the limit stops there. The user hears about it once per flood, a tapped button
always gets its spinner stopped, and nobody else's updates wait on the flooder.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop, filters

from bot.handlers.common import Context, note, reply, services
from bot.handlers.filters import ADDRESSED
from bot.messages import t


async def guard(update: Update, context: Context) -> None:
    user = update.effective_user
    if user is None or update.inline_query is not None:
        return  # Telegram throttles inline queries itself, and they cost us nothing to send
    message = update.message or update.edited_message
    spoken_to = ADDRESSED.check_update(update) or filters.COMMAND.check_update(update)
    if message is not None and not spoken_to:
        return  # group chatter the bot ignores anyway must not use up the user's allowance
    verdict = services(context).flood.check(user.id)
    if verdict.allowed:
        return
    if update.callback_query is not None:
        await update.callback_query.answer(t("slow_down"))
    elif verdict.warn and message is not None:
        await reply(message, note("slow_down"), services(context).engine)
    raise ApplicationHandlerStop
