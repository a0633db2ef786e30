"""Run a suite: judge every case with adaptive concurrency, save as you go, resume, budget.

Each finished case is written atomically to a run folder keyed by the suite, the mode and the
evaluator's fingerprint (`roleplay.evals.store`: ``<cache dir>/runs/<suite>-<mode>-<fp[:12]>/``),
so a crash or Ctrl-C loses nothing and the next run with the same fingerprint skips the finished
cases. With the judge cache on top, an unchanged re-run makes no model call at all, and a changed
threshold (post-processing) re-evaluates every case from cached judge replies.

The cases are judged by the one run engine, `roleplay.evals.engine.aevaluate_many` (shared with
bulk ``roleplay evaluate``): every judge call of a run holds a slot of one adaptive limiter, and
with ``batch=`` the first judge call of every sample goes through the provider's Batch API first.
Every option is a field of `roleplay.evals.options.RunOptions`, given as an object or as keywords.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from roleplay.cache import default_cache_dir
from roleplay.errors import ConfigError
from roleplay.evals._models import LazyModel, ModelResolver, default_model_resolver
from roleplay.evals._protocols import (
    EvaluationLike,
    EvaluatorFactory,
    EvaluatorLike,
    JudgeCache,
)
from roleplay.evals._rubric import RubricInfo, rubric_info
from roleplay.evals.agreement import measure_agreement
from roleplay.evals.engine import Item, ItemResult, ManyResult, aevaluate_many
from roleplay.evals.options import RunOptions
from roleplay.evals.records import (
    CaseEstimate,
    CaseRecord,
    RunEstimate,
    RunSuiteNote,
    SuiteResult,
)
from roleplay.evals.stats import JudgeVerdict
from roleplay.evals.store import RunFolder, RunStore
from roleplay.evals.suite import EvalCase, EvalSuite, Mode
from roleplay.llm._limiter import AdaptiveLimiter
from roleplay.llm.base import ModelSettings, Usage
from roleplay.rubric import Rubric, load_rubric
from roleplay.tokens import PriceTable, count_messages, estimate_cost
from roleplay.transcript import now_utc

__all__ = [
    "DEFAULT_COMPLETION_TOKENS",
    "CaseEstimate",
    "CaseRecord",
    "ModelResolver",
    "RunEstimate",
    "RunOptions",
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
    run: RunFolder
    done: dict[str, CaseRecord]
    pending: list[EvalCase]

    @property
    def model_name(self) -> str | None:
        return self.model.model_name if self.model else None

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


def _options(options: RunOptions | None, changes: dict[str, Any]) -> RunOptions:
    return (options or RunOptions()).updated(**changes)


def _prepare(suite: EvalSuite, options: RunOptions,
             limiter: AdaptiveLimiter | None = None) -> _Prepared:
    o = options
    signals_only, settings, samples, model = o.signals_only, o.settings, o.samples, o.model
    prices, cache = o.prices, o.cache
    mode: Mode = "signals_only" if signals_only else "judge"
    rubric = o.rubric if o.rubric is not None else _load_rubric(suite)
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
        lazy = LazyModel(name, o.resolve_model or default_model_resolver(), limiter)
    factory = o.evaluator_factory or _default_factory()
    kwargs: dict[str, Any] = {"settings": effective if lazy else None, "samples": k,
                              "cache": cache if lazy else None, "signals_only": signals_only}
    if prices is not None:
        kwargs["prices"] = prices
    evaluator: EvaluatorLike = factory(rubric, lazy, **kwargs)
    store = RunStore(o.runs_dir if o.runs_dir is not None else default_cache_dir() / "runs")
    run = store.folder(suite.id, mode, evaluator.fingerprint, k)
    done: dict[str, CaseRecord] = {}
    pending: list[EvalCase] = []
    # The fingerprint does not cover the signals and policy code, so a signals-only record may
    # be stale; signals cost nothing, so such a run always evaluates every case again.
    resume = o.resume and not signals_only
    for case in suite.cases:
        record = run.load(case.id, case.transcript_digest, evaluator.fingerprint) \
            if resume else None
        if record is not None:
            done[case.id] = record
        else:
            pending.append(case)
    return _Prepared(suite=suite, mode=mode, info=info, evaluator=evaluator, model=lazy,
                     samples=k, settings=effective, cache=cache if lazy else None, prices=prices,
                     run=run, done=done, pending=pending)


def estimate_suite(suite: EvalSuite, options: RunOptions | None = None,
                   **changes: Any) -> RunEstimate:
    """What `arun_suite` with the same arguments would spend; calls no model.

    ``options`` (or the same fields as keywords) as for `arun_suite`. Finished cases in the run
    folder and judge replies already in the cache cost nothing.
    Prompt tokens are counted from each judge request; completion tokens are the mean
    measured so far in this run folder, else ``min(max_tokens, DEFAULT_COMPLETION_TOKENS)``.

    Raises:
        ConfigError: no judge model, or an invalid rubric.
    """
    prep = _prepare(suite, _options(options, changes))
    return RunEstimate(
        suite_id=suite.id, mode=prep.mode, judge_model=prep.model_name, samples=prep.samples,
        fingerprint=prep.evaluator.fingerprint, run_dir=prep.run.path,
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


async def arun_suite(suite: EvalSuite, options: RunOptions | None = None,
                     **changes: Any) -> SuiteResult:
    """Evaluate every case of ``suite`` and measure agreement with its labels.

    Args:
        suite: The loaded suite.
        options: How to judge, where to keep the run and how to pace it (`RunOptions`).
        **changes: `RunOptions` fields given as keywords (over ``options``), e.g.
            ``arun_suite(suite, signals_only=True)``.

    Raises:
        ConfigError: bad configuration (an unknown option, no judge model, no API key, unknown
            price with ``max_cost``); finished cases stay saved.
        QuotaExceededError: the account is out of quota; finished cases stay saved.
    """
    opts = _options(options, changes).checked()
    limiter = opts.make_limiter()
    prep = _prepare(suite, opts, limiter)
    # Estimating builds every judge request and counts its tokens before the first call; only a
    # budgeted run needs that up front (an unbudgeted one would just delay its first request).
    estimates = {c.id: prep.estimate(c) for c in prep.pending} if opts.max_cost is not None \
        else {}
    if any(e.cost_usd is None for e in estimates.values()):
        raise ConfigError(f"--max-cost needs a price for model {prep.model_name!r}, and none is "
                          "known; pass a price table or drop --max-cost")
    log.info("suite %s: %d cases, %d finished earlier, run folder %s", suite.id,
             len(suite.cases), len(prep.done), prep.run.path)
    records: dict[str, CaseRecord] = dict(prep.done)
    by_id = {c.id: c for c in prep.pending}
    note = RunSuiteNote(suite_id=suite.id, suite_dir=str(suite.root.resolve()), mode=prep.mode,
                        samples=prep.samples)

    def keep(result: ItemResult) -> None:
        record: CaseRecord | None = None
        if result.evaluation is not None:
            record = _record(by_id[result.key], prep, result.evaluation)
            # `roleplay serve --runs` finds the labels and transcripts through the note.
            prep.run.save(record, note)
            records[record.case_id] = record
        if opts.on_case:
            opts.on_case(result.key, record)

    items = [Item(c.id, c.transcript, estimates.get(c.id)) for c in prep.pending]
    try:
        many = await aevaluate_many(items, prep.evaluator, opts.pacing(limiter), on_result=keep,
                                    batch_dir=prep.run.path, label=f"eval {suite.id}",
                                    finished_earlier=len(prep.done))
    finally:
        if prep.model is not None:
            await prep.model.aclose()
    result = _result(prep, records, many)
    return result.model_copy(update={
        "batch": many.batch.summary() if many.batch is not None else None,
        "concurrency": None if prep.model is None else many.concurrency(),
    })


def _record(case: EvalCase, prep: _Prepared, evaluation: EvaluationLike) -> CaseRecord:
    return CaseRecord(
        case_id=case.id, transcript_digest=case.transcript_digest,
        fingerprint=prep.evaluator.fingerprint, finished_at=now_utc(),
        verdicts=_verdicts(evaluation), usage=evaluation.usage, cost_usd=evaluation.cost_usd,
        judge_calls=evaluation.judge_calls, cache_hits=evaluation.cache_hits,
        evaluation=_dump(evaluation),
    )


def _result(prep: _Prepared, records: dict[str, CaseRecord], many: ManyResult) -> SuiteResult:
    info = prep.info
    not_run: Sequence[str] = many.not_run
    measured = measure_agreement(prep.suite.cases, records,
                                 {k: info.thresholds[k] for k in info.criteria}, not_run=not_run)
    return SuiteResult(
        suite_id=prep.suite.id, mode=prep.mode, fingerprint=prep.evaluator.fingerprint,
        rubric_id=info.id, rubric_version=info.version, judge_model=prep.model_name,
        samples=prep.samples, run_dir=prep.run.path, criteria=list(info.criteria),
        thresholds=dict(info.thresholds), records=records, labels=measured.labels,
        resumed=sorted(prep.done), failed=many.failed, not_run=list(not_run), usage=many.usage,
        cost_usd=many.cost_usd, judge_calls=many.judge_calls, cache_hits=many.cache_hits,
        stats=measured.stats, overall=measured.overall, case_agreement=measured.case_agreement,
    )


def run_suite(suite: EvalSuite, options: RunOptions | None = None,
              **changes: Any) -> SuiteResult:
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
    return asyncio.run(arun_suite(suite, options, **changes))
