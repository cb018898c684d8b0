"""Fair dispatch of updates: one queue per sender, the quietest sender served first.

Each update is a job filed under a key (the sender's user id, else its chat). At most one job
per key runs at a time, so a chat's messages are handled in the order they came. Among the
keys with work waiting, the one that has been served least since it was last idle goes next;
a key that empties its queue starts again from zero. So a traveller's first question is taken
before the second message of anyone who has one waiting, and a user's backlog (even one the
flood guard let through) only ever delays that user.

``stop`` ends it within a deadline: jobs not started stay unstarted (their updates are still
held, by Telegram or by the journal, and come back on the next start), jobs running get until
the deadline, and are then cancelled.

Core module: nothing here imports ``telegram``.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Final

DEFAULT_WORKERS: Final = 8
"""Jobs running at once. Each job's replies wait in the outgoing rate limiter (30 messages a
second), so the more run at once, the longer a newcomer's reply queues there behind them:
8 keeps that wait under a third of a second, while a few chats held back by Telegram's
per-group limit (20 messages a minute) do not hold up everyone else."""

Job = Callable[[], Awaitable[None]]
log = logging.getLogger("bot.dispatch")


@dataclass
class _Key:
    jobs: deque[tuple[Job, asyncio.Future[None]]] = field(default_factory=deque)
    served: int = 0
    running: bool = False


class Dispatcher:
    def __init__(self, workers: int = DEFAULT_WORKERS) -> None:
        if workers < 1:
            raise ValueError("workers must be >= 1")
        self._workers = workers
        self._keys: dict[Hashable, _Key] = {}
        self._ready: list[tuple[int, int, Hashable]] = []  # (served, order, key)
        self._order = itertools.count()
        self._running: set[asyncio.Task[None]] = set()
        self._pending = 0  # jobs submitted and not finished
        self._idle = asyncio.Event()
        self._idle.set()
        self._stopping = False

    @property
    def pending(self) -> int:
        """Jobs submitted and not yet finished (waiting or running)."""
        return self._pending

    def submit(self, key: Hashable, job: Job) -> asyncio.Future[None]:
        """Queue ``job`` under ``key``; the future is done when the job is (its exceptions
        are logged, not set on the future)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self._stopping:
            done.cancel()
            return done
        state = self._keys.get(key)
        if state is None:
            state = self._keys[key] = _Key()
        state.jobs.append((job, done))
        self._pending += 1
        self._idle.clear()
        if not state.running and len(state.jobs) == 1:
            self._make_ready(key, state)
        self._start_jobs()
        return done

    def _make_ready(self, key: Hashable, state: _Key) -> None:
        heapq.heappush(self._ready, (state.served, next(self._order), key))

    def _start_jobs(self) -> None:
        while self._ready and len(self._running) < self._workers and not self._stopping:
            _, _, key = heapq.heappop(self._ready)
            state = self._keys[key]
            job, done = state.jobs.popleft()
            state.running = True
            state.served += 1
            task = asyncio.create_task(self._run(key, state, job, done), name=f"update:{key}")
            self._running.add(task)

    async def _run(self, key: Hashable, state: _Key, job: Job, done: asyncio.Future[None]) -> None:
        try:
            await job()
        except asyncio.CancelledError:
            if not done.done():
                done.cancel()
            raise
        except Exception:  # a job is expected to handle its own errors; this is the backstop
            log.exception("an update job failed")
        finally:
            self._pending -= 1
            state.running = False
            task = asyncio.current_task()
            if task is not None:
                self._running.discard(task)
            if not done.done():
                done.set_result(None)
            if state.jobs:
                self._make_ready(key, state)
            elif self._keys.get(key) is state:
                del self._keys[key]  # idle: served from zero next time
            if self._pending == 0:
                self._idle.set()
            self._start_jobs()

    async def join(self) -> None:
        """Until every job submitted so far has finished."""
        await self._idle.wait()

    async def stop(self, deadline: float) -> int:
        """Start no more jobs; wait up to ``deadline`` seconds for the running ones, then
        cancel them. Returns how many jobs never finished (not started, or cancelled)."""
        self._stopping = True
        running = set(self._running)
        late: set[asyncio.Task[None]] = set()
        if running:
            _, late = await asyncio.wait(running, timeout=deadline)
            for task in late:
                task.cancel()
            for task in late:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        unfinished = len(late) + self._pending  # cancelled, and never started
        for state in self._keys.values():
            for _, done in state.jobs:
                done.cancel()
            state.jobs.clear()
        self._keys.clear()
        self._ready.clear()
        return unfinished
