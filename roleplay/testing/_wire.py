"""The local test server's HTTP plumbing and the chat-completion bodies it sends.

The threaded server, the request handler, recorded requests and connection tricks (reset,
hang-up).
"""

from __future__ import annotations

import logging
import re
import secrets
import socket
import string
import struct
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import Any, Protocol

from roleplay.tokens import count_messages, count_text

__all__ = ["Completion", "HTTPServer", "Handler", "RecordedRequest", "hang_up", "message_text",
           "reset", "route", "safe_headers"]

log = logging.getLogger("roleplay.testing.server")

# Headers never kept in recorded requests: they carry credentials.
_SECRET_HEADERS = frozenset({"authorization", "api-key", "cookie", "proxy-authorization"})
_CHUNK = re.compile(r"\S+\s*|\s+")
_ALNUM = string.ascii_letters + string.digits


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received."""

    method: str
    """HTTP method."""
    path: str
    """Request path, e.g. ``/v1/chat/completions``."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """Lower-cased request headers, minus ``authorization``, ``api-key`` and ``cookie``."""
    body: Any = None
    """The parsed JSON body, or ``None``."""


class _Owner(Protocol):
    """What the plumbing needs of the server that owns it (`OpenAICompatServer`)."""

    def _track(self, conn: Any) -> None: ...
    def _untrack(self, conn: Any) -> None: ...
    def _handle_get(self, handler: Handler) -> None: ...
    def _handle_post(self, handler: Handler) -> None: ...


class HTTPServer(ThreadingHTTPServer):
    """The threaded server; ``owner`` answers its requests."""

    daemon_threads = True
    owner: _Owner

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (getfqdn), which can stall on machines
        # with slow DNS; the name is never needed here.
        TCPServer.server_bind(self)
        self.server_name = "127.0.0.1"
        self.server_port = self.server_address[1]

    def process_request(self, request: Any, client_address: Any) -> None:
        self.owner._track(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        self.owner._untrack(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:  # noqa: ARG002
        # Clients that time out or drop connections are expected in fault tests; keep stderr clean.
        log.debug("connection from %s ended with an error", client_address, exc_info=True)


class Handler(BaseHTTPRequestHandler):
    """Hands every GET and POST to the owning server."""

    protocol_version = "HTTP/1.1"
    server: HTTPServer
    server_version = "roleplay-openai-compat/1"
    sys_version = ""  # keep the Python version out of recorded cassettes

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; with Nagle plus the client's delayed ACK
        # every response would stall ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self.server.owner._handle_get(self)

    def do_POST(self) -> None:
        self.server.owner._handle_post(self)


def route(path: str) -> str:
    """The path without query (Azure-style gateways add ``?api-version=...``) or final slash."""
    return path.split("?", 1)[0].rstrip("/")


def safe_headers(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Lower-cased headers without the ones that carry credentials."""
    return {k.lower(): v for k, v in items if k.lower() not in _SECRET_HEADERS}


def message_text(content: Any) -> str:
    """The text of a message ``content`` (a string or a list of content parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(part.get("text", "")) for part in content if isinstance(part, dict)
        )
    return ""


def hang_up(handler: Handler) -> None:
    """Close the connection cleanly (FIN) in the middle of a response.

    Unlike a reset, the client still reads what was already sent before it sees the cut.
    """
    handler.close_connection = True
    try:
        handler.connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def reset(handler: Handler) -> None:
    """Abort the connection with a TCP reset (SO_LINGER 0), without a (complete) response."""
    handler.close_connection = True
    conn = handler.connection
    try:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # The handler's file objects still reference the socket, so close() alone would be
        # deferred; closing a detached copy of the descriptor aborts the connection now.
        socket.socket(fileno=conn.detach()).close()
    except OSError:
        pass


@dataclass
class Completion:
    """One chat completion the server sends, as a JSON body or as stream chunks."""

    model: str
    content: str | None
    refusal: str | None
    finish_reason: str
    messages: list[Any]
    id: str = field(default_factory=lambda: "chatcmpl-" + "".join(
        secrets.choice(_ALNUM) for _ in range(29)))
    created: int = field(default_factory=lambda: int(time.time()))
    fingerprint: str = field(default_factory=lambda: "fp_" + secrets.token_hex(5))

    def usage(self) -> dict[str, Any]:
        messages = [
            {k: message_text(v) if k == "content" else str(v)
             for k, v in m.items() if k in ("role", "content", "name") and v is not None}
            for m in self.messages if isinstance(m, dict)
        ]
        prompt = count_messages(messages, self.model)
        completion = count_text(self.content or self.refusal or "", self.model)
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }

    def _envelope(self, obj: str) -> dict[str, Any]:
        return {"id": self.id, "object": obj, "created": self.created, "model": self.model,
                "service_tier": "default", "system_fingerprint": self.fingerprint}

    def body(self) -> dict[str, Any]:
        return {
            **self._envelope("chat.completion"),
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": self.content,
                            "refusal": self.refusal, "annotations": []},
                "logprobs": None,
                "finish_reason": self.finish_reason,
            }],
            "usage": self.usage(),
        }

    def chunks(self, include_usage: bool) -> Iterator[dict[str, Any]]:
        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            out = {**self._envelope("chat.completion.chunk"),
                   "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                "finish_reason": finish}]}
            if include_usage:
                out["usage"] = None
            return out

        if self.refusal is not None:
            yield chunk({"role": "assistant", "content": None, "refusal": ""})
            for piece in _CHUNK.findall(self.refusal):
                yield chunk({"refusal": piece})
        else:
            yield chunk({"role": "assistant", "content": "", "refusal": None})
            for piece in _CHUNK.findall(self.content or ""):
                yield chunk({"content": piece})
        yield chunk({}, self.finish_reason)
        if include_usage:
            yield {**self._envelope("chat.completion.chunk"), "choices": [],
                   "usage": self.usage()}
