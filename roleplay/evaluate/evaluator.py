"""The `Evaluator`: signals + one evidence-checked judge call -> `Evaluation`.

Every decision is pure code shared by `Evaluator.evaluate` and `Evaluator.aevaluate`; only the
loop that calls the model is written twice. The pipeline per transcript:

1. Reject unusable input (no turns, no candidate turn); compute the signals.
2. Degenerate input (no substantive candidate content): 1 everywhere, no model call.
   Signals-only mode: provisional verdicts, no model call.
3. Build one judge request per sample (per-call random delimiter), refuse a prompt over
   ``max_prompt_tokens``, serve a sample from the cache when its key is there, else one
   structured call with at most one re-ask.
4. Per criterion: verify every quote, check N/A against the rubric's rule, apply the declared
   caps, demote a score >= 2 without a verified quote to ``insufficient_evidence``.
5. Combine samples (median score, agreement), add review flags, pass/fail and coaching, then the
   weighted overall score, usage and cost.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
import statistics
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ValidationError

from roleplay._version import __version__
from roleplay.errors import (
    BudgetExceededError,
    ConfigError,
    ModelOutputError,
    RoleplayError,
    StructuredOutputError,
    TranscriptError,
)
from roleplay.evaluate.coaching import coaching_for
from roleplay.evaluate.judge import (
    JUDGE_TEMPLATE,
    NONCE_PLACEHOLDER,
    VerdictBase,
    build_judge_request,
    parse_parts,
    parts_of,
    reply_model,
    verify_quote,
)
from roleplay.evaluate.policy import apply_caps, apply_checklist, na_allowed, review_flags
from roleplay.evaluate.provisional import provisional_result
from roleplay.evaluate.results import CheckAnswer, CriterionResult, Evaluation, Mode
from roleplay.evaluate.signals import Signals, compute_signals
from roleplay.llm.base import (
    AsyncChatModel,
    ChatModel,
    ChatRequest,
    ChatResponse,
    DeltaCallback,
    ModelSettings,
    Usage,
)
from roleplay.llm.structured import StructuredResult, acomplete_structured, complete_structured
from roleplay.llm.wrapper import WrapperModel
from roleplay.rubric import Criterion, Rubric, fingerprint, load_rubric
from roleplay.tokens import PriceTable, count_messages, count_text, estimate_cost
from roleplay.transcript import Transcript

__all__ = ["DEFAULT_MAX_PROMPT_TOKENS", "Evaluator", "JudgeCache"]

log = logging.getLogger(__name__)

DEFAULT_MAX_PROMPT_TOKENS = 100_000
"""Refuse judge prompts longer than this (tokens, counted offline)."""
_CACHE_FORMAT = 1


@runtime_checkable
class JudgeCache(Protocol):
    """Where validated judge replies are kept, by cache key (e.g. ``roleplay.cache``'s SQLite)."""

    def get(self, key: str) -> str | None:
        """The stored value for ``key``, or None."""
        ...

    def put(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``."""
        ...


class _CountingModel(WrapperModel):
    """Wraps the judge model to count every call (re-asks and failed calls included)."""

    def __init__(self, model: ChatModel | AsyncChatModel) -> None:
        super().__init__(model)
        self.calls = 0
        self.usage = Usage()

    @contextmanager
    def paid_on_error(self) -> Iterator[None]:
        """Attach what was billed so far to an error that ends the evaluation."""
        try:
            yield
        except RoleplayError as exc:
            if self.usage.calls or self.usage.total_tokens:
                exc.paid_usage = self.usage
            raise

    def _count(self, response: ChatResponse) -> ChatResponse:
        self.usage = self.usage + response.usage
        return response

    def complete(self, request: ChatRequest, *,
                 on_delta: DeltaCallback | None = None) -> ChatResponse:
        self.calls += 1
        return self._count(super().complete(request, on_delta=on_delta))

    async def acomplete(self, request: ChatRequest, *,
                        on_delta: DeltaCallback | None = None) -> ChatResponse:
        self.calls += 1
        return self._count(await super().acomplete(request, on_delta=on_delta))


@dataclass
class _Sample:
    """One judge sample: per-criterion parts (or an error message per criterion)."""

    parts: dict[str, VerdictBase | str]
    raw: str | None
    cache_hit: bool = False
    written_by: str | None = None
    """The roleplay version that stored a cached reply (None for a fresh one)."""


@dataclass
class _Plan:
    signals: Signals
    early: Evaluation | None = None
    requests: list[tuple[ChatRequest, str]] = field(default_factory=list)


class Evaluator:
    """Evaluates transcripts against a rubric with signals and an evidence-checked judge.

    Args:
        rubric: The rubric (default: the shipped ``interview-close``).
        judge_model: The judge; a `ChatModel` for `evaluate`, an `AsyncChatModel` for
            `aevaluate` (the shipped fakes and OpenAI adapters are both). Not needed with
            ``signals_only``.
        settings: Judge generation settings, merged over the default (temperature 0 for one
            sample, 0.7 for several; at most 4096 reply tokens).
        samples: Judge samples per transcript (k calls; per-criterion median and agreement).
        cache: Optional store of validated judge replies.
        signals_only: Provisional verdicts from signals alone; no model, no key.
        prices: Price table for the cost estimate (default: `roleplay.tokens.DEFAULT_PRICES`).
        max_prompt_tokens: Refuse judge prompts longer than this.
        cache_across_versions: Reuse cached judge replies written by other versions of
            roleplay. Off by default: the library version is part of every cache key and of
            the fingerprint, so an upgrade re-judges. Turn it on to keep paying nothing for a
            large store after an upgrade you trust; the request itself (prompt, model, endpoint,
            settings) must still match byte for byte, and every evaluation lists the versions
            that wrote its cached replies (`Evaluation.cache_versions`).
    """

    def __init__(
        self,
        rubric: Rubric | None = None,
        judge_model: ChatModel | AsyncChatModel | None = None,
        *,
        settings: ModelSettings | None = None,
        samples: int = 1,
        cache: JudgeCache | None = None,
        signals_only: bool = False,
        prices: PriceTable | None = None,
        max_prompt_tokens: int = DEFAULT_MAX_PROMPT_TOKENS,
        cache_across_versions: bool = False,
    ) -> None:
        if samples < 1:
            raise ConfigError(f"samples must be at least 1, got {samples}", field="samples")
        if max_prompt_tokens < 1:
            raise ConfigError("max_prompt_tokens must be positive", field="max_prompt_tokens")
        self.rubric = rubric if rubric is not None else load_rubric()
        self.judge_model = judge_model
        self.samples = samples
        self.cache = cache
        self.signals_only = signals_only
        self.prices = prices
        self.max_prompt_tokens = max_prompt_tokens
        self.cache_across_versions = cache_across_versions
        self._signal_memo: dict[int, tuple[Transcript, Signals]] = {}
        # A bounded reply: a runaway model must not fill the context window, which would make
        # the re-ask itself overflow. Eight criteria with evidence fit well inside 4096.
        base = ModelSettings(temperature=0.0 if samples == 1 else 0.7, max_tokens=4096)
        self.settings = base.merge(settings)

    @property
    def model_name(self) -> str | None:
        """The judge model's name (None without a judge)."""
        if self.judge_model is None or self.signals_only:
            return None
        return self.judge_model.model_name

    @property
    def endpoint(self) -> str | None:
        """The judge endpoint's identity, e.g. its base URL (None without a judge)."""
        if self.judge_model is None or self.signals_only:
            return None
        return self.judge_model.endpoint

    @property
    def _version_scope(self) -> str:
        # Signals and post-processing are library code, so signals-only results always carry
        # the version; only judge replies may be shared across versions, and only on request.
        if self.cache_across_versions and not self.signals_only:
            return "any"
        return __version__

    @property
    def fingerprint(self) -> str:
        """sha256 of rubric, judge template, model, endpoint, settings, mode and roleplay version.

        The version is left out only for judge runs with ``cache_across_versions``.
        """
        extra: dict[str, object] = {"mode": "signals_only" if self.signals_only else "judge",
                                    "samples": 1 if self.signals_only else self.samples,
                                    "roleplay": self._version_scope}
        if not self.signals_only:
            extra["endpoint"] = self.endpoint or ""
        return fingerprint(
            self.rubric,
            judge_template=JUDGE_TEMPLATE,
            model=self.model_name,
            settings=None if self.signals_only else self.settings,
            extra=extra,
        )

    # --- pure request building -------------------------------------------------------------

    def _signals(self, transcript: Transcript) -> Signals:
        # The runner asks for the cache key, the request and then the evaluation of the same
        # transcript; signals are pure, so compute them once. Keyed by identity, holding the
        # transcript so its id cannot be reused while the entry lives.
        hit = self._signal_memo.get(id(transcript))
        if hit is not None and hit[0] is transcript:
            return hit[1]
        signals = compute_signals(transcript)
        if len(self._signal_memo) >= 64:
            self._signal_memo.pop(next(iter(self._signal_memo)))
        self._signal_memo[id(transcript)] = (transcript, signals)
        return signals

    def _settings_for(self, sample: int) -> ModelSettings:
        # A fixed seed would make every sample identical; offset it per sample.
        if self.settings.seed is not None and sample:
            return self.settings.model_copy(update={"seed": self.settings.seed + sample})
        return self.settings

    def _build(self, transcript: Transcript, signals: Signals, sample: int,
               nonce: str | None = None) -> tuple[ChatRequest, str]:
        nonce = nonce or secrets.token_hex(8)
        request = build_judge_request(transcript, self.rubric, signals.facts(), nonce=nonce,
                                      settings=self._settings_for(sample))
        return request, self._key(request, nonce, sample)

    def _key(self, request: ChatRequest, nonce: str, sample: int) -> str:
        body = request.model_dump_json(by_alias=True).replace(nonce, NONCE_PLACEHOLDER)
        payload = json.dumps({
            "request": body,
            "model": self.model_name or "",
            # Two servers may both call their model "local"; their verdicts must not mix.
            "endpoint": self.endpoint or "",
            "settings": self._settings_for(sample).model_dump(mode="json", exclude_none=True),
            "sample": sample,
            "roleplay": self._version_scope,
        }, sort_keys=True)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def judge_request(self, transcript: Transcript, sample: int = 0) -> ChatRequest:
        """The exact judge request for ``transcript`` (no call; for dry runs and estimates)."""
        return self._build(transcript, self._signals(transcript), sample)[0]

    def cache_key(self, transcript: Transcript, sample: int = 0) -> str:
        """The judge cache key for ``transcript`` and sample index ``sample``.

        A sha256 of the request (delimiter nonce masked), model, endpoint, settings, sample index
        and the roleplay version (unless ``cache_across_versions``); independent of post-processing
        rubric fields (thresholds, weights, caps).
        """
        return self._build(transcript, self._signals(transcript), sample)[1]

    def prompt_tokens(self, request: ChatRequest) -> int:
        """Offline estimate of the request's prompt tokens (messages plus reply schema)."""
        model = self.model_name or "gpt-4o"
        tokens = count_messages(request.messages, model)
        if request.response_format is not None and request.response_format.json_schema:
            tokens += count_text(json.dumps(request.response_format.json_schema), model)
        return tokens

    # --- the shared pipeline ---------------------------------------------------------------

    def _plan(self, transcript: Transcript) -> _Plan:
        if not transcript.turns:
            raise TranscriptError(f"transcript {transcript.id!r} has no turns; nothing to evaluate")
        if not transcript.candidate_turns():
            raise TranscriptError(f"transcript {transcript.id!r} has no candidate turn; nothing "
                                  "to evaluate")
        signals = self._signals(transcript)
        if not signals.substantive:
            return _Plan(signals, early=self._degenerate(transcript, signals))
        if self.signals_only:
            return _Plan(signals, early=self._signals_only(transcript, signals))
        if self.judge_model is None:
            raise ConfigError("no judge model: pass judge_model=..., or signals_only=True for "
                              "provisional verdicts without a model", field="judge_model")
        requests = [self._build(transcript, signals, i) for i in range(self.samples)]
        tokens = self.prompt_tokens(requests[0][0])
        if tokens > self.max_prompt_tokens:
            raise BudgetExceededError(
                f"the judge prompt for transcript {transcript.id!r} is {tokens:,} tokens, over the "
                f"limit of {self.max_prompt_tokens:,} (max_prompt_tokens); shorten the transcript "
                "or raise the limit")
        return _Plan(signals, requests=requests)

    def _cached(self, key: str) -> _Sample | None:
        if self.cache is None:
            return None
        value = self.cache.get(key)
        if value is None:
            return None
        try:
            data = json.loads(value)
            if data.get("format") != _CACHE_FORMAT:
                return None
            reply = reply_model(self.rubric).model_validate(data["reply"])
        except (ValueError, KeyError, TypeError, AttributeError, ValidationError):
            log.warning("ignoring an unreadable judge cache entry %s", key[:12])
            return None
        log.debug("judge cache hit %s", key[:12])
        written_by = data.get("roleplay")
        return _Sample(dict(parts_of(self.rubric, reply)), raw=None, cache_hit=True,
                       written_by=written_by if isinstance(written_by, str) else "unknown")

    def _succeeded(self, result: StructuredResult[BaseModel], key: str) -> _Sample:
        if self.cache is not None:
            self.cache.put(key, json.dumps({
                "format": _CACHE_FORMAT,
                "reply": result.output.model_dump(mode="json", by_alias=True),
                "roleplay": __version__,
            }))
        return _Sample(dict(parts_of(self.rubric, result.output)), raw=result.raw)

    def _failed(self, exc: ModelOutputError) -> _Sample:
        if isinstance(exc, StructuredOutputError):
            parts = parse_parts(self.rubric, exc.raw or "")
            if parts:
                # The reply parsed: only the unusable criteria become judge errors.
                return _Sample(parts, raw=exc.raw)
            message = f"the judge's reply was still invalid after {exc.attempts} attempt(s): " + (
                exc.errors[-1] if exc.errors else "no reply")
        else:
            message = f"{type(exc).__name__}: {exc}"
        log.warning("judge failed: %s", message)
        return _Sample({c.id: message for c in self.rubric.criteria}, raw=exc.raw)

    def _interpret(self, criterion: Criterion, part: VerdictBase | str, raw: str | None,
                   transcript: Transcript, signals: Signals) -> CriterionResult:
        if isinstance(part, str):
            return CriterionResult(id=criterion.id, title=criterion.title, status="judge_error",
                                   reason=f"The judge's reply was unusable: {part}", raw=raw)
        data: dict[str, Any] = part.model_dump(by_alias=True)
        evidence = tuple(verify_quote(transcript, e["turn"], e["quote"]) for e in data["evidence"])
        checklist = tuple(
            CheckAnswer(id=item.id, question=item.question, answer=bool(data["checklist"][item.id]))
            for item in criterion.checklist
        ) if criterion.checklist else ()
        reason = str(data["reason"]).strip()
        common = {"id": criterion.id, "title": criterion.title, "evidence": evidence,
                  "checklist": checklist}
        if not data["applicable"]:
            allowed, why = na_allowed(criterion, signals)
            if allowed:
                return CriterionResult(status="not_applicable", reason=f"{reason} (N/A: {why}.)",
                                       **common)
            return CriterionResult(
                status="judge_error", raw=json.dumps(data, ensure_ascii=False),
                reason=f"The judge said not applicable, but the rubric's N/A rule does not allow "
                       f"it here: {why}. The judge's reason: {reason}", **common)
        score = int(data["score"])
        result = CriterionResult(status="scored", score=score, reason=reason, **common)
        result = apply_checklist(criterion, apply_caps(criterion, result, signals))
        if (criterion.evidence_required and result.score is not None and result.score >= 2
                and not any(e.verified for e in result.evidence)):
            return result.model_copy(update={
                "status": "insufficient_evidence", "score": None,
                "reason": f"The judge gave {result.score}, but no quote verified against a "
                          f"candidate turn, so the score stands unsupported. The judge's reason: "
                          f"{result.reason}",
            })
        return result

    @staticmethod
    def _combine(results: Sequence[CriterionResult]) -> CriterionResult:
        sample_scores = tuple(r.score if r.status == "scored" else None for r in results)
        scored = [r for r in results if r.status == "scored" and r.score is not None]
        if scored:
            # The lower median keeps an even split conservative and always an anchored level.
            median = statistics.median_low([r.score for r in scored if r.score is not None])
            base = next(r for r in scored if r.score == median)
        else:
            status = Counter(r.status for r in results).most_common(1)[0][0]
            base = next(r for r in results if r.status == status)
        agreement = None
        if len(results) > 1:
            mode_count = Counter(sample_scores).most_common(1)[0][1]
            agreement = round(mode_count / len(results), 4)
        return base.model_copy(update={"sample_scores": sample_scores, "agreement": agreement})

    def _finalise(self, criterion: Criterion, result: CriterionResult, signals: Signals,
                  transcript: Transcript) -> CriterionResult:
        flags = list(result.review_flags) + list(review_flags(criterion, result, signals))
        na = criterion.not_applicable
        if (result.status == "scored" and not result.provisional and na is not None
                and na.when != "judge"):
            allowed, why = na_allowed(criterion, signals)
            if allowed:
                flags.append(f"not_applicable_possible: the judge scored it, but {why}")
        passed = None
        if result.status == "scored" and result.score is not None:
            passed = result.score >= criterion.pass_threshold
        result = result.model_copy(update={"passed": passed, "review_flags": tuple(flags)})
        return result.model_copy(update={
            "coaching": coaching_for(criterion, result, signals, transcript)})

    def _evaluation(self, transcript: Transcript, signals: Signals,
                    results: Sequence[CriterionResult], *, mode: Mode, usage: Usage,
                    judge_calls: int, cache_hits: int, flags: Sequence[str] = (),
                    cache_versions: Sequence[str] = ()) -> Evaluation:
        weights = {c.id: c.weight for c in self.rubric.criteria}
        scored = [r for r in results if r.status == "scored" and r.score is not None]
        overall: float | None = None
        passed: bool | None = None
        if scored:
            total = sum(weights[r.id] for r in scored)
            overall = round(sum(weights[r.id] * (r.score or 0) for r in scored) / total, 2)
            passed = overall >= self.rubric.overall.pass_score
            if self.rubric.overall.require_all:
                passed = passed and all(r.passed for r in scored)
        all_flags = list(flags)
        for note in signals.integrity:
            all_flags.append(
                f"integrity: T{note.turn} contains text addressed to the evaluator "
                f"({', '.join(note.kinds)}); the judge was told to disregard it, and it lowered "
                "no score")
        errors = [r.id for r in results if r.status == "judge_error"]
        if errors:
            all_flags.append(f"judge_error: no usable verdict for {', '.join(errors)}")
        cost: float | None = 0.0
        if judge_calls and self.model_name is not None:
            cost = estimate_cost(usage, self.model_name, self.prices)
        return Evaluation(
            transcript_id=transcript.id,
            rubric_id=self.rubric.id,
            rubric_version=self.rubric.version,
            fingerprint=self.fingerprint,
            mode=mode,
            judge_model=self.model_name,
            criteria=tuple(results),
            overall=overall,
            passed=passed,
            signals=signals,
            usage=usage,
            cost_usd=cost,
            judge_calls=judge_calls,
            cache_hits=cache_hits,
            cache_versions=tuple(sorted(set(cache_versions))),
            roleplay_version=__version__,
            samples=self.samples if mode == "judge" else 1,
            flags=tuple(all_flags),
        )

    def _degenerate(self, transcript: Transcript, signals: Signals) -> Evaluation:
        reason = (f"No substantive candidate content ({signals.candidate_words} words in "
                  f"{signals.candidate_turns} candidate turns): nothing to judge, so every "
                  "criterion scores 1 and no model was called.")
        results = [
            self._finalise(c, CriterionResult(id=c.id, title=c.title, status="scored", score=1,
                                              reason=reason, sample_scores=(1,)),
                           signals, transcript)
            for c in self.rubric.criteria
        ]
        return self._evaluation(transcript, signals, results, mode="degenerate", usage=Usage(),
                                judge_calls=0, cache_hits=0,
                                flags=["degenerate: no substantive candidate content"])

    def _signals_only(self, transcript: Transcript, signals: Signals) -> Evaluation:
        results = []
        for c in self.rubric.criteria:
            result = apply_caps(c, provisional_result(c, signals, transcript), signals)
            if result.status == "scored":
                result = result.model_copy(update={"sample_scores": (result.score,)})
            results.append(self._finalise(c, result, signals, transcript))
        return self._evaluation(transcript, signals, results, mode="signals_only", usage=Usage(),
                                judge_calls=0, cache_hits=0,
                                flags=["signals_only: provisional verdicts from signals; "
                                       "no judge was called"])

    def _judged(self, transcript: Transcript, plan: _Plan, samples: Sequence[_Sample],
                counter: _CountingModel) -> Evaluation:
        results = []
        for c in self.rubric.criteria:
            per_sample = [self._interpret(c, s.parts[c.id], s.raw, transcript, plan.signals)
                          for s in samples]
            results.append(self._finalise(c, self._combine(per_sample), plan.signals,
                                          transcript))
        usage = counter.usage.model_copy(update={"calls": counter.calls})
        return self._evaluation(transcript, plan.signals, results, mode="judge", usage=usage,
                                judge_calls=counter.calls,
                                cache_hits=sum(s.cache_hit for s in samples),
                                cache_versions=[s.written_by for s in samples if s.written_by])

    # --- the two drivers -------------------------------------------------------------------

    def evaluate(self, transcript: Transcript) -> Evaluation:
        """Evaluate ``transcript`` (sync).

        Raises:
            TranscriptError: no turns, or no candidate turn.
            BudgetExceededError: the judge prompt is over ``max_prompt_tokens``.
            ConfigError: no judge model outside signals-only mode.
            ModelAPIError: the endpoint failed (judge refusals and bad output become
                ``judge_error`` statuses instead).
        """
        plan = self._plan(transcript)
        if plan.early is not None:
            return plan.early
        if not isinstance(self.judge_model, ChatModel):
            raise TypeError("evaluate() needs a ChatModel judge with complete(); use aevaluate() "
                            "for an AsyncChatModel")
        counter = _CountingModel(self.judge_model)
        output = reply_model(self.rubric)
        samples: list[_Sample] = []
        with counter.paid_on_error():
            for request, key in plan.requests:
                cached = self._cached(key)
                if cached is not None:
                    samples.append(cached)
                    continue
                try:
                    result = complete_structured(counter, request, output, max_reasks=1)
                except ModelOutputError as exc:
                    samples.append(self._failed(exc))
                    continue
                samples.append(self._succeeded(result, key))
        return self._judged(transcript, plan, samples, counter)

    async def aevaluate(self, transcript: Transcript) -> Evaluation:
        """Evaluate ``transcript`` (async; samples run concurrently). Raises as `evaluate`."""
        plan = self._plan(transcript)
        if plan.early is not None:
            return plan.early
        if not isinstance(self.judge_model, AsyncChatModel):
            raise TypeError("aevaluate() needs an AsyncChatModel judge with acomplete()")
        counter = _CountingModel(self.judge_model)
        output = reply_model(self.rubric)

        async def one(request: ChatRequest, key: str) -> _Sample:
            cached = self._cached(key)
            if cached is not None:
                return cached
            try:
                result = await acomplete_structured(counter, request, output, max_reasks=1)
            except ModelOutputError as exc:
                return self._failed(exc)
            return self._succeeded(result, key)

        tasks = [asyncio.ensure_future(one(r, k)) for r, k in plan.requests]
        with counter.paid_on_error():
            try:
                samples = await asyncio.gather(*tasks)
            except BaseException:
                # A sample that raised (endpoint error) must not leave the others calling the
                # model.
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise
        return self._judged(transcript, plan, samples, counter)
