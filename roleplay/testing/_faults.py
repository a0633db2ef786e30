"""Scripted failures of the local test server, one per chat request.

HTTP errors with OpenAI error bodies and retry hints, resets, hangs, dropped streams, malformed
bodies, truncation, refusals and content filtering, queued one by one (`Fault`); or drawn per
request at a failure rate, with outage windows on a clock (`FaultSchedule`), which may be a
`FakeClock` that the client's injected sleep advances, so that a 10-second outage takes no
test time.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["FakeClock", "Fault", "FaultKind", "FaultSchedule"]

FaultKind = Literal["http_error", "reset", "hang", "drop_stream", "malformed", "finish", "refusal"]


@dataclass(frozen=True)
class Fault:
    """One injected failure, consumed by the next chat-completions request.

    Build faults with the class methods (`http_error`, `rate_limit`, `reset`, ...), then queue
    them with `OpenAICompatServer.add_faults`.
    """

    kind: FaultKind
    """What goes wrong."""
    status_code: int = 500
    """HTTP status (``http_error`` only)."""
    body: Mapping[str, Any] | None = None
    """The OpenAI error object sent under ``"error"`` (``http_error`` only)."""
    headers: tuple[tuple[str, str], ...] = ()
    """Extra response headers, e.g. ``retry-after``."""
    seconds: float = 0.0
    """How long a ``hang`` lasts before the connection is closed without a response."""
    after_chunks: int = 2
    """Content chunks sent before a ``drop_stream`` closes the connection."""
    finish_reason: str = "stop"
    """The finish reason of a ``finish`` fault (``length`` or ``content_filter``)."""
    refusal: str = ""
    """The refusal text of a ``refusal`` fault."""

    @classmethod
    def http_error(
        cls,
        status_code: int,
        *,
        message: str | None = None,
        type: str | None = None,  # the OpenAI field name
        code: str | None = None,
        param: str | None = None,
        retry_after: float | None = None,
        retry_after_ms: float | None = None,
        should_retry: bool | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Fault:
        """An HTTP error with an OpenAI error body and optional retry headers."""
        default_type, default_message = _ERROR_DEFAULTS.get(
            status_code, ("server_error" if status_code >= 500 else "invalid_request_error",
                          f"HTTP {status_code}")
        )
        extra = dict(headers or {})
        if retry_after is not None:
            extra["retry-after"] = _number(retry_after)
        if retry_after_ms is not None:
            extra["retry-after-ms"] = _number(retry_after_ms)
        if should_retry is not None:
            extra["x-should-retry"] = "true" if should_retry else "false"
        body = {
            "message": message or default_message,
            "type": type or default_type,
            "param": param,
            "code": code,
        }
        return cls("http_error", status_code=status_code, body=body, headers=tuple(extra.items()))

    @classmethod
    def rate_limit(cls, *, retry_after: float | None = None,
                   retry_after_ms: float | None = None) -> Fault:
        """A 429 ``rate_limit_exceeded``, optionally with ``retry-after`` / ``retry-after-ms``."""
        return cls.http_error(
            429,
            message="Rate limit reached for requests. Please try again later.",
            type="requests",
            code="rate_limit_exceeded",
            retry_after=retry_after,
            retry_after_ms=retry_after_ms,
        )

    @classmethod
    def insufficient_quota(cls) -> Fault:
        """A 429 ``insufficient_quota``: the account is out of credit."""
        return cls.http_error(
            429,
            message="You exceeded your current quota, please check your plan and billing details.",
            type="insufficient_quota",
            code="insufficient_quota",
        )

    @classmethod
    def server_error(cls, status_code: int = 500) -> Fault:
        """A 5xx server error."""
        return cls.http_error(status_code)

    @classmethod
    def hang(cls, seconds: float) -> Fault:
        """Wait ``seconds`` (longer than the client timeout), then close without answering."""
        return cls("hang", seconds=seconds)

    @classmethod
    def reset(cls) -> Fault:
        """Close the connection with a TCP reset instead of answering."""
        return cls("reset")

    @classmethod
    def drop_stream(cls, after_chunks: int = 2) -> Fault:
        """Send the first ``after_chunks`` content chunks of the next reply, then hang up.

        The reply is not consumed, so a retry receives it whole.
        """
        return cls("drop_stream", after_chunks=after_chunks)

    @classmethod
    def malformed_json(cls) -> Fault:
        """Answer 200 with a body that is not valid JSON."""
        return cls("malformed")

    @classmethod
    def length(cls) -> Fault:
        """Answer with the next reply as partial content and ``finish_reason: "length"``."""
        return cls("finish", finish_reason="length")

    @classmethod
    def content_filter(cls) -> Fault:
        """Answer with the next reply as partial content and ``finish_reason: "content_filter"``."""
        return cls("finish", finish_reason="content_filter")

    @classmethod
    def refuse(cls, text: str = "I'm sorry, but I can't help with that.") -> Fault:
        """Answer with a refusal: ``message.refusal`` set, ``content`` null."""
        return cls("refusal", refusal=text)


_ERROR_DEFAULTS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Invalid request."),
    401: ("invalid_request_error", "Incorrect API key provided."),
    403: ("permission_denied", "You are not allowed to use this model."),
    404: ("invalid_request_error", "The model does not exist or you do not have access to it."),
    408: ("server_error", "Request timed out."),
    409: ("server_error", "Conflict; please retry."),
    422: ("invalid_request_error", "Unprocessable request."),
    429: ("requests", "Rate limit reached for requests."),
    500: ("server_error",
          "The server had an error while processing your request. Sorry about that!"),
    502: ("server_error", "Bad gateway."),
    503: ("server_error", "The engine is currently overloaded, please try again later."),
}


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class FakeClock:
    """A clock that only moves when something sleeps on it (thread-safe).

    Pass `sleep` / `asleep` as a model's ``sleep=`` and the clock as a `FaultSchedule`'s
    ``clock``: retry waits then advance the time an outage is measured in, instantly.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.slept: list[float] = []
        """Every wait asked for, in order."""

    def __call__(self) -> float:
        """The current time."""
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        """Advance the clock by ``seconds`` at once."""
        with self._lock:
            self._now += max(0.0, seconds)
            self.slept.append(seconds)

    async def asleep(self, seconds: float) -> None:
        """`sleep`, as a coroutine."""
        self.sleep(seconds)


class FaultSchedule:
    """Faults drawn per chat request: a failure rate and outage windows.

    Each chat request that finds no queued `Fault` asks the schedule: during an outage (a
    ``(start, end)`` window on ``clock``, measured from when the schedule was made) it gets
    ``outage_fault``; otherwise, with probability ``rate``, one of ``faults`` (drawn from a
    seeded generator, so a run is reproducible in the order requests arrive).

    Args:
        rate: Share of requests that fail, from 0 to 1.
        faults: The failures to draw from (default: 500, 429 with a short hint, a reset).
        outages: ``(start, end)`` windows in seconds of ``clock`` after creation.
        outage_fault: What a request during an outage gets (default: 503).
        seed: Seed of the draws.
        clock: The time source (default ``time.monotonic``; a `FakeClock` in fast tests).
    """

    def __init__(
        self,
        rate: float = 0.0,
        *,
        faults: Sequence[Fault] | None = None,
        outages: Sequence[tuple[float, float]] = (),
        outage_fault: Fault | None = None,
        seed: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be between 0 and 1, got {rate}")
        self.rate = rate
        self.faults = tuple(faults) if faults is not None else (
            Fault.server_error(500), Fault.rate_limit(retry_after_ms=10), Fault.reset())
        if rate and not self.faults:
            raise ValueError("a failure rate needs at least one fault to draw")
        self.outages = tuple(outages)
        self.outage_fault = outage_fault or Fault.server_error(503)
        self._clock = clock
        self._start = clock()
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.requests = 0
        """Requests that asked the schedule."""
        self.injected = 0
        """Requests that got a fault from it."""

    def elapsed(self) -> float:
        """Seconds of ``clock`` since the schedule was made."""
        return self._clock() - self._start

    def draw(self) -> Fault | None:
        """The fault for the next request, or None for a normal answer."""
        now = self.elapsed()
        with self._lock:
            self.requests += 1
            fault: Fault | None = None
            if any(start <= now < end for start, end in self.outages):
                fault = self.outage_fault
            elif self.rate and self._random.random() < self.rate:
                fault = self._random.choice(self.faults)
            if fault is not None:
                self.injected += 1
            return fault
