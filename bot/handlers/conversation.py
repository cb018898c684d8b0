"""Messages that are not commands: questions, shared locations, and everything else."""

from __future__ import annotations

import time

from telegram import Update

from bot.handlers.common import Context, answered, chat_key, note, record, reply, services
from bot.handlers.filters import without_mention


async def on_text(update: Update, context: Context) -> None:
    """A question, in a private chat or addressed to the bot in a group."""
    started = time.perf_counter()
    message = update.effective_message
    if message is None or message.text is None:
        return
    engine = services(context).engine
    question = without_mention(message.text, context.bot.username)
    if not any(ch.isalnum() for ch in question):
        # nothing to read: only the mention, punctuation or emoji
        answer = note("empty")
    else:
        answer, interpretation = engine.ask_interpreted(question, chat_key(message.chat_id))
        await record(context, question, answer, interpretation, message.chat.type)
    await reply(message, answer, engine)
    answered(context, answer, started)


async def on_location(update: Update, context: Context) -> None:
    """A shared location: the nearest sights with their distances."""
    started = time.perf_counter()
    message = update.effective_message
    if message is None or message.location is None:
        return
    engine = services(context).engine
    where = message.location
    answer = engine.nearby(where.latitude, where.longitude, chat_key(message.chat_id))
    await reply(message, answer, engine)
    answered(context, answer, started)


async def on_other(update: Update, context: Context) -> None:
    """Stickers, photos, voice... in a private chat: a hint that the bot reads text."""
    message = update.effective_message
    if message is None:
        return
    await reply(message, note("non_text"), services(context).engine)


async def on_edited(update: Update, context: Context) -> None:
    """An edited message in a private chat: answering it again would look like a repeat, so
    the traveller is asked to send it anew."""
    message = update.edited_message
    if message is None:
        return
    await reply(message, note("edited"), services(context).engine)
