"""The error handler: log which update failed and why, and tell the user something went wrong.

It logs the update's id, never the update itself or any URL (those may hold personal data or,
for a Bot API URL, the token); PTB's errors carry Telegram's description, not the URL.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, TelegramError

from bot.handlers.common import Context, html, note, services

log = logging.getLogger("bot.telegram")


async def on_error(update: object, context: Context) -> None:
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    log.error(
        "update %s failed: %s: %s",
        update_id,
        type(error).__name__,
        error,
        exc_info=(type(error), error, error.__traceback__) if error is not None else None,
    )
    if not isinstance(update, Update) or isinstance(error, Forbidden):
        return  # nobody to tell, or the user has blocked the bot
    chat = update.effective_chat
    if chat is None:
        return  # an inline query: no chat to write to
    try:
        await context.bot.send_message(chat.id, html(note("error"), services(context).engine))
    except TelegramError as exc:
        log.warning("could not tell chat about the failure of update %s: %s", update_id, exc)
