"""The error handler: log which update failed and why, and tell the user something went wrong.

It logs the update's id, never the update itself or any URL (those may hold personal data or,
for a Bot API URL, the token); PTB's errors carry Telegram's description, not the URL.

Three failures are Telegram's answer rather than a bug: a user who blocked the bot (403), a
call Telegram did not answer in time, and a 429 still there after AIORateLimiter's retries
or asking for a wait too long to hold every chat's sends for (``CappedRateLimiter``).
Each is one warning line without a traceback, and nobody is told: a message to a user who
blocked the bot cannot arrive, an apology for a slow call would come before the reply it
apologises for (which usually does arrive), and a 429 asks for fewer messages, not one more.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, RetryAfter, TelegramError, TimedOut

from bot.handlers.common import Context, html, note, services

log = logging.getLogger("bot.telegram")
_GIVEN_UP: dict[type[TelegramError], str] = {
    Forbidden: "the user blocked the bot, or it is no longer in the chat",
    TimedOut: "Telegram did not answer in time; the reply may still arrive",
    RetryAfter: "Telegram asked to wait longer than the bot waits for one reply",
}


async def on_error(update: object, context: Context) -> None:
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    reason = next((why for kind, why in _GIVEN_UP.items() if isinstance(error, kind)), None)
    if reason is not None:
        log.warning("update %s failed: %s (%s; given up)", update_id, error, reason)
        return
    log.error(
        "update %s failed: %s: %s",
        update_id,
        type(error).__name__,
        error,
        exc_info=(type(error), error, error.__traceback__) if error is not None else None,
    )
    if not isinstance(update, Update):
        return  # nobody to tell
    chat = update.effective_chat
    if chat is None:
        return  # an inline query: no chat to write to
    try:
        await context.bot.send_message(chat.id, html(note("error"), services(context).engine))
    except TelegramError as exc:
        log.warning("could not tell chat about the failure of update %s: %s", update_id, exc)
