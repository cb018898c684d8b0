"""Logging for the long-running bot: text or JSON lines, with secrets masked.

The mask is the last line of defence: the bot's own messages never include the token, and the
``httpx`` logger, whose request lines hold the Bot API URL and so the token, is kept at
WARNING. A secret that still reaches a record (a library's exception text, a traceback) is
replaced before the record is written.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from typing import TextIO

MASK = "[hidden]"
QUIET_LOGGERS = ("httpx", "httpcore", "apscheduler")


class SecretFilter(logging.Filter):
    """Replaces each secret in a record's message and traceback with ``MASK``."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        super().__init__()
        self._secrets: list[str] = []
        self._pattern: re.Pattern[str] | None = None
        self._formatter = logging.Formatter()
        self.add(*secrets)

    def add(self, *secrets: str | None) -> None:
        for secret in secrets:
            if secret and secret not in self._secrets:
                self._secrets.append(secret)
        longest_first = sorted(self._secrets, key=len, reverse=True)
        self._pattern = (
            re.compile("|".join(re.escape(s) for s in longest_first), re.IGNORECASE)
            if longest_first
            else None
        )

    def _mask(self, value: str) -> str:
        # case-insensitively: a proxy or a library may echo a URL lowercased or uppercased
        return self._pattern.sub(MASK, value) if self._pattern is not None else value

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # malformed arguments: still never let a secret through
            message = f"{record.msg} {record.args}"
        record.msg = self._mask(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self._mask(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["error"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


# Loggers whose own records can hold the Bot API URL: PTB's bots log it at DEBUG when they are
# built ("Set Bot API URL: ..."), and httpx logs every request's URL at INFO.
URL_LOGGERS = ("telegram.Bot", "telegram.ext.ExtBot", "httpx", "httpcore")
_library_filter = SecretFilter(())


def quiet_noisy_loggers() -> None:
    """httpx logs every request URL at INFO, and a Bot API URL holds the token."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def protect(*secrets: str | None) -> None:
    """Mask ``secrets`` in the records of the loggers that can print a Bot API URL, at the
    logger itself, so that every handler (including a test's log capture) gets them masked.
    Call before the bot is built: it logs its URL while being constructed."""
    _library_filter.add(*secrets)
    for name in URL_LOGGERS:
        logger = logging.getLogger(name)
        if _library_filter not in logger.filters:
            logger.addFilter(_library_filter)


def setup_logging(
    level: str, fmt: str, secrets: Iterable[str | None], stream: TextIO | None = None
) -> logging.Handler:
    """Route every log record to ``stream`` (stderr), masked; returns the handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SecretFilter(secrets))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    quiet_noisy_loggers()
    return handler
