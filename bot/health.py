"""Liveness for operators: the heartbeat the running bot refreshes, and the checks behind
``travelbot health`` (the image's ``HEALTHCHECK``).

Polling mode has no port to probe, so the bot proves its event loop is alive by rewriting a
small file in its data folder every ``HEARTBEAT_INTERVAL`` seconds (a job on PTB's job queue,
started with ``start_heartbeat``); ``check`` reads the time written in it. Webhook mode is
checked on the server's own ``/healthz`` route with ``probe`` instead, over loopback only.

Core module: nothing here imports ``telegram``.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, Final, TypeVar

HEARTBEAT_FILE: Final = "heartbeat"
"""The heartbeat's name inside ``TRAVELBOT_DATA_DIR``."""
HEARTBEAT_INTERVAL: Final = 30.0
"""Seconds between two beats."""
DEFAULT_MAX_AGE: Final = 90.0
"""A heartbeat older than this means the bot is stuck or gone: three beats missed."""
DEFAULT_TIMEOUT: Final = 3.0
"""Seconds ``probe`` waits for ``/healthz``: far below Docker's health-check timeout."""

_LOG = logging.getLogger(__name__)
_T = TypeVar("_T")


def heartbeat_path(data_dir: Path) -> Path:
    return data_dir / HEARTBEAT_FILE


def write_heartbeat(path: Path, now: float | None = None) -> None:
    """Write the time (Unix seconds) atomically: a reader sees the old beat or the new one,
    never a half-written file. Creates the data folder if needed."""
    stamp = time.time() if now is None else now
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(f"{stamp:.3f}\n")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_heartbeat(path: Path) -> float:
    """The time in the heartbeat; ``OSError`` if it cannot be read, ``ValueError`` if it
    does not hold a time."""
    text = path.read_text(encoding="ascii", errors="replace").strip()
    stamp = float(text.split()[0]) if text else math.nan
    if not math.isfinite(stamp):
        raise ValueError(f"no time in it ({text[:40]!r})")
    return stamp


def check(path: Path, max_age_seconds: float, now: float | None = None) -> tuple[bool, str]:
    """``(ok, reason)``: ok when the heartbeat at ``path`` is at most ``max_age_seconds`` old."""
    current = time.time() if now is None else now
    try:
        stamp = read_heartbeat(path)
    except FileNotFoundError:
        return False, (
            f"no heartbeat at {path}: the bot is not running (or not yet started), "
            "or cannot write to its data folder"
        )
    except (OSError, ValueError) as exc:
        return False, f"heartbeat at {path} is unreadable: {exc}"
    age = current - stamp
    if age > max_age_seconds:
        return False, (
            f"heartbeat at {path} is {age:.0f} s old (limit {max_age_seconds:g} s): "
            "the bot has stopped beating"
        )
    if age < -max_age_seconds:
        # a beat from the future would pass for ever: a clock jump or a file copied in
        return False, f"heartbeat at {path} is dated {-age:.0f} s in the future"
    return True, f"heartbeat {max(age, 0.0):.0f} s old"


def healthz_url(listen: str, port: int) -> str:
    """The webhook server's health route over loopback: IPv6 loopback when the server
    listens only there, IPv4 loopback otherwise (a wildcard address covers it)."""
    host = "[::1]" if listen.strip("[]") == "::1" else "127.0.0.1"
    return f"http://{host}:{port}/healthz"


def probe(url: str, timeout: float = DEFAULT_TIMEOUT) -> tuple[bool, str]:
    """``(ok, reason)``: ok when ``url`` answers 200 within ``timeout`` seconds. Proxy
    variables are ignored: the route is on this machine."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        return False, f"{url} answered {exc.code} {exc.reason}"
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            return False, f"{url} did not answer within {timeout:g} s"
        return False, f"cannot reach {url}: {exc.reason}"
    except TimeoutError:
        return False, f"{url} did not answer within {timeout:g} s"
    except OSError as exc:
        return False, f"cannot reach {url}: {exc}"
    if status != 200:
        return False, f"{url} answered {status}"
    return True, f"{url} answered 200"


def start_heartbeat(
    run_repeating: Callable[..., _T],
    path: Path,
    interval: float = HEARTBEAT_INTERVAL,
    alive: Callable[[], bool] | None = None,
) -> _T:
    """Write the first beat now, schedule one every ``interval`` seconds on a job queue, and
    return what the scheduler returns.

    ``run_repeating`` is PTB's ``app.job_queue.run_repeating`` (or anything called the same
    way): ``start_heartbeat(app.job_queue.run_repeating, heartbeat_path(settings.data_dir))``,
    best from ``post_init``. The first beat is written here rather than by the job, because a
    job asked to start at once starts one interval late (APScheduler; PTB documents it). A
    failed write is logged and retried at the next beat; the health check then reports the
    stale or missing file. While ``alive`` (if given) says no, no beat is written: the
    heartbeat goes stale, and the check reports it."""

    def write() -> None:
        if alive is not None and not alive():
            _LOG.warning("no heartbeat written: the bot is not receiving updates")
            return
        try:
            write_heartbeat(path)
        except OSError as exc:
            _LOG.warning("cannot write the heartbeat at %s: %s", path, exc)

    async def beat(_context: object) -> None:
        write()

    write()
    callback: Callable[[object], Coroutine[Any, Any, None]] = beat
    return run_repeating(callback, interval=interval, first=interval, name="heartbeat")
