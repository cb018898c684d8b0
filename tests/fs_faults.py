"""File-system faults a test can cause even as root.

Root reads and lists through ``chmod 000`` (CAP_DAC_OVERRIDE), so ``deny`` makes a path
unreadable at the boundary instead: every way the code under test opens or lists it
(``os.open``, ``open``/``io.open``, ``os.scandir``, ``os.listdir``) raises the
``PermissionError`` an unprivileged user gets. Nothing else about the path changes: it still
exists and ``stat`` still works, as for a real unreadable file or folder.
"""

from __future__ import annotations

import builtins
import errno
import io
import os
from pathlib import Path
from typing import Any

import pytest


def deny(monkeypatch: pytest.MonkeyPatch, *targets: Path) -> None:
    """Opening or listing any of ``targets`` (or anything under them) is refused."""
    denied = [os.path.realpath(t) for t in targets]

    def refused(path: Any) -> bool:
        if isinstance(path, int):
            return False
        try:
            name = os.fsdecode(os.fspath(path))
        except TypeError:
            return False
        names = {os.path.abspath(name), os.path.realpath(name)}  # a link leads to its target
        return any(n == d or n.startswith(d + os.sep) for n in names for d in denied)

    def error(path: Any) -> PermissionError:
        return PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(path))

    real_os_open, real_open = os.open, builtins.open
    real_scandir, real_listdir = os.scandir, os.listdir

    def os_open(path: Any, *args: Any, **kwargs: Any) -> int:
        if refused(path):
            raise error(path)
        return real_os_open(path, *args, **kwargs)

    def open_(path: Any, *args: Any, **kwargs: Any) -> Any:
        if refused(path):
            raise error(path)
        return real_open(path, *args, **kwargs)

    def scandir(path: Any = ".") -> Any:
        if refused(path):
            raise error(path)
        return real_scandir(path)

    def listdir(path: Any = ".") -> list[Any]:
        if refused(path):
            raise error(path)
        return real_listdir(path)

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(builtins, "open", open_)
    monkeypatch.setattr(io, "open", open_)
    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "listdir", listdir)
