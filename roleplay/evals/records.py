"""What a suite run produces and keeps: per-case records, cost estimates and the run's result."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from roleplay.evals.stats import AgreementStats, JudgeVerdict, LabelVerdict
from roleplay.evals.suite import Mode
from roleplay.llm.base import Usage

__all__ = ["SUITE_NOTE", "CaseEstimate", "CaseRecord", "FileRecord", "RunEstimate", "RunSuiteNote",
           "SuiteResult"]

_RECORD_VERSION = 1
SUITE_NOTE = "suite.json"
"""The file in a run folder that says which suite it ran (`RunSuiteNote`)."""

class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RunSuiteNote(_Frozen):
    """Which suite a run folder belongs to, so a browser of runs finds its labels and cases."""

    suite_id: str
    """The suite's id."""
    suite_dir: str
    """The suite folder, absolute, as it was when the run was made."""
    mode: Mode | None = None
    """``judge`` or ``signals_only`` (``None`` in notes of older runs: see the folder name)."""
    samples: int | None = None
    """Judge samples per case (``None`` in notes of older runs)."""


class CaseRecord(_Frozen):
    """One finished case as saved in the run folder."""

    record_version: int = _RECORD_VERSION
    """Format version."""
    case_id: str
    """The case."""
    transcript_digest: str
    """Hash of the transcript judged; a changed transcript is judged again."""
    fingerprint: str
    """The evaluator fingerprint."""
    finished_at: datetime
    """When the case finished (UTC)."""
    verdicts: dict[str, JudgeVerdict]
    """Per criterion: status, score, passed, sample scores."""
    usage: Usage = Usage()
    """Judge usage of this case (zero when served from the cache)."""
    cost_usd: float | None = None
    """Judge cost of this case, when the price is known."""
    judge_calls: int = 0
    """Model calls made for this case."""
    cache_hits: int = 0
    """Judge replies served from the cache."""
    evaluation: dict[str, Any] | None = None
    """The full evaluation as the evaluator serialised it (for inspection)."""

    @property
    def has_errors(self) -> bool:
        """True when a criterion ended in ``judge_error`` (such a case is retried on resume)."""
        return any(v.status == "judge_error" for v in self.verdicts.values())


class FileRecord(_Frozen):
    """One transcript file's result, as bulk ``roleplay evaluate --out-dir`` keeps it."""

    file: str
    """The transcript file as named on the command line."""
    sha256: str
    """Hash of the file's bytes; a changed file is judged again."""
    fingerprint: str
    """The evaluator fingerprint."""
    error: str | None = None
    """Why the file could not be evaluated (such a file is tried again)."""
    evaluation: dict[str, Any] | None = None
    """The evaluation as the evaluator serialised it."""


class CaseEstimate(_Frozen):
    """What judging one case is expected to take."""

    case_id: str
    """The case."""
    calls: int
    """Judge calls not served by the cache."""
    cached_calls: int
    """Judge calls the cache already holds."""
    prompt_tokens: int
    """Prompt tokens of the uncached calls."""
    completion_tokens: int
    """Expected completion tokens of the uncached calls."""
    cost_usd: float | None
    """Expected cost; ``None`` when the model's price is unknown."""


class RunEstimate(_Frozen):
    """What a run would spend, computed without calling any model."""

    suite_id: str
    """The suite."""
    mode: Mode
    """``judge`` or ``signals_only``."""
    judge_model: str | None
    """The judge model (``None`` in signals-only mode)."""
    samples: int
    """Judge samples per case."""
    fingerprint: str
    """The evaluator fingerprint."""
    run_dir: Path
    """Where results go."""
    resumed: list[str]
    """Cases already finished in the run folder (no cost)."""
    cases: list[CaseEstimate]
    """Per pending case."""
    completion_tokens_per_call: int
    """The completion-token assumption used."""

    @property
    def calls(self) -> int:
        """Judge calls the run would make."""
        return sum(c.calls for c in self.cases)

    @property
    def cached_calls(self) -> int:
        """Judge calls served by the cache."""
        return sum(c.cached_calls for c in self.cases)

    @property
    def prompt_tokens(self) -> int:
        """Prompt tokens of the calls."""
        return sum(c.prompt_tokens for c in self.cases)

    @property
    def completion_tokens(self) -> int:
        """Expected completion tokens of the calls."""
        return sum(c.completion_tokens for c in self.cases)

    @property
    def cost_usd(self) -> float | None:
        """Expected cost, ``None`` when any call's price is unknown."""
        costs = [c.cost_usd for c in self.cases if c.calls]
        if any(c is None for c in costs):
            return None
        return sum(c for c in costs if c is not None)


class SuiteResult(_Frozen):
    """The outcome of one run of a suite, with agreement statistics against the labels."""

    suite_id: str
    """The suite."""
    mode: Mode
    """``judge`` or ``signals_only``."""
    fingerprint: str
    """The evaluator fingerprint."""
    rubric_id: str
    """The rubric measured."""
    rubric_version: str | None
    """Its version, when it has one."""
    judge_model: str | None
    """The judge model (``None`` in signals-only mode)."""
    samples: int
    """Judge samples per case."""
    run_dir: Path
    """The run folder holding one record per finished case."""
    criteria: list[str]
    """The rubric's criterion ids, in rubric order."""
    thresholds: dict[str, int]
    """Pass mark per criterion."""
    records: dict[str, CaseRecord]
    """Finished cases (resumed and new), by case id."""
    labels: dict[str, dict[str, LabelVerdict]]
    """Human labels by case and criterion."""
    resumed: list[str] = Field(default_factory=list)
    """Cases taken from the run folder without re-judging."""
    failed: dict[str, str] = Field(default_factory=dict)
    """Cases whose evaluation raised, with the error (retried on the next run)."""
    not_run: list[str] = Field(default_factory=list)
    """Cases not started because the budget would have been exceeded."""
    usage: Usage = Usage()
    """Judge usage of this run (resumed cases excluded)."""
    cost_usd: float | None = 0.0
    """Judge cost of this run; ``None`` when a price was unknown."""
    judge_calls: int = 0
    """Model calls made by this run."""
    cache_hits: int = 0
    """Judge replies served from the cache in this run."""
    batch: str | None = None
    """What batch mode did (``--batch``): the batch, its lines, those retried live."""
    concurrency: str | None = None
    """The adaptive limit of this run: where it ended and its peak."""
    stats: dict[str, AgreementStats]
    """Agreement per criterion."""
    overall: AgreementStats
    """Agreement pooled over every criterion."""
    case_agreement: dict[str, float]
    """Per case: share of criteria whose verdict matches the label."""

    @property
    def complete(self) -> bool:
        """True when every case finished without error."""
        return not self.failed and not self.not_run

    def verdict(self, case_id: str, criterion: str) -> JudgeVerdict:
        """The judge's verdict for one case and criterion (``failed`` when the case raised)."""
        record = self.records.get(case_id)
        if record is None:
            return JudgeVerdict(status="failed")
        return record.verdicts.get(criterion, JudgeVerdict(status="missing"))
