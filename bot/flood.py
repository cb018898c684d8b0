"""A per-user flood guard: a token bucket for each user id.

One traveller pasting fifty messages must not slow the bot down for everybody else, and must
not make the bot send fifty answers into Telegram's own flood limits. Each user gets ``burst``
messages at once, refilled at ``rate`` per second; the excess is dropped, and the first drop of
a run is flagged so the user is told to slow down once, not once per dropped message.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_RATE = 0.5  # messages per second, sustained: one every two seconds
DEFAULT_BURST = 6  # messages at once: a few quick follow-ups are normal chatting
DEFAULT_INLINE_RATE = 1.0  # inline queries per second, sustained (clients send one per pause)
DEFAULT_INLINE_BURST = 10  # inline queries at once: a word typed with short pauses
MAX_USERS = 50_000  # bound on memory; the least recently seen user is forgotten first


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    warn: bool = False  # the first refusal since the user's last allowed message


@dataclass
class _Bucket:
    tokens: float
    at: float
    warned: bool = False


class FloodGuard:
    def __init__(
        self,
        rate: float = DEFAULT_RATE,
        burst: int = DEFAULT_BURST,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_users: int = MAX_USERS,
    ) -> None:
        if rate < 0 or burst < 1 or max_users < 1:
            raise ValueError("rate must be >= 0, burst and max_users >= 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._max_users = max_users
        self._buckets: OrderedDict[int, _Bucket] = OrderedDict()

    def check(self, user_id: int) -> Verdict:
        """Spend one token of ``user_id``'s bucket if there is one."""
        now = self._clock()
        bucket = self._buckets.pop(user_id, None)
        if bucket is None:
            bucket = _Bucket(float(self.burst), now)
        else:
            elapsed = max(0.0, now - bucket.at)
            bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self.rate)
            bucket.at = now
        self._buckets[user_id] = bucket  # most recently seen last
        while len(self._buckets) > self._max_users:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            bucket.warned = False
            return Verdict(True)
        warn = not bucket.warned
        bucket.warned = True
        return Verdict(False, warn)

    def __len__(self) -> int:
        return len(self._buckets)
