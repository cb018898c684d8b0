"""Logging for the long-running bot: text or JSON lines, with secrets masked and, at DEBUG,
python-telegram-bot's user content (updates, messages, names, chat ids) left out.

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
from collections.abc import Iterable, Mapping
from typing import TextIO

MASK = "[hidden]"
QUIET_LOGGERS = ("httpx", "httpcore", "apscheduler")
CONTENT_LOGGERS = ("telegram",)
"""Loggers whose DEBUG records carry user content: python-telegram-bot logs each update
("Processing update ...") and each Bot API call's parameters and result (messages, names,
chat ids) at DEBUG. Those arguments are replaced by their kind (an update by its id)."""


def _redacted(value: object) -> object:
    if value is None or isinstance(value, bool | int | float | str):
        return value  # endpoint names, counts, log prefixes
    if isinstance(value, list | tuple) and all(isinstance(v, int) for v in value):
        return value  # update ids
    update_id = getattr(value, "update_id", None)
    if isinstance(update_id, int):
        return f"<update {update_id}>"
    return f"<{type(value).__name__} not logged: it may hold user content>"


def _redact_user_content(record: logging.LogRecord) -> None:
    if record.levelno > logging.DEBUG or not record.args:
        return
    if not record.name.startswith(CONTENT_LOGGERS):
        return
    args = record.args
    if isinstance(args, Mapping):
        if "%(" in str(record.msg):
            record.args = {k: _redacted(v) for k, v in args.items()}
        else:
            record.args = (_redacted(args),)
        return
    record.args = tuple(_redacted(a) for a in args)


class SecretFilter(logging.Filter):
    """Replaces each secret in a record's message and traceback with ``MASK``, and the user
    content in the DEBUG records of ``CONTENT_LOGGERS`` by its kind."""

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
        _redact_user_content(record)  # first: below, the message is formatted for good
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
