"""An adaptive concurrency limit (AIMD) shared by every concurrent path that calls a model.

`AdaptiveLimiter` bounds the model calls in flight. It starts at ``start``; after
``grow_after`` successes in a row it allows one more, up to ``maximum`` (additive increase);
a 429 or a timeout halves it, down to ``minimum`` (multiplicative decrease), and a retry hint
(``retry-after-ms`` / ``retry-after``) pauses every caller until it has passed. Calls that were
already in flight when the limit dropped do not halve it again: a burst of 429s from one
overload counts once, as in TCP congestion control.

Each *attempt* takes a slot (the OpenAI adapters take it inside the retry loop, see
`roleplay.llm._retry`), so a retried 429 feeds the limiter, and the retry's own wait and the
limiter's pause honour the same hint. Models without built-in support are wrapped by `attach`.

The default (start 8, at most 32) is chosen for hosted APIs: 8 calls of a few seconds each fit
the lowest OpenAI usage tiers, and 32 keeps a large suite moving on higher tiers and on local
servers with parallel slots; the limiter finds the endpoint's real limit from its 429s.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TypeVar, cast

from roleplay.errors import ConfigError, ModelTimeoutError, RateLimitError
from roleplay.llm._retry import retry_hint
from roleplay.llm.base import ChatRequest, ChatResponse, DeltaCallback
from roleplay.llm.wrapper import AnyChatModel, WrapperModel

__all__ = ["DEFAULT_MAX_CONCURRENCY", "DEFAULT_START_CONCURRENCY", "AdaptiveLimiter", "attach",
           "is_overload"]

M = TypeVar("M", bound=AnyChatModel)

DEFAULT_START_CONCURRENCY = 8
"""Model calls in flight at the start of a run."""
DEFAULT_MAX_CONCURRENCY = 32
"""The most model calls in flight the limiter grows to."""


def is_overload(exc: BaseException) -> bool:
    """A sign that the endpoint is overloaded: a 429 (not an empty quota) or a timeout."""
    return isinstance(exc, (RateLimitError, ModelTimeoutError))


class AdaptiveLimiter:
    """AIMD limit on model calls in flight; thread-safe, usable from threads and asyncio.

    Args:
        start: The limit at the start.
        maximum: The highest limit it grows to (raised to ``start`` when lower).
        minimum: The lowest limit it halves to.
        grow_after: Successes in a row before the limit grows by one.
        adaptive: False makes it a plain semaphore of ``start`` slots: no growth, no halving
            and no shared pause (each call's retries still honour their own hints).
        on_change: Called with the new limit whenever it changes (e.g. a progress bar).
        clock: Monotonic seconds (tests may inject one).
    """

    def __init__(self, start: int = DEFAULT_START_CONCURRENCY,
                 maximum: int = DEFAULT_MAX_CONCURRENCY, *, minimum: int = 1,
                 grow_after: int = 8, adaptive: bool = True,
                 on_change: Callable[[int], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if start < 1:
            raise ConfigError(f"must be at least 1, got {start}", field="concurrency")
        if minimum < 1 or grow_after < 1:
            raise ConfigError("minimum and grow_after must be at least 1", field="concurrency")
        self.maximum = max(maximum, start) if adaptive else start
        self.minimum = min(minimum, start)
        self.grow_after = grow_after
        self.adaptive = adaptive
        self.on_change = on_change
        self._clock = clock
        self._limit = start
        self._in_flight = 0
        self._streak = 0
        self._epoch = 0
        self._paused_until = 0.0
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self.peak = start
        """The highest limit reached."""
        self.decreases = 0
        """How many times the limit was halved."""
        self.overloads = 0
        """429s and timeouts seen."""

    @property
    def limit(self) -> int:
        """The current limit."""
        return self._limit

    @property
    def in_flight(self) -> int:
        """Calls holding a slot now."""
        return self._in_flight

    def describe(self) -> str:
        """A short status for progress bars: ``limit 8``."""
        return f"limit {self._limit}"

    # -- acquiring ---------------------------------------------------------------------------

    def _try_acquire(self) -> tuple[int | None, float]:
        """(epoch, 0) when a slot was taken, else (None, seconds to wait; inf = until woken)."""
        now = self._clock()
        if now < self._paused_until:
            return None, self._paused_until - now
        if self._in_flight >= self._limit:
            return None, math.inf
        self._in_flight += 1
        return self._epoch, 0.0

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot for a call (blocking); the outcome of the block feeds the limit."""
        with self._cond:
            while True:
                epoch, wait = self._try_acquire()
                if epoch is not None:
                    break
                self._cond.wait(None if math.isinf(wait) else wait)
        try:
            yield
        except BaseException as exc:
            self._release(epoch, exc)
            raise
        self._release(epoch, None)

    @asynccontextmanager
    async def aslot(self) -> AsyncIterator[None]:
        """Hold one slot for a call (async); the outcome of the block feeds the limit."""
        loop = asyncio.get_running_loop()
        while True:
            with self._lock:
                epoch, wait = self._try_acquire()
                if epoch is None:
                    waiter: asyncio.Future[None] = loop.create_future()
                    self._waiters.append((loop, waiter))
            if epoch is not None:
                break
            try:
                await asyncio.wait_for(waiter, None if math.isinf(wait) else wait)
            except asyncio.TimeoutError:
                pass
            finally:
                with self._lock:
                    if (loop, waiter) in self._waiters:
                        self._waiters.remove((loop, waiter))
        try:
            yield
        except BaseException as exc:
            self._release(epoch, exc)
            raise
        self._release(epoch, None)

    # -- feedback ----------------------------------------------------------------------------

    def _release(self, epoch: int, exc: BaseException | None) -> None:
        changed: int | None = None
        with self._cond:
            self._in_flight -= 1
            if exc is None:
                self._streak += 1
                if (self.adaptive and self._streak >= self.grow_after
                        and self._limit < self.maximum):
                    self._limit += 1
                    self._streak = 0
                    self.peak = max(self.peak, self._limit)
                    changed = self._limit
            elif is_overload(exc):
                self.overloads += 1
                self._streak = 0
                hint = retry_hint(exc) if self.adaptive else None
                if hint:
                    self._paused_until = max(self._paused_until, self._clock() + hint)
                # One decrease per overload: calls started before the last decrease say nothing
                # new about the current limit.
                if self.adaptive and epoch == self._epoch and self._limit > self.minimum:
                    self._limit = max(self.minimum, self._limit // 2)
                    self._epoch += 1
                    self.decreases += 1
                    changed = self._limit
            self._cond.notify_all()
            waiters, self._waiters = self._waiters, []
        for loop, waiter in waiters:
            loop.call_soon_threadsafe(_wake, waiter)
        if changed is not None and self.on_change is not None:
            self.on_change(changed)


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class _Limited(WrapperModel):
    """A chat model whose every call holds a slot of ``limiter`` (for models without support)."""

    def __init__(self, model: AnyChatModel, limiter: AdaptiveLimiter) -> None:
        super().__init__(model)
        self.limiter = limiter

    def complete(self, request: ChatRequest, *,
                 on_delta: DeltaCallback | None = None) -> ChatResponse:
        with self.limiter.slot():
            return super().complete(request, on_delta=on_delta)

    async def acomplete(self, request: ChatRequest, *,
                        on_delta: DeltaCallback | None = None) -> ChatResponse:
        async with self.limiter.aslot():
            return await super().acomplete(request, on_delta=on_delta)


def attach(model: M, limiter: AdaptiveLimiter) -> M:
    """``model`` with ``limiter`` on every call.

    ``model`` itself is left as it is (a caller's model may serve other runs at once): the
    OpenAI adapters give a copy with the limiter (``with_limiter``: a slot per attempt, inside
    the retry loop, on the same client); any other model is wrapped in a `WrapperModel` whose
    every call holds a slot.
    """
    twin = getattr(model, "with_limiter", None)
    if callable(twin):
        return cast(M, twin(limiter))
    # The wrapper has both methods; each one it forwards is one ``model`` has.
    return cast(M, _Limited(model, limiter))
