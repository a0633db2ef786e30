"""Baselines, the flip report, statistic changes, thresholds and the exit code."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from roleplay.errors import ConfigError
from roleplay.evals.baseline import (
    build_report,
    check_thresholds,
    load_baseline,
    make_baseline,
    save_baseline,
)
from roleplay.evals.render import render_report
from roleplay.evals.runner import CaseRecord, SuiteResult
from roleplay.evals.stats import CriterionPair, JudgeVerdict, LabelVerdict, agreement_stats
from roleplay.evals.suite import ThresholdConfig, Thresholds, Tolerance

CRITERIA = ["next_steps", "follow_up", "enthusiasm"]
Spec = dict[str, dict[str, "int | str | None"]]

LABELS: Spec = {
    "c1": {"next_steps": 4, "follow_up": 5, "enthusiasm": 4},
    "c2": {"next_steps": 1, "follow_up": 2, "enthusiasm": 2},
    "c3": {"next_steps": 5, "follow_up": 5, "enthusiasm": 3},
    "c4": {"next_steps": None, "follow_up": 1, "enthusiasm": 1},
}


def verdict(value: int | str | None) -> JudgeVerdict:
    """An int is a score, None is not_applicable, a string is that status with no score."""
    if isinstance(value, str):
        return JudgeVerdict(status=value)
    if value is None:
        return JudgeVerdict(status="not_applicable")
    return JudgeVerdict(status="scored", score=value, passed=value >= 3)


def label(value: int | str | None) -> LabelVerdict:
    assert not isinstance(value, str)
    return LabelVerdict() if value is None else LabelVerdict(score=value, passed=value >= 3)


def make_result(judged: Spec, labels: Spec = LABELS, *, fingerprint: str = "a" * 64,
                failed: dict[str, str] | None = None,
                not_run: list[str] | None = None) -> SuiteResult:
    now = datetime(2025, 1, 1, tzinfo=timezone.utc)
    records = {
        case: CaseRecord(case_id=case, transcript_digest="d", fingerprint=fingerprint,
                         finished_at=now, verdicts={k: verdict(v) for k, v in scores.items()})
        for case, scores in judged.items()
    }
    label_verdicts = {case: {k: label(v) for k, v in scores.items()}
                      for case, scores in labels.items()}
    pairs = {k: [CriterionPair(case, label_verdicts[case][k],
                               records[case].verdicts[k] if case in records
                               else JudgeVerdict(status="failed"))
                 for case in labels if case not in (not_run or [])]
             for k in CRITERIA}
    return SuiteResult(
        suite_id="mini", mode="judge", fingerprint=fingerprint, rubric_id="interview-close",
        rubric_version="1.0", judge_model="gpt-4o-mini", samples=1, run_dir=Path("runs/x"),
        criteria=CRITERIA, thresholds=dict.fromkeys(CRITERIA, 3), records=records,
        labels=label_verdicts, failed=failed or {}, not_run=not_run or [],
        stats={k: agreement_stats(pairs[k]) for k in CRITERIA},
        overall=agreement_stats([p for k in CRITERIA for p in pairs[k]]),
        case_agreement={},
    )


def with_changes(base: Spec, **changes: dict[str, int | str | None]) -> Spec:
    out = {case: dict(scores) for case, scores in base.items()}
    for case, scores in changes.items():
        out[case].update(scores)
    return out


# The old judge was wrong about c2 enthusiasm (3 = pass, label 2 = fail) and had no verdict
# for c3 enthusiasm; otherwise it matched the labels.
OLD = with_changes(LABELS, c2={"enthusiasm": 3}, c3={"enthusiasm": "judge_error"})


def test_baseline_round_trip_and_missing_file(tmp_path: Path) -> None:
    baseline = make_baseline(make_result(OLD))
    path = save_baseline(tmp_path / "deep" / "baseline.json", baseline)
    assert load_baseline(path) == baseline
    assert list(path.parent.iterdir()) == [path]  # atomic: no temp file left behind
    data = json.loads(path.read_text())
    assert data["cases"]["c2"]["enthusiasm"] == {"status": "scored", "score": 3, "passed": True}
    assert data["suite"] == "mini" and data["fingerprint"] == "a" * 64
    assert data["judge_model"] == "gpt-4o-mini" and "created" in data
    assert data["statistics"]["next_steps"]["accuracy"] == 1.0
    assert load_baseline(tmp_path / "nothing.json") is None


def test_a_broken_baseline_names_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    data = make_baseline(make_result(OLD)).model_dump(mode="json")
    data["cases"]["c1"]["next_steps"]["score"] = "high"
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError) as info:
        load_baseline(path)
    assert str(path) in str(info.value) and info.value.field == "cases.c1.next_steps.score"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="not a valid baseline"):
        load_baseline(path)


def test_the_flip_report_says_which_side_of_the_label_each_change_went() -> None:
    baseline = make_baseline(make_result(OLD))
    new = make_result(with_changes(
        OLD,
        c1={"next_steps": 2},        # pass -> fail; label 4 (pass)
        c2={"enthusiasm": 2},        # pass -> fail; label 2 (fail)
        c3={"follow_up": 4, "enthusiasm": 2},   # score move; and judge_error -> fail vs pass
        c4={"next_steps": 1},        # na -> fail; label na
    ), fingerprint="b" * 64)
    report = build_report(new, ThresholdConfig(), Tolerance(default=1.0), Path("baseline.json"),
                          baseline=baseline)
    assert report.comparison is not None
    flips = {(f.case_id, f.criterion): f for f in report.comparison.flips}
    assert set(flips) == {("c1", "next_steps"), ("c2", "enthusiasm"), ("c3", "follow_up"),
                          ("c3", "enthusiasm"), ("c4", "next_steps")}
    assert flips["c1", "next_steps"].effect == "now disagrees with label"
    assert flips["c1", "next_steps"].old.passed is True and flips["c1", "next_steps"].new.score == 2
    assert flips["c2", "enthusiasm"].effect == "now agrees with label"
    assert flips["c3", "enthusiasm"].effect == "still disagrees with label"
    assert flips["c4", "next_steps"].effect == "now disagrees with label"
    assert flips["c3", "follow_up"].kind == "score"
    assert flips["c3", "follow_up"].effect == "further from label"
    assert [f.criterion for f in report.comparison.score_changes] == ["follow_up"]
    assert report.exit_code == 0  # tolerance 1.0 swallows every regression

    text = render_report(report, "text")
    assert "Flips (4):" in text and "now agrees with label" in text
    assert "c1  " in text and "pass (4)" in text and "fail (2)" in text
    assert "Score changes, verdict unchanged (1):" in text
    md = render_report(report, "md")
    assert md.startswith("### Eval `mini`: **PASS**")
    assert "**4 flip(s)** against the baseline: 1 now agree with the label, 2 now disagree" in md
    assert "| c2 | enthusiasm | pass (3) | fail (2) | fail (2) | now agrees with label |" in md
    data = json.loads(render_report(report, "json"))
    assert data["ok"] is True and len(data["baseline"]["flips"]) == 5
    assert data["verdicts"]["c1"]["next_steps"] == {"status": "scored", "score": 2,
                                                    "passed": False}


def test_statistics_that_regress_beyond_the_tolerance_fail_the_run() -> None:
    baseline = make_baseline(make_result(OLD))
    new = make_result(with_changes(OLD, c1={"next_steps": 2}))
    strict = build_report(new, ThresholdConfig(), Tolerance(), Path("b.json"), baseline=baseline)
    assert strict.comparison is not None
    changes = {(c.criterion, c.statistic): c for c in strict.comparison.changes}
    accuracy = changes["next_steps", "accuracy"]
    assert (accuracy.old, accuracy.new, accuracy.regressed) == (1.0, 0.75, True)
    assert accuracy.delta == pytest.approx(-0.25)
    assert changes["next_steps", "mae"].regressed  # a rise in error is a regression
    assert not changes["follow_up", "accuracy"].regressed
    assert strict.exit_code == 1
    assert "regression: next_steps accuracy 1.000 -> 0.750 (tolerance 0)" in strict.failures
    assert "REGRESSION" in render_report(strict, "text")

    lenient = build_report(new, ThresholdConfig(), Tolerance(default=0.7, mae=1.0), Path("b"),
                           baseline=baseline)
    assert lenient.exit_code == 0, lenient.failures
    # A per-statistic tolerance overrides the default: mae rose by 0.667.
    tight_mae = build_report(new, ThresholdConfig(), Tolerance(default=0.7, mae=0.5), Path("b"),
                             baseline=baseline)
    assert tight_mae.failures == ["regression: next_steps mae 0.000 -> 0.667 (tolerance 0.5)"]
    # Updating the baseline accepts the change: regressions are shown but do not fail.
    accepted = build_report(new, ThresholdConfig(), Tolerance(), Path("b"), baseline=baseline,
                            baseline_updated=True)
    assert accepted.exit_code == 0 and "Baseline written: b" in render_report(accepted)


def test_an_improvement_is_not_a_regression() -> None:
    baseline = make_baseline(make_result(OLD))
    better = make_result(with_changes(OLD, c2={"enthusiasm": 2}))
    report = build_report(better, ThresholdConfig(), Tolerance(), Path("b"), baseline=baseline)
    assert report.exit_code == 0 and report.comparison is not None
    assert not report.comparison.regressions


def test_new_and_missing_cases_are_listed() -> None:
    baseline = make_baseline(make_result(OLD))
    labels = {k: v for k, v in LABELS.items() if k != "c4"} | {
        "c5": {"next_steps": 3, "follow_up": 3, "enthusiasm": 3}}
    judged = {k: v for k, v in OLD.items() if k != "c4"} | {"c5": labels["c5"]}
    report = build_report(make_result(judged, labels), ThresholdConfig(), Tolerance(default=1),
                          Path("b"), baseline=baseline)
    assert report.comparison is not None
    assert report.comparison.new_cases == ["c5"] and report.comparison.missing_cases == ["c4"]
    text = render_report(report)
    assert "New cases (not in the baseline): c5" in text
    assert "Baseline cases missing from this run: c4" in text


def test_a_missed_threshold_fails_the_run() -> None:
    result = make_result(with_changes(LABELS, c1={"next_steps": 2}))
    thresholds = ThresholdConfig(default=Thresholds(min_accuracy=0.9),
                                 criteria={"follow_up": Thresholds(max_mae=0.0)})
    report = build_report(result, thresholds, Tolerance(), Path("b"))
    assert [(m.criterion, m.statistic) for m in report.misses] == [("next_steps", "accuracy")]
    assert report.misses[0].value == pytest.approx(0.75) and report.misses[0].threshold == 0.9
    assert report.exit_code == 1
    assert "threshold missed: next_steps accuracy 0.750, needs >= 0.9" in report.failures
    assert any("no baseline at b" in n for n in report.notes)
    passing = build_report(make_result(LABELS), thresholds, Tolerance(), Path("b"))
    assert passing.exit_code == 0 and "Result: PASS" in render_report(passing)


def test_mae_thresholds_are_maxima() -> None:
    result = make_result(with_changes(LABELS, c1={"follow_up": 3}))
    misses, _ = check_thresholds(result, ThresholdConfig(default=Thresholds(max_mae=0.25)))
    assert [(m.criterion, m.statistic) for m in misses] == [("follow_up", "mae")]
    assert "needs <= 0.25" in misses[0].describe()


def test_undefined_statistics_with_pairs_are_skipped_and_without_pairs_missed() -> None:
    same = {"next_steps": 3, "follow_up": 3, "enthusiasm": 3}
    labels: Spec = {"c1": dict(same), "c2": dict(same)}
    # Every score equal: kappa is undefined although there are pairs.
    judged: Spec = {"c1": dict(same), "c2": {**same, "enthusiasm": "judge_error"}}
    result = make_result(judged, labels)
    both: Spec = {"c1": {**same, "enthusiasm": "judge_error"},
                  "c2": {**same, "enthusiasm": "judge_error"}}
    nothing = make_result(both, labels)
    config = ThresholdConfig(default=Thresholds(min_kappa=0.6))
    misses, notes = check_thresholds(result, config)
    assert misses == [] and any("next_steps: kappa is undefined" in n for n in notes)
    misses, _ = check_thresholds(nothing, config)
    assert [(m.criterion, m.value) for m in misses] == [("enthusiasm", None)]
    assert "nothing measured" in misses[0].describe()


def test_an_incomplete_run_never_becomes_a_baseline() -> None:
    result = make_result({k: v for k, v in LABELS.items() if k != "c2"},
                         failed={"c2": "ModelAPIError: 503"})
    with pytest.raises(ConfigError, match="1 failed"):
        make_baseline(result)
    report = build_report(result, ThresholdConfig(), Tolerance(), Path("b"))
    assert report.exit_code == 1
    assert "Failed cases:" in render_report(report) and "ModelAPIError: 503" in render_report(
        report)


def test_a_baseline_from_another_mode_is_flagged() -> None:
    baseline = make_baseline(make_result(OLD)).model_copy(update={"mode": "signals_only"})
    report = build_report(make_result(OLD), ThresholdConfig(), Tolerance(), Path("b"),
                          baseline=baseline)
    assert any("signals_only mode" in n for n in report.notes)
