"""How ``roleplay serve`` runs the app under uvicorn: no connection is held open for nothing.

uvicorn closes an idle keep-alive connection after ``timeout_keep_alive``, but starts that timer
only after a first response: a client that connects and sends nothing, or half a request line
and a header a minute (slowloris), holds its socket, and a worker's attention, indefinitely.
`server_options` adds a deadline for reading each request (headers and body): a connection
whose request is not complete ``request_timeout`` seconds after it opened (or after the last
response) is closed. A request that has been read is never cut, however long its response
streams (the interview's event stream).
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["KEEP_ALIVE", "MAX_HEADER_BYTES", "REQUEST_TIMEOUT", "server_options"]

REQUEST_TIMEOUT = 30.0
"""Seconds a client has to send a whole request once its connection is open or idle."""
KEEP_ALIVE = 5.0
"""Seconds an idle keep-alive connection stays open between requests."""
MAX_HEADER_BYTES = 16 * 1024
"""The most bytes of request line and headers read before the request is refused."""


class _DeadlineH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for receiving each request."""

    request_timeout = REQUEST_TIMEOUT
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = self.loop.call_later(self.request_timeout, self._expire)

    def _expire(self) -> None:
        self._deadline = None
        # IDLE: the request line and headers are not all here; SEND_BODY: the body is not.
        if self.conn.their_state in (h11.IDLE, h11.SEND_BODY) and not self.transport.is_closing():
            self.logger.info("closing a connection whose request took over %.0f s to arrive",
                             self.request_timeout)
            self.transport.close()


def server_options(request_timeout: float = REQUEST_TIMEOUT) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run`` / ``uvicorn.Config`` that bound slow clients."""
    protocol = type("DeadlineH11Protocol", (_DeadlineH11Protocol,),
                    {"request_timeout": request_timeout})
    return {"http": protocol, "timeout_keep_alive": KEEP_ALIVE,
            "h11_max_incomplete_event_size": MAX_HEADER_BYTES}
