"""Batch jobs: many chat calls sent as one provider batch (OpenAI's Batch API: half price, 24 h).

The flow, written for resuming: `submit_or_resume` builds the JSONL input (one line per call:
``{"custom_id", "method": "POST", "url": "/v1/chat/completions", "body"}``, the body exactly
what the live call sends), splits it into parts within OpenAI's limits (50,000 lines and
200 MB per batch), uploads each part, creates its batch and writes the batch ids, input file
ids and every custom id's meaning to a state file *before* the first poll (after each part, so
a kill between parts loses nothing: lines of parts never created count as never run). When the
state file already names batches that have not been consumed, it polls those instead,
uploading nothing. `wait` polls with growing intervals until every part has ended
(``completed``, ``expired``, ``cancelled`` or ``failed``), `download` reads the output and error
files into one `LineResult` per custom id. Lines that failed, or never ran because a batch
expired, have no reply: the caller makes them live (see `roleplay.evals.batch`).

Nothing here knows about judges: the caller decides what a line is and how its reply is used.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from roleplay.errors import ConfigError, ModelAPIError
from roleplay.transcript import atomic_write

__all__ = [
    "BATCH_ENDPOINT",
    "MAX_BYTES",
    "MAX_LINES",
    "TERMINAL",
    "BatchClient",
    "BatchLine",
    "BatchPart",
    "BatchState",
    "BatchStatus",
    "LineResult",
    "combined",
    "download",
    "load_state",
    "save_state",
    "submit_or_resume",
    "wait",
]

log = logging.getLogger(__name__)

BATCH_ENDPOINT = "/v1/chat/completions"
"""The endpoint every line is sent to."""
TERMINAL = frozenset({"completed", "expired", "cancelled", "failed"})
"""Batch statuses that do not change any more."""
_STATE_VERSION = 2
MAX_LINES = 50_000
"""OpenAI's limit on requests per batch."""
MAX_BYTES = 190_000_000
"""Input bytes per batch: under OpenAI's 200 MB file limit, with room to spare."""


class BatchStatus(BaseModel):
    """A batch as the endpoint reports it."""

    model_config = ConfigDict(frozen=True)

    id: str
    """The batch id."""
    status: str
    """``validating``, ``in_progress``, ``finalizing``, ``completed``, ``expired``, ... ."""
    total: int = 0
    """Lines in the batch (0 while validating)."""
    completed: int = 0
    """Lines answered successfully so far."""
    failed: int = 0
    """Lines that failed so far."""
    output_file_id: str | None = None
    """The file of successful lines, once the batch has ended."""
    error_file_id: str | None = None
    """The file of failed (and expired) lines, once the batch has ended."""
    errors: tuple[str, ...] = ()
    """Why the batch failed validation (``failed``)."""


class BatchClient(Protocol):
    """The Files and Batch API of one endpoint (`roleplay.llm.openai` builds OpenAI's)."""

    def upload(self, filename: str, data: bytes) -> str:
        """Upload a batch input file; returns its file id."""
        ...

    def create(self, input_file_id: str, endpoint: str,
               metadata: dict[str, str] | None = None) -> BatchStatus:
        """Create a batch over an uploaded file."""
        ...

    def retrieve(self, batch_id: str) -> BatchStatus:
        """The batch's current status and counts."""
        ...

    def content(self, file_id: str) -> str:
        """The text of an output or error file."""
        ...


@dataclass(frozen=True)
class BatchLine:
    """One call of the batch."""

    custom_id: str
    """Unique within the batch (at most 64 characters)."""
    body: dict[str, Any]
    """The chat-completions request body."""
    meta: dict[str, Any]
    """What the line means to the caller (kept in the state file)."""

    def jsonl(self) -> str:
        """The input-file line."""
        return json.dumps({"custom_id": self.custom_id, "method": "POST", "url": BATCH_ENDPOINT,
                           "body": self.body}, ensure_ascii=False, sort_keys=True)


class BatchPart(BaseModel):
    """One batch of a job (a job is split when it exceeds one batch's limits)."""

    model_config = ConfigDict(extra="forbid")

    batch_id: str
    """The batch to poll when the run resumes."""
    input_file_id: str
    """The uploaded input file."""
    custom_ids: list[str]
    """The lines in this batch."""
    status: str = "validating"
    """The last status seen."""


class BatchState(BaseModel):
    """What a run folder keeps about its batch job, written before the first poll."""

    model_config = ConfigDict(extra="forbid")

    state_version: int = _STATE_VERSION
    """Format version."""
    endpoint: str
    """The base URL the batches live on; a run against another endpoint starts a new job."""
    lines: dict[str, dict[str, Any]]
    """custom_id -> the line's meaning (e.g. transcript and call), every line of the job."""
    parts: list[BatchPart] = []
    """The batches created so far, in order."""
    consumed: bool = False
    """True once every result was used; a later run starts a new job."""

    @property
    def batch_ids(self) -> list[str]:
        """The ids of the job's batches."""
        return [part.batch_id for part in self.parts]


@dataclass(frozen=True)
class LineResult:
    """What became of one line."""

    custom_id: str
    status_code: int | None
    """The line's HTTP status (None when it never ran)."""
    body: Mapping[str, Any] | None
    """The chat completion (status 2xx) or the error body."""
    request_id: str | None = None
    error: str | None = None
    """Why there is no reply (failed, expired, missing), else None."""

    @property
    def ok(self) -> bool:
        """A reply to use."""
        return self.error is None and self.body is not None


def load_state(path: Path) -> BatchState | None:
    """The state file at ``path``, or None when there is none (an unreadable one is named).

    Raises:
        ConfigError: the file exists but is not a batch state.
    """
    if not path.is_file():
        return None
    try:
        return BatchState.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError) as exc:
        raise ConfigError(f"the batch state file is unreadable ({exc}); delete it to start a new "
                          "batch (the old one may still run and bill)", path=str(path)) from exc


def save_state(path: Path, state: BatchState) -> None:
    """Write ``state`` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, state.model_dump_json(indent=2))


def _split(lines: Sequence[BatchLine], max_lines: int,
           max_bytes: int) -> list[tuple[list[str], bytes]]:
    parts: list[tuple[list[str], bytes]] = []
    ids: list[str] = []
    chunk: list[bytes] = []
    size = 0
    for line in lines:
        data = (line.jsonl() + "\n").encode("utf-8")
        if chunk and (len(ids) >= max_lines or size + len(data) > max_bytes):
            parts.append((ids, b"".join(chunk)))
            ids, chunk, size = [], [], 0
        ids.append(line.custom_id)
        chunk.append(data)
        size += len(data)
    if chunk:
        parts.append((ids, b"".join(chunk)))
    return parts


def submit_or_resume(client: BatchClient, lines: Sequence[BatchLine], state_path: Path,
                     endpoint: str, *, max_lines: int = MAX_LINES,
                     max_bytes: int = MAX_BYTES) -> tuple[BatchState, bool]:
    """The job to wait for: the unconsumed one in ``state_path``, else a new one of ``lines``.

    Returns the state and whether it was resumed. The state is saved before the first part is
    uploaded and again after each part is created, so a run killed from then on resumes the
    same batches.
    """
    state = load_state(state_path)
    if state is not None and not state.consumed and state.endpoint == endpoint:
        log.info("resuming batch(es) %s (%d lines)", ", ".join(state.batch_ids),
                 len(state.lines))
        return state, True
    ids = [line.custom_id for line in lines]
    if len(set(ids)) != len(ids):
        raise ValueError("batch custom_ids must be unique")
    state = BatchState(endpoint=endpoint, lines={line.custom_id: line.meta for line in lines})
    save_state(state_path, state)
    for custom_ids, data in _split(lines, max_lines, max_bytes):
        file_id = client.upload("roleplay-batch.jsonl", data)
        status = client.create(file_id, BATCH_ENDPOINT, {"created_by": "roleplay"})
        state.parts.append(BatchPart(batch_id=status.id, input_file_id=file_id,
                                     custom_ids=custom_ids, status=status.status))
        save_state(state_path, state)
        log.info("created batch %s with %d lines", status.id, len(custom_ids))
    return state, False


def combined(statuses: Sequence[BatchStatus]) -> BatchStatus:
    """One status for a job of several batches: the least advanced status, summed counts."""
    order = ["validating", "in_progress", "cancelling", "finalizing", "failed", "expired",
             "cancelled", "completed"]
    status = min((s.status for s in statuses), key=lambda x: order.index(x)
                 if x in order else 0, default="completed")
    return BatchStatus(id=", ".join(s.id for s in statuses), status=status,
                       total=sum(s.total for s in statuses),
                       completed=sum(s.completed for s in statuses),
                       failed=sum(s.failed for s in statuses),
                       errors=tuple(e for s in statuses for e in s.errors))


def wait(client: BatchClient, state: BatchState, state_path: Path, *,
         on_poll: Callable[[BatchStatus], None] | None = None,
         sleep: Callable[[float], None] = time.sleep, first_interval: float = 1.0,
         max_interval: float = 60.0) -> list[BatchStatus]:
    """Poll every part until all have ended; the interval grows by half up to ``max_interval``.

    ``on_poll`` receives the `combined` status after each round.
    """
    interval = first_interval
    latest: dict[str, BatchStatus] = {}
    while True:
        changed = False
        for part in state.parts:
            if part.batch_id in latest and latest[part.batch_id].status in TERMINAL:
                continue
            status = client.retrieve(part.batch_id)
            latest[part.batch_id] = status
            if status.status != part.status:
                part.status = status.status
                changed = True
        if changed:
            save_state(state_path, state)
        statuses = [latest[part.batch_id] for part in state.parts]
        if on_poll is not None:
            on_poll(combined(statuses))
        if all(s.status in TERMINAL for s in statuses):
            return statuses
        sleep(interval)
        interval = min(max_interval, interval * 1.5)


def _parse(text: str, source: str) -> list[LineResult]:
    results = []
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
            custom_id = str(line["custom_id"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelAPIError(f"line {number} of the batch {source} file is not a batch "
                                f"result ({type(exc).__name__})") from exc
        response = line.get("response")
        error = line.get("error")
        if isinstance(response, dict) and response.get("status_code") is not None:
            code = int(response["status_code"])
            body = response.get("body") if isinstance(response.get("body"), dict) else None
            problem = None if 200 <= code < 300 and body is not None else _message(
                f"HTTP {code}", body)
            results.append(LineResult(custom_id, code, body,
                                      request_id=response.get("request_id"), error=problem))
        else:
            err = error if isinstance(error, dict) else {}
            results.append(LineResult(custom_id, None, None, error=(
                f"{err.get('code') or 'error'}: {err.get('message') or 'no result'}")))
    return results


def _message(prefix: str, body: Mapping[str, Any] | None) -> str:
    error = body.get("error") if isinstance(body, Mapping) else None
    message = error.get("message") if isinstance(error, Mapping) else None
    return f"{prefix}: {message}" if message else prefix


def download(client: BatchClient, statuses: Sequence[BatchStatus],
             custom_ids: Sequence[str]) -> dict[str, LineResult]:
    """Every line's result; a line in no file (or in no batch) is reported as never run."""
    results: dict[str, LineResult] = {}
    for status in statuses:
        for file_id, source in ((status.output_file_id, "output"),
                                (status.error_file_id, "error")):
            if file_id:
                for result in _parse(client.content(file_id), source):
                    results.setdefault(result.custom_id, result)
    for custom_id in custom_ids:
        if custom_id not in results:
            results[custom_id] = LineResult(custom_id, None, None,
                                            error="missing: no batch returned a result")
    return results
