"""The hand-off between a judge cache miss and the model call that follows it.

When two runs share a judge cache, the second should not pay for a judge call the first is
already making. The cache sees the miss (``get``), but only the model call knows that a call is
really made (an estimate or a batch collection misses too, and calls nothing), and only an async
call can wait without blocking its event loop. So a cache that misses offers a `ClaimTicket`
for the key (`offer_claim`); the OpenAI adapter takes it (`take_claim`) at the start of its next
call in the same task or thread, and `acquire` s it: either the key's reply appears (another
run made the call; it is returned as this call's reply, at no cost) or this call owns the claim
and goes ahead. A failed call releases the claim; the cache releases it when the reply is
stored.

The ticket lives in a context variable and is marked with the asyncio task (or, outside a
loop, the thread) that missed: a task created later copies the variable, but never takes a
ticket that is not its own. The next ``get`` of the same task replaces it, and a call takes it
only once (re-asks after an invalid reply go ahead as usual).
"""

from __future__ import annotations

import asyncio
import threading
from contextvars import ContextVar
from typing import Protocol

__all__ = ["ClaimTicket", "offer_claim", "take_claim"]


class ClaimTicket(Protocol):
    """A claim on one judge cache key that the next model call settles."""

    def acquire(self) -> str | None:
        """Wait (blocking) until this call owns the key (None) or its reply exists (the text)."""
        ...

    async def aacquire(self) -> str | None:
        """`acquire` without blocking the event loop."""
        ...

    def release(self) -> None:
        """Give the claim up (the call failed): a waiting run may make the call itself."""
        ...


_PENDING: ContextVar[tuple[object, ClaimTicket] | None] = ContextVar("roleplay_claim_ticket",
                                                                    default=None)


def _here() -> object:
    try:
        task = asyncio.current_task()
    except RuntimeError:  # no running loop
        task = None
    return task if task is not None else threading.get_ident()


def offer_claim(ticket: ClaimTicket | None) -> None:
    """Make ``ticket`` the claim of the next model call in this task (None clears it)."""
    _PENDING.set(None if ticket is None else (_here(), ticket))


def take_claim() -> ClaimTicket | None:
    """The pending ticket of this task, if any; it is cleared (a call takes it once)."""
    pending = _PENDING.get()
    if pending is None:
        return None
    _PENDING.set(None)
    owner, ticket = pending
    # Inherited from the task or thread that created this one: not this call's miss.
    return ticket if owner == _here() else None
