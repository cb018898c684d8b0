"""What every handler shares: the services kept in ``bot_data``, and sending an ``Answer``."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.ext import ContextTypes

from bot import render
from bot.answer import Answer, Pin, text
from bot.engine import Engine
from bot.flood import FloodGuard
from bot.messages import t

Context = ContextTypes.DEFAULT_TYPE
SERVICES_KEY = "travelbot"


@dataclass
class Services:
    """The core objects the handlers call; ``engine`` is swapped whole on a knowledge reload."""

    engine: Engine
    flood: FloodGuard


def services(context: Context) -> Services:
    found = context.bot_data.get(SERVICES_KEY)
    if not isinstance(found, Services):  # pragma: no cover - build_application stores it
        raise RuntimeError("the application was not built by bot.telegram_app")
    return found


def chat_key(chat_id: int | str) -> str:
    """The engine's context key of a chat: one conversation per Telegram chat."""
    return str(chat_id)


def note(key: str) -> Answer:
    """A one-sentence reply from the catalogue, sent like any answer (so it is escaped)."""
    return Answer("smalltalk", (), 1.0, (text(t(key)),))


def keyboard(answer: Answer) -> InlineKeyboardMarkup | None:
    rows = [
        [
            InlineKeyboardButton(a.label, url=a.url)
            if a.url
            else InlineKeyboardButton(a.label, callback_data=a.data)
            for a in row
        ]
        for row in answer.actions
        if row
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def html(answer: Answer, engine: Engine) -> str:
    """The answer's Telegram HTML: escaped and within 4,096 characters (see bot.render)."""
    return render.to_html(answer, engine.kb)


async def send_venue(message: Message, pin: Pin) -> None:
    """A map pin in ``message``'s chat; Telegram clients open it in their map app."""
    await message.reply_venue(
        latitude=pin.lat, longitude=pin.lon, title=pin.title, address=pin.address, do_quote=False
    )


async def reply(
    message: Message, answer: Answer, engine: Engine, *, quote: bool | None = None
) -> None:
    """Send ``answer`` into ``message``'s chat (quoting it in groups, PTB's default, unless
    ``quote`` says otherwise), then a venue when the answer is about one sight with
    coordinates."""
    await message.reply_text(html(answer, engine), reply_markup=keyboard(answer), do_quote=quote)
    if answer.pin is not None:
        await send_venue(message, answer.pin)
