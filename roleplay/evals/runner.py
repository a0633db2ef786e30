"""Run a suite: judge every case with adaptive concurrency, save as you go, resume, budget.

Each finished case is written atomically to a run folder keyed by the suite, the mode and the
evaluator's fingerprint (``.roleplay-cache/runs/<suite>-<mode>-<fingerprint[:12]>/``), so a crash
or Ctrl-C loses nothing and the next run with the same fingerprint skips the finished cases.
With the judge cache on top, an unchanged re-run makes no model call at all, and a changed
threshold (post-processing) re-evaluates every case from cached judge replies.

Concurrency: every judge call of a run holds a slot of one `roleplay.llm._limiter.
AdaptiveLimiter` (start 8, at most 32, halved on a 429 or a timeout, paused for a retry hint).
With ``batch=`` the first judge call of every sample goes through the provider's Batch API
first (`roleplay.evals.batch`); its failed and unrun lines and any re-ask are made live.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from roleplay.cache import default_cache_dir
from roleplay.errors import ConfigError, QuotaExceededError, RoleplayError, TranscriptError
from roleplay.evals._models import LazyModel, ModelResolver, default_model_resolver
from roleplay.evals._protocols import (
    EvaluationLike,
    EvaluatorFactory,
    EvaluatorLike,
    JudgeCache,
)
from roleplay.evals._rubric import RubricInfo, rubric_info
from roleplay.evals.agreement import measure_agreement
from roleplay.evals.batch import (
    BatchCapable,
    BatchOptions,
    BatchReport,
    BatchRouter,
    finish,
    run_batch,
)
from roleplay.evals.progress import ProgressBar
from roleplay.evals.records import (
    SUITE_NOTE,
    CaseEstimate,
    CaseRecord,
    RunEstimate,
    RunSuiteNote,
    SuiteResult,
)
from roleplay.evals.stats import JudgeVerdict
from roleplay.evals.suite import EvalCase, EvalSuite, Mode
from roleplay.llm._limiter import (
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_START_CONCURRENCY,
    AdaptiveLimiter,
)
from roleplay.llm.base import (
    ModelSettings,
    Usage,
)
from roleplay.rubric import Rubric, load_rubric
from roleplay.tokens import PriceTable, count_messages, estimate_cost
from roleplay.transcript import atomic_write, now_utc

__all__ = [
    "DEFAULT_COMPLETION_TOKENS",
    "CaseEstimate",
    "CaseRecord",
    "ModelResolver",
    "RunEstimate",
    "SuiteResult",
    "arun_suite",
    "default_model_resolver",
    "estimate_suite",
    "run_suite",
]

log = logging.getLogger(__name__)

DEFAULT_COMPLETION_TOKENS = 800
"""Completion tokens assumed per judge call before any call of this run has been measured."""


def _default_factory() -> EvaluatorFactory:
    from roleplay.evaluate import Evaluator

    return Evaluator


def _load_rubric(suite: EvalSuite) -> Rubric:
    try:
        return load_rubric(suite.rubric_ref())
    except ConfigError as exc:
        raise ConfigError(f"cannot load the rubric: {exc}", path=str(suite.path),
                          field="rubric") from exc


@dataclass
class _Prepared:
    suite: EvalSuite
    mode: Mode
    info: RubricInfo
    evaluator: EvaluatorLike
    model: LazyModel | None
    samples: int
    settings: ModelSettings
    cache: JudgeCache | None
    prices: PriceTable | None
    run_dir: Path
    done: dict[str, CaseRecord]
    pending: list[EvalCase]

    @property
    def model_name(self) -> str | None:
        return self.model.model_name if self.model else None

    def record_path(self, case_id: str) -> Path:
        return self.run_dir / "cases" / f"{case_id}.json"

    def completion_per_call(self) -> int:
        calls = sum(r.usage.calls for r in self.done.values())
        if calls:
            return round(sum(r.usage.completion_tokens for r in self.done.values()) / calls)
        cap = self.settings.max_tokens
        return min(cap, DEFAULT_COMPLETION_TOKENS) if cap else DEFAULT_COMPLETION_TOKENS

    def estimate(self, case: EvalCase) -> CaseEstimate:
        if self.model is None:
            return CaseEstimate(case_id=case.id, calls=0, cached_calls=0, prompt_tokens=0,
                                completion_tokens=0, cost_usd=0.0)
        calls = cached = prompt = 0
        for sample in range(self.samples):
            if self.cache is not None and self.cache.get(
                self.evaluator.cache_key(case.transcript, sample)
            ) is not None:
                cached += 1
                continue
            request = self.evaluator.judge_request(case.transcript, sample)
            calls += 1
            # The evaluator's own count includes the reply schema, which is billed as input.
            counter = getattr(self.evaluator, "prompt_tokens", None)
            prompt += int(counter(request)) if callable(counter) else count_messages(
                request.messages, self.model.model_name)
        completion = calls * self.completion_per_call()
        cost = estimate_cost(Usage(prompt_tokens=prompt, completion_tokens=completion, calls=calls),
                             self.model.model_name, self.prices) if calls else 0.0
        return CaseEstimate(case_id=case.id, calls=calls, cached_calls=cached,
                            prompt_tokens=prompt, completion_tokens=completion, cost_usd=cost)


def _run_folder_name(suite_id: str, mode: Mode, fingerprint: str, samples: int) -> str:
    tag = "signals" if mode == "signals_only" else "judge"
    suffix = f"-k{samples}" if samples > 1 else ""
    return f"{suite_id}-{tag}-{fingerprint[:12]}{suffix}"


def _load_record(path: Path, case: EvalCase, fingerprint: str) -> CaseRecord | None:
    if not path.is_file():
        return None
    try:
        record = CaseRecord.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError) as exc:
        log.warning("ignoring unreadable run record %s: %s", path, exc)
        return None
    if (record.transcript_digest != case.transcript_digest or record.fingerprint != fingerprint
            or record.has_errors):
        return None
    return record


def _prepare(
    suite: EvalSuite,
    *,
    rubric: Rubric | None,
    resolve_model: ModelResolver | None,
    evaluator_factory: EvaluatorFactory | None,
    model: str | None,
    settings: ModelSettings | None,
    samples: int | None,
    signals_only: bool,
    cache: JudgeCache | None,
    runs_dir: Path | None,
    prices: PriceTable | None,
    resume: bool,
    limiter: AdaptiveLimiter | None = None,
) -> _Prepared:
    mode: Mode = "signals_only" if signals_only else "judge"
    rubric = rubric if rubric is not None else _load_rubric(suite)
    info = rubric_info(rubric)
    judge = suite.config.judge
    lazy: LazyModel | None = None
    effective = ModelSettings()
    k = 1
    if not signals_only:
        name = model or (judge.model if judge else None)
        if not name:
            raise ConfigError("the suite names no judge model: set judge.model or pass --model "
                              "(or run --signals-only)", path=str(suite.path), field="judge")
        effective = (judge.settings if judge else ModelSettings()).merge(settings)
        k = samples or (judge.samples if judge else 1)
        if k < 1:
            raise ConfigError(f"samples must be at least 1, not {k}")
        lazy = LazyModel(name, resolve_model or default_model_resolver(), limiter)
    factory = evaluator_factory or _default_factory()
    kwargs: dict[str, Any] = {"settings": effective if lazy else None, "samples": k,
                              "cache": cache if lazy else None, "signals_only": signals_only}
    if prices is not None:
        kwargs["prices"] = prices
    evaluator: EvaluatorLike = factory(rubric, lazy, **kwargs)
    folder = (runs_dir if runs_dir is not None else default_cache_dir() / "runs")
    run_dir = folder / _run_folder_name(suite.id, mode, evaluator.fingerprint, k)
    done: dict[str, CaseRecord] = {}
    pending: list[EvalCase] = []
    # The fingerprint does not cover the signals and policy code, so a signals-only record may
    # be stale; signals cost nothing, so such a run always evaluates every case again.
    resume = resume and not signals_only
    for case in suite.cases:
        record = _load_record(run_dir / "cases" / f"{case.id}.json", case, evaluator.fingerprint) \
            if resume else None
        if record is not None:
            done[case.id] = record
        else:
            pending.append(case)
    return _Prepared(suite=suite, mode=mode, info=info, evaluator=evaluator, model=lazy,
                     samples=k, settings=effective, cache=cache if lazy else None, prices=prices,
                     run_dir=run_dir, done=done, pending=pending)


def estimate_suite(
    suite: EvalSuite,
    *,
    rubric: Rubric | None = None,
    resolve_model: ModelResolver | None = None,
    evaluator_factory: EvaluatorFactory | None = None,
    model: str | None = None,
    settings: ModelSettings | None = None,
    samples: int | None = None,
    signals_only: bool = False,
    cache: JudgeCache | None = None,
    runs_dir: Path | None = None,
    prices: PriceTable | None = None,
    resume: bool = True,
) -> RunEstimate:
    """What `arun_suite` with the same arguments would spend; calls no model.

    Finished cases in the run folder and judge replies already in the cache cost nothing.
    Prompt tokens are counted from each judge request; completion tokens are the mean
    measured so far in this run folder, else ``min(max_tokens, DEFAULT_COMPLETION_TOKENS)``.

    Raises:
        ConfigError: no judge model, or an invalid rubric.
    """
    prep = _prepare(suite, rubric=rubric, resolve_model=resolve_model,
                    evaluator_factory=evaluator_factory, model=model, settings=settings,
                    samples=samples, signals_only=signals_only, cache=cache, runs_dir=runs_dir,
                    prices=prices, resume=resume)
    return RunEstimate(
        suite_id=suite.id, mode=prep.mode, judge_model=prep.model_name, samples=prep.samples,
        fingerprint=prep.evaluator.fingerprint, run_dir=prep.run_dir,
        resumed=sorted(prep.done), cases=[prep.estimate(c) for c in prep.pending],
        completion_tokens_per_call=prep.completion_per_call(),
    )


def _verdicts(evaluation: EvaluationLike) -> dict[str, JudgeVerdict]:
    out: dict[str, JudgeVerdict] = {}
    for result in evaluation.criteria:
        samples = tuple(result.sample_scores or ())
        out[result.id] = JudgeVerdict(
            status=result.status, score=result.score, passed=result.passed,
            sample_scores=samples if len(samples) > 1 else (),
        )
    return out


def _dump(evaluation: Any) -> dict[str, Any] | None:
    dump = getattr(evaluation, "model_dump", None)
    if dump is None:
        return None
    data: dict[str, Any] = dump(mode="json")
    return data


async def arun_suite(
    suite: EvalSuite,
    *,
    rubric: Rubric | None = None,
    resolve_model: ModelResolver | None = None,
    evaluator_factory: EvaluatorFactory | None = None,
    model: str | None = None,
    settings: ModelSettings | None = None,
    samples: int | None = None,
    signals_only: bool = False,
    concurrency: int = DEFAULT_START_CONCURRENCY,
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    adaptive: bool = True,
    max_cost: float | None = None,
    cache: JudgeCache | None = None,
    runs_dir: Path | None = None,
    prices: PriceTable | None = None,
    resume: bool = True,
    progress: bool = False,
    on_case: Callable[[str, CaseRecord | None], None] | None = None,
    batch: BatchOptions | None = None,
    limiter: AdaptiveLimiter | None = None,
) -> SuiteResult:
    """Evaluate every case of ``suite`` and measure agreement with its labels.

    Args:
        suite: The loaded suite.
        rubric: The rubric object; default: the suite's rubric via `roleplay.rubric.load_rubric`.
        resolve_model: Builds the judge model from its name (default: OpenAI-compatible, reading
            ``OPENAI_API_KEY`` / ``OPENAI_BASE_URL``). Called only when a judge call is needed;
            the run closes the model (``aclose()``, when it has one) when it ends.
        evaluator_factory: Builds the evaluator (default `roleplay.evaluate.Evaluator`).
        model: Judge model name overriding ``suite.yaml``.
        settings: Generation settings merged over ``suite.yaml``'s.
        samples: Judge samples per case (default: ``suite.yaml``'s, else 1).
        signals_only: Deterministic signals only; no model is built or called.
        concurrency: Judge calls in flight at the start (default 8: within the lowest hosted
            tiers' rate limits for calls of a few seconds, and as many parallel slots as local
            servers usually have).
        max_concurrency: The most judge calls in flight the adaptive limit grows to (default
            32); it halves on a 429 or a timeout and pauses for the server's retry hint.
        adaptive: False keeps the limit at ``concurrency``.
        max_cost: USD budget for this run; a case whose estimate would exceed it is not started.
        cache: Judge cache handed to the evaluator.
        runs_dir: Parent of run folders (default ``<cache dir>/runs``).
        prices: Price table for cost estimates (default `roleplay.tokens.DEFAULT_PRICES`).
        resume: Reuse cases finished earlier in the same run folder (False judges all again;
            signals-only runs always evaluate every case again).
        progress: Show a progress bar on stderr when it is a terminal.
        on_case: Called as each case finishes, with its record (``None`` when it failed).
        batch: Send the first judge call of every sample through the endpoint's Batch API
            (`roleplay.evals.batch`); the batch id is kept in the run folder, so a killed run
            resumes it. Failed or unrun lines and re-asks are made live.
        limiter: The limiter to use (default: one built from the three settings above).

    Raises:
        ConfigError: bad configuration (no judge model, no API key, unknown price with
            ``max_cost``); finished cases stay saved.
        QuotaExceededError: the account is out of quota; finished cases stay saved.
    """
    if concurrency < 1:
        raise ConfigError(f"concurrency must be at least 1, not {concurrency}")
    if batch is not None and (signals_only or max_cost is not None):
        raise ConfigError("--batch sends judge calls: it cannot be combined with "
                          "--signals-only or --max-cost (a batch is submitted whole)")
    limiter = limiter or AdaptiveLimiter(concurrency, max_concurrency, adaptive=adaptive)
    prep = _prepare(suite, rubric=rubric, resolve_model=resolve_model,
                    evaluator_factory=evaluator_factory, model=model, settings=settings,
                    samples=samples, signals_only=signals_only, cache=cache, runs_dir=runs_dir,
                    prices=prices, resume=resume, limiter=limiter)
    # Estimating builds every judge request and counts its tokens before the first call; only a
    # budgeted run needs that up front (an unbudgeted one would just delay its first request).
    estimates = {c.id: prep.estimate(c) for c in prep.pending} if max_cost is not None else {}
    if any(e.cost_usd is None for e in estimates.values()):
        raise ConfigError(f"--max-cost needs a price for model {prep.model_name!r}, and none is "
                          "known; pass a price table or drop --max-cost")
    log.info("suite %s: %d cases, %d finished earlier, run folder %s", suite.id,
             len(suite.cases), len(prep.done), prep.run_dir)

    records: dict[str, CaseRecord] = dict(prep.done)
    failed: dict[str, str] = {}
    not_run: list[str] = []
    usage = Usage()
    cost: float | None = 0.0
    calls = hits = 0
    spent = reserved = 0.0
    stopped = False
    queue = list(prep.pending)
    batched: tuple[BatchRouter, BatchReport] | None = None
    if batch is not None and prep.model is not None and prep.pending:
        batched = await _batch_phase(prep, prep.model, batch, progress)

    def status() -> str:
        return f"{_spent(spent)}, {limiter.describe()}"

    bar = ProgressBar(f"eval {suite.id}", len(suite.cases), done=len(prep.done),
                      status=f"{_spent(0.0)}, {limiter.describe()}", enabled=progress)
    limiter.on_change = lambda _limit: bar.set_status(status())

    def estimate_of(case: EvalCase) -> CaseEstimate:
        return estimates.get(case.id) or CaseEstimate(
            case_id=case.id, calls=0, cached_calls=0, prompt_tokens=0, completion_tokens=0,
            cost_usd=0.0)

    async def judge(case: EvalCase) -> None:
        nonlocal usage, cost, calls, hits, spent, reserved
        estimate = estimate_of(case)
        try:
            # The judge model is built on its first call, so a fully cached run needs no key.
            evaluation: EvaluationLike = await prep.evaluator.aevaluate(case.transcript)
        except RoleplayError as exc:
            # Bad configuration, a missing key or an empty quota would fail every case alike;
            # anything else (an endpoint error, a transcript the evaluator rejects) is this
            # case's problem, and the run goes on.
            if _fatal(exc):
                raise
            log.warning("case %s failed: %s", case.id, exc)
            failed[case.id] = f"{type(exc).__name__}: {exc}"
            reserved -= estimate.cost_usd or 0.0
            if isinstance(paid := exc.paid_usage, Usage):
                # Calls that answered before the failure were billed: the budget counts them.
                usage = usage + paid
                calls += paid.calls
                paid_cost = estimate_cost(paid, prep.model_name, prep.prices) \
                    if prep.model_name else None
                if paid_cost is None:
                    cost = None
                elif cost is not None:
                    cost += paid_cost
                spent += paid_cost if paid_cost is not None else (estimate.cost_usd or 0.0)
            bar.advance(status())
            if on_case:
                on_case(case.id, None)
            return
        case_cost = evaluation.cost_usd
        record = CaseRecord(
            case_id=case.id, transcript_digest=case.transcript_digest,
            fingerprint=prep.evaluator.fingerprint, finished_at=now_utc(),
            verdicts=_verdicts(evaluation), usage=evaluation.usage, cost_usd=case_cost,
            judge_calls=evaluation.judge_calls, cache_hits=evaluation.cache_hits,
            evaluation=_dump(evaluation),
        )
        atomic_write(prep.record_path(case.id), record.model_dump_json(indent=2))
        note = prep.run_dir / SUITE_NOTE
        if not note.exists():
            # `roleplay serve --runs` finds the labels and transcripts through this note.
            atomic_write(note, RunSuiteNote(suite_id=prep.suite.id,
                                            suite_dir=str(prep.suite.root.resolve()))
                         .model_dump_json(indent=2))
        records[case.id] = record
        usage = usage + evaluation.usage
        calls += evaluation.judge_calls
        hits += evaluation.cache_hits
        if case_cost is None and evaluation.judge_calls:
            cost = None
        elif cost is not None and case_cost is not None:
            cost += case_cost
        reserved -= estimate.cost_usd or 0.0
        spent += case_cost if case_cost is not None else (estimate.cost_usd or 0.0)
        bar.advance(status())
        if on_case:
            on_case(case.id, record)

    async def worker() -> None:
        nonlocal stopped, reserved
        while queue:
            case = queue.pop(0)
            estimate = estimate_of(case)
            if stopped:
                not_run.append(case.id)
                continue
            if (max_cost is not None and estimate.calls
                    and spent + reserved + (estimate.cost_usd or 0.0) > max_cost):
                # Stop at the first case that does not fit, so the order of work stays stable.
                log.warning("budget $%.4f reached before case %s", max_cost, case.id)
                stopped = True
                not_run.append(case.id)
                continue
            reserved += estimate.cost_usd or 0.0
            await judge(case)

    with bar.context():
        # Cases wait for a slot of the limiter, so there are as many workers as it may allow.
        tasks = [asyncio.ensure_future(worker())
                 for _ in range(min(limiter.maximum, len(queue)))]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        finally:
            if prep.model is not None:
                await prep.model.aclose()

    order = [c.id for c in suite.cases]
    not_run.sort(key=order.index)
    batch_summary: str | None = None
    if batched is not None:
        finish(prep.run_dir)
        router, report = batched
        report.live_calls = router.live_calls
        batch_summary = report.summary()
    result = _result(prep, records, failed=failed, not_run=not_run, usage=usage, cost=cost,
                     calls=calls, hits=hits)
    return result.model_copy(update={
        "batch": batch_summary,
        "concurrency": None if prep.model is None else (
            f"{limiter.describe()} (peak {limiter.peak}, halved {limiter.decreases} time(s), "
            f"{limiter.overloads} 429/timeout(s))"),
    })


async def _batch_phase(prep: _Prepared, lazy: LazyModel, options: BatchOptions,
                       progress: bool) -> tuple[BatchRouter, BatchReport]:
    live = lazy.unwrapped()
    if not isinstance(live, BatchCapable):
        raise ConfigError("--batch needs the OpenAI-compatible judge model (a Files and Batch "
                          f"API); {type(live).__name__} has none")
    router = BatchRouter(live)
    lazy.intercept = router.intercept
    report = await run_batch(router, [(c.id, c.transcript) for c in prep.pending],
                             prep.evaluator.aevaluate, prep.run_dir,
                             dataclasses.replace(options, progress=options.progress or progress),
                             f"eval {prep.suite.id}")
    return router, report


def _spent(cost: float) -> str:
    return f"cost ${cost:.4f}"


def _fatal(exc: RoleplayError) -> bool:
    if isinstance(exc, TranscriptError):
        return False
    return isinstance(exc, (ConfigError, QuotaExceededError))


def _result(prep: _Prepared, records: dict[str, CaseRecord], *, failed: dict[str, str],
            not_run: Sequence[str], usage: Usage, cost: float | None, calls: int,
            hits: int) -> SuiteResult:
    info = prep.info
    measured = measure_agreement(prep.suite.cases, records,
                                 {k: info.thresholds[k] for k in info.criteria}, not_run=not_run)
    return SuiteResult(
        suite_id=prep.suite.id, mode=prep.mode, fingerprint=prep.evaluator.fingerprint,
        rubric_id=info.id, rubric_version=info.version, judge_model=prep.model_name,
        samples=prep.samples, run_dir=prep.run_dir, criteria=list(info.criteria),
        thresholds=dict(info.thresholds), records=records, labels=measured.labels,
        resumed=sorted(prep.done), failed=failed, not_run=list(not_run), usage=usage,
        cost_usd=cost, judge_calls=calls, cache_hits=hits, stats=measured.stats,
        overall=measured.overall, case_agreement=measured.case_agreement,
    )


def run_suite(
    suite: EvalSuite,
    *,
    rubric: Rubric | None = None,
    resolve_model: ModelResolver | None = None,
    evaluator_factory: EvaluatorFactory | None = None,
    model: str | None = None,
    settings: ModelSettings | None = None,
    samples: int | None = None,
    signals_only: bool = False,
    concurrency: int = DEFAULT_START_CONCURRENCY,
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    adaptive: bool = True,
    max_cost: float | None = None,
    cache: JudgeCache | None = None,
    runs_dir: Path | None = None,
    prices: PriceTable | None = None,
    resume: bool = True,
    progress: bool = False,
    on_case: Callable[[str, CaseRecord | None], None] | None = None,
    batch: BatchOptions | None = None,
    limiter: AdaptiveLimiter | None = None,
) -> SuiteResult:
    """Synchronous `arun_suite` (same arguments), for scripts and the command line.

    Raises:
        RuntimeError: called from inside a running event loop; ``await arun_suite(...)`` there.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise RuntimeError("run_suite() cannot run inside an event loop; "
                           "await arun_suite() instead")
    return asyncio.run(arun_suite(
        suite, rubric=rubric, resolve_model=resolve_model, evaluator_factory=evaluator_factory,
        model=model, settings=settings, samples=samples, signals_only=signals_only,
        concurrency=concurrency, max_concurrency=max_concurrency, adaptive=adaptive,
        max_cost=max_cost, cache=cache, runs_dir=runs_dir, prices=prices, resume=resume,
        progress=progress, on_case=on_case, batch=batch, limiter=limiter,
    ))
