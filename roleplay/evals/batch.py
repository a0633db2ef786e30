"""Batch mode for judge runs: the first judge call of every sample goes through a provider batch.

Used by ``roleplay eval --batch`` (`roleplay.evals.runner`) and ``roleplay evaluate --batch``.
Nothing about judging is written twice: the evaluator runs its normal pipeline three times over.

1. **Collect.** Each pending transcript is evaluated with a `BatchRouter` in collect mode: the
   evaluator builds its requests as it always does (cache hits and transcripts that need no
   judge make none), and the router records each request instead of sending it. Each becomes a
   batch line whose body is exactly what the live call would send (`batch_body`).
2. **Batch.** `roleplay.llm.batch` uploads the lines, creates the batch, saves its id, input
   file id and custom_id -> (transcript, call) map in the run folder before polling, polls with
   a progress bar and downloads the output and error files. A killed run resumes the saved
   batch without uploading again.
3. **Replay.** Each transcript is evaluated again with the router in replay mode: a request
   whose body (delimiter nonce masked, so a fresh nonce still matches) has a batch reply gets
   that reply, through the same parsing, quote verification, judge cache and per-case records
   as a live reply. Everything else is a **live call**, through the shared adaptive limiter:
   lines that failed or never ran (an expired or cancelled batch), and re-asks after an
   invalid reply, which only exist once the first reply has been read.

One run at a time handles a run folder's batch (`roleplay.evals._lock`): a second run on the same
folder waits for the first to finish its batch phase, then uses that batch's results.

Verdicts therefore equal a live run's on the same replies. Usage and cost are those of the
replies, at list price (the provider bills batch lines at its batch discount).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from roleplay.errors import ConfigError, RoleplayError
from roleplay.evals._lock import BatchLock
from roleplay.evals.progress import ProgressBar
from roleplay.evaluate.judge import NONCE_PLACEHOLDER, transcript_tag
from roleplay.llm.base import AsyncChatModel, ChatModel, ChatRequest, ChatResponse, DeltaCallback
from roleplay.llm.batch import (
    MAX_BYTES,
    MAX_LINES,
    BatchClient,
    BatchLine,
    BatchState,
    BatchStatus,
    LineResult,
    download,
    load_state,
    save_state,
    submit_or_resume,
    wait,
)
from roleplay.llm.wrapper import WrapperModel

__all__ = ["STATE_FILE", "BatchCapable", "BatchModel", "BatchOptions", "BatchReport",
           "BatchRouter", "finish", "identity", "run_batch"]

log = logging.getLogger(__name__)

STATE_FILE = "batch.json"
"""The batch state file in a run folder."""
# The per-call delimiter: 16 hex digits after the tag prefix (secrets.token_hex(8)).
_NONCE = re.compile(re.escape(transcript_tag("")) + r"([0-9a-f]{16})(?![0-9a-f])")


@runtime_checkable
class BatchCapable(Protocol):
    """A model that can send its calls as batch lines (the OpenAI adapters)."""

    @property
    def endpoint(self) -> str:
        """The endpoint identity."""
        ...

    def batch_body(self, request: ChatRequest) -> dict[str, Any]:
        """The body a live call of ``request`` sends."""
        ...

    def batch_response(self, body: Any, request: ChatRequest,
                       request_id: str | None = None) -> ChatResponse:
        """The checked response for a line's reply, as a live call returns it."""
        ...

    def batch_client(self) -> BatchClient:
        """The endpoint's Files and Batch API."""
        ...


@dataclass
class BatchOptions:
    """How batch mode waits and shows progress.

    Attributes:
        first_poll: Seconds before the second poll; each wait is half as long again.
        max_poll: The longest wait between polls.
        sleep: How to wait (tests pass a no-op).
        progress: Show a progress bar of the batch's lines.
        on_poll: Called with every status polled (after it is saved).
        max_lines: Lines per batch; a bigger job is split into several batches.
        max_bytes: Input bytes per batch, likewise.
    """

    first_poll: float = 1.0
    max_poll: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    progress: bool = False
    on_poll: Callable[[BatchStatus], None] | None = None
    max_lines: int = MAX_LINES
    max_bytes: int = MAX_BYTES


@dataclass
class BatchReport:
    """What the batch did, for the closing summary."""

    batch_id: str | None = None
    resumed: bool = False
    status: str = ""
    lines: int = 0
    answered: int = 0
    """Lines with a usable reply."""
    failed: int = 0
    """Lines that failed (non-2xx) and were retried live."""
    never_ran: int = 0
    """Lines the batch did not run (expired, cancelled) and were retried live."""
    live_calls: int = 0
    """Judge calls made live: failed and unrun lines, re-asks, calls the batch did not cover."""

    def summary(self) -> str:
        """One line for the terminal."""
        if self.batch_id is None:
            return "batch: nothing to send (every judge reply was cached or not needed)"
        noun = "batches" if "," in self.batch_id else "batch"
        how = "resumed" if self.resumed else "created"
        text = (f"{noun} {self.batch_id} ({how}, {self.status}): {self.answered} of "
                f"{self.lines} lines answered")
        if self.failed or self.never_ran:
            text += f"; {self.failed} failed and {self.never_ran} never ran, retried live"
        return text + f"; {self.live_calls} live judge call(s) in all"


class _Collected(Exception):
    """Stops an evaluation in collect mode once its requests are recorded."""


def identity(body: dict[str, Any]) -> str:
    """A digest of a request body with its delimiter nonce masked (fresh nonces still match)."""
    text = json.dumps(body, sort_keys=True, ensure_ascii=False)
    found = _NONCE.search(text)
    if found is not None:
        text = text.replace(found.group(1), NONCE_PLACEHOLDER)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class BatchRouter:
    """Decides, per judge call, between recording it, a batch reply and a live call."""

    def __init__(self, model: BatchCapable) -> None:
        self.model = model
        self._recording: list[ChatRequest] | None = None
        self._replies: dict[str, deque[LineResult]] = {}
        self._lock = threading.Lock()
        self.live_calls = 0

    def record(self) -> list[ChatRequest]:
        """Enter collect mode; the list fills with the requests of the next evaluation."""
        self._recording = []
        return self._recording

    def stop_recording(self) -> None:
        """Leave collect mode."""
        self._recording = None

    def load(self, results: Sequence[tuple[str, LineResult]]) -> None:
        """Enter replay mode with (identity, result) pairs, in call order."""
        with self._lock:
            self._replies = {}
            for digest, result in results:
                self._replies.setdefault(digest, deque()).append(result)

    def intercept(self, request: ChatRequest) -> ChatResponse | None:
        """A batch reply for ``request``, or None for a live call (collect mode: stop here)."""
        if self._recording is not None:
            self._recording.append(request)
            raise _Collected
        digest = identity(self.model.batch_body(request))
        with self._lock:
            queue = self._replies.get(digest)
            result = queue.popleft() if queue else None
            if result is None or not result.ok:
                self.live_calls += 1
        if result is None or not result.ok:
            return None
        return self.model.batch_response(result.body, request, result.request_id)


class BatchModel(WrapperModel):
    """A judge model that asks a `BatchRouter` first and calls the wrapped (live) model otherwise.

    Args:
        live: The model that makes the live calls.
        router: Gives the batch replies.
    """

    def __init__(self, live: ChatModel | AsyncChatModel, router: BatchRouter) -> None:
        super().__init__(live)
        self.router = router

    def complete(self, request: ChatRequest, *,
                 on_delta: DeltaCallback | None = None) -> ChatResponse:
        """The batch reply, else a live call."""
        reply = self.router.intercept(request)
        if reply is not None:
            return reply
        return super().complete(request, on_delta=on_delta)

    async def acomplete(self, request: ChatRequest, *,
                        on_delta: DeltaCallback | None = None) -> ChatResponse:
        """The batch reply, else a live call."""
        reply = self.router.intercept(request)
        if reply is not None:
            return reply
        return await super().acomplete(request, on_delta=on_delta)


def _custom_id(number: int, key: str, call: int) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", key)[:40]
    return f"{number:06d}-{safe}-{call}"


@dataclass
class _Plan:
    lines: list[BatchLine] = field(default_factory=list)


async def _collect(router: BatchRouter, items: Sequence[tuple[str, Any]],
                   evaluate: Callable[[Any], Awaitable[Any]]) -> _Plan:
    plan = _Plan()
    try:
        for key, transcript in items:
            recorded = router.record()
            try:
                await evaluate(transcript)
            except _Collected:
                pass
            except RoleplayError as exc:
                # The live pass meets the same error and records it for this transcript.
                log.debug("no batch line for %s: %s", key, exc)
            for call, request in enumerate(recorded):
                body = router.model.batch_body(request)
                # Numbered, so that sorting the ids restores the order of the calls.
                custom_id = _custom_id(len(plan.lines), key, call)
                plan.lines.append(BatchLine(custom_id, body, {"item": key, "call": call,
                                                              "identity": identity(body)}))
    finally:
        router.stop_recording()
    return plan


def _progress_status(status: BatchStatus) -> str:
    return f"{status.status}, failed {status.failed}"


async def run_batch(router: BatchRouter, items: Sequence[tuple[str, Any]],
                    evaluate: Callable[[Any], Awaitable[Any]], run_dir: Path,
                    options: BatchOptions, label: str) -> BatchReport:
    """Collect, submit (or resume), wait for and load the batch of ``items`` into ``router``.

    ``items`` are (key, transcript) pairs still to evaluate; ``evaluate`` is the evaluator's
    ``aevaluate`` (its judge calls must reach ``router.intercept``). The state file
    `STATE_FILE` in ``run_dir`` makes a killed run resume the same batch. The run folder's
    `BatchLock` is held throughout, so a concurrent run on the same folder waits, then resumes
    (reads) the batch this one made instead of submitting its own.

    Raises:
        ConfigError: the batch failed validation (its errors are named).
        ModelAPIError: the endpoint failed after the retry budget.
    """
    lock = BatchLock(run_dir)
    await asyncio.to_thread(lock.acquire)
    try:
        return await _run_batch(router, items, evaluate, run_dir, options, label)
    finally:
        lock.release()


async def _run_batch(router: BatchRouter, items: Sequence[tuple[str, Any]],
                     evaluate: Callable[[Any], Awaitable[Any]], run_dir: Path,
                     options: BatchOptions, label: str) -> BatchReport:
    state_path = run_dir / STATE_FILE
    report = BatchReport()
    previous = load_state(state_path)
    resuming = (previous is not None and not previous.consumed
                and previous.endpoint == router.model.endpoint)
    plan = _Plan() if resuming else await _collect(router, items, evaluate)
    if not resuming and not plan.lines:
        router.load([])
        return report
    client = router.model.batch_client()
    try:
        state, report.resumed = await asyncio.to_thread(
            submit_or_resume, client, plan.lines, state_path, router.model.endpoint,
            max_lines=options.max_lines, max_bytes=options.max_bytes)
        report.batch_id = ", ".join(state.batch_ids)
        report.lines = len(state.lines)
        bar = ProgressBar(f"{label} batch", len(state.lines), status="submitted",
                          enabled=options.progress)

        def polled(status: BatchStatus) -> None:
            bar.update(status.completed + status.failed, _progress_status(status))
            if options.on_poll is not None:
                options.on_poll(status)

        with bar.context():
            finals = await asyncio.to_thread(
                wait, client, state, state_path, on_poll=polled, sleep=options.sleep,
                first_interval=options.first_poll, max_interval=options.max_poll)
        report.status = ", ".join(sorted({s.status for s in finals})) or "never created"
        invalid = [s for s in finals if s.status == "failed"]
        if invalid:
            state.consumed = True
            save_state(state_path, state)
            raise ConfigError(f"the batch {invalid[0].id} failed validation: "
                              f"{'; '.join(invalid[0].errors) or 'no reason given'}",
                              path=str(state_path))
        results = await asyncio.to_thread(download, client, finals, sorted(state.lines))
    finally:
        close = getattr(client, "close", None)
        if callable(close):
            close()
    order = sorted(state.lines)  # custom ids start with their number: call order
    pairs = [(str(state.lines[cid].get("identity", "")), results[cid]) for cid in order]
    report.answered = sum(r.ok for _, r in pairs)
    report.never_ran = sum(r.status_code is None and not r.ok for _, r in pairs)
    report.failed = report.lines - report.answered - report.never_ran
    router.load(pairs)
    log.info("%s", report.summary())
    return report


def finish(run_dir: Path) -> None:
    """Mark the run folder's batch consumed: the next run starts a new batch if it needs one."""
    state_path = run_dir / STATE_FILE
    with BatchLock(run_dir):
        state: BatchState | None = load_state(state_path)
        if state is not None and not state.consumed:
            state.consumed = True
            save_state(state_path, state)
