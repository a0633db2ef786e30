"""The local test server's Files and Batch endpoints, in OpenAI's wire format.

``POST /v1/files`` (multipart upload), ``GET /v1/files/{id}`` and ``GET /v1/files/{id}/content``;
``POST /v1/batches``, ``GET /v1/batches/{id}`` and ``POST /v1/batches/{id}/cancel``. The
objects are OpenAI's: ``{"object": "file", ...}`` and ``{"object": "batch", "status": ...,
"request_counts": {"total", "completed", "failed"}, ...}``. A batch moves one step per
``GET``: ``validating`` -> ``in_progress`` (lines answered over `BatchScript.polls` polls) ->
``finalizing`` -> ``completed``; or ``failed`` (an invalid input file), ``expired`` (when the
script says so, with the unfinished lines in the error file as ``batch_expired``) or
``cancelling`` -> ``cancelled``. Output lines are
``{"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error": null}``; a
line answered with an HTTP error goes to the error file in the same shape, an expired one as
``{"id", "custom_id", "response": null, "error": {"code": "batch_expired", "message"}}``.

Each line is answered by the server's own queue and responder, exactly as a chat request.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import secrets
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

__all__ = ["BatchScript", "BatchStore", "LineAnswer"]

LineAnswer = Callable[[dict[str, Any]], tuple[int, dict[str, Any]]]
"""Answers one batch line's body: (HTTP status, response body)."""

_WINDOW_SECONDS = {"24h": 86_400}
_EXPIRED_MESSAGE = "This request could not be executed before the completion window expired."


@dataclass
class BatchScript:
    """How the server's batches behave; change the fields between batches.

    Attributes:
        polls: ``GET``s of an ``in_progress`` batch over which its lines are answered (at least
            1); the next ``GET`` after the last line shows ``finalizing``, the one after that
            ``completed``.
        expire_after: When set, the batch expires once this many lines have run; the rest go to
            the error file as ``batch_expired``.
        fail_custom_ids: Lines answered with a 500 (in the error file) instead of a reply.
        fail_every: When set, every n-th line of a batch (1-based) fails the same way.
        on_upload: Called (on the server's thread) before an upload is stored, e.g. to hold a
            client between saving its batch state and creating the batch.
    """

    polls: int = 2
    expire_after: int | None = None
    fail_custom_ids: Collection[str] = ()
    fail_every: int | None = None
    on_upload: Callable[[], None] | None = None


@dataclass
class _File:
    id: str
    filename: str
    purpose: str
    data: bytes
    created_at: int = field(default_factory=lambda: int(time.time()))

    def body(self) -> dict[str, Any]:
        return {"id": self.id, "object": "file", "bytes": len(self.data),
                "created_at": self.created_at, "expires_at": None, "filename": self.filename,
                "purpose": self.purpose, "status": "processed", "status_details": None}


@dataclass
class _Batch:
    id: str
    input_file_id: str
    endpoint: str
    completion_window: str
    metadata: dict[str, str] | None
    lines: list[dict[str, Any]]
    script: BatchScript
    errors: list[dict[str, Any]]
    status: str = "validating"
    created_at: int = field(default_factory=lambda: int(time.time()))
    times: dict[str, int] = field(default_factory=dict)
    done: list[str] = field(default_factory=list)
    """Output lines (JSON) of requests that ran, in the order they ran."""
    failed: list[str] = field(default_factory=list)
    """Error-file lines."""
    completed: int = 0
    polls_seen: int = 0
    output_file_id: str | None = None
    error_file_id: str | None = None

    def body(self) -> dict[str, Any]:
        stamps = {f"{name}_at": self.times.get(name) for name in (
            "in_progress", "finalizing", "completed", "failed", "expired", "cancelling",
            "cancelled")}
        window = _WINDOW_SECONDS.get(self.completion_window, 86_400)
        return {
            "id": self.id, "object": "batch", "endpoint": self.endpoint,
            "errors": {"object": "list", "data": self.errors} if self.errors else None,
            "input_file_id": self.input_file_id, "completion_window": self.completion_window,
            "status": self.status, "output_file_id": self.output_file_id,
            "error_file_id": self.error_file_id, "created_at": self.created_at,
            "expires_at": self.created_at + window, **stamps,
            "request_counts": {"total": len(self.lines) if self.status != "validating" else 0,
                               "completed": self.completed, "failed": len(self.failed)},
            "metadata": self.metadata,
        }


def _id(prefix: str) -> str:
    return prefix + secrets.token_hex(12)


def parse_multipart(content_type: str, raw: bytes) -> dict[str, tuple[str | None, bytes]]:
    """The fields of a ``multipart/form-data`` body: name -> (filename, bytes)."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw)
    fields: dict[str, tuple[str | None, bytes]] = {}
    if not message.is_multipart():
        return fields
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        fields[name] = (part.get_filename(), payload if isinstance(payload, bytes) else b"")
    return fields


def _error(status: int, message: str, param: str | None = None,
           code: str | None = None) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"message": message, "type": "invalid_request_error",
                              "param": param, "code": code}}


class BatchStore:
    """Files and batches of one server; every method is thread-safe.

    Args:
        answer: Answers one line's body as the chat endpoint would.
    """

    def __init__(self, answer: LineAnswer) -> None:
        self._answer = answer
        self.script = BatchScript()
        self._files: dict[str, _File] = {}
        self._batches: dict[str, _Batch] = {}
        self._lock = threading.RLock()

    # -- files -------------------------------------------------------------------------------

    def upload(self, content_type: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        """``POST /v1/files``."""
        if not content_type.startswith("multipart/form-data"):
            return _error(400, "Uploads must be multipart/form-data.")
        fields = parse_multipart(content_type, raw)
        if "file" not in fields:
            return _error(400, "Missing required parameter: 'file'.", param="file")
        purpose = fields.get("purpose", (None, b""))[1].decode("utf-8", "replace")
        if not purpose:
            return _error(400, "Missing required parameter: 'purpose'.", param="purpose")
        filename, data = fields["file"]
        if self.script.on_upload is not None:
            self.script.on_upload()
        with self._lock:
            stored = _File(_id("file-"), filename or "upload", purpose, data)
            self._files[stored.id] = stored
            return 200, stored.body()

    def file(self, file_id: str) -> tuple[int, dict[str, Any]]:
        """``GET /v1/files/{id}``."""
        with self._lock:
            stored = self._files.get(file_id)
            if stored is None:
                return _error(404, f"No such File object: {file_id}", param="id")
            return 200, stored.body()

    def content(self, file_id: str) -> bytes | None:
        """``GET /v1/files/{id}/content``: the bytes, or None for an unknown id."""
        with self._lock:
            stored = self._files.get(file_id)
            return None if stored is None else stored.data

    @property
    def files(self) -> list[dict[str, Any]]:
        """Every stored file object (uploads and batch outputs)."""
        with self._lock:
            return [f.body() for f in self._files.values()]

    # -- batches -----------------------------------------------------------------------------

    def create(self, body: Any) -> tuple[int, dict[str, Any]]:
        """``POST /v1/batches``."""
        if not isinstance(body, dict):
            return _error(400, "We could not parse the JSON body of your request.")
        for name in ("input_file_id", "endpoint", "completion_window"):
            if not isinstance(body.get(name), str):
                return _error(400, f"Missing required parameter: '{name}'.", param=name)
        if body["completion_window"] not in _WINDOW_SECONDS:
            return _error(400, "Invalid value for 'completion_window': only '24h' is supported.",
                          param="completion_window")
        with self._lock:
            stored = self._files.get(body["input_file_id"])
            if stored is None:
                return _error(400, f"No such File object: {body['input_file_id']}",
                              param="input_file_id")
            if stored.purpose != "batch":
                return _error(400, "The input file must be uploaded with purpose 'batch'.",
                              param="input_file_id")
            lines, errors = _read_input(stored.data, body["endpoint"])
            script = self.script
            batch = _Batch(_id("batch_"), stored.id, body["endpoint"], body["completion_window"],
                           body.get("metadata"), lines, BatchScript(
                               max(1, script.polls), script.expire_after,
                               frozenset(script.fail_custom_ids), script.fail_every), errors)
            self._batches[batch.id] = batch
            return 200, batch.body()

    def retrieve(self, batch_id: str) -> tuple[int, dict[str, Any]]:
        """``GET /v1/batches/{id}``: one step of progress, then the batch object."""
        with self._lock:
            batch = self._batches.get(batch_id)
            if batch is None:
                return _error(404, f"No batch found with id '{batch_id}'.", param="batch_id")
            self._step(batch)
            return 200, batch.body()

    def cancel(self, batch_id: str) -> tuple[int, dict[str, Any]]:
        """``POST /v1/batches/{id}/cancel``."""
        with self._lock:
            batch = self._batches.get(batch_id)
            if batch is None:
                return _error(404, f"No batch found with id '{batch_id}'.", param="batch_id")
            if batch.status in ("validating", "in_progress"):
                batch.status = "cancelling"
                batch.times["cancelling"] = int(time.time())
            return 200, batch.body()

    @property
    def lines_run(self) -> int:
        """Batch lines that ran (answered, or failed by the script), over all batches."""
        with self._lock:
            return sum(len(b.done) + sum('"batch_expired"' not in line for line in b.failed)
                       for b in self._batches.values())

    def _step(self, batch: _Batch) -> None:
        now = int(time.time())
        if batch.status == "validating":
            if batch.errors:
                batch.status = "failed"
                batch.times["failed"] = now
                return
            batch.status = "in_progress"
            batch.times["in_progress"] = now
            return
        if batch.status == "cancelling":
            batch.status = "cancelled"
            batch.times["cancelled"] = now
            self._write_files(batch)
            return
        if batch.status == "finalizing":
            batch.status = "completed"
            batch.times["completed"] = now
            self._write_files(batch)
            return
        if batch.status != "in_progress":
            return
        batch.polls_seen += 1
        ran = len(batch.done) + len(batch.failed)
        target = -(-len(batch.lines) * batch.polls_seen // batch.script.polls)
        limit = batch.script.expire_after
        for line in batch.lines[ran:target]:
            if limit is not None and len(batch.done) + len(batch.failed) >= limit:
                break
            self._run(batch, line)
        ran = len(batch.done) + len(batch.failed)
        if limit is not None and ran >= limit and ran < len(batch.lines):
            for line in batch.lines[ran:]:
                batch.failed.append(json.dumps({
                    "id": _id("batch_req_"), "custom_id": line["custom_id"], "response": None,
                    "error": {"code": "batch_expired", "message": _EXPIRED_MESSAGE}}))
            batch.status = "expired"
            batch.times["expired"] = now
            self._write_files(batch)
        elif ran >= len(batch.lines):
            batch.status = "finalizing"
            batch.times["finalizing"] = now

    def _run(self, batch: _Batch, line: dict[str, Any]) -> None:
        custom_id = line["custom_id"]
        number = len(batch.done) + len(batch.failed) + 1
        every = batch.script.fail_every
        if custom_id in batch.script.fail_custom_ids or (every and number % every == 0):
            status, body = 500, {"error": {
                "message": "The server had an error processing your request.",
                "type": "server_error", "param": None, "code": None}}
        else:
            status, body = self._answer(line["body"])
        out = json.dumps({"id": _id("batch_req_"), "custom_id": custom_id,
                          "response": {"status_code": status,
                                       "request_id": "req_" + secrets.token_hex(16),
                                       "body": body},
                          "error": None})
        if 200 <= status < 300:
            batch.done.append(out)
            batch.completed += 1
        else:
            batch.failed.append(out)

    def _write_files(self, batch: _Batch) -> None:
        if batch.done and batch.output_file_id is None:
            output = _File(_id("file-"), f"{batch.id}_output.jsonl", "batch_output",
                           "".join(line + "\n" for line in batch.done).encode())
            self._files[output.id] = output
            batch.output_file_id = output.id
        if batch.failed and batch.error_file_id is None:
            errors = _File(_id("file-"), f"{batch.id}_error.jsonl", "batch_output",
                           "".join(line + "\n" for line in batch.failed).encode())
            self._files[errors.id] = errors
            batch.error_file_id = errors.id


def _read_input(data: bytes, endpoint: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The input file's lines, and OpenAI-style validation errors (``line`` is 1-based)."""
    lines: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()

    def fail(number: int, code: str, message: str, param: str | None = None) -> None:
        errors.append({"code": code, "message": message, "param": param, "line": number})

    text = data.decode("utf-8", "replace")
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            fail(number, "invalid_json_line", "Blank lines are not allowed.")
            continue
        try:
            line = json.loads(raw)
        except ValueError:
            fail(number, "invalid_json_line", "This line is not parseable as valid JSON.")
            continue
        if not isinstance(line, dict) or not isinstance(line.get("custom_id"), str):
            fail(number, "missing_required_parameter", "Missing 'custom_id'.", "custom_id")
            continue
        if line["custom_id"] in seen:
            fail(number, "duplicate_custom_id",
                 "The custom_id for this request is a duplicate of another request.", "custom_id")
            continue
        if line.get("method") != "POST" or line.get("url") != endpoint:
            fail(number, "invalid_url", f"The URL must be {endpoint} and the method POST.", "url")
            continue
        if not isinstance(line.get("body"), dict):
            fail(number, "missing_required_parameter", "Missing 'body'.", "body")
            continue
        seen.add(line["custom_id"])
        lines.append(line)
    if not lines and not errors:
        fail(1, "empty_file", "The input file has no requests.")
    return lines, errors
