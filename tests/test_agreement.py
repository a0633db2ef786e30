"""measure_agreement: the one computation behind the runner's summary and the web run pages."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from roleplay.evals import CaseRecord, load_suite, measure_agreement
from roleplay.evals.stats import JudgeVerdict
from roleplay.rubric import load_rubric

GOLD = Path(__file__).resolve().parent.parent / "evals" / "gold"


def test_missing_records_count_against_and_cases_not_run_are_left_out() -> None:
    suite = load_suite(GOLD)
    thresholds = {c.id: c.pass_threshold for c in load_rubric(suite.rubric_ref()).criteria}
    first, second, third = suite.cases[:3]
    verdicts = {}
    for k, mark in thresholds.items():
        label = first.labels[k]
        if label.score == "na":
            verdicts[k] = JudgeVerdict(status="not_applicable")
        else:
            verdicts[k] = JudgeVerdict(status="scored", score=label.score,
                                       passed=label.score >= mark)
    record = CaseRecord(case_id=first.id, transcript_digest="d", fingerprint="f",
                        finished_at=datetime.now(timezone.utc), verdicts=verdicts)

    measured = measure_agreement([first, second, third], {first.id: record}, thresholds,
                                 not_run=[third.id])

    assert measured.case_agreement == {first.id: 1.0, second.id: 0.0}
    assert set(measured.labels) == {first.id, second.id, third.id}
    assert all(s.n == 2 for s in measured.stats.values())
    assert measured.overall.n == 2 * len(thresholds)
    assert next(iter(measured.stats.values())).accuracy == 0.5
