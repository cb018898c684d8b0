"""Per-chat context for follow-ups ("what should I see there?", "and Seoul?").

Kept behind a small interface so that several replicas could share it through another backend;
the in-process store expires old context and never holds more than a bounded number of chats.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from bot.request import AnswerRequest
from bot.understanding.tunables import CONTEXT_TTL_SECONDS, MAX_CHATS


@dataclass(frozen=True)
class ChatContext:
    """What the last answer in a chat was about."""

    clusters: tuple[str, ...] = ()
    intent: str = ""
    measures: tuple[str, ...] = ()
    sight: str | None = None
    at: float = 0.0
    recent: tuple[str, ...] = ()  # clusters talked about lately, newest first ("compare them")
    last: AnswerRequest | None = None  # what was last answered: "no, I meant Seoul" re-asks it
    unit: str | None = None  # the fact last shown alone: "who said that?", "when was it?"


class ContextStore(Protocol):
    def get(self, chat_id: str) -> ChatContext | None: ...

    def put(self, chat_id: str, context: ChatContext) -> None: ...


class MemoryContextStore:
    """Least-recently-used, time-limited contexts held in this process."""

    def __init__(
        self,
        ttl: float = CONTEXT_TTL_SECONDS,
        max_chats: int = MAX_CHATS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_chats = max_chats
        self.clock = clock
        self._data: OrderedDict[str, ChatContext] = OrderedDict()

    def get(self, chat_id: str) -> ChatContext | None:
        context = self._data.get(chat_id)
        if context is None:
            return None
        if self.clock() - context.at > self.ttl:
            del self._data[chat_id]
            return None
        self._data.move_to_end(chat_id)
        return context

    def put(self, chat_id: str, context: ChatContext) -> None:
        self._data[chat_id] = replace(context, at=self.clock())
        self._data.move_to_end(chat_id)
        while len(self._data) > self.max_chats:
            self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)
