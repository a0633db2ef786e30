"""The one network retry layer: a tenacity policy over the adapter's typed errors.

The OpenAI adapter builds its SDK client with ``max_retries=0`` and wraps each attempt (a
``create()`` call, or a whole stream: request plus consumption) in the `Retrying` /
`AsyncRetrying` built here. Attempts raise our own error types (the adapter maps SDK errors
first), so this module needs no SDK import; the server's retry hint is read from the HTTP
response of the wrapped SDK error (``__cause__``), by duck typing.

Policy:

- retried: connection errors, timeouts, dropped streams, 408, 409, 429 and 5xx;
- never: 400/401/403/404/422, 429 ``insufficient_quota``, a rejected request feature, or a
  malformed 200 body (the reply was generated and probably billed, and a wrong base URL answers
  the same way every time);
- ``x-should-retry: true|false`` from the server overrides the status rule (as in the SDK),
  except that ``insufficient_quota`` is never retried;
- wait: the server's hint (``retry-after-ms``, then ``retry-after`` in seconds or as an HTTP
  date), else exponential backoff with "equal jitter": wait *n* (from 1) is drawn from
  ``[b/2, b]`` with ``b = min(initial_backoff * 2**(n-1), max_backoff)``. Unlike full jitter
  (``[0, b]``), its total has a floor, so the default budget always outlasts a short outage:
  with the defaults (6 attempts, 1 s, cap 30 s) the five waits add up to between 15.5 s and
  31 s, on top of the attempts' own time (`RetryPolicy.backoff_bounds`);
- stop: after ``max_attempts``, or before a wait that would end past ``max_retry_seconds`` since
  the first attempt (counting both the clock and the waits asked for, so an injected sleep
  cannot outrun the budget), so a hint longer than the remaining budget gives up at once
  instead of sleeping and failing anyway. The worst-case total wait of one call is therefore
  ``min(backoff_bounds()[1], max_retry_seconds)`` without server hints, and
  ``max_retry_seconds`` with them; the first retry of a call logs it;
- the original (mapped) error is re-raised, never `tenacity.RetryError`.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
)
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from roleplay.errors import (
    ConfigError,
    ModelAPIError,
    ModelConnectionError,
    ModelTimeoutError,
    QuotaExceededError,
    RateLimitError,
    UnsupportedFeatureError,
)

__all__ = [
    "RetryPolicy",
    "SleepFunction",
    "AsyncSleepFunction",
    "aretrying",
    "is_retryable",
    "response_headers",
    "retry_hint",
    "retrying",
]

log = logging.getLogger(__name__)

SleepFunction = Callable[[float], None]
"""How the sync layer waits between attempts (``time.sleep`` unless injected)."""
AsyncSleepFunction = Callable[[float], Awaitable[None]]
"""How the async layer waits between attempts (``asyncio.sleep`` unless injected)."""

_RETRYABLE_STATUS = frozenset({408, 409, 429})


@dataclass(frozen=True)
class RetryPolicy:
    """Budget of the network retry layer.

    The defaults outlast an outage of up to 15 s (5xx answers, refused or dropped connections)
    whatever the jitter draws, and give up after at most 31 s of backoff.

    Attributes:
        max_attempts: Attempts per call, the first one included.
        max_retry_seconds: No wait may end later than this many seconds after the first attempt.
        max_backoff: Cap of one exponential-backoff wait (server hints are not capped by it).
        initial_backoff: The first backoff wait's upper bound; each later one doubles it.
    """

    max_attempts: int = 6
    max_retry_seconds: float = 120.0
    max_backoff: float = 30.0
    initial_backoff: float = 1.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ConfigError(f"must be at least 1, got {self.max_attempts}", field="max_attempts")
        if not self.initial_backoff > 0:
            raise ConfigError(f"must be positive, got {self.initial_backoff}",
                              field="initial_backoff")
        if not self.max_retry_seconds > 0:
            raise ConfigError(f"must be positive, got {self.max_retry_seconds}",
                              field="max_retry_seconds")
        if not self.max_backoff > 0:
            raise ConfigError(f"must be positive, got {self.max_backoff}", field="max_backoff")

    def backoff(self, retry: int) -> float:
        """The upper bound of the backoff before retry number ``retry`` (from 1)."""
        exponent = min(retry - 1, 64)  # 2**64 s is past any cap; avoids float overflow
        return float(min(self.initial_backoff * 2.0 ** exponent, self.max_backoff))

    def backoff_bounds(self) -> tuple[float, float]:
        """The least and the most one call can wait in all without server hints (seconds).

        The least is what the budget is sure to outlast; the most is capped by
        ``max_retry_seconds``.
        """
        bounds = [self.backoff(n) for n in range(1, self.max_attempts)]
        return (min(sum(bounds) / 2, self.max_retry_seconds),
                min(sum(bounds), self.max_retry_seconds))


def response_headers(exc: BaseException) -> Mapping[str, str] | None:
    """The HTTP response headers behind ``exc`` or the SDK error it wraps, if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        headers = getattr(getattr(current, "response", None), "headers", None)
        if isinstance(headers, Mapping):
            return headers
        current = current.__cause__
    return None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    # httpx-style headers are case-insensitive; a plain dict may not be.
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return value


def retry_hint(exc: BaseException, *, now: float | None = None) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms``, then ``retry-after``), if any."""
    headers = response_headers(exc)
    if headers is None:
        return None
    millis = _header(headers, "retry-after-ms")
    if millis is not None:
        try:
            value = float(millis) / 1000
        except ValueError:
            value = math.nan
        if math.isfinite(value) and value >= 0:
            return value
    after = _header(headers, "retry-after")
    if after is None:
        return None
    try:
        value = float(after)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(after)
        except (TypeError, ValueError):
            return None
        value = when.timestamp() - (time.time() if now is None else now)
        return max(value, 0.0)
    return value if math.isfinite(value) and value >= 0 else None


def _should_retry_header(exc: BaseException) -> bool | None:
    headers = response_headers(exc)
    value = _header(headers, "x-should-retry") if headers is not None else None
    if value == "true":
        return True
    if value == "false":
        return False
    return None


def is_retryable(exc: BaseException) -> bool:
    """Whether the network layer should try again after ``exc`` (see the module docstring)."""
    if not isinstance(exc, ModelAPIError):
        return False
    if isinstance(exc, (QuotaExceededError, UnsupportedFeatureError)):
        return False
    override = _should_retry_header(exc)
    if override is not None:
        return override
    if isinstance(exc, (ModelConnectionError, ModelTimeoutError, RateLimitError)):
        return True
    status = exc.status_code
    return status is not None and (status in _RETRYABLE_STATUS or status >= 500)


class _HintOrBackoff(wait_base):
    """The server's hint when it gives one, else equal-jitter exponential backoff."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        hint = retry_hint(exc) if exc is not None else None
        if hint is not None:
            return hint
        bound = self._policy.backoff(retry_state.attempt_number)
        # Jitter spreads clients that failed together; the lower half keeps the total honest.
        return random.uniform(bound / 2, bound)  # noqa: S311 - not for security


class _StopBeforeBudget(stop_base):
    """Stop before a wait that would end past the budget, on the clock or in waits asked for."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds

    def __call__(self, retry_state: RetryCallState) -> bool:
        # idle_for sums the waits asked for: with an injected (fake) sleep the clock stands still.
        spent = max(retry_state.seconds_since_start or 0.0, retry_state.idle_for)
        return spent + retry_state.upcoming_sleep > self._seconds


def _log_retry(policy: RetryPolicy) -> Callable[[RetryCallState], None]:
    def before_sleep(retry_state: RetryCallState) -> None:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        # Status, code and request id only: messages and headers may carry prompts or keys.
        total = ""
        if retry_state.attempt_number == 1:
            # Honest about the whole wait once per call, not only about the next one.
            least, most = policy.backoff_bounds()
            total = (f"; it retries up to {policy.max_attempts - 1} time(s), waiting "
                     f"{least:.1f}-{most:.1f} s in all (at most {policy.max_retry_seconds:.0f} s "
                     "with server retry hints) before it gives up")
        log.info(
            "model call failed (%s, status=%s, code=%s, request_id=%s); attempt %d of %d, "
            "retrying in %.2f s%s",
            type(exc).__name__,
            getattr(exc, "status_code", None),
            getattr(exc, "code", None),
            getattr(exc, "request_id", None),
            retry_state.attempt_number,
            policy.max_attempts,
            retry_state.upcoming_sleep,
            total,
        )

    return before_sleep


def _options(policy: RetryPolicy) -> dict[str, Any]:
    return {
        "retry": retry_if_exception(is_retryable),
        "wait": _HintOrBackoff(policy),
        "stop": (stop_after_attempt(policy.max_attempts)
                 | _StopBeforeBudget(policy.max_retry_seconds)),
        "before_sleep": _log_retry(policy),
        "reraise": True,
    }


def retrying(policy: RetryPolicy, *, sleep: SleepFunction | None = None) -> Retrying:
    """A sync `tenacity.Retrying` applying ``policy``; ``sleep`` replaces ``time.sleep``."""
    options = _options(policy)
    if sleep is not None:
        options["sleep"] = sleep
    return Retrying(**options)


def aretrying(policy: RetryPolicy, *, sleep: AsyncSleepFunction | None = None) -> AsyncRetrying:
    """An async `tenacity.AsyncRetrying` for ``policy``; ``sleep`` replaces ``asyncio.sleep``."""
    options = _options(policy)
    if sleep is not None:
        options["sleep"] = sleep
    return AsyncRetrying(**options)
