"""Batch jobs: many chat calls sent as one provider batch (OpenAI's Batch API: half price, 24 h).

The flow, written for resuming: `submit_or_resume` builds the JSONL input (one line per call:
``{"custom_id", "method": "POST", "url": "/v1/chat/completions", "body"}``, the body exactly
what the live call sends), uploads it, creates the batch and writes the batch id, the input
file id and every custom id's meaning to a state file *before* the first poll; when the state
file already names a batch that has not been consumed, it polls that batch instead, uploading
nothing. `wait` polls with growing intervals until the batch ends (``completed``, ``expired``,
``cancelled`` or ``failed``), `download` reads the output and error files into one
`LineResult` per custom id. Lines that failed, or never ran because the batch expired, have no
reply: the caller makes them live (see `roleplay.evals.batch`).

Nothing here knows about judges: the caller decides what a line is and how its reply is used.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from roleplay.errors import ConfigError, ModelAPIError
from roleplay.transcript import atomic_write

__all__ = [
    "BATCH_ENDPOINT",
    "TERMINAL",
    "BatchClient",
    "BatchLine",
    "BatchState",
    "BatchStatus",
    "LineResult",
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
_STATE_VERSION = 1


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


class BatchState(BaseModel):
    """What a run folder keeps about its batch, written before the first poll."""

    model_config = ConfigDict(extra="forbid")

    state_version: int = _STATE_VERSION
    """Format version."""
    batch_id: str
    """The batch to poll when the run resumes."""
    input_file_id: str
    """The uploaded input file."""
    endpoint: str
    """The base URL the batch lives on; a run against another endpoint starts a new batch."""
    lines: dict[str, dict[str, Any]]
    """custom_id -> the line's meaning (e.g. case and sample)."""
    status: str = "validating"
    """The last status seen."""
    consumed: bool = False
    """True once every result was used; a later run starts a new batch."""


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


def submit_or_resume(client: BatchClient, lines: Sequence[BatchLine], state_path: Path,
                     endpoint: str) -> tuple[BatchState, bool]:
    """The batch to wait for: the unconsumed one in ``state_path``, else a new one of ``lines``.

    Returns the state and whether it was resumed. The state is saved before this returns, so a
    run killed from here on resumes the same batch.
    """
    state = load_state(state_path)
    if state is not None and not state.consumed and state.endpoint == endpoint:
        log.info("resuming batch %s (%d lines)", state.batch_id, len(state.lines))
        return state, True
    ids = [line.custom_id for line in lines]
    if len(set(ids)) != len(ids):
        raise ValueError("batch custom_ids must be unique")
    data = "".join(line.jsonl() + "\n" for line in lines).encode("utf-8")
    file_id = client.upload("roleplay-batch.jsonl", data)
    status = client.create(file_id, BATCH_ENDPOINT, {"created_by": "roleplay"})
    state = BatchState(batch_id=status.id, input_file_id=file_id, endpoint=endpoint,
                       lines={line.custom_id: line.meta for line in lines}, status=status.status)
    save_state(state_path, state)
    log.info("created batch %s with %d lines", status.id, len(lines))
    return state, False


def wait(client: BatchClient, state: BatchState, state_path: Path, *,
         on_poll: Callable[[BatchStatus], None] | None = None,
         sleep: Callable[[float], None] = time.sleep, first_interval: float = 1.0,
         max_interval: float = 60.0) -> BatchStatus:
    """Poll until the batch ends; the interval grows by half each time up to ``max_interval``."""
    interval = first_interval
    while True:
        status = client.retrieve(state.batch_id)
        if on_poll is not None:
            on_poll(status)
        if status.status != state.status:
            state.status = status.status
            save_state(state_path, state)
        if status.status in TERMINAL:
            return status
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


def download(client: BatchClient, status: BatchStatus,
             custom_ids: Sequence[str]) -> dict[str, LineResult]:
    """Every line's result; a line in neither file is reported as never run."""
    results: dict[str, LineResult] = {}
    for file_id, source in ((status.output_file_id, "output"), (status.error_file_id, "error")):
        if file_id:
            for result in _parse(client.content(file_id), source):
                results.setdefault(result.custom_id, result)
    reason: Literal["cancelled", "failed", "missing"] = (
        "cancelled" if status.status == "cancelled" else
        "failed" if status.status == "failed" else "missing")
    for custom_id in custom_ids:
        if custom_id not in results:
            results[custom_id] = LineResult(custom_id, None, None,
                                            error=f"{reason}: the batch returned no result")
    return results
