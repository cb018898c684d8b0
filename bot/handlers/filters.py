"""Who a message is for. In a group the bot speaks only when spoken to: a command, an
@mention, or a reply to one of its messages. With privacy mode on (Telegram's default) that
is all a bot receives anyway; with it off, these filters keep the bot quiet by themselves."""

from __future__ import annotations

import re

from telegram import Message, MessageEntity
from telegram.constants import ChatType
from telegram.ext import filters


def mentions_bot(message: Message, username: str) -> bool:
    wanted = f"@{username}".lower()
    found = message.parse_entities([MessageEntity.MENTION])
    found.update(message.parse_caption_entities([MessageEntity.MENTION]))
    return any(value.lower() == wanted for value in found.values())


def without_mention(text: str, username: str) -> str:
    """The question with the bot's @name taken out: "@bot rank of seoul" asks "rank of seoul"."""
    pattern = rf"(?<![\w@])@{re.escape(username)}(?![\w@])"
    return " ".join(re.sub(pattern, " ", text, flags=re.IGNORECASE).split())


def is_reply_to_bot(message: Message) -> bool:
    replied = message.reply_to_message
    bot_id = message.get_bot().id
    return replied is not None and replied.from_user is not None and replied.from_user.id == bot_id


class _Addressed(filters.MessageFilter):
    """Private chats always; in groups a mention of the bot or a reply to it."""

    def filter(self, message: Message) -> bool:
        if message.chat.type == ChatType.PRIVATE:
            return True
        username = message.get_bot().username
        return is_reply_to_bot(message) or mentions_bot(message, username)


class _CommandForUs(filters.MessageFilter):
    """A command the bot should answer even when it does not know it: any in a private chat,
    and in groups only ``/cmd@thisbot`` (a bare ``/cmd`` there may be another bot's)."""

    def filter(self, message: Message) -> bool:
        if message.chat.type == ChatType.PRIVATE:
            return True
        first = (message.text or "").split(maxsplit=1)[0] if message.text else ""
        _, _, addressee = first.partition("@")
        return addressee.lower() == message.get_bot().username.lower()


ADDRESSED = _Addressed(name="travelbot.Addressed")
COMMAND_FOR_US = _CommandForUs(name="travelbot.CommandForUs")
PRIVATE = filters.ChatType.PRIVATE
