"""Slash commands: one handler for all of them; the core's ``Engine.command`` does the work."""

from __future__ import annotations

import time

from telegram import BotCommand, Update

from bot.admin import ASKING_COMMANDS
from bot.handlers.common import Context, answered, chat_key, record, reply, services
from bot.menus import COMMANDS
from bot.messages import t

# (command, catalogue key of its description), in the order of the menu
PRIVATE_MENU = (
    ("start", "cmd_start"),
    ("top", "cmd_top"),
    ("sights", "cmd_sights"),
    ("cluster", "cmd_cluster"),
    ("compare", "cmd_compare"),
    ("sources", "cmd_sources"),
    ("help", "cmd_help"),
)
GROUP_MENU = tuple(item for item in PRIVATE_MENU if item[0] != "start")
ADMIN_MENU = (
    *PRIVATE_MENU,
    ("reload", "cmd_reload"),
    ("unanswered", "cmd_unanswered"),
    ("handled", "cmd_handled"),
    ("stats", "cmd_stats"),
)
"""An admin's private chat. A chat scope replaces the private chats' menu there: repeat it."""


def menu(items: tuple[tuple[str, str], ...]) -> list[BotCommand]:
    return [BotCommand(name, t(key)) for name, key in items]


def command_name(text: str) -> str:
    """ "/Sights@travel_bot seoul" is the command "sights"."""
    return text.split(maxsplit=1)[0].lstrip("/").partition("@")[0].lower()


async def on_command(update: Update, context: Context) -> None:
    """A known command; ``/start PAYLOAD`` opens a deep link."""
    started = time.perf_counter()
    message = update.effective_message
    if message is None or message.text is None:
        return
    engine = services(context).engine
    name = command_name(message.text)
    name = name if name in COMMANDS else "help"
    argument = " ".join(context.args or [])
    answer, interpretation = engine.command_interpreted(name, argument, chat_key(message.chat_id))
    if name in ASKING_COMMANDS and (argument or name == "top"):
        # "/sights seoul" asks like "what to see in seoul"; a bare "/sights" only opens a menu
        asked = f"/{name} {argument}".strip()
        await record(context, asked, answer, interpretation, message.chat.type)
    await reply(message, answer, engine)
    answered(context, answer, started)


async def on_unknown_command(update: Update, context: Context) -> None:
    """A command we don't know gets the help, so the traveller sees what exists."""
    started = time.perf_counter()
    message = update.effective_message
    if message is None:
        return
    engine = services(context).engine
    answer = engine.command("help", "", chat_key(message.chat_id))
    await reply(message, answer, engine)
    answered(context, answer, started)
