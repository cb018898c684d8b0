"""A fake Telegram Bot API server for end-to-end tests over loopback.

The real python-telegram-bot stack (HTTPXRequest, ``de_json``, Updater, the webhook server)
runs unchanged; only the peer on the other end of the socket is replaced. Mocking PTB objects
would let through exactly the bugs that matter in production, because PTB checks none of them:
HTML Telegram refuses, callback data over 64 bytes, a callback query answered twice, a reply
to a chat the bot never saw. So this server enforces Telegram's rules, answers with Telegram's
own error descriptions (tdlib's HTML parser is ported byte for byte, other strings come from
recorded server replies), and keeps a ``violations`` list, so a test can assert the bot broke
no rule even when the bot swallowed the error.

Where Telegram is more lenient than its documentation (a bare ``&``, attributes it ignores, a
button with two actions) the fake follows the documentation while ``strict=True`` (the
default): such output renders by luck and is one escaping change away from a 400. Those
descriptions are marked "(fake)" in comments below; ``strict=False`` mimics the server exactly.

Run ``python -m tests.fake_bot_api --port 8081`` to serve it to a bot in another process; the
``/_fake/...`` control routes then stand in for the Python helpers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import inspect
import itertools
import json
import logging
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final, Literal, Self
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

JSON = dict[str, Any]
ChatType = Literal["private", "group", "supergroup"]
CallPredicate = Callable[["ApiCall"], bool]

DEFAULT_TOKEN: Final = "123456789:AAFakeTokenForTravelbotTests_012345"
DEFAULT_BOT_USERNAME: Final = "travel_test_bot"
DEFAULT_USER_ID: Final = 1001
"""Who speaks in groups and inline mode when a helper is not told; private chats use chat_id."""

MAX_TEXT_LENGTH: Final = 4096
MAX_CAPTION_LENGTH: Final = 1024
MAX_CALLBACK_DATA_BYTES: Final = 64
MAX_CALLBACK_ANSWER_LENGTH: Final = 200
MAX_INLINE_RESULTS: Final = 50
MAX_INLINE_RESULT_ID_BYTES: Final = 64
MAX_BUTTONS: Final = 100
MAX_COMMANDS: Final = 100

_LOG = logging.getLogger(__name__)

_TOKEN_RE: Final = re.compile(r"\d+:[A-Za-z0-9_-]+")
_NOT_MODIFIED: Final = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
_QUERY_INVALID: Final = "query is too old and response timeout expired or query ID is invalid"
_WEBHOOK_CONFLICT: Final = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
    "the webhook first"
)
_POLL_CONFLICT: Final = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is "
    "running"
)
_UPDATE_TYPES: Final = frozenset(
    {
        "message", "edited_message", "channel_post", "edited_channel_post",
        "business_connection", "business_message", "edited_business_message",
        "deleted_business_messages", "message_reaction", "message_reaction_count",
        "inline_query", "chosen_inline_result", "callback_query", "shipping_query",
        "pre_checkout_query", "purchased_paid_media", "poll", "poll_answer", "my_chat_member",
        "chat_member", "chat_join_request", "chat_boost", "removed_chat_boost",
    }
)  # fmt: skip
# Telegram's default when allowed_updates was never given: everything but these three.
_DEFAULT_ALLOWED: Final = _UPDATE_TYPES - {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}
_CHAT_ACTIONS: Final = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip
_BUTTON_ACTIONS: Final = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)  # fmt: skip
_SCOPE_FIELDS: Final[Mapping[str, tuple[str, ...]]] = {
    "default": (),
    "all_private_chats": (),
    "all_group_chats": (),
    "all_chat_administrators": (),
    "chat": ("chat_id",),
    "chat_administrators": ("chat_id",),
    "chat_member": ("chat_id", "user_id"),
}
_INLINE_RESULT_TYPES: Final = frozenset(
    {
        "article", "photo", "gif", "mpeg4_gif", "video", "audio", "voice", "document",
        "location", "venue", "contact", "game", "sticker",
    }
)  # fmt: skip
_ENTITY_TYPES: Final = frozenset(
    {
        "mention", "hashtag", "cashtag", "bot_command", "url", "email", "phone_number", "bold",
        "italic", "underline", "strikethrough", "spoiler", "blockquote",
        "expandable_blockquote", "code", "pre", "text_link", "text_mention", "custom_emoji",
    }
)  # fmt: skip
_LOOPBACK_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "::1"})

# PTB form-encodes every parameter as a string, JSON-dumping all non-strings (see
# telegram.request.RequestParameter.json_value), so the server must know each field's type,
# as the real one does. Unknown fields stay strings.
_JSON_PARAMS: Final = frozenset(
    {
        "reply_markup", "entities", "caption_entities", "results", "commands", "scope",
        "allowed_updates", "reply_parameters", "link_preview_options", "menu_button", "button",
        "media",
    }
)  # fmt: skip
_INT_PARAMS: Final = frozenset(
    {
        "chat_id", "message_id", "offset", "limit", "timeout", "cache_time", "max_connections",
        "user_id", "message_thread_id", "live_period", "heading", "proximity_alert_radius",
    }
)  # fmt: skip
_FLOAT_PARAMS: Final = frozenset({"latitude", "longitude", "horizontal_accuracy"})
_BOOL_PARAMS: Final = frozenset(
    {
        "disable_notification", "protect_content", "show_alert", "is_personal",
        "drop_pending_updates", "allow_sending_without_reply", "has_spoiler",
        "show_caption_above_media", "allow_paid_broadcast", "disable_web_page_preview",
    }
)  # fmt: skip


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadedFile:
    """A multipart file part, kept whole so a test can check what the bot really uploaded."""

    param: str
    filename: str
    content_type: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class ApiCall:
    """One request the bot made, with Telegram's answer, so tests can assert on both."""

    method: str
    params: JSON
    status: int
    result: Any = None
    description: str | None = None
    injected: bool = False
    """True when the answer came from ``fail_next`` rather than from the fake's rules."""

    @property
    def ok(self) -> bool:
        return self.status == 200

    def __iter__(self) -> Iterator[Any]:
        """Unpack as ``(method, params)``: ``for method, params in fake.calls`` reads best."""
        return iter((self.method, self.params))


@dataclass(frozen=True)
class Violation:
    """A request Telegram would refuse (or that breaks its documented rules)."""

    method: str
    status: int
    description: str
    params: JSON

    def __str__(self) -> str:
        return f"{self.method} -> {self.status} {self.description!r} {_short(self.params)}"


class ApiError(Exception):
    """An error answer; ``violation=False`` for answers a correct bot can still get (403...)."""

    def __init__(
        self,
        status: int,
        description: str,
        *,
        violation: bool = True,
        parameters: JSON | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.violation = violation
        self.parameters = parameters


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class _Fault:
    status: int
    description: str
    retry_after: int | None


class _Signal:
    """Wakes every waiter on each change; each waiter re-checks its own condition."""

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def notify(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    async def wait(self, seconds: float) -> None:
        if seconds <= 0:
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.add(waiter)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter, seconds)
        finally:
            self._waiters.discard(waiter)


# --------------------------------------------------------------------------------------------
# Text: UTF-16 offsets, tdlib's HTML parser, automatic entities
# --------------------------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Entity offsets and lengths are in UTF-16 code units; one emoji counts two."""
    return len(text.encode("utf-16-le")) // 2


class HtmlError(Exception):
    """tdlib's own wording; the Bot API prefixes it with "can't parse entities: "."""


_HTML_TAGS: Final = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler",
        "tg-emoji", "span", "pre", "code", "blockquote",
    }
)  # fmt: skip
_HTML_SPACES: Final = frozenset(b" \t\r\n\x0b\x00")  # tdlib's is_space() includes NUL
_NAMED_ENTITIES: Final = {b"lt": 0x3C, b"gt": 0x3E, b"amp": 0x26, b"quot": 0x22}
_SIMPLE_TAG_TYPES: Final = {
    "i": "italic",
    "em": "italic",
    "b": "bold",
    "strong": "bold",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
}
# tdlib's MessageEntity::get_type_priority, for sorting entities that start together.
_ENTITY_PRIORITY: Final = {
    "blockquote": 0, "expandable_blockquote": 0, "pre_code": 10, "pre": 11, "code": 20,
    "text_link": 49, "text_mention": 49, "bold": 90, "italic": 91, "underline": 92,
    "strikethrough": 93, "spoiler": 94, "custom_emoji": 99,
}  # fmt: skip


def _is_alnum(byte: int) -> bool:
    return 0x30 <= byte <= 0x39 or 0x41 <= byte <= 0x5A or 0x61 <= byte <= 0x7A


def _decode_html_entity(src: bytes, pos: int) -> tuple[int, int]:
    """tdlib's decode_html_entity: (code point, position after it), or (0, pos) if none."""
    size = len(src)

    def at(i: int) -> int:
        return src[i] if i < size else 0

    end = pos + 1
    code = 0
    if at(pos + 1) == ord("#"):
        end += 1
        if at(pos + 2) == ord("x"):
            end += 1
            while chr(at(end)) in "0123456789abcdefABCDEF" and at(end) != 0:
                code = code * 16 + int(chr(at(end)), 16)
                end += 1
        else:
            while 0x30 <= at(end) <= 0x39:
                code = code * 10 + at(end) - 0x30
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while 0x41 <= at(end) <= 0x5A or 0x61 <= at(end) <= 0x7A:
            end += 1
        code = _NAMED_ENTITIES.get(src[pos + 1 : end], 0)
        if code == 0:
            return 0, pos
    if at(end) == ord(";"):
        return code, end + 1
    return code, end


def _checked_link(url: str) -> str | None:
    """Approximates tdlib's LinkManager::get_checked_link: None means the link is dropped."""
    url = url.strip()
    if not url:
        return None
    if url.lower().startswith(("tg:", "ton:")):
        return url
    candidate = url if "://" in url else f"http://{url}"
    parts = urlsplit(candidate)
    if parts.scheme.lower() not in ("http", "https"):
        return None
    host = parts.hostname or ""
    if not re.fullmatch(r"[\w.-]+", host) or "." not in host.strip("."):
        return None
    return url


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int
    out_begin: int
    byte_offset: int


def parse_html(text: str, *, strict: bool = True) -> tuple[str, list[JSON]]:
    """Port of tdlib's parse_html (td/telegram/MessageEntity.cpp), so the fake refuses exactly
    what Telegram refuses, with the same words and byte offsets.

    With ``strict`` it also refuses what Telegram only tolerates: a bare ``&`` or ``>``, an
    entity without ``;``, attributes Telegram ignores, links it silently drops and nestings
    its documentation forbids (formatting Telegram would silently strip).
    """
    src = text.encode("utf-8", "surrogatepass")
    size = len(src)

    def at(i: int) -> int:
        return src[i] if i < size else 0

    def is_space(byte: int) -> bool:
        return byte in _HTML_SPACES

    out = bytearray()
    entities: list[list[Any]] = []  # [type, utf16 offset, utf16 length, argument]
    nested: list[_OpenTag] = []
    utf16 = 0
    i = 0
    while i < size:
        byte = src[i]
        if byte == ord("&"):
            code, after = _decode_html_entity(src, i)
            if code:
                if strict and src[after - 1] != ord(";"):
                    raise HtmlError(f'HTML entity at byte offset {i} must end with ";"')  # (fake)
                utf16 += 1 + (code > 0xFFFF)
                out += chr(code).encode("utf-8", "surrogatepass")
                i = after
                continue
            if strict:
                raise HtmlError(f'Character "&" at byte offset {i} must be escaped as "&amp;"')
        if byte != ord("<"):
            if strict and byte == ord(">"):
                raise HtmlError(f'Character ">" at byte offset {i} must be escaped as "&gt;"')
            if byte & 0xC0 != 0x80:
                utf16 += 1 + (byte >= 0xF0)
            out.append(byte)
            i += 1
            continue

        begin = i
        i += 1
        if at(i) != ord("/"):
            while not is_space(at(i)) and at(i) != ord(">"):
                i += 1
            if at(i) == 0:
                raise HtmlError(f"Unclosed start tag at byte offset {begin}")
            tag = src[begin + 1 : i].lower().decode("utf-8", "replace")
            if tag not in _HTML_TAGS:
                raise HtmlError(f'Unsupported start tag "{tag}" at byte offset {begin}')
            argument = ""
            while at(i) != ord(">"):
                while at(i) != 0 and is_space(at(i)):
                    i += 1
                if at(i) == ord(">"):
                    break
                name_begin = i
                while not is_space(at(i)) and at(i) not in b"=>/\"'":
                    i += 1
                name = src[name_begin:i]
                if not name:
                    raise HtmlError(
                        f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
                    )
                while at(i) != 0 and is_space(at(i)):
                    i += 1
                if at(i) != ord("="):
                    if at(i) == 0:
                        raise HtmlError(f'Unclosed start tag "{tag}" at byte offset {begin}')
                    if tag == "blockquote" and name == b"expandable":
                        argument = "1"
                    elif strict:
                        raise HtmlError(_unsupported_attribute(name, tag, begin))
                    continue
                i += 1
                while at(i) != 0 and is_space(at(i)):
                    i += 1
                if at(i) == 0:
                    raise HtmlError(f'Unclosed start tag "{tag}" at byte offset {begin}')
                if at(i) not in (ord("'"), ord('"')):
                    token_begin = i
                    while _is_alnum(at(i)) or at(i) in (ord("."), ord("-")):
                        i += 1
                    raw_value = src[token_begin:i].lower()
                    if not is_space(at(i)) and at(i) != ord(">"):
                        raise HtmlError(
                            f"Unexpected end of name token at byte offset {token_begin}"
                        )
                else:
                    quote = at(i)
                    i += 1
                    value_bytes = bytearray()
                    while at(i) != quote and at(i) != 0:
                        if at(i) == ord("&"):
                            code, after = _decode_html_entity(src, i)
                            if code:
                                value_bytes += chr(code).encode("utf-8", "surrogatepass")
                                i = after
                                continue
                        value_bytes.append(at(i))
                        i += 1
                    if at(i) == quote:
                        i += 1
                    raw_value = bytes(value_bytes)
                if at(i) == 0:
                    raise HtmlError(f"Unclosed start tag at byte offset {begin}")
                value = raw_value.decode("utf-8", "replace")
                if tag == "a" and name == b"href":
                    argument = value
                elif tag == "code" and name == b"class" and value.startswith("language-"):
                    argument = value[9:]
                elif tag == "span" and name == b"class" and value.startswith("tg-"):
                    argument = value[3:]
                elif tag == "tg-emoji" and name == b"emoji-id":
                    argument = value
                elif tag == "blockquote" and name == b"expandable":
                    argument = "1"
                elif strict:
                    raise HtmlError(_unsupported_attribute(name, tag, begin))
            if tag == "span" and argument != "spoiler":
                raise HtmlError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
            if strict:
                _check_nesting(nested, tag, utf16, begin)
            nested.append(_OpenTag(tag, argument, utf16, len(out), begin))
            i += 1  # past ">"
            continue

        # An end tag.
        if not nested:
            raise HtmlError(f"Unexpected end tag at byte offset {begin}")
        while not is_space(at(i)) and at(i) != ord(">"):
            i += 1
        end_tag = src[begin + 2 : i].lower().decode("utf-8", "replace")
        while is_space(at(i)) and at(i) != 0:
            i += 1
        if at(i) != ord(">"):
            raise HtmlError(f"Unclosed end tag at byte offset {begin}")
        opened = nested[-1]
        if end_tag and end_tag != opened.name:
            raise HtmlError(
                f'Unmatched end tag at byte offset {begin}, expected "</{opened.name}>", '
                f'found "</{end_tag}>"'
            )
        if utf16 > opened.utf16_offset:
            offset, length = opened.utf16_offset, utf16 - opened.utf16_offset
            _close_entity(entities, opened, offset, length, out, begin, strict)
        nested.pop()
        i += 1  # past ">"

    if nested:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{nested[-1].name}"')
    for entity in entities:
        if entity[0] == "code":
            entity[3] = ""
    try:
        plain = bytes(out).decode("utf-8")
    except UnicodeDecodeError:
        raise HtmlError(
            "Text contains invalid Unicode characters after decoding HTML entities, check for "
            "unmatched surrogate code units"
        ) from None
    entities.sort(key=lambda e: (e[1], -e[2], _ENTITY_PRIORITY.get(e[0], 50)))
    return plain, [_entity_json(e) for e in entities]


def _unsupported_attribute(name: bytes, tag: str, begin: int) -> str:
    # (fake) Telegram ignores unknown attributes; its documentation allows none.
    attribute = name.decode("utf-8", "replace")
    return f'Unsupported attribute "{attribute}" in the tag "{tag}" at byte offset {begin}'


def _close_entity(
    entities: list[list[Any]],
    opened: _OpenTag,
    offset: int,
    length: int,
    out: bytearray,
    begin: int,
    strict: bool,
) -> None:
    tag = opened.name
    last = entities[-1] if entities else None
    same_span = last is not None and last[1] == offset and last[2] == length
    if tag in _SIMPLE_TAG_TYPES:
        entities.append([_SIMPLE_TAG_TYPES[tag], offset, length, ""])
    elif tag == "span":
        entities.append(["spoiler", offset, length, ""])
    elif tag == "tg-emoji":
        try:
            emoji_id = int(opened.argument)
        except ValueError:
            emoji_id = 0
        if not 0 < emoji_id < 2**63:
            raise HtmlError("Invalid custom emoji identifier specified")
        entities.append(["custom_emoji", offset, length, str(emoji_id)])
    elif tag == "a":
        url = opened.argument or out[opened.out_begin :].decode("utf-8", "replace")
        checked = _checked_link(url)
        if checked is not None:
            entities.append(["text_link", offset, length, checked])
        elif strict:
            # (fake) Telegram silently drops the link and keeps the bare text.
            raise HtmlError(
                f'Invalid URL "{url}" in the tag "a" at byte offset {opened.byte_offset}'
            )
    elif tag == "pre":
        code_inside = last is not None and last[0] == "code" and last[1] == offset
        if strict and code_inside and not same_span:
            # (fake) <pre><code>x</code>y</pre>: Telegram drops the inner entity.
            raise HtmlError(_nesting_error("code", "pre", opened.byte_offset))
        if last is not None and same_span and last[0] == "code" and last[3]:
            last[0] = "pre_code"
        else:
            entities.append(["pre", offset, length, ""])
    elif tag == "code":
        if last is not None and same_span and last[0] == "pre" and opened.argument:
            last[0] = "pre_code"
            last[3] = opened.argument
        else:
            entities.append(["code", offset, length, opened.argument])
    elif tag == "blockquote":
        kind = "expandable_blockquote" if opened.argument else "blockquote"
        entities.append([kind, offset, length, ""])


def _check_nesting(nested: list[_OpenTag], tag: str, utf16_offset: int, begin: int) -> None:
    """(fake) Nestings the Bot API documentation forbids; Telegram strips them silently, so
    the formatting a bot asked for quietly disappears."""
    for outer in nested:
        code_in_pre = (
            tag == "code"
            and outer.name == "pre"
            and outer is nested[-1]
            and outer.utf16_offset == utf16_offset
        )
        forbidden = (
            outer.name == "code"
            or (outer.name == "pre" and not code_in_pre)
            or (outer.name == "blockquote" and tag == "blockquote")
            or (outer.name == "a" and tag == "a")
        )
        if forbidden:
            raise HtmlError(_nesting_error(tag, outer.name, begin))


def _nesting_error(tag: str, outer: str, begin: int) -> str:
    return f'Tag "{tag}" can\'t be nested in the tag "{outer}" at byte offset {begin}'


def _entity_json(entity: list[Any]) -> JSON:
    kind, offset, length, argument = entity
    if kind == "pre_code":
        return {"type": "pre", "offset": offset, "length": length, "language": argument}
    result: JSON = {"type": kind, "offset": offset, "length": length}
    if kind == "text_link":
        result["url"] = argument
    elif kind == "custom_emoji":
        result["custom_emoji_id"] = argument
    return result


_AUTO_ENTITY_PATTERNS: Final = (
    ("url", re.compile(r"\bhttps?://[^\s<>\"]*[^\s<>\".,;:!?)\]'}]")),
    ("bot_command", re.compile(
        r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>@])"
    )),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{5,32}(?![\w@])")),
    ("hashtag", re.compile(r"(?<![\w#])#(?=\w*[^\W\d_])\w{1,256}(?![\w#])")),
    ("email", re.compile(r"(?<![\w.@])[\w.+-]+@[\w-]+(?:\.[\w-]+)+(?![\w@])")),
)  # fmt: skip


def detect_entities(text: str) -> list[JSON]:
    """The entities Telegram's servers add to a user's plain text, as PTB's CommandHandler and
    ``filters.Entity`` rely on them (a /command is only a command with its entity at 0)."""
    found: list[tuple[int, int, str]] = []
    for kind, pattern in _AUTO_ENTITY_PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < other_end and other_start < end for other_start, other_end, _ in found):
                continue
            found.append((start, end, kind))
    found.sort()
    return [
        {
            "type": kind,
            "offset": utf16_len(text[:start]),
            "length": utf16_len(text[start:end]),
        }
        for start, end, kind in found
    ]


_TRIM: Final = " \t\r\n"


def _trim(text: str, entities: list[JSON]) -> tuple[str, list[JSON]]:
    """Telegram strips surrounding whitespace before counting, and clips entities with it."""
    left_stripped = text.lstrip(_TRIM)
    removed = utf16_len(text) - utf16_len(left_stripped)
    result = left_stripped.rstrip(_TRIM)
    total = utf16_len(result)
    clipped: list[JSON] = []
    for entity in entities:
        start = max(entity["offset"] - removed, 0)
        end = min(entity["offset"] - removed + entity["length"], total)
        if end > start:
            clipped.append({**entity, "offset": start, "length": end - start})
    return result, clipped


# --------------------------------------------------------------------------------------------
# Request parameters
# --------------------------------------------------------------------------------------------


def _decode_params(raw: Mapping[str, Any]) -> JSON:
    decoded: JSON = {}
    for key, value in raw.items():
        if isinstance(value, str):
            if key in _JSON_PARAMS:
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            elif key in _INT_PARAMS and re.fullmatch(r"-?\d+", value):
                value = int(value)
            elif key in _FLOAT_PARAMS:
                with contextlib.suppress(ValueError):
                    value = float(value)
            elif key in _BOOL_PARAMS and value.lower() in ("true", "false", "1", "0"):
                value = value.lower() in ("true", "1")
        decoded[key] = value
    return decoded


async def _read_params(request: web.Request) -> JSON:
    raw: JSON = dict(request.query)
    if request.method == "POST" and request.body_exists:
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                raw.update(body)
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    raw[key] = UploadedFile(
                        key, value.filename, value.content_type, value.file.read()
                    )
                elif isinstance(value, bytes):
                    raw[key] = value.decode("utf-8", "replace")
                else:
                    raw[key] = value
    return _decode_params(raw)


def _number(params: JSON, name: str) -> float:
    value = params.get(name)
    if value is None or value == "":
        raise _bad(f"{name} is empty")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(f'field "{name}" must be a valid Number')
    return float(value)


def _required_str(params: JSON, name: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        raise _bad(f"{name} is empty")
    if not isinstance(value, str):
        raise _bad(f'field "{name}" must be of type String')
    return value


def _check_location(latitude: float, longitude: float) -> None:
    # Best-known wording; Telegram's exact text for an out-of-range point is unrecorded.
    if not (-90.0 <= latitude <= 90.0 and -180.0 <= longitude <= 180.0):
        raise _bad("wrong location specified")


def _jsonable(value: Any) -> Any:
    if isinstance(value, UploadedFile):
        return {
            "filename": value.filename,
            "content_type": value.content_type,
            "size": len(value.data),
        }
    if isinstance(value, ApiCall):
        return {
            "method": value.method,
            "params": _jsonable(value.params),
            "status": value.status,
            "result": _jsonable(value.result),
            "description": value.description,
        }
    if isinstance(value, Violation):
        return {
            "method": value.method,
            "status": value.status,
            "description": value.description,
            "params": _jsonable(value.params),
        }
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _short(value: Any, limit: int = 300) -> str:
    text = json.dumps(_jsonable(value), ensure_ascii=False, default=repr)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class FakeBotApi:
    """A Bot API server on 127.0.0.1 that real PTB talks to through ``base_url``.

    Use it as ``async with FakeBotApi() as fake`` in the test's event loop; give PTB
    ``fake.token`` and ``fake.base_url``. Inject what users do with ``send_text``,
    ``press_button``, ``inline_query``...; await the bot's reaction with ``wait_for``; end with
    ``fake.assert_no_violations()``.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = DEFAULT_BOT_USERNAME,
        bot_name: str = "Travel Test Bot",
        host: str = "127.0.0.1",
        port: int = 0,
        strict: bool = True,
        privacy_mode: bool = True,
        max_long_poll: float = 1.0,
        first_update_id: int = 100_000,
    ) -> None:
        if not _TOKEN_RE.fullmatch(token):
            raise ValueError(f"not a bot token (digits:secret): {token!r}")
        self.token = token
        self.strict = strict
        self.privacy_mode = privacy_mode
        """Telegram's default: in groups the bot sees only /commands, @mentions and replies."""
        self.max_long_poll = max_long_poll
        """Cap on getUpdates' ``timeout`` so an idle Updater stops quickly; still long-polls."""
        self.bot_user: JSON = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": not privacy_mode,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.calls: list[ApiCall] = []
        self.violations: list[Violation] = []
        self.undelivered: list[JSON] = []
        """Updates privacy mode hid from the bot (a group message it would never receive)."""
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._users: dict[int, JSON] = {}
        self._chats: dict[int, JSON] = {}
        self._blocked: set[int] = set()
        self._messages: dict[tuple[int, int], JSON] = {}
        self._next_message_id: dict[int, int] = {}
        self._updates: list[JSON] = []
        self._update_ids = itertools.count(first_update_id)
        self._query_ids = itertools.count(4_611_686_018_427_387_904)
        self._file_ids = itertools.count(1)
        self._callback_queries: dict[str, JSON] = {}
        self._inline_queries: dict[str, JSON] = {}
        self._allowed_updates: list[str] | None = None
        self._webhook: JSON | None = None
        self._commands: dict[str, list[JSON]] = {}
        self._menu_buttons: dict[int | None, JSON] = {}
        self._faults: dict[str, deque[_Fault]] = {}
        self._delays: dict[str, deque[float]] = {}
        self._consumed: set[int] = set()
        self._calls_signal = _Signal()
        self._updates_signal = _Signal()
        self._poll_generation = 0
        self._closing = False
        self._handlers: dict[str, Callable[[JSON], Awaitable[Any]]] = {
            "getMe": self._get_me,
            "logOut": self._ok,
            "close": self._ok,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getMyCommands": self._get_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendLocation": self._send_location,
            "sendVenue": self._send_venue,
            "sendChatAction": self._send_chat_action,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "answerInlineQuery": self._answer_inline_query,
        }
        # Bot API method names are case-insensitive.
        self._canonical = {name.lower(): name for name in self._handlers}

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("already started")
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("*", "/_fake/{action}", self._handle_control)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        self._closing = False
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))

    async def stop(self) -> None:
        self._closing = True
        self._updates_signal.notify()  # release held getUpdates at once
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._runner is None:
            raise RuntimeError("start() the fake first: the port is chosen when it binds")
        return self._port

    @property
    def base_url(self) -> str:
        """For PTB's ``base_url`` / TELEGRAM_BASE_URL: PTB appends the token, then ``/method``."""
        return f"http://{self._host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self._host}:{self.port}/file/bot"

    @property
    def bot_id(self) -> int:
        return int(self.bot_user["id"])

    @property
    def bot_username(self) -> str:
        return str(self.bot_user["username"])

    # ---- simulated users and chats ---------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str | None = None,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> JSON:
        """Register (or update) a user; helpers call this implicitly with defaults."""
        if user_id <= 0:
            raise ValueError(f"user ids are positive, got {user_id}")
        user = self._users.get(user_id)
        if user is None:
            user = {
                "id": user_id,
                "is_bot": False,
                "first_name": first_name or f"User{user_id}",
                "username": username or f"user{user_id}",
                "language_code": language_code or "en",
            }
            if last_name:
                user["last_name"] = last_name
            self._users[user_id] = user
        else:
            for key, value in (
                ("first_name", first_name),
                ("last_name", last_name),
                ("username", username),
                ("language_code", language_code),
            ):
                if value is not None:
                    user[key] = value
        return copy.deepcopy(user)

    def add_chat(
        self, chat_id: int, chat_type: ChatType | None = None, *, title: str | None = None
    ) -> JSON:
        """Make a chat known, as if the bot had been added to it or started by the user."""
        existing = self._chats.get(chat_id)
        kind = chat_type or (existing["type"] if existing else _infer_chat_type(chat_id))
        if existing is not None and existing["type"] != kind:
            raise ValueError(f"chat {chat_id} is a {existing['type']}, not a {kind}")
        if kind == "private":
            if chat_id <= 0:
                raise ValueError("a private chat's id is its user's id, which is positive")
            user = self._users.get(chat_id) or self.add_user(chat_id)
            chat: JSON = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
            for key in ("last_name", "username"):
                if key in user:
                    chat[key] = user[key]
        else:
            if chat_id >= 0:
                raise ValueError("group and supergroup ids are negative")
            chat = {"id": chat_id, "type": kind, "title": title or f"Travellers {abs(chat_id)}"}
            if existing is not None and title is None:
                chat["title"] = existing["title"]
        self._chats[chat_id] = chat
        return copy.deepcopy(chat)

    def block_bot(self, user_id: int) -> None:
        """The user blocks the bot: sends to them answer 403 as Telegram does (no violation)."""
        self._blocked.add(user_id)

    def unblock_bot(self, user_id: int) -> None:
        self._blocked.discard(user_id)

    def send_text(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: ChatType | None = None,
        reply_to_bot: bool = False,
        reply_to: Mapping[str, Any] | None = None,
    ) -> JSON:
        """A user writes ``text``; returns the Update (its ``message`` is what the bot sees).

        /commands, @mentions, #hashtags, URLs and e-mails get their entities like on Telegram.
        ``reply_to_bot`` replies to the bot's latest message in the chat (the way to talk to a
        bot in a group under privacy mode); ``reply_to`` replies to a given message.
        """
        if not text.strip():
            raise ValueError("Telegram clients cannot send an empty message")
        chat, user = self._participants(chat_id, user_id, chat_type)
        content: JSON = {"text": text}
        entities = detect_entities(text)
        if entities:
            content["entities"] = entities
        target = self._reply_target_for_user(chat_id, reply_to_bot, reply_to)
        return self._enqueue("message", self._new_user_message(chat, user, content, target))

    def send_location(
        self,
        chat_id: int,
        latitude: float,
        longitude: float,
        *,
        user_id: int | None = None,
        chat_type: ChatType | None = None,
        reply_to_bot: bool = False,
    ) -> JSON:
        """A user shares a location (e.g. "what is near me?"); returns the Update."""
        _check_location(latitude, longitude)
        chat, user = self._participants(chat_id, user_id, chat_type)
        content = {"location": {"latitude": latitude, "longitude": longitude}}
        target = self._reply_target_for_user(chat_id, reply_to_bot, None)
        return self._enqueue("message", self._new_user_message(chat, user, content, target))

    def send_sticker(
        self,
        chat_id: int,
        *,
        emoji: str = "👍",
        user_id: int | None = None,
        chat_type: ChatType | None = None,
    ) -> JSON:
        """A user sends a sticker: the bot must cope with messages that have no text."""
        chat, user = self._participants(chat_id, user_id, chat_type)
        file_id, unique_id = self._new_file_id("CAACAgIAAxkBAAI")
        sticker = {
            "file_id": file_id,
            "file_unique_id": unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "set_name": "TravelTestStickers",
            "file_size": 23_456,
        }
        return self._enqueue(
            "message", self._new_user_message(chat, user, {"sticker": sticker}, None)
        )

    def send_photo(
        self,
        chat_id: int,
        *,
        caption: str | None = None,
        user_id: int | None = None,
        chat_type: ChatType | None = None,
    ) -> JSON:
        """A user sends a photo, optionally captioned (a caption is text the bot may parse)."""
        chat, user = self._participants(chat_id, user_id, chat_type)
        content: JSON = {"photo": self._photo_sizes()}
        if caption:
            content["caption"] = caption
            entities = detect_entities(caption)
            if entities:
                content["caption_entities"] = entities
        return self._enqueue("message", self._new_user_message(chat, user, content, None))

    def send_poll(
        self,
        chat_id: int,
        question: str,
        options: list[str],
        *,
        persistent_ids: bool = True,
        user_id: int | None = None,
        chat_type: ChatType | None = None,
    ) -> JSON:
        """A user sends a poll. ``persistent_ids=False`` leaves out the options'
        ``persistent_id``, as Bot API servers before 9.6 (self-hosted ones, older proxies) do:
        python-telegram-bot 22.8 cannot read such an update."""
        chat, user = self._participants(chat_id, user_id, chat_type)
        poll: JSON = {
            "id": str(next(self._query_ids)),
            "question": question,
            "options": [
                {"text": text, "voter_count": 0}
                | ({"persistent_id": f"opt{i}"} if persistent_ids else {})
                for i, text in enumerate(options)
            ],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
        }
        return self._enqueue("message", self._new_user_message(chat, user, {"poll": poll}, None))

    def send_raw_update(self, payload: JSON) -> JSON:
        """Queue ``payload`` (everything but ``update_id``) as it is, unchecked: an update in
        a shape no helper makes."""
        update = {"update_id": next(self._update_ids), **copy.deepcopy(payload)}
        self._updates.append(update)
        self._updates_signal.notify()
        return copy.deepcopy(update)

    def delete_user_message(self, message: Mapping[str, Any]) -> None:
        """The user deletes one of their messages (a reply to it then finds nothing)."""
        stored = self._stored(message)
        del self._messages[(stored["chat"]["id"], stored["message_id"])]

    def edit_text(self, message: Mapping[str, Any], new_text: str) -> JSON:
        """The user edits one of their messages; returns the ``edited_message`` Update."""
        stored = self._stored(message)
        if stored["from"]["id"] == self.bot_id or "text" not in stored:
            raise ValueError("users can only edit their own text messages")
        stored["text"] = new_text
        entities = detect_entities(new_text)
        if entities:
            stored["entities"] = entities
        else:
            stored.pop("entities", None)
        stored["edit_date"] = max(_now(), stored["date"] + 1)
        return self._enqueue("edited_message", stored)

    def press_button(
        self,
        message: Mapping[str, Any],
        callback_data: str,
        user_id: int | None = None,
    ) -> JSON:
        """A user taps an inline button of a bot message; returns the callback_query Update.

        Only a button that is on the message *now* (after edits) can be tapped, as in a real
        client, so a stale keyboard in a test fails here rather than silently passing.
        """
        stored = self._stored(message)
        if stored["from"]["id"] != self.bot_id:
            raise ValueError("only the bot's messages carry inline keyboards")
        buttons = [
            button
            for row in stored.get("reply_markup", {}).get("inline_keyboard", [])
            for button in row
        ]
        if not any(button.get("callback_data") == callback_data for button in buttons):
            offered = [button.get("callback_data") for button in buttons]
            raise ValueError(
                f"no button with callback_data {callback_data!r}; message has {offered}"
            )
        chat = self._chats[stored["chat"]["id"]]
        if user_id is None:
            user_id = chat["id"] if chat["type"] == "private" else DEFAULT_USER_ID
        user = self.add_user(user_id)
        query_id = str(next(self._query_ids))
        query: JSON = {
            "id": query_id,
            "from": user,
            "message": copy.deepcopy(stored),
            "chat_instance": str(-7_000_000_000_000_000_000 - chat["id"]),
            "data": callback_data,
        }
        self._callback_queries[query_id] = {"query": query, "answer": None}
        return self._enqueue("callback_query", query)

    def inline_query(
        self,
        query: str,
        user_id: int = DEFAULT_USER_ID,
        *,
        offset: str = "",
        chat_type: str = "sender",
    ) -> JSON:
        """A user types ``@bot query`` in any chat; returns the inline_query Update."""
        user = self.add_user(user_id)
        query_id = str(next(self._query_ids))
        payload: JSON = {
            "id": query_id,
            "from": user,
            "query": query,
            "offset": offset,
            "chat_type": chat_type,
        }
        self._inline_queries[query_id] = {"query": payload, "answer": None}
        return self._enqueue("inline_query", payload)

    # ---- what the bot did ------------------------------------------------------------------

    def calls_to(self, method: str) -> list[ApiCall]:
        name = self._canonical.get(method.lower(), method)
        return [call for call in self.calls if call.method == name]

    def sent_messages(self, chat_id: int | None = None) -> list[JSON]:
        """Messages the bot sent or edited, in order, as Telegram returned them (text is the
        parsed text, with ``entities``; the raw HTML is in the call's params)."""
        messages: list[JSON] = []
        for call in self.calls:
            if not (call.ok and isinstance(call.result, dict) and "message_id" in call.result):
                continue
            if chat_id is None or call.result["chat"]["id"] == chat_id:
                messages.append(copy.deepcopy(call.result))
        return messages

    def message(self, chat_id: int, message_id: int) -> JSON:
        """A message as it is now (after edits), or KeyError if deleted/unknown."""
        return copy.deepcopy(self._messages[(chat_id, message_id)])

    def unanswered_queries(self) -> list[str]:
        """Ids of callback and inline queries the bot never answered (a spinner left running)."""
        pending = [qid for qid, q in self._callback_queries.items() if q["answer"] is None]
        pending += [qid for qid, q in self._inline_queries.items() if q["answer"] is None]
        return pending

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed by getUpdates' offset (or not yet delivered by webhook)."""
        return copy.deepcopy(self._updates)

    async def wait_for(
        self,
        what: str | CallPredicate,
        *,
        chat_id: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline per wait is the point here
        since: int = 0,
    ) -> ApiCall:
        """Await the bot's next matching call instead of sleeping.

        Each call is handed out once: two ``wait_for("sendMessage")`` return the bot's first and
        second message, however fast the bot was. Failed calls match too (check ``.ok``), so a
        refused reply fails the test at once instead of after the timeout.
        """
        predicate: CallPredicate
        if isinstance(what, str):
            name = self._canonical.get(what.lower(), what)
            label = name

            def predicate(call: ApiCall) -> bool:
                return call.method == name

        else:
            predicate = what
            label = getattr(what, "__name__", repr(what))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for index in range(since, len(self.calls)):
                call = self.calls[index]
                if index in self._consumed:
                    continue
                if chat_id is not None and call.params.get("chat_id") != chat_id:
                    continue
                if predicate(call):
                    self._consumed.add(index)
                    return call
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = "\n  ".join(
                    f"{call.method} {call.status} {_short(call.params, 160)}"
                    for call in self.calls[-15:]
                    if call.method != "getUpdates"
                )
                raise AssertionError(
                    f"bot made no {label} call"
                    + (f" to chat {chat_id}" if chat_id is not None else "")
                    + f" within {timeout}s. Recent calls:\n  {recent or '(none)'}\n"
                    + f"Violations: {[str(v) for v in self.violations]}"
                )
            await self._calls_signal.wait(remaining)

    def pop_violations(self) -> list[Violation]:
        """Take the violations recorded so far, for tests that provoke them on purpose."""
        taken, self.violations = self.violations, []
        return taken

    def assert_no_violations(self) -> None:
        if self.violations:
            lines = "\n  ".join(str(v) for v in self.violations)
            raise AssertionError(f"{len(self.violations)} Bot API rule violation(s):\n  {lines}")

    # ---- fault injection -------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int = 500,
        description: str | None = None,
        *,
        retry_after: int | None = None,
        count: int = 1,
    ) -> None:
        """Answer the next ``count`` calls of ``method`` ("*" for any) with an error instead.

        Nothing is performed and nothing counts as a violation: this is Telegram failing, not
        the bot. A 429 with ``retry_after`` carries ``parameters.retry_after``, which PTB turns
        into ``RetryAfter``.
        """
        if status == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = {
                400: "Bad Request",
                403: "Forbidden: bot was blocked by the user",
                429: f"Too Many Requests: retry after {retry_after or 1}",
                502: "Bad Gateway",
            }.get(status, "Internal Server Error")
        queue = self._faults.setdefault(self._fault_key(method), deque())
        queue.extend(_Fault(status, description, retry_after) for _ in range(count))

    def delay_next(self, method: str, seconds: float, *, count: int = 1) -> None:
        """Hold the next ``count`` answers to ``method`` ("*" for any), e.g. to hit PTB's
        timeouts. The call is still performed after the delay, as a slow Telegram would."""
        queue = self._delays.setdefault(self._fault_key(method), deque())
        queue.extend(seconds for _ in range(count))

    # ---- webhook delivery ------------------------------------------------------------------

    async def deliver_via_webhook(
        self,
        update: Mapping[str, Any],
        *,
        secret_token: str | None = None,
        use_stored_secret: bool = True,
    ) -> int:
        """POST ``update`` to the URL the bot gave setWebhook, like Telegram; returns the status.

        The stored secret goes in X-Telegram-Bot-Api-Secret-Token; pass ``secret_token`` (or
        ``use_stored_secret=False``) to check the bot rejects forged calls. A delivered update
        leaves the pending queue when the bot answers 2xx.
        """
        if self._webhook is None:
            raise RuntimeError("the bot has not called setWebhook")
        if self._session is None:
            raise RuntimeError("start() the fake first")
        headers = {"Content-Type": "application/json"}
        secret = (
            secret_token
            if secret_token is not None
            else (self._webhook.get("secret_token") if use_stored_secret else None)
        )
        if secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        async with self._session.post(
            self._webhook["url"], data=json.dumps(update), headers=headers
        ) as response:
            await response.read()
            status = response.status
        if 200 <= status < 300:
            self._updates = [u for u in self._updates if u["update_id"] != update.get("update_id")]
        else:
            self._webhook["last_error_date"] = _now()
            self._webhook["last_error_message"] = f"Wrong response from the webhook: {status}"
        return status

    async def deliver_pending_via_webhook(self) -> list[int]:
        """Deliver every queued update in order (what Telegram does on its own)."""
        return [await self.deliver_via_webhook(update) for update in self.pending_updates]

    # ---- HTTP plumbing ---------------------------------------------------------------------

    def _fault_key(self, method: str) -> str:
        return "*" if method == "*" else self._canonical.get(method.lower(), method).lower()

    def _pop_fault(self, method: str) -> _Fault | None:
        for key in (method.lower(), "*"):
            queue = self._faults.get(key)
            if queue:
                return queue.popleft()
        return None

    def _pop_delay(self, method: str) -> float:
        for key in (method.lower(), "*"):
            queue = self._delays.get(key)
            if queue:
                return queue.popleft()
        return 0.0

    async def _handle_api(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        raw_method = request.match_info["method"]
        method = self._canonical.get(raw_method.lower(), raw_method)
        try:
            params = await _read_params(request)
        except (ValueError, aiohttp.ClientError) as exc:
            return self._respond(method, {}, error=_bad(f"can't parse request: {exc}"))
        if token != self.token:
            # Telegram: 401 for a well-formed token it does not know, 404 for anything else.
            if _TOKEN_RE.fullmatch(token):
                return self._respond(method, params, error=ApiError(401, "Unauthorized"))
            return self._respond(method, params, error=ApiError(404, "Not Found"))
        handler = self._handlers.get(method)
        if handler is None:
            error = ApiError(404, "Not Found: method not found")
            return self._respond(method, params, error=error)
        delay = self._pop_delay(method)
        if delay:
            await asyncio.sleep(delay)
        fault = self._pop_fault(method)
        if fault is not None:
            parameters = {"retry_after": fault.retry_after} if fault.retry_after else None
            error = ApiError(
                fault.status, fault.description, violation=False, parameters=parameters
            )
            return self._respond(method, params, error=error, injected=True)
        try:
            result = await handler(params)
        except ApiError as error:
            return self._respond(method, params, error=error)
        return self._respond(method, params, result=result)

    def _respond(
        self,
        method: str,
        params: JSON,
        *,
        result: Any = None,
        error: ApiError | None = None,
        injected: bool = False,
    ) -> web.Response:
        body: JSON
        if error is None:
            call = ApiCall(method, params, 200, copy.deepcopy(result))
            body = {"ok": True, "result": result}
            status = 200
        else:
            call = ApiCall(method, params, error.status, None, error.description, injected)
            body = {"ok": False, "error_code": error.status, "description": error.description}
            if error.parameters:
                body["parameters"] = error.parameters
            status = error.status
            if error.violation and not injected:
                violation = Violation(method, error.status, error.description, params)
                self.violations.append(violation)
                _LOG.warning("Bot API violation: %s", violation)
        self.calls.append(call)
        self._calls_signal.notify()
        return web.json_response(body, status=status)

    async def _handle_control(self, request: web.Request) -> web.Response:
        """JSON twins of the helpers, for a fake run with ``python -m`` in another process."""
        action = request.match_info["action"]
        readers: dict[str, Callable[[], Any]] = {
            "calls": lambda: self.calls,
            "violations": lambda: self.violations,
            "sent_messages": lambda: self.sent_messages(
                int(request.query["chat_id"]) if "chat_id" in request.query else None
            ),
            "pending_updates": lambda: self.pending_updates,
        }
        writers: dict[str, Callable[..., Any]] = {
            "add_user": self.add_user,
            "add_chat": self.add_chat,
            "block_bot": self.block_bot,
            "send_text": self.send_text,
            "send_location": self.send_location,
            "send_sticker": self.send_sticker,
            "send_photo": self.send_photo,
            "edit_text": self.edit_text,
            "press_button": self.press_button,
            "inline_query": self.inline_query,
            "fail_next": self.fail_next,
            "delay_next": self.delay_next,
            "pop_violations": self.pop_violations,
            "deliver_pending_via_webhook": self.deliver_pending_via_webhook,
        }
        try:
            if request.method == "GET" and action in readers:
                return web.json_response(_jsonable(readers[action]()))
            if request.method == "POST" and action in writers:
                kwargs = await request.json() if request.body_exists else {}
                result = writers[action](**kwargs)
                if inspect.isawaitable(result):  # the webhook delivery posts to the bot
                    result = await result
                return web.json_response(_jsonable(result))
        except (TypeError, ValueError, KeyError) as exc:
            return web.json_response({"error": f"{type(exc).__name__}: {exc}"}, status=400)
        return web.json_response({"error": f"no control action {action!r}"}, status=404)

    # ---- state helpers ---------------------------------------------------------------------

    def _participants(
        self, chat_id: int, user_id: int | None, chat_type: ChatType | None
    ) -> tuple[JSON, JSON]:
        existing = self._chats.get(chat_id)
        kind = chat_type or (existing["type"] if existing else _infer_chat_type(chat_id))
        if kind == "private":
            if user_id is not None and user_id != chat_id:
                raise ValueError("in a private chat the chat id is the user's id")
            user_id = chat_id
        elif user_id is None:
            user_id = DEFAULT_USER_ID
        self.add_user(user_id)
        self.add_chat(chat_id, kind)
        return self._chats[chat_id], self._users[user_id]

    def _next_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _new_user_message(
        self, chat: JSON, user: JSON, content: JSON, reply_to: JSON | None
    ) -> JSON:
        message: JSON = {
            "message_id": self._next_id(chat["id"]),
            "from": copy.deepcopy(user),
            "chat": copy.deepcopy(chat),
            "date": _now(),
            **content,
        }
        if reply_to is not None:
            message["reply_to_message"] = _without_reply(reply_to)
        self._messages[(chat["id"], message["message_id"])] = message
        return message

    def _reply_target_for_user(
        self, chat_id: int, reply_to_bot: bool, reply_to: Mapping[str, Any] | None
    ) -> JSON | None:
        if reply_to is not None:
            return self._stored(reply_to)
        if not reply_to_bot:
            return None
        for (stored_chat, _), message in reversed(self._messages.items()):
            if stored_chat == chat_id and message["from"]["id"] == self.bot_id:
                return message
        raise ValueError(f"the bot has sent nothing in chat {chat_id} to reply to")

    def _stored(self, message: Mapping[str, Any]) -> JSON:
        key = (int(message["chat"]["id"]), int(message["message_id"]))
        stored = self._messages.get(key)
        if stored is None:
            raise ValueError(f"message {key[1]} in chat {key[0]} does not exist (deleted?)")
        return stored

    def _new_file_id(self, prefix: str) -> tuple[str, str]:
        number = next(self._file_ids)
        return f"{prefix}{number:06d}FakeFileId", f"AQAD{number:06d}"

    def _photo_sizes(self, size: int = 48_000) -> list[JSON]:
        sizes = []
        for width, height in ((90, 67), (320, 240), (800, 600)):
            file_id, unique_id = self._new_file_id("AgACAgIAAxkBAAI")
            sizes.append(
                {
                    "file_id": file_id,
                    "file_unique_id": unique_id,
                    "width": width,
                    "height": height,
                    "file_size": max(1, size * width * height // (800 * 600)),
                }
            )
        return sizes

    def _bot_sees(self, message: JSON) -> bool:
        if message["chat"]["type"] == "private" or not self.privacy_mode:
            return True
        reply = message.get("reply_to_message")
        if reply is not None and reply.get("from", {}).get("id") == self.bot_id:
            return True
        text = message.get("text") or message.get("caption") or ""
        command = re.match(r"/[A-Za-z0-9_]+(?:@([A-Za-z0-9_]+))?", text)
        if command is not None:
            addressee = command.group(1)
            return addressee is None or addressee.lower() == self.bot_username.lower()
        mention = f"@{self.bot_username}".lower()
        return any(word.lower().rstrip(".,!?:;") == mention for word in text.split())

    def replace_pending(self, update: JSON) -> None:
        """Swap a pending update (same ``update_id``) for ``update``, as it is: for tests of
        forged updates the fake would refuse to build (a location at NaN, say)."""
        ids = [u["update_id"] for u in self._updates]
        self._updates[ids.index(update["update_id"])] = copy.deepcopy(update)

    def _enqueue(self, kind: str, payload: JSON) -> JSON:
        update = {"update_id": next(self._update_ids), kind: copy.deepcopy(payload)}
        if kind in ("message", "edited_message") and not self._bot_sees(payload):
            self.undelivered.append(update)
        else:
            self._updates.append(update)
            self._updates_signal.notify()
        return copy.deepcopy(update)

    def _resolve_chat(self, params: JSON, *, sending: bool = True) -> JSON:
        value = params.get("chat_id")
        if value is None or value == "":
            raise _bad("chat_id is empty")
        chat: JSON | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            chat = self._chats.get(value)
        elif isinstance(value, str) and value.startswith("@"):
            chat = next(
                (
                    c
                    for c in self._chats.values()
                    if c.get("username", "").lower() == value[1:].lower()
                ),
                None,
            )
        if chat is None:
            raise _bad("chat not found")
        if sending and chat["type"] == "private" and chat["id"] in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user", violation=False)
        return chat

    def _message_id(self, params: JSON) -> int:
        value = params.get("message_id")
        if value is None or value == "":
            raise _bad("message identifier is not specified")
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad('field "message_id" must be of type Integer')
        return value

    def _formatted(
        self,
        text: Any,
        parse_mode: Any,
        entities: Any,
        *,
        caption: bool = False,
    ) -> tuple[str, list[JSON]]:
        """Telegram's text pipeline: parse, trim, then count characters on what remains."""
        if text is None or text == "":
            if caption:
                return "", []
            raise _bad("message text is empty")
        if not isinstance(text, str):
            text = json.dumps(text)
        if parse_mode in (None, ""):
            plain, parsed = text, _check_entities(text, entities)
        elif not isinstance(parse_mode, str):
            raise _bad("unsupported parse_mode")
        elif parse_mode.lower() == "html":
            try:
                plain, parsed = parse_html(text, strict=self.strict)
            except HtmlError as exc:
                raise _bad(f"can't parse entities: {exc}") from None
        elif parse_mode.lower() in ("markdown", "markdownv2"):
            plain, parsed = text, []  # not modelled: travelbot speaks HTML
        else:
            raise _bad("unsupported parse_mode")
        plain, parsed = _trim(plain, parsed)
        if not plain:
            if caption:
                return "", []
            raise _bad("text must be non-empty")
        if caption and len(plain) > MAX_CAPTION_LENGTH:
            raise _bad("message caption is too long")
        if not caption and len(plain) > MAX_TEXT_LENGTH:
            raise _bad("message is too long")
        return plain, parsed

    def _reply_markup(self, value: Any) -> JSON | None:
        """Validated inline keyboard to echo back, or None (reply keyboards are not echoed)."""
        if value is None:
            return None
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise _bad("can't parse reply keyboard markup JSON object") from None
        if not isinstance(value, dict):
            raise _bad("Object expected as reply markup")
        if "inline_keyboard" in value:
            rows = value["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise _bad('field "inline_keyboard" must be of type Array')
            if sum(len(row) for row in rows) > MAX_BUTTONS:
                raise _bad("REPLY_MARKUP_TOO_LONG")
            for row in rows:
                for button in row:
                    self._check_inline_button(button)
            return {"inline_keyboard": copy.deepcopy(rows)}
        if "keyboard" in value:
            rows = value["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise _bad('field "keyboard" must be of type Array')
            for key in ("resize_keyboard", "one_time_keyboard", "is_persistent", "selective"):
                if key in value and not isinstance(value[key], bool):
                    raise _bad(f'field "{key}" must be of type Boolean')
            return None
        for key in ("remove_keyboard", "force_reply"):
            if key in value:
                if not isinstance(value[key], bool):
                    raise _bad(f'field "{key}" must be of type Boolean')
                return None
        raise _bad("can't parse reply keyboard markup JSON object")

    def _check_inline_button(self, button: Any) -> None:
        prefix = "can't parse inline keyboard button: "
        if not isinstance(button, dict):
            raise _bad(prefix + "InlineKeyboardButton must be an Object")
        if "text" not in button:
            raise _bad(prefix + 'Can\'t find field "text"')
        if not isinstance(button["text"], str):
            raise _bad(prefix + 'Field "text" must be of type String')
        if not button["text"].strip():
            raise _bad("BUTTON_TEXT_INVALID")
        # The Bot API treats an empty callback_data or url as absent.
        actions = [
            key
            for key in _BUTTON_ACTIONS
            if key in button and not (key in ("url", "callback_data") and button[key] in ("", None))
        ]
        if not actions:
            raise _bad(prefix + "Text buttons are unallowed in the inline keyboard")
        if len(actions) > 1 and self.strict:
            # (fake) Telegram uses the first and ignores the rest; the docs say exactly one.
            raise _bad(prefix + f"exactly one action field must be used, got {', '.join(actions)}")
        action = actions[0]
        value = button[action]
        if action == "callback_data":
            if not isinstance(value, str) or len(value.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
                raise _bad("BUTTON_DATA_INVALID")
        elif action == "url":
            problem = _button_url_problem(value, strict=self.strict)
            if problem:
                raise _bad(f"inline keyboard button URL '{value}' is invalid: {problem}")
        elif action == "web_app":
            url = value.get("url", "") if isinstance(value, dict) else ""
            if not str(url).lower().startswith("https://"):
                raise _bad(
                    f"inline keyboard button Web App URL '{url}' is invalid: "
                    "Only HTTPS links are allowed"
                )
        elif action == "copy_text":
            text = value.get("text") if isinstance(value, dict) else None
            if not isinstance(text, str) or not 1 <= len(text) <= 256:
                raise _bad("BUTTON_COPY_TEXT_INVALID")
        elif action in ("switch_inline_query", "switch_inline_query_current_chat"):
            if not isinstance(value, str):
                raise _bad(prefix + f'Field "{action}" must be of type String')
        elif action in ("pay", "callback_game"):
            raise _bad("BUTTON_TYPE_INVALID")

    def _reply_to(self, chat: JSON, value: Any) -> JSON | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise _bad("can't parse reply parameters JSON object")
        if "message_id" not in value:
            raise _bad('can\'t find field "message_id"')
        key: tuple[Any, Any] = (value.get("chat_id", chat["id"]), value["message_id"])
        target = self._messages.get(key)
        if target is None:
            if value.get("allow_sending_without_reply"):
                return None
            raise _bad("message to be replied not found")
        return target

    def _new_bot_message(self, chat: JSON, params: JSON, content: JSON) -> JSON:
        """Validate markup and reply target, then store and return the sent message."""
        markup = self._reply_markup(params.get("reply_markup"))
        reply_to = self._reply_to(chat, params.get("reply_parameters"))
        message: JSON = {
            "message_id": self._next_id(chat["id"]),
            "from": {key: self.bot_user[key] for key in ("id", "is_bot", "first_name", "username")},
            "chat": copy.deepcopy(chat),
            "date": _now(),
            **content,
        }
        if reply_to is not None:
            message["reply_to_message"] = _without_reply(reply_to)
        if markup is not None:
            message["reply_markup"] = markup
        self._messages[(chat["id"], message["message_id"])] = message
        return copy.deepcopy(message)

    # ---- Bot API methods -------------------------------------------------------------------

    async def _ok(self, params: JSON) -> bool:
        return True

    async def _get_me(self, params: JSON) -> JSON:
        return copy.deepcopy(self.bot_user)

    async def _get_updates(self, params: JSON) -> list[JSON]:
        if self._webhook is not None:
            raise ApiError(409, _WEBHOOK_CONFLICT)
        offset = params.get("offset", 0)
        limit = params.get("limit", 100)
        timeout = params.get("timeout", 0)
        for name, value in (("offset", offset), ("limit", limit), ("timeout", timeout)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise _bad(f'field "{name}" must be of type Integer')
        allowed = params.get("allowed_updates")
        if allowed is not None:
            if not isinstance(allowed, list):
                raise _bad('field "allowed_updates" must be of type Array')
            self._allowed_updates = [str(kind) for kind in allowed] or None
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        limit = min(max(limit, 1), 100)
        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_signal.notify()  # a held older request now answers 409, like Telegram
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(max(timeout, 0), self.max_long_poll)
        while True:
            if generation != self._poll_generation:
                raise ApiError(409, _POLL_CONFLICT, violation=False)
            allowed_types = set(self._allowed_updates or _DEFAULT_ALLOWED)
            # Telegram never stores updates of a type the bot did not ask for.
            self._updates = [u for u in self._updates if _update_type(u) in allowed_types]
            remaining = deadline - loop.time()
            if self._updates or remaining <= 0 or self._closing:
                return copy.deepcopy(self._updates[:limit])
            await self._updates_signal.wait(remaining)

    async def _set_webhook(self, params: JSON) -> bool:
        url = params.get("url", "")
        if not isinstance(url, str):
            raise _bad('field "url" must be of type String')
        if params.get("drop_pending_updates"):
            self._updates.clear()
        if url == "":
            self._webhook = None
            return True
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        # Telegram accepts only HTTPS; plain HTTP is let through to loopback so tests can use
        # PTB's own webhook server without certificates.
        if scheme != "https" and not (scheme == "http" and parts.hostname in _LOOPBACK_HOSTS):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        if not parts.hostname:
            raise _bad("bad webhook: Failed to resolve host: Name or service not known")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise _bad("bad webhook: Secret token contains unallowed characters")
        max_connections = params.get("max_connections", 40)
        if not isinstance(max_connections, int) or not 1 <= max_connections <= 100:
            raise _bad("bad webhook: Max connections must be between 1 and 100")
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed] or None
        self._webhook = {
            "url": url,
            "secret_token": secret,
            "max_connections": max_connections,
            "ip_address": params.get("ip_address"),
        }
        self._poll_generation += 1  # a held getUpdates ends
        self._updates_signal.notify()
        return True

    async def _delete_webhook(self, params: JSON) -> bool:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self._webhook = None
        return True

    async def _get_webhook_info(self, params: JSON) -> JSON:
        info: JSON = {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook is not None:
            info["url"] = self._webhook["url"]
            info["max_connections"] = self._webhook["max_connections"]
            for key in ("ip_address", "last_error_date", "last_error_message"):
                if self._webhook.get(key) is not None:
                    info[key] = self._webhook[key]
            if self._allowed_updates:
                info["allowed_updates"] = list(self._allowed_updates)
        return info

    def _command_key(self, params: JSON) -> str:
        scope = params.get("scope") or {"type": "default"}
        if isinstance(scope, str):
            raise _bad("can't parse BotCommandScope JSON object")
        if not isinstance(scope, dict):
            raise _bad("can't parse BotCommandScope: Object expected")
        kind = str(scope.get("type"))
        if kind not in _SCOPE_FIELDS:
            raise _bad("can't parse BotCommandScope: Unsupported type specified")
        for required in _SCOPE_FIELDS[kind]:
            if required not in scope:
                raise _bad(f"can't parse BotCommandScope: Can't find field \"{required}\"")
        if "chat_id" in scope:
            self._resolve_chat({"chat_id": scope["chat_id"]}, sending=False)
        language = params.get("language_code", "") or ""
        if not re.fullmatch(r"(?:[a-z]{2})?", str(language)):
            raise _bad("invalid language code specified")
        return json.dumps([scope, language], sort_keys=True)

    async def _set_my_commands(self, params: JSON) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad('field "commands" must be of type Array')
        if len(commands) > MAX_COMMANDS:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        if not commands and self.strict:
            # (fake) Telegram accepts [] and clears the list; deleteMyCommands says so clearly.
            raise _bad("commands must be non-empty; use deleteMyCommands to remove them")
        cleaned: list[JSON] = []
        for command in commands:
            if not isinstance(command, dict):
                raise _bad("can't parse BotCommand: Object expected")
            name = command.get("command", "")
            description = command.get("description", "")
            if not isinstance(name, str) or not name:
                raise _bad("command must be non-empty")
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise _bad("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not description.strip():
                raise _bad("command description must be non-empty")
            if len(description) > 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        self._commands[self._command_key(params)] = cleaned
        return True

    async def _delete_my_commands(self, params: JSON) -> bool:
        self._commands.pop(self._command_key(params), None)
        return True

    async def _get_my_commands(self, params: JSON) -> list[JSON]:
        return copy.deepcopy(self._commands.get(self._command_key(params), []))

    async def _set_chat_menu_button(self, params: JSON) -> bool:
        chat_id: int | None = None
        if params.get("chat_id") not in (None, ""):
            chat = self._resolve_chat(params, sending=False)
            if chat["type"] != "private":
                raise _bad("chat not found")
            chat_id = chat["id"]
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict):
            raise _bad("can't parse MenuButton: Object expected")
        kind = button.get("type")
        if kind not in ("commands", "web_app", "default"):
            raise _bad("can't parse MenuButton: Unsupported type specified")
        if kind == "web_app":
            if not button.get("text"):
                raise _bad("can't parse MenuButton: Can't find field \"text\"")
            url = (button.get("web_app") or {}).get("url", "")
            if not str(url).lower().startswith("https://"):
                raise _bad(
                    f"menu button Web App URL '{url}' is invalid: Only HTTPS links are allowed"
                )
        self._menu_buttons[chat_id] = copy.deepcopy(button)
        return True

    async def _get_chat_menu_button(self, params: JSON) -> JSON:
        chat_id = params.get("chat_id")
        button = self._menu_buttons.get(chat_id if isinstance(chat_id, int) else None)
        return copy.deepcopy(button or self._menu_buttons.get(None) or {"type": "default"})

    async def _send_message(self, params: JSON) -> JSON:
        chat = self._resolve_chat(params)
        text, entities = self._formatted(
            params.get("text"), params.get("parse_mode"), params.get("entities")
        )
        content: JSON = {"text": text}
        if entities:
            content["entities"] = entities
        return self._new_bot_message(chat, params, content)

    async def _send_photo(self, params: JSON) -> JSON:
        chat = self._resolve_chat(params)
        photo = params.get("photo")
        if photo is None or photo == "":
            raise _bad("there is no photo in the request")
        if isinstance(photo, str) and photo.startswith("attach://"):
            photo = params.get(photo.removeprefix("attach://"))
            if not isinstance(photo, UploadedFile):
                raise _bad("there is no photo in the request")
        if isinstance(photo, UploadedFile) and not photo.data:
            raise _bad("file must be non-empty")
        caption, entities = self._formatted(
            params.get("caption"),
            params.get("parse_mode"),
            params.get("caption_entities"),
            caption=True,
        )
        size = len(photo.data) if isinstance(photo, UploadedFile) else 48_000
        content: JSON = {"photo": self._photo_sizes(size)}
        if caption:
            content["caption"] = caption
        if entities:
            content["caption_entities"] = entities
        return self._new_bot_message(chat, params, content)

    async def _send_location(self, params: JSON) -> JSON:
        chat = self._resolve_chat(params)
        latitude, longitude = _number(params, "latitude"), _number(params, "longitude")
        _check_location(latitude, longitude)
        location: JSON = {"latitude": latitude, "longitude": longitude}
        for key in ("horizontal_accuracy", "live_period", "heading", "proximity_alert_radius"):
            if params.get(key) is not None:
                location[key] = params[key]
        return self._new_bot_message(chat, params, {"location": location})

    async def _send_venue(self, params: JSON) -> JSON:
        chat = self._resolve_chat(params)
        latitude, longitude = _number(params, "latitude"), _number(params, "longitude")
        _check_location(latitude, longitude)
        title = _required_str(params, "title")
        address = _required_str(params, "address")
        if not title.strip():
            raise _bad("title is empty")
        if not address.strip():
            raise _bad("address is empty")
        location = {"latitude": latitude, "longitude": longitude}
        venue: JSON = {"location": location, "title": title, "address": address}
        for key in ("foursquare_id", "foursquare_type", "google_place_id", "google_place_type"):
            if params.get(key):
                venue[key] = params[key]
        return self._new_bot_message(chat, params, {"venue": venue, "location": dict(location)})

    async def _send_chat_action(self, params: JSON) -> bool:
        self._resolve_chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    def _editable(self, params: JSON) -> JSON:
        chat = self._resolve_chat(params, sending=False)
        message = self._messages.get((chat["id"], self._message_id(params)))
        if message is None:
            raise _bad("message to edit not found")
        if message["from"]["id"] != self.bot_id:
            raise _bad("message can't be edited")
        return message

    async def _edit_message_text(self, params: JSON) -> JSON | bool:
        text, entities = self._formatted(
            params.get("text"), params.get("parse_mode"), params.get("entities")
        )
        markup = self._reply_markup(params.get("reply_markup"))
        if params.get("inline_message_id"):
            return True  # messages sent via inline mode are not tracked
        message = self._editable(params)
        if "text" not in message:
            raise _bad("there is no text in the message to edit")
        unchanged = (
            message["text"] == text
            and message.get("entities", []) == entities
            and message.get("reply_markup") == markup
        )
        if unchanged:
            raise _bad(_NOT_MODIFIED)
        message["text"] = text
        _set_or_drop(message, "entities", entities or None)
        _set_or_drop(message, "reply_markup", markup)  # omitting it removes the keyboard
        message["edit_date"] = max(_now(), message["date"] + 1)
        return copy.deepcopy(message)

    async def _edit_message_reply_markup(self, params: JSON) -> JSON | bool:
        markup = self._reply_markup(params.get("reply_markup"))
        if params.get("inline_message_id"):
            return True
        message = self._editable(params)
        if message.get("reply_markup") == markup:
            raise _bad(_NOT_MODIFIED)
        _set_or_drop(message, "reply_markup", markup)
        message["edit_date"] = max(_now(), message["date"] + 1)
        return copy.deepcopy(message)

    async def _delete_message(self, params: JSON) -> bool:
        chat = self._resolve_chat(params, sending=False)
        key = (chat["id"], self._message_id(params))
        message = self._messages.get(key)
        if message is None:
            raise _bad("message to delete not found")
        if message["from"]["id"] != self.bot_id and chat["type"] != "private":
            raise _bad("message can't be deleted")
        del self._messages[key]
        return True

    async def _answer_callback_query(self, params: JSON) -> bool:
        query = self._callback_queries.get(str(params.get("callback_query_id", "")))
        if query is None or query["answer"] is not None:
            raise _bad(_QUERY_INVALID)
        text = params.get("text")
        if text is not None and len(str(text)) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad("MESSAGE_TOO_LONG")
        query["answer"] = {
            key: value for key, value in params.items() if key != "callback_query_id"
        }
        return True

    async def _answer_inline_query(self, params: JSON) -> bool:
        query = self._inline_queries.get(str(params.get("inline_query_id", "")))
        if query is None or query["answer"] is not None:
            raise _bad(_QUERY_INVALID)
        results = params.get("results")
        if not isinstance(results, list):
            raise _bad("can't parse JSON encoded inline query results")
        if len(results) > MAX_INLINE_RESULTS:
            raise _bad("RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            result_id = self._check_inline_result(result)
            if result_id in seen:
                raise _bad("RESULT_ID_DUPLICATE")
            seen.add(result_id)
        cache_time = params.get("cache_time", 300)
        if isinstance(cache_time, bool) or not isinstance(cache_time, int):
            raise _bad('field "cache_time" must be of type Integer')
        if cache_time < 0 and self.strict:
            raise _bad("CACHE_TIME_INVALID")  # (fake) undocumented what Telegram does
        next_offset = params.get("next_offset", "")
        if len(str(next_offset).encode("utf-8")) > 64:
            raise _bad("NEXT_OFFSET_INVALID")
        button = params.get("button")
        if button is not None:
            if not isinstance(button, dict) or not button.get("text"):
                raise _bad("can't parse InlineQueryResultsButton: Can't find field \"text\"")
            start = button.get("start_parameter")
            if start is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", str(start)):
                raise _bad("START_PARAM_INVALID")
        query["answer"] = {key: value for key, value in params.items() if key != "inline_query_id"}
        return True

    def _check_inline_result(self, result: Any) -> str:
        prefix = "can't parse InlineQueryResult: "
        if not isinstance(result, dict):
            raise _bad(prefix + "Object expected")
        if result.get("type") not in _INLINE_RESULT_TYPES:
            raise _bad(prefix + "Unsupported type specified")
        result_id = result.get("id")
        if not isinstance(result_id, str):
            raise _bad(prefix + 'Can\'t find field "id"')
        if not 1 <= len(result_id.encode("utf-8")) <= MAX_INLINE_RESULT_ID_BYTES:
            raise _bad("RESULT_ID_INVALID")
        if result["type"] == "article":
            if not isinstance(result.get("title"), str) or not result["title"].strip():
                raise _bad(prefix + 'Can\'t find field "title"')
            if "input_message_content" not in result:
                raise _bad(prefix + 'Can\'t find field "input_message_content"')
        content = result.get("input_message_content")
        if content is not None:
            if not isinstance(content, dict):
                raise _bad("can't parse InputMessageContent: Object expected")
            if "message_text" in content:
                self._formatted(
                    content["message_text"], content.get("parse_mode"), content.get("entities")
                )
            elif "latitude" in content or "longitude" in content:
                latitude, longitude = _number(content, "latitude"), _number(content, "longitude")
                _check_location(latitude, longitude)
                if "title" in content or "address" in content:
                    _required_str(content, "title")
                    _required_str(content, "address")
            elif "phone_number" not in content:
                raise _bad("can't parse InputMessageContent: Unsupported type specified")
        if "reply_markup" in result:
            markup = result["reply_markup"]
            if not isinstance(markup, dict) or "inline_keyboard" not in markup:
                raise _bad("can't parse inline keyboard markup JSON object")
            self._reply_markup(markup)
        return result_id


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _now() -> int:
    return int(time.time())


def _infer_chat_type(chat_id: int) -> ChatType:
    if chat_id > 0:
        return "private"
    return "supergroup" if str(chat_id).startswith("-100") else "group"


def _without_reply(message: JSON) -> JSON:
    """Telegram nests one level only: a replied-to message carries no reply of its own."""
    copied = copy.deepcopy(message)
    copied.pop("reply_to_message", None)
    return copied


def _set_or_drop(target: JSON, key: str, value: Any) -> None:
    if value is None:
        target.pop(key, None)
    else:
        target[key] = value


def _update_type(update: JSON) -> str:
    return next(key for key in update if key != "update_id")


def _button_url_problem(value: Any, *, strict: bool) -> str | None:
    if not isinstance(value, str):
        return "Wrong HTTP URL"
    lowered = value.lower()
    if lowered.startswith("tg://"):
        return None
    if "://" in value:
        if not lowered.startswith(("http://", "https://")):
            return "Unsupported URL protocol"
    elif strict:
        # (fake) Telegram prefixes http:// itself; a real link should say what it is.
        return "URL must start with http://, https:// or tg://"
    return None if _checked_link(value) is not None else "Wrong HTTP URL"


def _check_entities(text: str, entities: Any) -> list[JSON]:
    """Explicit ``entities`` (no parse_mode) get the same checks as on Telegram."""
    if entities is None:
        return []
    if not isinstance(entities, list):
        raise _bad('field "entities" must be of type Array')
    total = utf16_len(text)
    checked: list[JSON] = []
    for entity in entities:
        if not isinstance(entity, dict):
            raise _bad("can't parse MessageEntity: Object expected")
        if entity.get("type") not in _ENTITY_TYPES:
            raise _bad("can't parse MessageEntity: Unsupported type specified")
        offset, length = entity.get("offset"), entity.get("length")
        if not isinstance(offset, int) or not isinstance(length, int):
            raise _bad('can\'t parse MessageEntity: Field "offset" must be of type Number')
        if offset < 0:
            raise _bad(f"receive an entity with incorrect offset {offset}")
        if length < 0:
            raise _bad(f"receive an entity with incorrect length {length}")
        if offset > total:
            raise _bad(f"entity begins after the end of the text at UTF-16 offset {offset}")
        if offset + length > total:
            raise _bad(
                f"entity beginning at UTF-16 offset {offset} ends after the end of the text at "
                f"UTF-16 offset {offset + length}"
            )
        if entity["type"] == "text_link" and not entity.get("url"):
            raise _bad("can't parse MessageEntity: Can't find field \"url\"")
        checked.append(dict(entity))
    return checked


# --------------------------------------------------------------------------------------------
# Stand-alone server
# --------------------------------------------------------------------------------------------


async def _serve(port: int, token: str, strict: bool) -> None:
    async with FakeBotApi(token, port=port, strict=strict) as fake:
        print(f"fake Bot API: TELEGRAM_BASE_URL={fake.base_url} token={fake.token}", flush=True)
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fake Telegram Bot API server for tests.")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--lenient", action="store_true", help="mimic Telegram, not its docs")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.port, args.token, not args.lenient))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
