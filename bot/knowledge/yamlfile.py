"""Reading one YAML file into plain data while remembering the line of every value.

PyYAML's constructors forget where values came from, and they accept duplicate keys silently.
So the file is only *composed* into nodes (C parser when present), and the nodes are turned
into data here: duplicate keys are refused, tags other than YAML's core types are refused
(no ``!!python/...``), and each value's path is mapped to its line for error messages.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    Event,
    NodeEvent,
    ScalarEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

MAX_FILE_BYTES = 1_000_000  # a knowledge file is hand-written; anything larger is a mistake
MAX_VALUES = 200_000
"""Values a file may hold once its aliases are expanded: guards against alias bombs ("billion
laughs"), reported at the alias that crosses it."""
MAX_DEPTH = 32
"""Lists and mappings nested deeper than this are refused. The knowledge needs about 7; the
bound keeps the recursive steps after parsing (building, validating) far from Python's
recursion limit."""

try:  # pragma: no branch - depends on how PyYAML was built
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

_NOT_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)  # what YAML 1.1 allows in a stream: the complement is refused by the reader
_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_CORE}{t}" for t in ("str", "int", "float", "bool", "null")}
_TIMESTAMP = f"{_CORE}timestamp"

Path_ = tuple[str | int, ...]

# PyYAML's context for a construct that was opened and not closed, and what to call it.
_UNCLOSED = {
    "while scanning a quoted scalar": "a quoted string",
    "while parsing a flow sequence": "a [list]",
    "while parsing a flow mapping": "a {mapping}",
}


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the knowledge, where an admin can find it: ``FILE:LINE: message``,
    or ``FOLDER/: message`` (line 0) for a folder, which has no lines."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        if self.line == 0:
            return f"{self.file}: {self.message}"
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class ParsedFile:
    """A file's data and the line of each value, keyed by its path in the data."""

    name: str
    data: Any = None
    lines: dict[Path_, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    raw: bytes = b""
    """The bytes that were parsed (read once): what the knowledge's fingerprint is made of."""

    def line_of(self, path: Path_) -> int:
        """The line of the deepest known prefix of ``path`` (a missing key: its mapping)."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return 1


class _Builder:
    def __init__(self, parsed: ParsedFile) -> None:
        self.parsed = parsed
        self.constructor = SafeConstructor()
        self.count = 0

    def problem(self, node: Node, message: str) -> None:
        message = message.replace(_CORE, "!!")
        self.parsed.problems.append(Problem(self.parsed.name, node.start_mark.line + 1, message))

    def build(self, node: Node, path: Path_) -> Any:
        self.count += 1
        if self.count > MAX_VALUES or len(path) > MAX_DEPTH * 2:  # _shape checked both
            raise _TooBig
        self.parsed.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, MappingNode):
            return self.mapping(node, path)
        if isinstance(node, SequenceNode):
            if node.tag != f"{_CORE}seq":
                self.problem(node, f"tag {node.tag} is not allowed; write a plain list")
                return None
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        if node.tag == _TIMESTAMP:
            return str(node.value)  # an unquoted date is kept as the text the admin wrote
        if node.tag not in _SCALAR_TAGS:
            self.problem(node, f"tag {node.tag} is not allowed; only plain values are")
            return None
        return self.constructor.construct_object(node)

    def mapping(self, node: MappingNode, path: Path_) -> dict[str, Any] | None:
        if node.tag != f"{_CORE}map":
            self.problem(node, f"tag {node.tag} is not allowed; write a plain mapping")
            return None
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == f"{_CORE}merge":  # checked first: its tag is not a plain one
                self.problem(key_node, "merge keys (<<) are not supported; repeat the values")
                continue
            if not isinstance(key_node, ScalarNode) or key_node.tag not in _SCALAR_TAGS:
                self.problem(key_node, "a key must be a plain word")
                continue
            key = str(key_node.value)
            if key in result:
                first = self.parsed.lines.get((*path, key), 0)
                self.problem(key_node, f"duplicate key '{key}' (first on line {first})")
                continue
            self.parsed.lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = self.build(value_node, (*path, key))
        return result


class _TooBig(Exception):
    pass


def _line(event: Event) -> int:
    return event.start_mark.line + 1 if event.start_mark is not None else 1


def _shape(text: str) -> tuple[int, str] | None:
    """Walk the file's parse events (no tree is built) for the first list or mapping nested
    deeper than ``MAX_DEPTH``, the alias that makes the file expand past ``MAX_VALUES``, or an
    alias used inside its own value: ``(line, message)``, or ``None`` when there is none. A
    YAML syntax error is raised as PyYAML raises it."""
    sizes: list[int] = []  # expanded values so far in each open list or mapping
    opened: list[str | None] = []  # the anchor of each open list or mapping
    anchors: dict[str, int] = {}  # anchor -> how many values its node expands to
    total = 0
    for event in yaml.parse(text, Loader=_Loader):
        if not isinstance(event, NodeEvent | CollectionEndEvent):
            continue
        if isinstance(event, CollectionStartEvent):
            if len(sizes) >= MAX_DEPTH:
                return (_line(event), f"nested more than {MAX_DEPTH} levels deep; flatten it")
            sizes.append(1)
            opened.append(event.anchor)
            total += 1
            continue
        if isinstance(event, CollectionEndEvent):
            size = sizes.pop()
            anchor = opened.pop()
        elif isinstance(event, AliasEvent):
            name = event.anchor or ""
            if name in opened:
                return (_line(event), f"alias *{name} is used inside the value it names")
            if name not in anchors:
                continue  # an undefined alias: composing reports it with its line
            size = anchors[name]
            total += size
            if total > MAX_VALUES:
                return (
                    _line(event),
                    f"alias *{name} makes the file expand to over {MAX_VALUES} values "
                    "(an alias bomb?); write the values out instead",
                )
            anchor = None
        else:
            assert isinstance(event, ScalarEvent)
            size = 1
            anchor = event.anchor
            total += 1
        if anchor is not None:
            anchors[anchor] = size
        if sizes:
            sizes[-1] += size
    if total > MAX_VALUES:  # pragma: no cover - only aliases multiply values past the size
        return (1, f"more than {MAX_VALUES} values")
    return None


def _why(exc: OSError, path: Path) -> str:
    reason = exc.strerror or type(exc).__name__
    if os.path.islink(path):
        try:
            return f"{reason} (it is a link to {os.readlink(path)})"
        except OSError:
            pass
    return reason


def _read(path: Path, parsed: ParsedFile) -> bytes | None:
    """The file's bytes, read once through one descriptor; ``None`` with a problem when it
    cannot be read. Only a regular file is read: a FIFO or a device named ``*.yaml`` would
    block the loader or never end (opened non-blocking, so even a FIFO does not wait)."""

    def refuse(message: str) -> None:
        parsed.problems.append(Problem(parsed.name, 1, message))

    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        refuse(f"cannot read file: {_why(exc, path)}")
        return None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            refuse("cannot read file: it is a folder")
            return None
        if not stat.S_ISREG(info.st_mode):
            refuse("cannot read file: not a regular file (a pipe, socket or device?)")
            return None
        if info.st_size > MAX_FILE_BYTES:
            refuse(f"file is {info.st_size} bytes, over the {MAX_FILE_BYTES} limit")
            return None
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_FILE_BYTES:
            chunk = os.read(fd, MAX_FILE_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        refuse(f"cannot read file: {_why(exc, path)}")
        return None
    finally:
        os.close(fd)
    if size > MAX_FILE_BYTES:  # it grew after the size was checked
        refuse(f"file is over the {MAX_FILE_BYTES} bytes limit")
        return None
    return b"".join(chunks)


def read_yaml(path: Path, display: str) -> ParsedFile:
    """Parse one file; problems are collected, never raised."""
    parsed = ParsedFile(display)
    raw = _read(path, parsed)
    if raw is None:
        return parsed
    parsed.raw = raw
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        parsed.problems.append(Problem(display, line, "not valid UTF-8 text"))
        return parsed
    try:
        shape = _shape(text)
        if shape is not None:
            parsed.problems.append(Problem(display, *shape))
            return parsed
        root = yaml.compose(text, Loader=_Loader)
    except ReaderError:  # a character YAML does not allow; the parsers count its offset apart
        found = _NOT_PRINTABLE.search(text)
        line = text.count("\n", 0, found.start()) + 1 if found else 1
        bad = f"U+{ord(found.group()):04X}" if found else "a character"
        parsed.problems.append(
            Problem(display, line, f"{bad} is a control character YAML does not allow; remove it")
        )
        return parsed
    except RecursionError:  # pragma: no cover - the pure-Python parser recurses per level
        parsed.problems.append(
            Problem(display, 1, f"nested more than {MAX_DEPTH} levels deep; flatten it")
        )
        return parsed
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        reason = exc.problem or "invalid YAML"
        offending = text.splitlines()[line - 1 : line]
        if offending and "\t" in offending[0]:
            reason += " (tabs cannot indent YAML; use spaces)"
        opened = _UNCLOSED.get(exc.context or "")
        if opened and exc.context_mark is not None and exc.context_mark.line + 1 < line:
            # an unclosed quote or bracket is noticed lines later (often at the end of the
            # file): point at where it was opened
            reason = f"{opened} opened here is never closed ({reason} on line {line})"
            line = exc.context_mark.line + 1
        parsed.problems.append(Problem(display, line, f"YAML syntax error: {reason}"))
        return parsed
    except yaml.YAMLError as exc:
        parsed.problems.append(Problem(display, 1, f"YAML error: {exc}"))
        return parsed
    if root is None:
        parsed.problems.append(Problem(display, 1, "file is empty; expected a mapping of sections"))
        return parsed
    if not isinstance(root, MappingNode):
        parsed.problems.append(
            Problem(display, root.start_mark.line + 1, "top level must be a mapping of sections")
        )
        return parsed
    builder = _Builder(parsed)
    try:
        parsed.data = builder.build(root, ())
    except _TooBig:  # pragma: no cover - _shape refuses such a file before it is built
        parsed.problems.append(Problem(display, 1, "too many values or too deeply nested"))
        parsed.data = None
    return parsed
