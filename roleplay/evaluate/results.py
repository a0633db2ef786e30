"""The result types shared by signals and the judge: `Evidence`, `CriterionResult`, `Evaluation`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from roleplay.evaluate.signals import Signals
from roleplay.llm.base import Usage

__all__ = ["CheckAnswer", "CriterionResult", "Evaluation", "Evidence", "Mode", "Status"]

Status = Literal["scored", "not_applicable", "insufficient_evidence", "judge_error"]
Mode = Literal["judge", "signals_only", "degenerate"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Evidence(_Frozen):
    """A quote cited for a score, checked by code against the cited turn."""

    turn: int
    """The cited turn (1-based)."""
    quote: str
    """The quote as cited."""
    verified: bool
    """True only when the quote is in the cited turn (normalised) and that turn is the
    candidate's. Unverified evidence is kept for review, never reported as verified."""
    speaker: str | None = None
    """Who spoke the cited turn (None when the turn does not exist)."""
    note: str | None = None
    """Why verification failed, or where the quote came from (e.g. ``signal: begging``)."""


class CheckAnswer(_Frozen):
    """The judge's answer to one checklist item."""

    id: str
    """Checklist item id."""
    question: str
    """The yes/no question."""
    answer: bool
    """The judge's answer."""


class CriterionResult(_Frozen):
    """The verdict on one criterion; exactly one status, never a silent 0."""

    id: str
    """Criterion id."""
    title: str
    """Criterion title."""
    status: Status
    """``scored``; ``not_applicable`` (the judge said so and the rubric's N/A rule allows it);
    ``insufficient_evidence`` (a score >= 2 with no verified quote, or signals cannot decide);
    ``judge_error`` (the judge's reply for this criterion was unusable)."""
    score: int | None = Field(default=None, ge=1, le=5)
    """1-5 when scored, else None."""
    passed: bool | None = None
    """score >= the criterion's pass threshold; None when not scored."""
    reason: str
    """Why: the judge's rationale, or the signals' facts, plus any rule that changed the score."""
    evidence: tuple[Evidence, ...] = ()
    """Cited quotes with their verification."""
    coaching: str | None = None
    """For an unmet criterion: what to do, anchored to the turn where it should have happened."""
    applied_rules: tuple[str, ...] = ()
    """Ids of combination-policy caps that lowered the score."""
    review_flags: tuple[str, ...] = ()
    """Disagreements between the judge and the signals, for a human to check."""
    sample_scores: tuple[int | None, ...] = ()
    """The score of each judge sample (None where a sample gave no usable score)."""
    agreement: float | None = None
    """Share of samples equal to the most common sample score (None for one sample)."""
    raw: str | None = None
    """The judge's raw reply (``judge_error`` only)."""
    provisional: bool = False
    """True when the verdict comes from signals alone (signals-only mode)."""
    checklist: tuple[CheckAnswer, ...] = ()
    """The judge's checklist answers, when the criterion has a checklist."""


class Evaluation(_Frozen):
    """The evaluation of one transcript against one rubric."""

    transcript_id: str
    """The transcript evaluated."""
    rubric_id: str
    """Rubric id."""
    rubric_version: str
    """Rubric version."""
    fingerprint: str
    """sha256 of rubric content + judge template + judge model + settings (see
    ``roleplay.rubric``)."""
    mode: Mode
    """``judge``, ``signals_only`` or ``degenerate`` (no substantive candidate content)."""
    judge_model: str | None
    """The judge model name (None without a judge)."""
    criteria: tuple[CriterionResult, ...]
    """One result per rubric criterion, in rubric order."""
    overall: float | None
    """Weighted mean of the scored criteria (N/A and unscored left out); None if none scored."""
    passed: bool | None
    """The rubric's overall pass rule; None when ``overall`` is None."""
    signals: Signals
    """The deterministic signals."""
    usage: Usage
    """Judge token usage, re-asks included (zero for cache hits)."""
    cost_usd: float | None
    """Estimated judge cost; None when the model's price is unknown."""
    judge_calls: int
    """Model calls actually made, re-asks included."""
    cache_hits: int
    """Judge replies served from the cache."""
    cache_versions: tuple[str, ...] = ()
    """Versions of roleplay that wrote the judge replies served from the cache (sorted, unique;
    empty without cache hits). Differs from `roleplay_version` only when the evaluator was told
    to reuse cached replies across versions."""
    roleplay_version: str = ""
    """The version of roleplay that made this evaluation."""
    samples: int = 1
    """Judge samples per transcript."""
    flags: tuple[str, ...] = ()
    """Integrity notes and other run-level remarks."""

    def criterion(self, criterion_id: str) -> CriterionResult:
        """The result for ``criterion_id``.

        Raises:
            KeyError: no such criterion.
        """
        for result in self.criteria:
            if result.id == criterion_id:
                return result
        raise KeyError(criterion_id)
