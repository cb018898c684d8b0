"""Inline button taps. Every tap is answered (the client's spinner stops), and the answer
either replaces the tapped message or comes as a new one:

- a choice the bot asked for ("Did you mean…", "Compare X with…") is replaced by what was
  chosen, so the question does not linger above its answer;
- a map button sends a venue;
- any other button (Sights, Rank & figures…) adds a new message, keeping the answer it
  followed up.
Taps on messages sent through inline mode can only edit, as the bot is not in that chat.
"""

from __future__ import annotations

import logging
import time

from telegram import CallbackQuery, Message, Update
from telegram.error import BadRequest

from bot.answer import Answer
from bot.engine import Engine
from bot.handlers.common import (
    Context,
    answered,
    chat_key,
    html,
    keyboard,
    reply,
    send_venue,
    services,
)
from bot.messages import t

log = logging.getLogger(__name__)
_CHOICE_VERBS = ("cmp", "pick")


def _verb(data: str) -> str:
    parts = data.split("|")
    return parts[1] if len(parts) > 1 else ""


def _asked_a_choice(message: Message, verb: str) -> bool:
    """Whether the tapped message was the bot asking the traveller to choose."""
    asks = (t("clarify"), t("clarify_which"))
    lines = (message.text or "").splitlines()
    return verb in _CHOICE_VERBS or any(line.startswith(asks) for line in lines)


async def _edit(query: CallbackQuery, answer: Answer, engine: Engine) -> bool:
    """Replace the tapped message; False when Telegram won't (too old, or unchanged)."""
    try:
        await query.edit_message_text(html(answer, engine), reply_markup=keyboard(answer))
    except BadRequest as exc:
        log.info("could not edit the tapped message: %s", exc.message)
        return "not modified" in exc.message.lower()
    return True


async def on_button(update: Update, context: Context) -> None:
    started = time.perf_counter()
    query = update.callback_query
    if query is None:
        return
    engine = services(context).engine
    message = query.message
    if message is not None:
        key = chat_key(message.chat.id)
    else:
        key = chat_key(f"inline:{query.inline_message_id}")
    data = query.data or ""
    try:
        answer = engine.tap(data, key)
    except Exception:
        await query.answer(t("error"))
        raise
    if answer is None:
        await query.answer(t("stale_button"))
        return
    await query.answer()
    verb = _verb(data)
    if message is None:  # sent through inline mode: editing is all there is
        await _edit(query, answer, engine)
    elif not isinstance(message, Message):  # too old for the bot to see: answer anew
        await context.bot.send_message(
            message.chat.id, html(answer, engine), reply_markup=keyboard(answer)
        )
    elif verb == "map" and answer.pin is not None:
        await send_venue(message, answer.pin)
    elif _asked_a_choice(message, verb) and await _edit(query, answer, engine):
        if answer.pin is not None:
            await send_venue(message, answer.pin)
    else:
        await reply(message, answer, engine, quote=False)
    answered(context, answer, started)
