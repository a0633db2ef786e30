"""A local OpenAI-compatible chat-completions server: real HTTP on 127.0.0.1, scripted replies.

`OpenAICompatServer` speaks the chat-completions wire format closely enough for the official
SDK (plain JSON, SSE streaming with ``stream_options.include_usage``, ``response_format``,
``GET /v1/models``), so the real adapter, the retry layer and cassette recording can be tested
without a key or the internet. Replies come from a queue and/or a responder function; faults
(HTTP errors with OpenAI error bodies and retry hints, resets, hangs, dropped streams, malformed
bodies, truncation, refusals, content filtering) are queued per request.

Example:
    >>> with OpenAICompatServer(["Tell me about yourself."]) as server:
    ...     model = OpenAIChatModel("gpt-4o-mini", base_url=server.base_url, api_key="test")
    ...     model.complete(request).text
    'Tell me about yourself.'
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import socket
import string
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import Any, Literal, Union

from roleplay.tokens import count_messages, count_text

__all__ = ["Fault", "OpenAICompatServer", "RecordedRequest", "Responder", "ServerReply"]

log = logging.getLogger(__name__)

ServerReply = Union[str, dict[str, Any], list[Any]]
"""A scripted reply: text, or a JSON value that is sent as the message content (JSON-encoded)."""
Responder = Callable[[dict[str, Any]], ServerReply]
"""Computes a reply from the parsed request body."""

FaultKind = Literal["http_error", "reset", "hang", "drop_stream", "malformed", "finish", "refusal"]

# Headers never kept in recorded requests: they carry credentials.
_SECRET_HEADERS = frozenset({"authorization", "api-key", "cookie", "proxy-authorization"})
_CHUNK = re.compile(r"\S+\s*|\s+")
_ALNUM = string.ascii_letters + string.digits


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


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: OpenAICompatServer

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


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer
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
        owner = self.server.owner
        owner._record(RecordedRequest("GET", self.path, _safe_headers(self.headers.items())))
        if _route(self.path) == "/v1/models":
            owner._send_json(self, 200, owner._models_body())
        else:
            owner._send_error(self, 404, "invalid_request_error", f"Unknown path {self.path}")

    def do_POST(self) -> None:
        self.server.owner._handle_post(self)


def _route(path: str) -> str:
    """The path without query (Azure-style gateways add ``?api-version=...``) or final slash."""
    return path.split("?", 1)[0].rstrip("/")


def _safe_headers(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {k.lower(): v for k, v in items if k.lower() not in _SECRET_HEADERS}


def _message_text(content: Any) -> str:
    """The text of a message ``content`` (a string or a list of content parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(part.get("text", "")) for part in content if isinstance(part, dict)
        )
    return ""


class OpenAICompatServer:
    """A real HTTP server on 127.0.0.1 (ephemeral port) speaking OpenAI chat completions.

    Use it as a context manager. Each ``POST /v1/chat/completions`` first consumes a queued
    `Fault`, if any; otherwise it answers with the next queued reply, else with
    ``responder(request_body)``. With neither, it answers 500 with ``x-should-retry: false``
    and a message saying the script ran out, so a test fails fast and clearly. Faults that
    answer with text (`Fault.length`, `Fault.content_filter`) consume the next reply;
    `Fault.drop_stream` only peeks at it, so the retry receives it whole; the others consume
    none. Requests are served on concurrent threads: a ``responder`` used by concurrent
    clients must be thread-safe.

    Args:
        replies: Replies to queue; a ``str`` is the message text, a ``dict``/``list`` is sent
            JSON-encoded (structured output).
        responder: Computes a reply from the parsed request body once the queue is empty.
        api_key: When set, requests without ``Authorization: Bearer <api_key>`` get a 401.
        reject_json_schema: Answer ``response_format: json_schema`` with a 400, as llama.cpp
            does, so the structured-output chain must fall back.
        stream_usage: Send the usage chunk when ``stream_options.include_usage`` is set;
            ``False`` mimics servers (llama.cpp) that never send it.
        latency: Seconds to wait before answering each chat request (benchmarks).
        chunk_delay: Seconds to wait between stream chunks.
        openai_headers: Send the account and cookie headers api.openai.com sends
            (``openai-organization``, ``openai-project``, ``set-cookie``, ``cf-ray``), so that
            recordings against this server exercise the cassette filters.
    """

    def __init__(
        self,
        replies: Iterable[ServerReply] = (),
        *,
        responder: Responder | None = None,
        api_key: str | None = None,
        reject_json_schema: bool = False,
        stream_usage: bool = True,
        latency: float = 0.0,
        chunk_delay: float = 0.0,
        openai_headers: bool = True,
    ) -> None:
        self.responder = responder
        self.api_key = api_key
        self.reject_json_schema = reject_json_schema
        self.stream_usage = stream_usage
        self.latency = latency
        self.chunk_delay = chunk_delay
        self.openai_headers = openai_headers
        self._replies: deque[ServerReply] = deque(replies)
        self._faults: deque[Fault] = deque()
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._stop = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> OpenAICompatServer:
        """Bind 127.0.0.1 on an ephemeral port and serve in a background thread."""
        if self._httpd is not None:
            return self
        self._stop.clear()
        # Build the default encoding now: its first use takes ~0.5 s, which would otherwise land
        # on the first request and trip clients with short timeouts.
        count_text("", "gpt-4o")
        httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        httpd.owner = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.01},
            name=f"OpenAICompatServer:{httpd.server_address[1]}", daemon=True,
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving, end open connections and hanging requests, and release the port."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stop.set()
        httpd.shutdown()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            # Idle keep-alive connections block their handler threads in readline().
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        httpd.server_close()  # joins the handler threads
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> OpenAICompatServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def port(self) -> int:
        """The bound port."""
        if self._httpd is None:
            raise RuntimeError("OpenAICompatServer is not running; use it as a context manager")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI base URL, ``http://127.0.0.1:PORT/v1``."""
        return self.url + "/v1"

    # -- scripting ---------------------------------------------------------------------------

    def enqueue(self, *replies: ServerReply) -> None:
        """Queue replies for the next chat requests."""
        with self._lock:
            self._replies.extend(replies)

    def add_faults(self, *faults: Fault) -> None:
        """Queue faults; each chat request consumes at most one, before any reply."""
        with self._lock:
            self._faults.extend(faults)

    def clear(self) -> None:
        """Drop queued replies and faults and forget recorded requests."""
        with self._lock:
            self._replies.clear()
            self._faults.clear()
            self._requests.clear()

    @property
    def remaining_replies(self) -> int:
        """Queued replies not yet sent."""
        with self._lock:
            return len(self._replies)

    @property
    def remaining_faults(self) -> int:
        """Queued faults not yet consumed."""
        with self._lock:
            return len(self._faults)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, in order (a copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """The ``POST /v1/chat/completions`` requests received, in order (attempts included)."""
        return [r for r in self.requests
                if r.method == "POST" and _route(r.path) == "/v1/chat/completions"]

    # -- internals ---------------------------------------------------------------------------

    def _track(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.add(conn)

    def _untrack(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)

    def _record(self, request: RecordedRequest) -> int:
        with self._lock:
            self._requests.append(request)
            return len(self._requests)

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self._stop.wait(seconds)

    def _common_headers(self) -> list[tuple[str, str]]:
        headers = [("x-request-id", "req_" + secrets.token_hex(16))]
        if self.openai_headers:
            headers += [
                ("openai-organization", "org-localtestserver"),
                ("openai-project", "proj_localtestserver"),
                ("openai-processing-ms", "1"),
                ("cf-ray", secrets.token_hex(8) + "-LCL"),
                ("set-cookie", "__cf_bm=local-test-cookie; path=/; HttpOnly; SameSite=None"),
            ]
        return headers

    def _send_json(self, handler: _Handler, status: int, body: Any,
                   extra: Iterable[tuple[str, str]] = ()) -> None:
        data = json.dumps(body).encode()
        self._send_raw(handler, status, data, extra)

    def _send_raw(self, handler: _Handler, status: int, data: bytes,
                  extra: Iterable[tuple[str, str]] = ()) -> None:
        handler.send_response(status)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(len(data)))
        for name, value in [*self._common_headers(), *extra]:
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def _send_error(self, handler: _Handler, status: int, type_: str, message: str,
                    code: str | None = None, param: str | None = None,
                    extra: Iterable[tuple[str, str]] = ()) -> None:
        body = {"error": {"message": message, "type": type_, "param": param, "code": code}}
        self._send_json(handler, status, body, extra)

    def _models_body(self) -> dict[str, Any]:
        return {
            "object": "list",
            "data": [{"id": "gpt-4o-mini", "object": "model", "created": 1721172741,
                      "owned_by": "roleplay-testing"}],
        }

    def _handle_post(self, handler: _Handler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        raw = handler.rfile.read(length) if length else b""
        headers = _safe_headers(handler.headers.items())
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = None
        number = self._record(RecordedRequest("POST", handler.path, headers, body))
        if _route(handler.path) != "/v1/chat/completions":
            self._send_error(handler, 404, "invalid_request_error", f"Unknown path {handler.path}")
            return
        if not isinstance(body, dict):
            self._send_error(handler, 400, "invalid_request_error",
                             "We could not parse the JSON body of your request.")
            return
        if self.api_key is not None:
            auth = handler.headers.get("authorization", "")
            if auth != f"Bearer {self.api_key}":
                self._send_error(handler, 401, "invalid_request_error",
                                 "Incorrect API key provided.", code="invalid_api_key")
                return
        self._wait(self.latency)
        with self._lock:
            fault = self._faults.popleft() if self._faults else None
        try:
            self._answer(handler, body, fault, number)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (timeout test) before the answer was written.
            handler.close_connection = True

    def _answer(self, handler: _Handler, body: dict[str, Any], fault: Fault | None,
                number: int) -> None:
        if fault is not None:
            if fault.kind == "http_error":
                self._send_json(handler, fault.status_code, {"error": dict(fault.body or {})},
                                fault.headers)
                return
            if fault.kind == "hang":
                self._wait(fault.seconds)
                handler.close_connection = True
                return
            if fault.kind == "reset":
                _reset(handler)
                return
            if fault.kind == "malformed":
                self._send_malformed(handler, stream=bool(body.get("stream")))
                return
        response_format = body.get("response_format")
        if (self.reject_json_schema and isinstance(response_format, dict)
                and response_format.get("type") == "json_schema"):
            # What llama.cpp-style servers answer: the feature is unknown, not the request bad.
            self._send_error(
                handler, 400, "invalid_request_error",
                "response_format type 'json_schema' is not supported by this server; use "
                "'json_object'", param="response_format",
            )
            return
        content: str | None
        refusal: str | None = None
        finish_reason = "stop"
        if fault is not None and fault.kind == "refusal":
            content, refusal = None, fault.refusal
        else:
            peek = fault is not None and fault.kind == "drop_stream"
            try:
                reply = self._next_reply(body, peek=peek)
            except Exception as exc:  # any responder failure goes to the client
                log.warning("OpenAICompatServer responder failed on request #%d", number,
                            exc_info=True)
                self._send_error(handler, 500, "server_error",
                                 f"OpenAICompatServer responder raised {exc!r}",
                                 code="responder_error", extra=[("x-should-retry", "false")])
                return
            if reply is None:
                self._send_error(
                    handler, 500, "server_error",
                    f"OpenAICompatServer has no scripted reply left for request #{number}; "
                    "enqueue more replies or pass responder=",
                    code="no_scripted_reply", extra=[("x-should-retry", "false")],
                )
                return
            content = reply if isinstance(reply, str) else json.dumps(reply)
            if fault is not None and fault.kind == "finish":
                finish_reason = fault.finish_reason
        completion = _Completion(
            model=str(body.get("model") or "gpt-4o-mini"),
            content=content,
            refusal=refusal,
            finish_reason=finish_reason,
            messages=body.get("messages") or [],
        )
        if body.get("stream"):
            options = body.get("stream_options") or {}
            include_usage = bool(options.get("include_usage")) and self.stream_usage
            dropping = fault is not None and fault.kind == "drop_stream"
            drop_after = fault.after_chunks if fault is not None and dropping else None
            self._send_stream(handler, completion, include_usage, drop_after)
        elif fault is not None and fault.kind == "drop_stream":
            data = json.dumps(completion.body()).encode()
            handler.send_response(200)
            handler.send_header("content-type", "application/json")
            handler.send_header("content-length", str(len(data)))
            for name, value in self._common_headers():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data[: len(data) // 2])
            _hang_up(handler)
        else:
            self._send_json(handler, 200, completion.body())

    def _send_malformed(self, handler: _Handler, *, stream: bool) -> None:
        broken = b'{"id": "chatcmpl-broken", "choices": [{"ind'
        if not stream:
            self._send_raw(handler, 200, broken)
            return
        data = b"data: " + broken + b"\n\n"
        handler.send_response(200)
        handler.send_header("content-type", "text/event-stream; charset=utf-8")
        handler.send_header("content-length", str(len(data)))
        for name, value in self._common_headers():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def _next_reply(self, body: dict[str, Any], *, peek: bool) -> ServerReply | None:
        with self._lock:
            if self._replies:
                return self._replies[0] if peek else self._replies.popleft()
        if self.responder is not None:
            return self.responder(body)
        return None

    def _send_stream(self, handler: _Handler, completion: _Completion, include_usage: bool,
                     drop_after: int | None) -> None:
        handler.send_response(200)
        handler.send_header("content-type", "text/event-stream; charset=utf-8")
        handler.send_header("transfer-encoding", "chunked")
        handler.send_header("cache-control", "no-cache")
        for name, value in self._common_headers():
            handler.send_header(name, value)
        handler.end_headers()

        def write(data: bytes) -> None:
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

        for sent, chunk in enumerate(completion.chunks(include_usage)):
            if drop_after is not None and sent > drop_after:
                # Chunk 0 carries the role; content chunks follow. End without the final chunk.
                _hang_up(handler)
                return
            write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
            self._wait(self.chunk_delay)
        write(b"data: [DONE]\n\n")
        write(b"")


def _hang_up(handler: _Handler) -> None:
    """Close the connection cleanly (FIN) in the middle of a response.

    Unlike a reset, the client still reads what was already sent before it sees the cut.
    """
    handler.close_connection = True
    try:
        handler.connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _reset(handler: _Handler) -> None:
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
class _Completion:
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
            {k: _message_text(v) if k == "content" else str(v)
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
