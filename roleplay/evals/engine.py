"""The one run engine: evaluate many transcripts with one adaptive limit, a budget and batches.

`aevaluate_many` (and its sync twin `evaluate_many`) runs under both ``roleplay eval``
(`roleplay.evals.runner`) and bulk ``roleplay evaluate``: each item is evaluated with the
caller's evaluator, every judge call holds a slot of one `roleplay.llm._limiter.AdaptiveLimiter`
(halved on a 429 or a timeout), and each result is handed to ``on_result`` as it finishes, so
the caller keeps it (`roleplay.evals.store`) before the next one ends. The judge cache is the
evaluator's: an unchanged transcript costs no call, whichever command judged it first.

One rule decides whether an error stops the run (`is_fatal`): bad configuration or an empty
quota would fail every item alike, so it stops the run (finished results stay kept); anything
else (an endpoint error, a transcript the evaluator rejects, a file that cannot be read) is that
item's failure, and the run goes on.

The caller's evaluator is never changed: the run's limiter and batch routing wrap a copy.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from roleplay.errors import ConfigError, QuotaExceededError, RoleplayError, TranscriptError
from roleplay.evals._protocols import EvaluatorLike
from roleplay.evals.batch import (
    BatchCapable,
    BatchModel,
    BatchReport,
    BatchRouter,
    finish,
    run_batch,
)
from roleplay.evals.options import SUITE_ONLY, RunOptions
from roleplay.evals.progress import ProgressBar
from roleplay.evals.records import CaseEstimate
from roleplay.llm import AdaptiveLimiter, attach
from roleplay.llm.base import AsyncChatModel, Usage
from roleplay.llm.wrapper import AnyChatModel, unwrap
from roleplay.tokens import estimate_cost
from roleplay.transcript import Transcript

__all__ = ["Item", "ItemResult", "ManyResult", "aevaluate_many", "evaluate_many", "is_fatal"]

log = logging.getLogger(__name__)


def is_fatal(exc: RoleplayError) -> bool:
    """Whether ``exc`` stops a whole run rather than failing one item.

    A `ConfigError` (no key, bad settings) or a `QuotaExceededError` would fail every item
    alike; a `TranscriptError` (itself a `ConfigError`: one bad transcript) fails only its item.
    """
    if isinstance(exc, TranscriptError):
        return False
    return isinstance(exc, (ConfigError, QuotaExceededError))


@dataclass(frozen=True)
class Item:
    """One transcript to evaluate."""

    key: str
    """Its name in the run (a case id, a result file's stem); unique within a run."""
    transcript: Transcript | Callable[[], Transcript]
    """The transcript, or how to read it (an error reading it fails this item only)."""
    estimate: CaseEstimate | None = None
    """What judging it is expected to cost; needed by every item under ``max_cost``."""

    def load(self) -> Transcript:
        """The transcript (read now when given as a function)."""
        return self.transcript if isinstance(self.transcript, Transcript) else self.transcript()


@dataclass(frozen=True)
class ItemResult:
    """What became of one item: its evaluation, or the error that failed it."""

    key: str
    """The item's key."""
    evaluation: Any = None
    """The evaluator's result (a `roleplay.evaluate.Evaluation` for the shipped evaluator)."""
    error: str | None = None
    """``"<ErrorType>: <message>"`` when the item failed."""


@dataclass
class ManyResult:
    """What a run of `aevaluate_many` did."""

    results: dict[str, ItemResult]
    """Evaluated and failed items, by key, in the order of the items given."""
    not_run: list[str]
    """Items not started because the budget would have been exceeded, in item order."""
    usage: Usage
    """Judge usage of this run (calls that failed after being billed included)."""
    cost_usd: float | None
    """Judge cost of this run; ``None`` when a price was unknown."""
    judge_calls: int
    """Model calls made."""
    cache_hits: int
    """Judge replies served from the cache."""
    limiter: AdaptiveLimiter
    """The run's concurrency limit, where it ended."""
    batch: BatchReport | None = None
    """What batch mode did, when it was on."""
    failed: dict[str, str] = field(init=False)
    """The failed items' errors, by key."""

    def __post_init__(self) -> None:
        self.failed = {k: r.error for k, r in self.results.items() if r.error is not None}

    def concurrency(self) -> str:
        """One line on the adaptive limit: where it ended, its peak, how often it halved."""
        lim = self.limiter
        return (f"{lim.describe()} (peak {lim.peak}, halved {lim.decreases} time(s), "
                f"{lim.overloads} 429/timeout(s))")


def _innermost(model: Any) -> Any:
    """The model under the run's wrappers (batch mode needs its wire format)."""
    return unwrap(model)


def _with_judge(evaluator: EvaluatorLike, judge: Any) -> EvaluatorLike:
    # A shallow copy shares the rubric, the cache and the signal memo, which is what a run
    # wants; only the judge model is the run's own.
    run = copy.copy(evaluator)
    run.judge_model = judge  # type: ignore[attr-defined]
    return run


def _check(items: Sequence[Item], options: RunOptions) -> None:
    defaults = RunOptions()
    set_here = [name for name in SUITE_ONLY if getattr(options, name) != getattr(defaults, name)]
    if set_here:
        raise ConfigError(f"{', '.join(set_here)}: options of suite runs; evaluate_many is "
                          "given a ready evaluator, so set them on it")
    keys = [item.key for item in items]
    if len(set(keys)) != len(keys):
        twice = sorted({k for k in keys if keys.count(k) > 1})
        raise ConfigError(f"item keys must be unique; repeated: {', '.join(twice)}")
    if options.max_cost is not None and any(item.estimate is None for item in items):
        raise ConfigError("max_cost needs a cost estimate for every item (Item.estimate)")


async def aevaluate_many(
    items: Sequence[Item],
    evaluator: EvaluatorLike,
    options: RunOptions | None = None,
    *,
    on_result: Callable[[ItemResult], None] | None = None,
    batch_dir: Path | None = None,
    label: str = "evaluate",
    finished_earlier: int = 0,
) -> ManyResult:
    """Evaluate every item with ``evaluator``, pacing, budgeting and batching its judge calls.

    Args:
        items: The transcripts, each with a unique key.
        evaluator: Evaluates one transcript (`roleplay.evaluate.Evaluator`); a judge model with
            ``acomplete`` is driven on the event loop, a sync-only one in worker threads. It is
            not changed: the run's limiter and batch routing wrap a copy.
        options: The run options (`RunOptions`); the suite-only ones must stay unset.
        on_result: Called as each item finishes or fails, before the next result is counted.
        batch_dir: Where batch mode keeps its state (required with ``options.batch``).
        label: The progress bar's label.
        finished_earlier: Items done by an earlier run, counted in the progress bar's total.

    Raises:
        ConfigError: bad options, or a fatal error (`is_fatal`) from an item; every result
            handed to ``on_result`` before it stays kept.
        QuotaExceededError: the account is out of quota.
    """
    options = (options or RunOptions()).checked()
    _check(items, options)
    limiter = options.make_limiter()
    judge: AnyChatModel | None = getattr(evaluator, "judge_model", None)
    judged = judge is not None and not getattr(evaluator, "signals_only", False)
    run_judge = judge
    if judge is not None and judged and getattr(judge, "limiter", None) is not limiter:
        run_judge = attach(judge, limiter)
    router: BatchRouter | None = None
    if options.batch is not None and judged and items:
        if batch_dir is None:
            raise ConfigError("batch mode needs a folder for its state (batch_dir)")
        live = _innermost(judge)
        if not isinstance(live, BatchCapable):
            raise ConfigError("--batch needs the OpenAI-compatible judge model (a Files and "
                              f"Batch API); {type(live).__name__} has none")
        router = BatchRouter(live)
        assert run_judge is not None  # judged
        run_judge = BatchModel(run_judge, router)
    run_ev = evaluator if run_judge is judge else _with_judge(evaluator, run_judge)
    report: BatchReport | None = None
    if router is not None and batch_dir is not None and options.batch is not None:
        readable = []
        for item in items:
            try:
                readable.append((item.key, item.load()))
            except RoleplayError:
                pass  # the live pass records the error for this item
        report = await run_batch(router, readable, run_ev.aevaluate, batch_dir,
                                 dataclasses.replace(options.batch, progress=(
                                     options.batch.progress or options.progress)), label)
    threads = judged and not isinstance(judge, AsyncChatModel)
    pool = ThreadPoolExecutor(max_workers=max(1, limiter.maximum),
                              thread_name_prefix=label.replace(" ", "-")) if threads else None
    run = _Run(items, run_ev, options, limiter, on_result, pool,
               ProgressBar(label, len(items) + finished_earlier, done=finished_earlier,
                           enabled=options.progress))
    try:
        await run.all()
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    if router is not None and batch_dir is not None and report is not None:
        finish(batch_dir)
        report.live_calls = router.live_calls
    order = {item.key: n for n, item in enumerate(items)}
    return ManyResult(
        results=dict(sorted(run.results.items(), key=lambda kv: order[kv[0]])),
        not_run=sorted(run.not_run, key=order.__getitem__), usage=run.usage, cost_usd=run.cost,
        judge_calls=run.calls, cache_hits=run.hits, limiter=limiter, batch=report)


class _Run:
    """The bookkeeping of one `aevaluate_many` call: queue, budget, totals and progress."""

    def __init__(self, items: Sequence[Item], evaluator: EvaluatorLike, options: RunOptions,
                 limiter: AdaptiveLimiter, on_result: Callable[[ItemResult], None] | None,
                 pool: ThreadPoolExecutor | None, bar: ProgressBar) -> None:
        self.queue = list(items)
        self.evaluator = evaluator
        self.options = options
        self.limiter = limiter
        self.on_result = on_result
        self.pool = pool
        self.bar = bar
        self.model_name: str | None = getattr(evaluator, "model_name", None)
        self.prices = getattr(evaluator, "prices", None)
        self.results: dict[str, ItemResult] = {}
        self.not_run: list[str] = []
        self.usage = Usage()
        self.cost: float | None = 0.0
        self.calls = self.hits = 0
        self.spent = self.reserved = 0.0
        self.stopped = False

    def status(self) -> str:
        return (f"cost ${self.spent:.4f}, failed {len(self.results) - self._ok()}, "
                f"{self.limiter.describe()}")

    def _ok(self) -> int:
        return sum(r.error is None for r in self.results.values())

    async def all(self) -> None:
        self.bar.set_status(self.status())
        self.limiter.on_change = lambda _limit: self.bar.set_status(self.status())
        with self.bar.context():
            # Items wait for a slot of the limiter, so there are as many workers as it allows.
            tasks = [asyncio.ensure_future(self.worker())
                     for _ in range(min(self.limiter.maximum, len(self.queue)))]
            try:
                await asyncio.gather(*tasks)
            except BaseException:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise

    async def worker(self) -> None:
        budget = self.options.max_cost
        while self.queue:
            item = self.queue.pop(0)
            cost = (item.estimate.cost_usd or 0.0) if item.estimate else 0.0
            if self.stopped:
                self.not_run.append(item.key)
                continue
            if (budget is not None and item.estimate is not None and item.estimate.calls
                    and self.spent + self.reserved + cost > budget):
                # Stop at the first item that does not fit, so the order of work stays stable.
                log.warning("budget $%.4f reached before %s", budget, item.key)
                self.stopped = True
                self.not_run.append(item.key)
                continue
            self.reserved += cost
            await self.one(item, cost)

    async def evaluate(self, item: Item) -> Any:
        transcript = item.load()
        if self.pool is None:
            return await self.evaluator.aevaluate(transcript)
        evaluate = self.evaluator.evaluate  # type: ignore[attr-defined]
        return await asyncio.get_running_loop().run_in_executor(self.pool, evaluate, transcript)

    async def one(self, item: Item, estimate: float) -> None:
        try:
            # A lazily built judge model is made on its first call: a cached run needs no key.
            evaluation = await self.evaluate(item)
        except RoleplayError as exc:
            if is_fatal(exc):
                raise
            log.warning("%s failed: %s", item.key, exc)
            self.reserved -= estimate
            if isinstance(paid := exc.paid_usage, Usage):
                # Calls that answered before the failure were billed: the budget counts them.
                self._add(paid, paid.calls, 0, estimate_cost(paid, self.model_name, self.prices)
                          if self.model_name else None, estimate, True)
            self._done(ItemResult(item.key, error=f"{type(exc).__name__}: {exc}"))
            return
        self.reserved -= estimate
        self._add(evaluation.usage, evaluation.judge_calls, evaluation.cache_hits,
                  evaluation.cost_usd, estimate, evaluation.judge_calls > 0)
        self._done(ItemResult(item.key, evaluation=evaluation))

    def _add(self, usage: Usage, calls: int, hits: int, cost: float | None, estimate: float,
             paid: bool) -> None:
        self.usage = self.usage + usage
        self.calls += calls
        self.hits += hits
        if cost is None and paid:
            self.cost = None
        elif self.cost is not None and cost is not None:
            self.cost += cost
        self.spent += cost if cost is not None else estimate

    def _done(self, result: ItemResult) -> None:
        self.results[result.key] = result
        if self.on_result is not None:
            self.on_result(result)
        self.bar.advance(self.status())


def evaluate_many(
    items: Sequence[Item],
    evaluator: EvaluatorLike,
    options: RunOptions | None = None,
    *,
    on_result: Callable[[ItemResult], None] | None = None,
    batch_dir: Path | None = None,
    label: str = "evaluate",
    finished_earlier: int = 0,
) -> ManyResult:
    """Synchronous `aevaluate_many` (same arguments), for scripts and the command line.

    Raises:
        RuntimeError: called from inside a running event loop; ``await aevaluate_many(...)``.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise RuntimeError("evaluate_many() cannot run inside an event loop; "
                           "await aevaluate_many() instead")
    return asyncio.run(aevaluate_many(items, evaluator, options, on_result=on_result,
                                      batch_dir=batch_dir, label=label,
                                      finished_earlier=finished_earlier))
