"""Suite and case loading: the happy path and every schema error, each naming file and field."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

from roleplay.errors import ConfigError, TranscriptError
from roleplay.evals.suite import (
    SuiteError,
    case_json_schema,
    cited_turns,
    load_suite,
    suite_json_schema,
)
from roleplay.importing import render_srt, render_text, render_vtt

ROOT = Path(__file__).resolve().parent.parent
MINI = Path(__file__).parent / "data" / "suites" / "mini"
CRITERIA = ("asked_questions", "sar_answers", "answer_balance", "enthusiasm", "asked_for_job",
            "next_steps", "closing_recap", "follow_up")


@pytest.fixture
def suite_dir(tmp_path: Path) -> Path:
    target = tmp_path / "mini"
    shutil.copytree(MINI, target)
    return target


def edit_yaml(path: Path, change: dict[str, object]) -> None:
    data = yaml.safe_load(path.read_text())
    data.update(change)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def edit_label(path: Path, criterion: str, **fields: object) -> None:
    data = yaml.safe_load(path.read_text())
    data["labels"][criterion].update(fields)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_loads_cases_labels_and_stage() -> None:
    suite = load_suite(MINI)
    assert suite.id == "mini"
    assert suite.criteria == CRITERIA
    assert [c.id for c in suite.cases] == ["c1-strong", "c2-no-close", "c3-no-invite",
                                           "c4-injection"]
    strong = suite.cases[0]
    assert strong.labels["next_steps"].score == 5
    assert suite.cases[2].labels["asked_questions"].score == "na"
    # The case's stage reaches the judge through the transcript's scenario.
    assert strong.transcript.scenario["stage"] == "hiring_manager"
    assert strong.transcript.turns[1].speaker == "candidate"
    assert suite.rubric_ref() == "interview-close"
    assert suite.baseline_path("judge") == MINI / "baseline.json"
    assert suite.baseline_path("signals_only") == MINI / "baseline.signals.json"


def test_accepts_the_suite_yaml_path_and_loads_the_rubric_itself(suite_dir: Path) -> None:
    suite = load_suite(suite_dir / "suite.yaml")
    assert suite.criteria == CRITERIA


def test_signals_only_mode_overrides_and_falls_back() -> None:
    config = load_suite(MINI).config
    judge, signals = config.mode("judge"), config.mode("signals_only")
    assert judge.thresholds.for_criterion("next_steps").min_accuracy == 0.5
    assert signals.thresholds.for_criterion("next_steps").min_accuracy == 0.0
    assert signals.tolerance == judge.tolerance  # not overridden: falls back
    assert (judge.baseline, signals.baseline) == ("baseline.json", "baseline.signals.json")


def test_per_criterion_thresholds_override_the_default_field_by_field(suite_dir: Path) -> None:
    edit_yaml(suite_dir / "suite.yaml", {"thresholds": {
        "default": {"min_accuracy": 0.8, "min_kappa": 0.6},
        "criteria": {"answer_balance": {"min_kappa": 0.4}},
    }})
    thresholds = load_suite(suite_dir, criteria=CRITERIA).config.thresholds
    own = thresholds.for_criterion("answer_balance")
    assert (own.min_accuracy, own.min_kappa) == (0.8, 0.4)
    assert thresholds.for_criterion("next_steps").min_kappa == 0.6


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"bogus": 1}, "bogus"),
        ({"id": "Not An Id"}, "id"),
        ({"thresholds": {"default": {"min_kappa": 2}}}, "thresholds.default.min_kappa"),
        ({"thresholds": {"default": {"min_kapa": 0.6}}}, "thresholds.default.min_kapa"),
        ({"judge": {"model": "gpt-4o-mini", "settings": {"temprature": 0}}},
         "judge.settings.temprature"),
        ({"tolerance": {"kappa": -0.1}}, "tolerance.kappa"),
        ({"baseline": "../elsewhere.json"}, "baseline"),
        ({"signals_only": {"baseline": 3}}, "signals_only.baseline"),
    ],
)
def test_suite_schema_errors_name_the_file_and_field(suite_dir: Path, change: dict[str, object],
                                                     field: str) -> None:
    edit_yaml(suite_dir / "suite.yaml", change)
    with pytest.raises(ConfigError) as info:
        load_suite(suite_dir, criteria=CRITERIA)
    assert info.value.field == field
    assert str(suite_dir / "suite.yaml") in str(info.value)


def test_a_missing_required_field_is_named(suite_dir: Path) -> None:
    data = yaml.safe_load((suite_dir / "suite.yaml").read_text())
    del data["rubric"]
    (suite_dir / "suite.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match="rubric: .*required"):
        load_suite(suite_dir, criteria=CRITERIA)


def test_threshold_for_an_unknown_criterion(suite_dir: Path) -> None:
    edit_yaml(suite_dir / "suite.yaml",
              {"thresholds": {"criteria": {"asked_question": {"min_kappa": 0.5}}}})
    with pytest.raises(ConfigError) as info:
        load_suite(suite_dir, criteria=CRITERIA)
    assert info.value.field == "thresholds.criteria.asked_question"


def test_an_unknown_rubric_is_reported_on_the_rubric_field(suite_dir: Path) -> None:
    edit_yaml(suite_dir / "suite.yaml", {"rubric": "no-such-rubric"})
    with pytest.raises(ConfigError) as info:
        load_suite(suite_dir)
    assert info.value.field == "rubric" and "no-such-rubric" in str(info.value)


def test_a_rubric_path_is_relative_to_the_suite(suite_dir: Path) -> None:
    shipped = ROOT / "roleplay" / "rubrics" / "interview-close.yaml"
    (suite_dir / "rubrics").mkdir()
    shutil.copy(shipped, suite_dir / "rubrics" / "interview-close.yaml")
    edit_yaml(suite_dir / "suite.yaml", {"rubric": "rubrics/interview-close.yaml"})
    suite = load_suite(suite_dir)
    assert suite.rubric_ref() == (suite_dir / "rubrics" / "interview-close.yaml").resolve()
    assert suite.criteria == CRITERIA


def test_no_matching_case_files(suite_dir: Path) -> None:
    edit_yaml(suite_dir / "suite.yaml", {"cases": "nothing/*.yaml"})
    with pytest.raises(ConfigError) as info:
        load_suite(suite_dir, criteria=CRITERIA)
    assert info.value.field == "cases"


def case_error(suite_dir: Path) -> ConfigError:
    with pytest.raises(SuiteError) as info:
        load_suite(suite_dir, criteria=CRITERIA)
    assert len(info.value.problems) == 1
    return info.value.problems[0]


def test_a_rationale_without_a_turn(suite_dir: Path) -> None:
    case = suite_dir / "cases" / "c2-no-close.yaml"
    edit_label(case, "enthusiasm", rationale="Only politeness, no interest.")
    err = case_error(suite_dir)
    assert err.path == str(case)
    assert err.field == "labels.enthusiasm.rationale"
    assert "cite at least one turn" in str(err)


def test_a_rationale_citing_a_turn_the_transcript_lacks(suite_dir: Path) -> None:
    case = suite_dir / "cases" / "c2-no-close.yaml"
    edit_label(case, "follow_up", rationale="Nothing by T6 or in T7-T9.")
    err = case_error(suite_dir)
    assert err.path == str(case) and err.field == "labels.follow_up.rationale"
    assert "cites T7" in str(err) and "6 turns" in str(err)


def test_a_rationale_citing_turn_zero(suite_dir: Path) -> None:
    edit_label(suite_dir / "cases" / "c2-no-close.yaml", "follow_up", rationale="See T0.")
    assert "cites T0" in str(case_error(suite_dir))


def test_a_multi_line_rationale(suite_dir: Path) -> None:
    edit_label(suite_dir / "cases" / "c2-no-close.yaml", "follow_up",
               rationale="T6 has nothing.\nNor does T4.")
    assert "one line" in str(case_error(suite_dir))


def test_a_missing_criterion_label(suite_dir: Path) -> None:
    case = suite_dir / "cases" / "c3-no-invite.yaml"
    data = yaml.safe_load(case.read_text())
    del data["labels"]["closing_recap"]
    case.write_text(yaml.safe_dump(data))
    err = case_error(suite_dir)
    assert err.path == str(case) and err.field == "labels"
    assert "closing_recap" in str(err)


def test_a_label_for_an_unknown_criterion(suite_dir: Path) -> None:
    case = suite_dir / "cases" / "c3-no-invite.yaml"
    data = yaml.safe_load(case.read_text())
    data["labels"]["charisma"] = {"score": 3, "rationale": "T2 is charming."}
    case.write_text(yaml.safe_dump(data))
    assert case_error(suite_dir).field == "labels.charisma"


@pytest.mark.parametrize("score", [0, 6, "4", "n/a", True, 3.5])
def test_scores_are_1_to_5_or_na(suite_dir: Path, score: object) -> None:
    edit_label(suite_dir / "cases" / "c1-strong.yaml", "enthusiasm", score=score)
    err = case_error(suite_dir)
    assert err.field is not None and err.field.startswith("labels.enthusiasm.score")


def test_case_schema_errors(suite_dir: Path) -> None:
    case = suite_dir / "cases" / "c1-strong.yaml"
    edit_yaml(case, {"stage": "lunch", "colour": "blue"})
    err = case_error(suite_dir)
    assert err.path == str(case) and "stage" in str(err) and "1 more" in str(err)


def test_a_missing_transcript_file(suite_dir: Path) -> None:
    case = suite_dir / "cases" / "c1-strong.yaml"
    edit_yaml(case, {"transcript": "gone.txt"})
    err = case_error(suite_dir)
    assert err.field == "transcript" and "gone.txt" in str(err)


def test_a_bad_transcript_names_its_file_and_line(suite_dir: Path) -> None:
    (suite_dir / "cases" / "c4-injection.txt").write_text(
        "\nThe interviewer asked and the candidate said hello.\n")
    err = case_error(suite_dir)
    assert isinstance(err, TranscriptError)
    assert "c4-injection.txt" in str(err) and "line 2" in str(err)


def test_bad_yaml_is_reported(suite_dir: Path) -> None:
    (suite_dir / "cases" / "c1-strong.yaml").write_text("labels: [unclosed\n")
    assert "invalid YAML" in str(case_error(suite_dir))


def test_every_broken_case_is_reported_at_once(suite_dir: Path) -> None:
    edit_label(suite_dir / "cases" / "c1-strong.yaml", "enthusiasm", rationale="No turn.")
    edit_label(suite_dir / "cases" / "c2-no-close.yaml", "follow_up", rationale="T99.")
    with pytest.raises(SuiteError) as info:
        load_suite(suite_dir, criteria=CRITERIA)
    assert len(info.value.problems) == 2
    message = str(info.value)
    assert "2 problems" in message and "c1-strong.yaml" in message and "c2-no-close.yaml" in message
    assert isinstance(info.value, ConfigError)


def test_a_missing_suite() -> None:
    with pytest.raises(ConfigError, match="no suite here"):
        load_suite(MINI / "cases")


@pytest.mark.parametrize(
    ("text", "turns"),
    [
        ("T4 and T12", [4, 12]),
        ("T14-T20 are short", [14, 20]),
        ("T3-5 and T7\u2013T8", [3, 5, 7, 8]),
        ("restates the T1/T19 need", [1, 19]),
        ("no turn here, not even T-shirts", []),
    ],
)
def test_cited_turns(text: str, turns: list[int]) -> None:
    assert cited_turns(text) == turns


def test_committed_json_schemas_are_current() -> None:
    schema_dir = ROOT / "evals" / "schema"
    assert (schema_dir / "suite.schema.json").read_text() == suite_json_schema()
    assert (schema_dir / "case.schema.json").read_text() == case_json_schema()


def test_the_json_schemas_accept_the_test_suite_and_reject_typos() -> None:
    suite_schema = json.loads(suite_json_schema())
    case_schema = json.loads(case_json_schema())
    jsonschema.validate(yaml.safe_load((MINI / "suite.yaml").read_text()), suite_schema)
    for path in (MINI / "cases").glob("*.yaml"):
        jsonschema.validate(yaml.safe_load(path.read_text()), case_schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"id": "x", "description": "d", "rubric": "r", "judg": {}},
                            suite_schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"transcript": "a.txt", "description": "d",
                             "labels": {"x": {"score": 7, "rationale": "T1"}}}, case_schema)


@pytest.mark.parametrize("fmt", ["vtt", "srt", "names"])
def test_a_case_transcript_may_be_any_format_with_names_given_in_the_case(
        suite_dir: Path, fmt: str) -> None:
    original = load_suite(suite_dir).cases[0]
    people = original.transcript.model_copy(update={"turns": tuple(
        t.model_copy(update={"name": "Ana Ruiz" if t.speaker == "candidate" else "Sam Hale"})
        for t in original.transcript.turns)})
    rendered = {"vtt": render_vtt, "srt": render_srt, "names": render_text}[fmt](people)
    case = suite_dir / "cases" / "c1-strong.yaml"
    target = case.with_suffix(".vtt" if fmt == "vtt" else ".srt" if fmt == "srt" else ".log")
    target.write_text(rendered, encoding="utf-8")
    # The case file names the candidate, as a suite of recordings would.
    edit_yaml(case, {"transcript": target.name, "candidate": "Ana Ruiz"})
    loaded = load_suite(suite_dir).cases[0]
    assert [(t.speaker, " ".join(t.text.split())) for t in loaded.transcript.turns] == [
        (t.speaker, " ".join(t.text.split())) for t in original.transcript.turns]
    edit_yaml(case, {"candidate": "Nobody"})
    err = case_error(suite_dir)
    assert "Nobody" in str(err) and target.name in str(err)
