"""Agreement of saved verdicts with a suite's labels: the one computation behind every summary.

The runner measures a run as it finishes; the web app measures a run folder read from disk. Both
call `measure_agreement`, so a run page's numbers are the runner's.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from roleplay.evals.records import CaseRecord
from roleplay.evals.stats import (
    AgreementStats,
    CriterionPair,
    JudgeVerdict,
    LabelVerdict,
    agreement_stats,
)
from roleplay.evals.suite import EvalCase

__all__ = ["Agreement", "label_verdict", "measure_agreement"]


@dataclass(frozen=True)
class Agreement:
    """Labels, per-criterion and pooled statistics, and each case's share of equal verdicts."""

    labels: dict[str, dict[str, LabelVerdict]]
    """Case id -> criterion -> the label as a verdict (every case, measured or not)."""
    stats: dict[str, AgreementStats]
    """Per criterion, over the measured cases."""
    overall: AgreementStats
    """Pooled over every criterion."""
    case_agreement: dict[str, float]
    """Case id -> share of criteria whose verdict equals the label's."""


def label_verdict(case: EvalCase, criterion: str, threshold: int) -> LabelVerdict:
    """A case's label for ``criterion`` as a verdict (pass at ``threshold`` unless it says)."""
    label = case.labels.get(criterion)
    if label is None or label.score == "na":
        return LabelVerdict()
    passed = label.passed if label.passed is not None else label.score >= threshold
    return LabelVerdict(score=label.score, passed=passed)


def measure_agreement(cases: Sequence[EvalCase], records: Mapping[str, CaseRecord],
                      thresholds: Mapping[str, int], *,
                      not_run: Collection[str] = ()) -> Agreement:
    """Compare ``records`` with the labels of ``cases`` on every criterion of ``thresholds``.

    A measured case with no record counts as ``failed``, a criterion missing from its record as
    ``missing`` (both against agreement); cases in ``not_run`` are left out of the statistics.
    """
    criteria = list(thresholds)
    labels = {c.id: {k: label_verdict(c, k, thresholds[k]) for k in criteria} for c in cases}
    pairs: dict[str, list[CriterionPair]] = {k: [] for k in criteria}
    case_agreement: dict[str, float] = {}
    for case in cases:
        if case.id in not_run:
            continue
        record = records.get(case.id)
        mine = []
        for k in criteria:
            verdict = (JudgeVerdict(status="failed") if record is None
                       else record.verdicts.get(k, JudgeVerdict(status="missing")))
            pair = CriterionPair(case.id, labels[case.id][k], verdict, thresholds[k])
            pairs[k].append(pair)
            mine.append(pair)
        if mine:
            case_agreement[case.id] = sum(p.label.verdict == p.judge.verdict
                                          for p in mine) / len(mine)
    return Agreement(
        labels=labels, stats={k: agreement_stats(pairs[k]) for k in criteria},
        overall=agreement_stats([p for k in criteria for p in pairs[k]]),
        case_agreement=case_agreement)
