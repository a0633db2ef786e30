"""A local OpenAI-compatible server: real HTTP on 127.0.0.1, scripted replies.

`OpenAICompatServer` speaks the chat-completions wire format closely enough for the official
SDK (plain JSON, SSE streaming with ``stream_options.include_usage``, ``response_format``,
``GET /v1/models``), and the Files and Batch endpoints (`roleplay.testing._batches`), so the
real adapter, the retry layer, batch mode and cassette recording can be tested without a key or
the internet. Replies come from a queue and/or a responder function; faults (HTTP errors with
OpenAI error bodies and retry hints, resets, hangs, dropped streams, malformed bodies,
truncation, refusals, content filtering) are queued per request (`roleplay.testing._faults`).

Example:
    >>> with OpenAICompatServer(["Tell me about yourself."]) as server:
    ...     model = OpenAIChatModel("gpt-4o-mini", base_url=server.base_url, api_key="test")
    ...     model.complete(request).text
    'Tell me about yourself.'
"""

from __future__ import annotations

import json
import logging
import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Iterable
from typing import Any

from roleplay.scripted import Responder, ServerReply
from roleplay.testing._audio import (
    AudioScript,
    AudioSegment,
    answer_speech,
    answer_transcription,
    dumps,
)
from roleplay.testing._batches import BatchScript, BatchStore
from roleplay.testing._faults import FakeClock, Fault, FaultSchedule
from roleplay.testing._wire import (
    Completion,
    Handler,
    HTTPServer,
    RecordedRequest,
    hang_up,
    reset,
    route,
    safe_headers,
)
from roleplay.tokens import count_text

__all__ = ["AudioScript", "AudioSegment", "BatchScript", "FakeClock", "Fault", "FaultSchedule",
           "OpenAICompatServer", "RecordedRequest", "Responder", "ServerReply"]

log = logging.getLogger(__name__)


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

    The audio endpoints (``/v1/audio/transcriptions``, ``/v1/audio/speech``) answer in OpenAI's
    wire format; what a recording says is scripted in `audio` (`roleplay.testing._audio`), and
    `add_audio_faults` queues faults for them (each audio request consumes at most one).

    The Files and Batch endpoints answer each batch line from the same queue and responder (no
    faults, no latency); `batch_script` says how batches progress, expire and fail lines.

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
        concurrency_limit: Answer 429 ``rate_limit_exceeded`` (with ``retry-after-ms``) to a
            chat request that arrives while this many others are being answered, as a
            provider's concurrency cap does; ``None`` for no cap.
        rate_limit_every: Answer 429 ``rate_limit_exceeded`` (with ``retry-after-ms``) to every
            n-th chat request, and to every request that arrives before that hint has passed,
            as a provider whose request budget ran dry does (deterministic by request order;
            the window makes clients that ignore the hint pay for it).
        limit_retry_after_ms: The ``retry-after-ms`` hint of those 429s.
        schedule: Faults drawn per chat request (failure rate, outages) when none is queued.
        port: The port to bind (default 0: an ephemeral one), for a URL a person can paste.
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
        concurrency_limit: int | None = None,
        rate_limit_every: int | None = None,
        limit_retry_after_ms: float = 20.0,
        schedule: FaultSchedule | None = None,
        port: int = 0,
    ) -> None:
        self.responder = responder
        self._port = port
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
        self._httpd: HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.concurrency_limit = concurrency_limit
        self.rate_limit_every = rate_limit_every
        self.limit_retry_after_ms = limit_retry_after_ms
        self._in_flight = 0
        self._admitted = 0
        self._closed_until = 0.0
        self.rate_limited = 0
        """Chat requests answered 429 by the concurrency cap or the request budget."""
        self._batches = BatchStore(self._answer_line)
        self.schedule = schedule
        """Faults drawn per chat request when none is queued (assignable)."""
        self.audio = AudioScript()
        """What uploaded recordings say (register segments per file name, or a responder)."""
        self._audio_faults: deque[Fault] = deque()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> OpenAICompatServer:
        """Bind 127.0.0.1 (on ``port``, else an ephemeral one) and serve in a background thread.

        Raises:
            OSError: the port is in use.
        """
        if self._httpd is not None:
            return self
        self._stop.clear()
        # Build the default encoding now: its first use takes ~0.5 s, which would otherwise land
        # on the first request and trip clients with short timeouts.
        count_text("", "gpt-4o")
        httpd = HTTPServer(("127.0.0.1", self._port), Handler)
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

    def add_audio_faults(self, *faults: Fault) -> None:
        """Queue faults for audio requests; each consumes at most one (error, reset, hang)."""
        with self._lock:
            self._audio_faults.extend(faults)

    @property
    def audio_requests(self) -> list[RecordedRequest]:
        """The ``POST /v1/audio/...`` requests received, in order (attempts included)."""
        return [r for r in self.requests
                if r.method == "POST" and route(r.path).startswith("/v1/audio/")]

    def clear(self) -> None:
        """Drop queued replies and faults and forget recorded requests."""
        with self._lock:
            self._replies.clear()
            self._faults.clear()
            self._requests.clear()
            self._audio_faults.clear()

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
    def batch_script(self) -> BatchScript:
        """How the next batches behave (polls, expiry, failing lines); edit its fields."""
        return self._batches.script

    @property
    def batch_lines_run(self) -> int:
        """Batch lines that ran (answered, or failed by the script), over every batch."""
        return self._batches.lines_run

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """The ``POST /v1/chat/completions`` requests received, in order (attempts included)."""
        return [r for r in self.requests
                if r.method == "POST" and route(r.path) == "/v1/chat/completions"]

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

    def _send_json(self, handler: Handler, status: int, body: Any,
                   extra: Iterable[tuple[str, str]] = ()) -> None:
        data = json.dumps(body).encode()
        self._send_raw(handler, status, data, extra)

    def _send_raw(self, handler: Handler, status: int, data: bytes,
                  extra: Iterable[tuple[str, str]] = (), *,
                  content_type: str = "application/json") -> None:
        handler.send_response(status)
        handler.send_header("content-type", content_type)
        handler.send_header("content-length", str(len(data)))
        for name, value in [*self._common_headers(), *extra]:
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def _send_error(self, handler: Handler, status: int, type_: str, message: str,
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

    def _authorised(self, handler: Handler) -> bool:
        if self.api_key is None or handler.headers.get("authorization", "") == \
                f"Bearer {self.api_key}":
            return True
        self._send_error(handler, 401, "invalid_request_error", "Incorrect API key provided.",
                         code="invalid_api_key")
        return False

    def _handle_get(self, handler: Handler) -> None:
        self._record(RecordedRequest("GET", handler.path, safe_headers(handler.headers.items())))
        parts = route(handler.path).split("/")[1:]
        if parts == ["v1", "models"]:
            self._send_json(handler, 200, self._models_body())
            return
        if not self._authorised(handler):
            return
        if len(parts) == 4 and parts[:3] == ["v1", "files", parts[2]] and parts[3] == "content":
            data = self._batches.content(parts[2])
            if data is None:
                self._send_error(handler, 404, "invalid_request_error",
                                 f"No such File object: {parts[2]}", param="id")
            else:
                self._send_raw(handler, 200, data, content_type="application/octet-stream")
            return
        if len(parts) == 3 and parts[1] == "files":
            self._send_json(handler, *self._batches.file(parts[2]))
        elif len(parts) == 3 and parts[1] == "batches":
            self._send_json(handler, *self._batches.retrieve(parts[2]))
        else:
            self._send_error(handler, 404, "invalid_request_error", f"Unknown path {handler.path}")

    def _handle_post(self, handler: Handler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        raw = handler.rfile.read(length) if length else b""
        headers = safe_headers(handler.headers.items())
        path = route(handler.path)
        content_type = handler.headers.get("content-type", "")
        body: Any = None
        if path in ("/v1/files", "/v1/audio/transcriptions"):
            body = {"multipart_bytes": len(raw)}  # the upload itself is kept elsewhere
        else:
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
        number = self._record(RecordedRequest("POST", handler.path, headers, body))
        parts = path.split("/")[1:]
        if path in ("/v1/audio/transcriptions", "/v1/audio/speech"):
            if self._authorised(handler):
                self._answer_audio(handler, path, content_type, raw, body)
            return
        if path in ("/v1/files", "/v1/batches") or (
                len(parts) == 4 and parts[1] == "batches" and parts[3] == "cancel"):
            if not self._authorised(handler):
                return
            if path == "/v1/files":
                self._send_json(handler, *self._batches.upload(content_type, raw))
            elif path == "/v1/batches":
                self._send_json(handler, *self._batches.create(body))
            else:
                self._send_json(handler, *self._batches.cancel(parts[2]))
            return
        if path != "/v1/chat/completions":
            self._send_error(handler, 404, "invalid_request_error", f"Unknown path {handler.path}")
            return
        if not isinstance(body, dict):
            self._send_error(handler, 400, "invalid_request_error",
                             "We could not parse the JSON body of your request.")
            return
        if not self._authorised(handler):
            return
        with self._lock:
            capped = (self.concurrency_limit is not None
                      and self._in_flight >= self.concurrency_limit)
            if self.rate_limit_every is not None and not capped:
                now = time.monotonic()
                if now < self._closed_until:
                    capped = True
                else:
                    self._admitted += 1
                    if self._admitted % self.rate_limit_every == 0:
                        capped = True
                        self._closed_until = now + self.limit_retry_after_ms / 1000
            if capped:
                self.rate_limited += 1
            else:
                self._in_flight += 1
        if capped:
            limited = Fault.rate_limit(retry_after_ms=self.limit_retry_after_ms)
            self._send_json(handler, 429, {"error": dict(limited.body or {})}, limited.headers)
            return
        try:
            self._wait(self.latency)
            with self._lock:
                fault = self._faults.popleft() if self._faults else None
            if fault is None and self.schedule is not None:
                fault = self.schedule.draw()
            try:
                self._answer(handler, body, fault, number)
            except (BrokenPipeError, ConnectionResetError):
                # The client gave up (timeout test) before the answer was written.
                handler.close_connection = True
        finally:
            with self._lock:
                self._in_flight -= 1

    def _answer_audio(self, handler: Handler, path: str, content_type: str, raw: bytes,
                      body: Any) -> None:
        with self._lock:
            fault = self._audio_faults.popleft() if self._audio_faults else None
        if fault is not None:
            if fault.kind == "http_error":
                self._send_json(handler, fault.status_code, {"error": dict(fault.body or {})},
                                fault.headers)
                return
            if fault.kind == "hang":
                self._wait(fault.seconds)
                handler.close_connection = True
                return
            reset(handler)
            return
        if path == "/v1/audio/speech":
            status, answer, kind = answer_speech(body)
        else:
            status, answer, kind = answer_transcription(self.audio, content_type, raw)
        extra = [("x-should-retry", "false")] if status == 500 else []
        try:
            self._send_raw(handler, status, dumps(answer), extra, content_type=kind)
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True

    def _answer_line(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """A batch line's answer: what a non-streamed chat request would get, as a body."""
        rejected = self._rejection(body)
        if rejected is not None:
            return 400, rejected
        try:
            reply = self._next_reply(body, peek=False)
        except Exception as exc:  # any responder failure goes into the line
            log.warning("OpenAICompatServer responder failed on a batch line", exc_info=True)
            return 500, _error_body("server_error", f"OpenAICompatServer responder raised {exc!r}",
                                    "responder_error")
        if reply is None:
            return 500, _error_body("server_error", "OpenAICompatServer has no scripted reply "
                                    "left for a batch line; enqueue more replies or pass "
                                    "responder=", "no_scripted_reply")
        content = reply if isinstance(reply, str) else json.dumps(reply)
        return 200, Completion(model=str(body.get("model") or "gpt-4o-mini"), content=content,
                               refusal=None, finish_reason="stop",
                               messages=body.get("messages") or []).body()

    def _rejection(self, body: dict[str, Any]) -> dict[str, Any] | None:
        response_format = body.get("response_format")
        if (self.reject_json_schema and isinstance(response_format, dict)
                and response_format.get("type") == "json_schema"):
            # What llama.cpp-style servers answer: the feature is unknown, not the request bad.
            body = _error_body("invalid_request_error",
                               "response_format type 'json_schema' is not supported by this "
                               "server; use 'json_object'")
            body["error"]["param"] = "response_format"
            return body
        return None

    def _answer(self, handler: Handler, body: dict[str, Any], fault: Fault | None,
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
                reset(handler)
                return
            if fault.kind == "malformed":
                self._send_malformed(handler, stream=bool(body.get("stream")))
                return
        rejected = self._rejection(body)
        if rejected is not None:
            self._send_json(handler, 400, rejected)
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
        completion = Completion(
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
            hang_up(handler)
        else:
            self._send_json(handler, 200, completion.body())

    def _send_malformed(self, handler: Handler, *, stream: bool) -> None:
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

    def _send_stream(self, handler: Handler, completion: Completion, include_usage: bool,
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
                hang_up(handler)
                return
            write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
            self._wait(self.chunk_delay)
        write(b"data: [DONE]\n\n")
        write(b"")


def _error_body(type_: str, message: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}
