"""Baselines, flip reports, threshold checks and the verdict of a run.

A baseline is the committed outcome of a run: per case and criterion the verdict
(status, score, passed), the agreement statistics, and what produced them (suite, mode, rubric
fingerprint, judge model). Comparing a new run with it gives:

* **flips**: a case x criterion whose pass/fail (or N/A) verdict changed, with the side of the
  human label it moved to ("now agrees with label" / "now disagrees with label");
* **score changes**: the verdict held but the score moved (closer to or further from the label);
* **statistic changes**: every statistic's old and new value; a drop beyond the suite's tolerance
  (a rise for ``mae`` and ``flip_rate``) is a regression.

`EvalReport` combines these with the suite's thresholds into one exit code: 0 when every
threshold holds, nothing regressed and every case ran; 1 otherwise.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from roleplay.errors import ConfigError
from roleplay.evals.runner import SuiteResult
from roleplay.evals.stats import AgreementStats, JudgeVerdict, LabelVerdict
from roleplay.evals.suite import STATISTICS, Mode, ThresholdConfig, Tolerance
from roleplay.transcript import atomic_write, now_utc

__all__ = [
    "BASELINE_VERSION",
    "Baseline",
    "BaselineVerdict",
    "Comparison",
    "EvalReport",
    "Flip",
    "StatChange",
    "ThresholdMiss",
    "build_report",
    "check_thresholds",
    "compare",
    "load_baseline",
    "make_baseline",
    "save_baseline",
]

BASELINE_VERSION = 1
OVERALL = "overall"
"""The row name of statistics pooled over every criterion."""
_EPS = 1e-9


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BaselineVerdict(_Frozen):
    """One case x criterion verdict as stored in a baseline."""

    status: str
    """``scored``, ``not_applicable``, ``insufficient_evidence``, ``judge_error`` ..."""
    score: int | None = None
    """1-5 when scored."""
    passed: bool | None = None
    """Pass/fail when decided."""

    @classmethod
    def of(cls, verdict: JudgeVerdict) -> BaselineVerdict:
        """The stored form of a run's verdict."""
        return cls(status=verdict.status, score=verdict.score, passed=verdict.passed)

    def as_judge(self) -> JudgeVerdict:
        """Back to a `JudgeVerdict` (for the verdict logic)."""
        return JudgeVerdict(status=self.status, score=self.score, passed=self.passed)


class Baseline(_Frozen):
    """A committed run of a suite."""

    schema_version: int = BASELINE_VERSION
    """Format version."""
    suite: str
    """Suite id."""
    mode: Mode
    """``judge`` or ``signals_only``."""
    rubric_id: str
    """The rubric measured."""
    rubric_version: str | None = None
    """Its version."""
    fingerprint: str
    """The evaluator fingerprint of the run."""
    judge_model: str | None = None
    """The judge model (``None`` for signals-only)."""
    samples: int = 1
    """Judge samples per case."""
    created: datetime
    """When the baseline was written (UTC)."""
    cases: dict[str, dict[str, BaselineVerdict]]
    """Verdicts by case id and criterion id."""
    statistics: dict[str, AgreementStats]
    """Agreement per criterion."""
    overall: AgreementStats
    """Agreement pooled over every criterion."""


def make_baseline(result: SuiteResult) -> Baseline:
    """The baseline a complete run would commit.

    Raises:
        ConfigError: the run is incomplete (failed or unrun cases); a partial baseline would
            hide those cases from every later comparison.
    """
    if not result.complete:
        raise ConfigError(
            f"refusing to write a baseline from an incomplete run ({len(result.failed)} failed, "
            f"{len(result.not_run)} not run); re-run until every case finishes"
        )
    cases = {
        case_id: {k: BaselineVerdict.of(result.verdict(case_id, k)) for k in result.criteria}
        for case_id in sorted(result.records)
    }
    return Baseline(
        suite=result.suite_id, mode=result.mode, rubric_id=result.rubric_id,
        rubric_version=result.rubric_version, fingerprint=result.fingerprint,
        judge_model=result.judge_model, samples=result.samples, created=now_utc(),
        cases=cases, statistics=result.stats, overall=result.overall,
    )


def load_baseline(path: str | os.PathLike[str]) -> Baseline | None:
    """The baseline at ``path``, or ``None`` when there is no such file.

    Raises:
        ConfigError: the file exists but is not a valid baseline (names the file and field).
    """
    p = Path(path)
    if not p.is_file():
        return None
    try:
        return Baseline.model_validate_json(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read baseline: {exc.strerror}", path=str(p)) from exc
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"]) or "<root>"
        raise ConfigError(f"not a valid baseline: {err['msg']} (regenerate it with "
                          "--update-baseline)", path=str(p), field=loc) from exc


def save_baseline(path: str | os.PathLike[str], baseline: Baseline) -> Path:
    """Write ``baseline`` atomically (a crash never leaves half a file)."""
    return atomic_write(Path(path), baseline.model_dump_json(indent=2) + "\n")


class Flip(_Frozen):
    """One case x criterion whose verdict or score changed against the baseline."""

    case_id: str
    """The case."""
    criterion: str
    """The criterion."""
    kind: Literal["verdict", "score"]
    """``verdict``: pass/fail/na changed; ``score``: only the score moved."""
    old: BaselineVerdict
    """The baseline's verdict."""
    new: BaselineVerdict
    """This run's verdict."""
    label: LabelVerdict
    """The human label."""
    effect: str
    """Where the change went relative to the label, e.g. ``now agrees with label``."""


class StatChange(_Frozen):
    """One statistic of one criterion (or ``overall``), baseline against this run."""

    criterion: str
    """Criterion id, or ``overall``."""
    statistic: str
    """Statistic name (see `roleplay.evals.suite.STATISTICS`)."""
    old: float | None
    """Baseline value."""
    new: float | None
    """This run's value."""
    tolerance: float
    """Allowed regression."""
    regressed: bool
    """Worse than the baseline by more than the tolerance."""

    @property
    def delta(self) -> float | None:
        """``new - old`` when both are defined."""
        return None if self.old is None or self.new is None else self.new - self.old

    def describe(self) -> str:
        """One line, e.g. ``sar_answers kappa 0.710 -> 0.620 (tolerance 0.05)``."""
        return (f"{self.criterion} {self.statistic} {_fmt(self.old)} -> {_fmt(self.new)} "
                f"(tolerance {self.tolerance:g})")


class Comparison(_Frozen):
    """A run compared with its baseline."""

    baseline_path: Path
    """The baseline file."""
    baseline_fingerprint: str
    """The fingerprint the baseline was made with."""
    baseline_mode: Mode
    """The mode the baseline was made in."""
    flips: list[Flip]
    """Verdict flips and score changes, in case then criterion order."""
    changes: list[StatChange]
    """Every statistic, changed or not."""
    new_cases: list[str]
    """Cases in this run but not in the baseline."""
    missing_cases: list[str]
    """Cases in the baseline but not in this run."""

    @property
    def regressions(self) -> list[StatChange]:
        """Statistics that regressed beyond the tolerance."""
        return [c for c in self.changes if c.regressed]

    @property
    def verdict_flips(self) -> list[Flip]:
        """Flips of pass/fail/na."""
        return [f for f in self.flips if f.kind == "verdict"]

    @property
    def score_changes(self) -> list[Flip]:
        """Score moves with the same verdict."""
        return [f for f in self.flips if f.kind == "score"]


def _effect(kind: str, old: JudgeVerdict, new: JudgeVerdict, label: LabelVerdict) -> str:
    if kind == "verdict":
        before = old.verdict == label.verdict
        after = new.verdict == label.verdict
        if after and not before:
            return "now agrees with label"
        if before and not after:
            return "now disagrees with label"
        return "still disagrees with label"
    if label.score is None or old.score is None or new.score is None:
        return "label is na" if label.score is None else "no score to compare"
    before_gap, after_gap = abs(old.score - label.score), abs(new.score - label.score)
    if after_gap < before_gap:
        return "closer to label"
    if after_gap > before_gap:
        return "further from label"
    return "same distance from label"


def _stat_value(stats: AgreementStats | None, name: str) -> float | None:
    if stats is None:
        return None
    value = getattr(stats, name)
    return None if value is None else float(value)


def compare(result: SuiteResult, baseline: Baseline, tolerance: Tolerance,
            baseline_path: Path) -> Comparison:
    """Compare ``result`` with ``baseline``: flips, score changes and statistic changes."""
    flips: list[Flip] = []
    for case_id in sorted(result.records):
        old_case = baseline.cases.get(case_id)
        if old_case is None:
            continue
        for criterion in result.criteria:
            stored = old_case.get(criterion)
            if stored is None:
                continue
            old = stored.as_judge()
            new = result.verdict(case_id, criterion)
            label = result.labels[case_id][criterion]
            if old.verdict != new.verdict:
                kind: Literal["verdict", "score"] = "verdict"
            elif old.score != new.score:
                kind = "score"
            else:
                continue
            flips.append(Flip(case_id=case_id, criterion=criterion, kind=kind, old=stored,
                              new=BaselineVerdict.of(new), label=label,
                              effect=_effect(kind, old, new, label)))
    changes: list[StatChange] = []
    rows: list[tuple[str, AgreementStats | None, AgreementStats]] = [
        (k, baseline.statistics.get(k), result.stats[k]) for k in result.criteria
    ]
    rows.append((OVERALL, baseline.overall, result.overall))
    for criterion, old_stats, new_stats in rows:
        for name, better in STATISTICS.items():
            old_value = _stat_value(old_stats, name)
            new_value = _stat_value(new_stats, name)
            tol = tolerance.for_statistic(name)
            regressed = False
            if old_value is not None and new_value is not None:
                if better == "higher":
                    regressed = new_value < old_value - tol - _EPS
                else:
                    regressed = new_value > old_value + tol + _EPS
            changes.append(StatChange(criterion=criterion, statistic=name, old=old_value,
                                      new=new_value, tolerance=tol, regressed=regressed))
    run_cases = set(result.records) | set(result.failed) | set(result.not_run)
    return Comparison(
        baseline_path=baseline_path, baseline_fingerprint=baseline.fingerprint,
        baseline_mode=baseline.mode, flips=flips, changes=changes,
        new_cases=sorted(set(result.records) - set(baseline.cases)),
        missing_cases=sorted(set(baseline.cases) - run_cases),
    )


class ThresholdMiss(_Frozen):
    """A criterion below one of the suite's thresholds."""

    criterion: str
    """The criterion."""
    statistic: Literal["accuracy", "kappa", "alpha", "mae"]
    """The statistic checked."""
    threshold: float
    """The configured bound (a minimum, or the maximum for ``mae``)."""
    value: float | None
    """The measured value; ``None`` when nothing could be measured (no pairs)."""

    def describe(self) -> str:
        """One line, e.g. ``sar_answers kappa 0.520, needs >= 0.6``."""
        op = "<=" if self.statistic == "mae" else ">="
        got = "nothing measured" if self.value is None else _fmt(self.value)
        return f"{self.criterion} {self.statistic} {got}, needs {op} {self.threshold:g}"


_CHECKS: tuple[tuple[str, Literal["accuracy", "kappa", "alpha", "mae"]], ...] = (
    ("min_accuracy", "accuracy"),
    ("min_kappa", "kappa"),
    ("min_alpha", "alpha"),
    ("max_mae", "mae"),
)


def check_thresholds(result: SuiteResult, thresholds: ThresholdConfig) -> tuple[
    list[ThresholdMiss], list[str]
]:
    """Check every criterion against its thresholds.

    A statistic that is undefined although there were pairs (no variation in the scores, so
    kappa and alpha have no meaning) is skipped and noted; one that is undefined because
    nothing was measured (no case, or no scored pair) counts as a miss.

    Returns:
        The misses, and notes on skipped checks.
    """
    misses: list[ThresholdMiss] = []
    notes: list[str] = []
    for criterion in result.criteria:
        limits = thresholds.for_criterion(criterion)
        stats = result.stats[criterion]
        for field_name, statistic in _CHECKS:
            bound = getattr(limits, field_name)
            if bound is None:
                continue
            value = _stat_value(stats, statistic)
            if value is None:
                base = stats.n if statistic == "accuracy" else stats.n_pairs
                if base == 0:
                    misses.append(ThresholdMiss(criterion=criterion, statistic=statistic,
                                                threshold=bound, value=None))
                else:
                    notes.append(f"{criterion}: {statistic} is undefined (no variation in "
                                 f"{base} pairs); its threshold was not checked")
                continue
            low = field_name.startswith("min_")
            if (low and value < bound - _EPS) or (not low and value > bound + _EPS):
                misses.append(ThresholdMiss(criterion=criterion, statistic=statistic,
                                            threshold=bound, value=value))
    return misses, notes


class EvalReport(_Frozen):
    """Everything a run decides: result, threshold misses, baseline comparison, exit code."""

    result: SuiteResult
    """The run."""
    misses: list[ThresholdMiss]
    """Thresholds not met."""
    notes: list[str] = Field(default_factory=list)
    """Checks skipped and other remarks."""
    baseline_path: Path
    """The baseline the run was compared with (or would be)."""
    comparison: Comparison | None = None
    """The comparison, when a baseline exists."""
    baseline_updated: bool = False
    """True when this run wrote the baseline (regressions are then accepted, not failures)."""

    @property
    def failures(self) -> list[str]:
        """Why the run fails, one line each (empty when it passes)."""
        out: list[str] = []
        if self.result.failed:
            out.append(f"{len(self.result.failed)} case(s) failed: "
                       + ", ".join(sorted(self.result.failed)))
        if self.result.not_run:
            out.append(f"{len(self.result.not_run)} case(s) not run (budget): "
                       + ", ".join(self.result.not_run))
        out.extend(f"threshold missed: {m.describe()}" for m in self.misses)
        if self.comparison is not None and not self.baseline_updated:
            out.extend(f"regression: {c.describe()}" for c in self.comparison.regressions)
        return out

    @property
    def ok(self) -> bool:
        """True when the run passes."""
        return not self.failures

    @property
    def exit_code(self) -> int:
        """0 when the run passes, 1 otherwise."""
        return 0 if self.ok else 1


def build_report(
    result: SuiteResult,
    thresholds: ThresholdConfig,
    tolerance: Tolerance,
    baseline_path: Path,
    *,
    baseline: Baseline | None = None,
    baseline_updated: bool = False,
) -> EvalReport:
    """Check thresholds and compare with ``baseline`` (when given)."""
    misses, notes = check_thresholds(result, thresholds)
    comparison = None
    if baseline is not None:
        comparison = compare(result, baseline, tolerance, baseline_path)
        if baseline.mode != result.mode:
            notes.append(f"the baseline was made in {baseline.mode} mode, this run is "
                         f"{result.mode}")
        if baseline.suite != result.suite_id:
            notes.append(f"the baseline belongs to suite {baseline.suite!r}")
    elif not baseline_updated:
        notes.append(f"no baseline at {baseline_path}; run with --update-baseline to create it")
    if not result.complete:
        notes.append("the run is incomplete: statistics cover only the cases that ran")
    return EvalReport(result=result, misses=misses, notes=notes, baseline_path=baseline_path,
                      comparison=comparison, baseline_updated=baseline_updated)
