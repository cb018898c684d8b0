"""What the running bot counts, for ``/metrics`` in Prometheus' text format (webhook mode).

One ``Metrics`` per application, each with its own ``CollectorRegistry``: nothing lands in
``prometheus_client``'s global registry, so two bots in one process (the tests) count apart.
The Telegram layer records at its call sites with one call each (``update_received``,
``answered``, ``reloaded``); the webhook server serves ``exposition()``.

Core module: nothing here imports ``telegram``.
"""

from __future__ import annotations

from typing import Final, get_args

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest

from bot.knowledge.schema import IntentName

UPDATE_TYPES: Final = ("message", "edited_message", "callback_query", "inline_query")
"""The update types the bot asks Telegram for (``ALLOWED_UPDATES``); any other is "other"."""
INTENTS: Final = (*get_args(IntentName), "clarify", "unknown")
"""The intents of the command-line contract: listed at 0 before the first answer of each."""
LATENCY_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Seconds. The engine answers in milliseconds; the rest is the Bot API's round trip."""
CONTENT_TYPE: Final = CONTENT_TYPE_LATEST


class Metrics:
    """The counters and the histogram of one bot."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.updates = Counter(
            "travelbot_updates",
            "Updates received from Telegram, by type.",
            ["type"],
            registry=self.registry,
        )
        self.answers = Counter(
            "travelbot_answers",
            "Answers sent to travellers (questions, commands, button taps), by intent.",
            ["intent"],
            registry=self.registry,
        )
        self.answer_latency = Histogram(
            "travelbot_answer_latency_seconds",
            "Seconds from a handler taking an update to its answer being sent.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.reloads = Counter(
            "travelbot_knowledge_reloads",
            "Knowledge reloads that succeeded (/reload and the folder watch).",
            registry=self.registry,
        )
        self.failed_reloads = Counter(
            "travelbot_knowledge_reload_failures",
            "Knowledge reloads refused because the files were invalid.",
            registry=self.registry,
        )
        for kind in (*UPDATE_TYPES, "other"):
            self.updates.labels(type=kind)
        for intent in INTENTS:
            self.answers.labels(intent=intent)

    def update_received(self, kind: str) -> None:
        """One update of type ``kind`` ("message", "callback_query"...) came in."""
        self.updates.labels(type=kind if kind in UPDATE_TYPES else "other").inc()

    def answered(self, intent: str, seconds: float) -> None:
        """An answer of ``intent`` was sent ``seconds`` after its handler started."""
        self.answers.labels(intent=intent).inc()
        self.answer_latency.observe(max(seconds, 0.0))

    def reloaded(self, ok: bool) -> None:
        """A reload was tried: ``ok`` when the knowledge was valid (changed or not)."""
        (self.reloads if ok else self.failed_reloads).inc()

    def exposition(self) -> bytes:
        """Every metric in Prometheus' text format (``CONTENT_TYPE``)."""
        return generate_latest(self.registry)
