"""Rubric files: the shipped rubric, strict loading, clear errors, schema and fingerprints."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from roleplay.errors import ConfigError
from roleplay.llm.base import ModelSettings
from roleplay.rubric import (
    POLICY_RULES,
    Rubric,
    default_rubric_dir,
    fingerprint,
    list_rubrics,
    load_rubric,
    rubric_json_schema,
)

BAD = Path(__file__).parent / "data" / "rubrics_bad"
SHIPPED = default_rubric_dir() / "interview-close.yaml"


def test_default_rubric_has_exactly_the_eight_criteria() -> None:
    rubric = load_rubric()
    assert rubric.id == "interview-close"
    assert [c.id for c in rubric.criteria] == [
        "asked_questions", "sar_answers", "answer_balance", "enthusiasm", "asked_for_job",
        "next_steps", "closing_recap", "follow_up"]
    closing = {"asked_for_job", "next_steps", "closing_recap", "follow_up"}
    for c in rubric.criteria:
        assert sorted(c.levels) == [1, 2, 3, 4, 5] and all(c.levels.values())
        # Passed means done: on the closing criteria level 3 is the half-done level.
        assert c.pass_threshold == (4 if c.id in closing else 3)
        if c.id in closing:
            assert any(item.pass_requires is True for item in c.checklist), c.id


def test_default_rubric_declares_the_red_flag_caps_and_na_rules() -> None:
    rubric = load_rubric("interview-close")
    caps = {c.id: {cap.rule: cap.max for cap in c.caps} for c in rubric.criteria}
    assert caps["asked_questions"] == {"no_questions_asked": 1, "declined_questions": 2,
                                       "pay_perks_first": 2}
    assert caps["asked_for_job"] == {"begging_phrase": 2, "presumptive_close": 4}
    assert caps["sar_answers"] == {"hypothetical_answers": 2}
    assert caps["answer_balance"]["monologue_outlier"] == 2
    na = {c.id: c.not_applicable.when for c in rubric.criteria if c.not_applicable}
    # Initiative criteria (and enthusiasm, answer_balance) are always scored.
    assert na == {"asked_questions": "no_invitation_and_no_questions",
                  "sar_answers": "no_experience_described",
                  "next_steps": "cut_off_before_close"}
    assert not rubric.criterion("answer_balance").evidence_required


def test_shipped_rubric_points_editors_at_a_schema_that_is_current_and_valid() -> None:
    first = SHIPPED.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=./schema/rubric.schema.json"
    schema_file = SHIPPED.parent / "schema" / "rubric.schema.json"
    assert schema_file.read_text(encoding="utf-8") == rubric_json_schema()
    schema = json.loads(rubric_json_schema())
    # JSON has string keys only, as an editor sees the YAML.
    data = json.loads(json.dumps(yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))))
    jsonschema.validate(data, schema)
    del data["criteria"][0]["levels"]["4"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


@pytest.mark.parametrize(("name", "field", "message"), [
    ("missing_level.yaml", "criteria.0.levels", "missing anchor for level(s) 4"),
    ("duplicate_id.yaml", "criteria", "duplicate criterion id 'clarity'"),
    ("unknown_cap.yaml", "criteria.0.caps.0.rule", "unknown cap rule 'too_polite'"),
    ("cap_wrong_criterion.yaml", "criteria.0.caps", "acts on 'asked_for_job', not 'enthusiasm'"),
    ("unknown_field.yaml", "criteria.0.pass_treshold",
     "unknown key (did you mean 'pass_threshold'?)"),
    ("bad_threshold.yaml", "criteria.0.pass_threshold", "less than or equal to 5"),
    ("python_tag.yaml", "criteria (line 3)",
     "YAML tag !!python/object/apply:os.system is not allowed"),
    ("not_a_mapping.yaml", None, "expected a mapping"),
])
def test_malformed_rubrics_name_the_file_and_the_field(name: str, field: str | None,
                                                       message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_rubric(BAD / name)
    text = str(info.value)
    assert name in text and message in text
    assert info.value.path is not None and info.value.path.endswith(name)
    assert info.value.field == field


def test_a_duplicate_key_is_refused_naming_the_file_and_the_key() -> None:
    # PyYAML keeps the last of two equal keys; the strict loader (as for personas) refuses.
    with pytest.raises(ConfigError) as info:
        load_rubric(BAD / "duplicate_key.yaml")
    text = str(info.value)
    assert "duplicate_key.yaml" in text and "duplicate key 'pass_threshold'" in text
    assert info.value.field == "criteria.0.pass_threshold (line 9)"


@pytest.mark.parametrize("ref", ["../../etc/passwd", "Interview Close", "", "..", "x" * 80])
def test_rubric_ids_are_validated_before_touching_the_filesystem(ref: str) -> None:
    with pytest.raises(ConfigError):
        load_rubric(ref)


def test_unknown_id_lists_the_shipped_rubrics() -> None:
    with pytest.raises(ConfigError, match="interview-close"):
        load_rubric("no-such-rubric")


def test_a_file_loaded_by_id_must_carry_that_id(tmp_path: Path) -> None:
    text = SHIPPED.read_text(encoding="utf-8").replace("id: interview-close", "id: other", 1)
    (tmp_path / "mine.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_rubric("mine", folder=tmp_path)
    assert info.value.field == "id"
    (tmp_path / "other.yaml").write_text(text, encoding="utf-8")
    assert load_rubric("other", folder=tmp_path).id == "other"
    assert load_rubric(tmp_path / "mine.yaml").id == "other"  # by path, the file's id stands


def test_list_rubrics_loads_every_shipped_rubric() -> None:
    assert [r.id for r in list_rubrics()] == ["interview-close"]


def test_review_checks_and_caps_must_name_rules_of_the_right_kind() -> None:
    base = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    base["criteria"][4]["review_checks"] = ["begging_phrase"]
    with pytest.raises(ValueError, match="unknown review rule 'begging_phrase'"):
        Rubric.model_validate(base)
    base = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    base["criteria"][5]["caps"] = [{"rule": "next_steps_unconfirmed", "max": 2}]
    with pytest.raises(ValueError, match="is a review check, not a cap"):
        Rubric.model_validate(base)
    assert {r.effect for r in POLICY_RULES} == {"cap", "review_flag", "pass_guard"}


def test_fingerprint_changes_with_any_content_judge_model_or_settings() -> None:
    rubric = load_rubric()
    base = fingerprint(rubric, judge_template="t1", model="gpt-4o-mini")
    assert base == fingerprint(load_rubric(), judge_template="t1", model="gpt-4o-mini")
    crit = rubric.criteria[0]
    variants = [
        rubric.model_copy(update={"criteria": [crit.model_copy(update={"weight": 2.0}),
                                               *rubric.criteria[1:]]}),
        rubric.model_copy(update={"criteria": [crit.model_copy(update={"pass_threshold": 4}),
                                               *rubric.criteria[1:]]}),
        rubric.model_copy(update={"criteria": [crit.model_copy(update={"caps": []}),
                                               *rubric.criteria[1:]]}),
        rubric.model_copy(update={"criteria": [crit.model_copy(
            update={"levels": {**crit.levels, 3: "Two good questions."}}), *rubric.criteria[1:]]}),
    ]
    prints = {fingerprint(v, judge_template="t1", model="gpt-4o-mini") for v in variants}
    prints |= {
        fingerprint(rubric, judge_template="t2", model="gpt-4o-mini"),
        fingerprint(rubric, judge_template="t1", model="gpt-4o"),
        fingerprint(rubric, judge_template="t1", model="gpt-4o-mini",
                    settings=ModelSettings(temperature=0.5)),
    }
    assert base not in prints and len(prints) == 7
