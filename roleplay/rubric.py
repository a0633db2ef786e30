"""Rubrics: strict models, the YAML loader, the combination-policy rule table and fingerprints.

A rubric is a YAML file (``roleplay/rubrics/<id>.yaml`` for shipped ones): criteria, each with
five anchored levels, a pass threshold, a weight, an N/A rule, declared caps (red-flag rules from
`POLICY_RULES`) and optional checklist items. `load_rubric` reads it with a safe loader and
validates it strictly; every error names the file and the field.

Two hashes identify a judged result, and they answer different questions:

* **Fingerprint** (`fingerprint`): sha256 over the canonical rubric content (every field,
  including thresholds, weights and caps) plus the judge prompt template (its text and version),
  the judge model name and the judge settings. Two evaluations with the same fingerprint are
  comparable; any edit to the rubric changes it.
* **Judge cache key** (``Evaluator.cache_key``): sha256 over the full judge request (messages
  and reply schema, with the per-call random transcript delimiter replaced by a fixed
  placeholder) plus the model, the settings and the sample index. The judge prompt carries only
  what the judge reads (titles, descriptions, anchors, exemplars, N/A rule text, checklists),
  never post-processing fields. So editing a threshold, a weight or a cap changes the
  fingerprint but re-judges nothing (the cached verdicts are re-combined by code), while
  editing an anchor changes the request and re-judges.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from roleplay._ids import ID_PATTERN, list_ids, resolve_ref
from roleplay._yaml import load_yaml_model
from roleplay.errors import ConfigError
from roleplay.llm.base import ModelSettings

__all__ = [
    "DEFAULT_RUBRIC",
    "POLICY_RULES",
    "Cap",
    "ChecklistItem",
    "Criterion",
    "LooksAt",
    "NotApplicable",
    "NotApplicableWhen",
    "Overall",
    "PolicyRule",
    "Rubric",
    "default_rubric_dir",
    "fingerprint",
    "list_rubrics",
    "load_rubric",
    "rubric_json_schema",
]

DEFAULT_RUBRIC = "interview-close"
_CRITERION_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_LEVELS = (1, 2, 3, 4, 5)

LooksAt = Literal["opening", "answers", "candidate_questions", "close", "whole"]
NotApplicableWhen = Literal[
    "no_invitation_and_no_questions", "no_behavioural_prompt", "no_experience_described",
    "cut_off_before_close", "judge",
]


class _Strict(BaseModel):
    # Attribute docstrings become schema descriptions, so editors show them as hints.
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class PolicyRule(_Strict):
    """One row of the combination-policy table: a red-flag cap or a review check.

    The table is data here (so a rubric can be validated against it); the code that decides
    whether a rule fires lives in ``roleplay.evaluate.policy``.
    """

    id: str
    """Stable rule id, referenced by rubric ``caps`` / ``review_checks``."""
    criterion: str
    """The criterion the rule acts on."""
    effect: Literal["cap", "review_flag", "pass_guard"]
    """``cap`` lowers the score to at most the declared maximum; ``review_flag`` only flags;
    ``pass_guard`` keeps a criterion below its pass mark while a required part is missing."""
    default_max: int | None = None
    """The cap used by the shipped rubric (``cap`` rules only)."""
    description: str
    """What triggers the rule and what it does, for docs and reports."""


POLICY_RULES: tuple[PolicyRule, ...] = (
    PolicyRule(
        id="no_questions_asked", criterion="asked_questions", effect="cap", default_max=1,
        description="The interviewer invited questions and the candidate asked none anywhere "
                    "in the interview: asked_questions is at most 1 (N/A instead when never "
                    "invited and none asked).",
    ),
    PolicyRule(
        id="declined_questions", criterion="asked_questions", effect="cap", default_max=2,
        description="Right after the invitation the candidate said they had no questions "
                    "(\"you covered everything\") and had asked none about the work before: "
                    "asked_questions is at most 2.",
    ),
    PolicyRule(
        id="pay_perks_first", criterion="asked_questions", effect="cap", default_max=2,
        description="Pay, benefits, time off, hours, shifts, remote work or promotion was the "
                    "first or only topic of the candidate's questions, not raised by the "
                    "interviewer and not a final round: asked_questions is at most 2.",
    ),
    PolicyRule(
        id="hypothetical_answers", criterion="sar_answers", effect="cap", default_max=2,
        description="Every behavioural prompt got a hypothetical \"I would ...\" answer with no "
                    "past-tense own action: sar_answers is at most 2.",
    ),
    PolicyRule(
        id="extreme_length_majority", criterion="answer_balance", effect="cap", default_max=1,
        description="Most open answers are one-liners (< 25 words, or under 10 s where "
                    "timed) or monologues (> 450 words, or over 3 min where timed): "
                    "answer_balance is at most the declared cap.",
    ),
    PolicyRule(
        id="monologue_outlier", criterion="answer_balance", effect="cap", default_max=2,
        description="One answer ran past 800 words (320 s where timed), or a closed question "
                    "got more than 450 (3 min): answer_balance is at most 2.",
    ),
    PolicyRule(
        id="begging_phrase", criterion="asked_for_job", effect="cap", default_max=2,
        description="The candidate begged or pleaded from need (\"I really need this job\", "
                    "\"please give me a chance\", \"any job\"): asked_for_job is at most 2.",
    ),
    PolicyRule(
        id="presumptive_close", criterion="asked_for_job", effect="cap", default_max=4,
        description="A presumptive or blunt close (\"When can I start?\", \"Did I get the "
                    "job?\"): asked_for_job is at most 4.",
    ),
    PolicyRule(
        id="checklist_required", criterion="*", effect="pass_guard",
        description="The judge's own checklist says a part the criterion requires is missing "
                    "(a checklist item with pass_requires answered otherwise): the score is "
                    "capped just below the criterion's pass mark, so it is never passed.",
    ),
    PolicyRule(
        id="next_steps_unconfirmed", criterion="next_steps", effect="review_flag",
        description="The judge says next_steps is met, but code found no candidate question, "
                    "restatement or confirmation of the hiring process's next steps or timing "
                    "in the closing phase: flagged for review.",
    ),
    PolicyRule(
        id="follow_up_no_channel", criterion="follow_up", effect="review_flag",
        description="The judge says follow_up is met, but the candidate never names a channel "
                    "(email, phone, call) or asks for the preferred one: flagged for review.",
    ),
    PolicyRule(
        id="recap_not_found", criterion="closing_recap", effect="review_flag",
        description="The judge says closing_recap is met, but none of the last three candidate "
                    "turns shows interest or fit wording: flagged for review (a paraphrased "
                    "recap may still count).",
    ),
    PolicyRule(
        id="job_ask_not_found", criterion="asked_for_job", effect="review_flag",
        description="The judge says asked_for_job is met, but code found no statement of "
                    "wanting the role and no forward ask: flagged for review.",
    ),
    PolicyRule(
        id="questions_not_found", criterion="asked_questions", effect="review_flag",
        description="The judge says asked_questions is met, but code found no candidate "
                    "question about the work anywhere in the interview: flagged for review.",
    ),
)
_RULES_BY_ID = {rule.id: rule for rule in POLICY_RULES}


class Cap(_Strict):
    """A declared red-flag cap: when rule ``rule`` fires, the score is at most ``max``."""

    rule: str = Field(json_schema_extra={"enum": [r.id for r in POLICY_RULES if r.effect == "cap"]})
    """The id of a ``cap`` rule in `POLICY_RULES`."""
    max: int = Field(ge=1, le=5)
    """The highest score the criterion can keep when the rule fires."""

    @field_validator("rule")
    @classmethod
    def _known_cap(cls, value: str) -> str:
        rule = _RULES_BY_ID.get(value)
        if rule is None:
            known = ", ".join(r.id for r in POLICY_RULES if r.effect == "cap")
            raise ValueError(f"unknown cap rule {value!r}; known: {known}")
        if rule.effect != "cap":
            raise ValueError(f"rule {value!r} is a review check, not a cap; list it under "
                             "review_checks")
        return value


class NotApplicable(_Strict):
    """When a criterion may be N/A instead of scored."""

    when: NotApplicableWhen
    """The condition code checks before accepting the judge's N/A:
    ``no_invitation_and_no_questions`` (the interviewer never invited questions and none were
    asked), ``no_behavioural_prompt``, ``no_experience_described`` (the candidate never had
    occasion to describe their experience), ``cut_off_before_close``, or ``judge`` (the judge
    alone)."""
    rule: str = Field(min_length=1)
    """The N/A rule in words, as the judge reads it."""


class ChecklistItem(_Strict):
    """A yes/no question the judge answers before scoring a near-binary criterion."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    """Item id (a key in the judge's reply)."""
    question: str = Field(min_length=1)
    """The yes/no question."""
    pass_requires: bool | None = None
    """The answer this item needs for the criterion to pass (post-processing: not sent to the
    judge). When the judge answers otherwise, the score is capped just below the pass mark, so
    a criterion never passes while the judge's own checklist says a required part is missing.
    None: the item informs the score only."""


class Criterion(_Strict):
    """One rubric criterion, scored 1-5 (or N/A where its rule allows)."""

    id: str
    """Stable id (``^[a-z][a-z0-9_]{0,63}$``); the judge reply uses it as a key."""
    title: str = Field(min_length=1)
    """Short human title."""
    description: str = Field(min_length=1)
    """What the criterion is about."""
    phase: LooksAt = "whole"
    """The part of the interview it mainly reads: opening, answers, candidate_questions, close
    or whole."""
    levels: dict[int, str] = Field(
        json_schema_extra={
            "propertyNames": {"enum": ["1", "2", "3", "4", "5"]},
            "required": ["1", "2", "3", "4", "5"],
        }
    )
    """One anchor per level 1..5 (all five required)."""
    exemplar: str | None = None
    """An optional short level-5 example, shown to the judge."""
    pass_threshold: int = Field(default=3, ge=1, le=5)
    """Lowest score that counts as met (post-processing: not sent to the judge)."""
    weight: float = Field(default=1.0, gt=0)
    """Weight in the overall mean (post-processing: not sent to the judge)."""
    evidence_required: bool = True
    """Scores >= 2 need a verified candidate quote; False for criteria resting on computed
    counts (answer_balance)."""
    not_applicable: NotApplicable | None = None
    """When the criterion may be N/A; absent means it is always scored."""
    caps: list[Cap] = Field(default_factory=list)
    """Red-flag caps applied by code (post-processing: not sent to the judge)."""
    review_checks: list[str] = Field(
        default_factory=list,
        json_schema_extra={
            "items": {"enum": [r.id for r in POLICY_RULES if r.effect == "review_flag"]}
        },
    )
    """Ids of ``review_flag`` rules that cross-check the judge against signals."""
    checklist: list[ChecklistItem] = Field(default_factory=list)
    """Yes/no items the judge fills before scoring (near-binary criteria)."""

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        if not _CRITERION_ID.match(value):
            raise ValueError(f"invalid criterion id {value!r}: ids match {_CRITERION_ID.pattern}")
        return value

    @field_validator("levels")
    @classmethod
    def _five_levels(cls, value: dict[int, str]) -> dict[int, str]:
        missing = [level for level in _LEVELS if level not in value]
        extra = sorted(level for level in value if level not in _LEVELS)
        if missing:
            raise ValueError(f"missing anchor for level(s) {', '.join(map(str, missing))}; "
                             "levels 1-5 each need one anchor")
        if extra:
            raise ValueError(f"unexpected level(s) {', '.join(map(str, extra))}; levels are 1-5")
        empty = [level for level in _LEVELS if not value[level].strip()]
        if empty:
            raise ValueError(f"empty anchor for level(s) {', '.join(map(str, empty))}")
        return {level: value[level] for level in _LEVELS}

    @field_validator("caps")
    @classmethod
    def _caps_for_this_criterion(cls, value: list[Cap], info: ValidationInfo) -> list[Cap]:
        own = info.data.get("id")
        seen: set[str] = set()
        for i, cap in enumerate(value):
            rule = _RULES_BY_ID[cap.rule]
            if own is not None and rule.criterion != own:
                raise ValueError(f"caps.{i}: rule {cap.rule!r} acts on {rule.criterion!r}, not "
                                 f"{own!r}")
            if cap.rule in seen:
                raise ValueError(f"caps.{i}: rule {cap.rule!r} is listed twice")
            seen.add(cap.rule)
        return value

    @field_validator("review_checks")
    @classmethod
    def _known_checks(cls, value: list[str], info: ValidationInfo) -> list[str]:
        own = info.data.get("id")
        for i, rule_id in enumerate(value):
            rule = _RULES_BY_ID.get(rule_id)
            if rule is None or rule.effect != "review_flag":
                known = ", ".join(r.id for r in POLICY_RULES if r.effect == "review_flag")
                raise ValueError(f"review_checks.{i}: unknown review rule {rule_id!r}; "
                                 f"known: {known}")
            if own is not None and rule.criterion != own:
                raise ValueError(f"review_checks.{i}: rule {rule_id!r} acts on "
                                 f"{rule.criterion!r}, not {own!r}")
        return value

    @field_validator("checklist")
    @classmethod
    def _unique_items(cls, value: list[ChecklistItem]) -> list[ChecklistItem]:
        ids = [item.id for item in value]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate checklist item id(s): {', '.join(dupes)}")
        return value

    def cap_for(self, rule_id: str) -> int | None:
        """The declared cap of ``rule_id`` on this criterion, or None when not declared."""
        return next((cap.max for cap in self.caps if cap.rule == rule_id), None)


class Overall(_Strict):
    """How criteria combine into an overall score and verdict."""

    method: Literal["weighted_mean"] = "weighted_mean"
    """Weighted mean of the scored criteria; N/A and unscored criteria are left out."""
    pass_score: float = Field(default=3.0, ge=1, le=5)
    """The overall score needed to pass."""
    require_all: bool = False
    """Also require every scored criterion to meet its own threshold."""


class Rubric(_Strict):
    """A rubric: criteria with anchored levels, caps, N/A rules and an overall rule."""

    id: str
    """Rubric id (``^[a-z0-9][a-z0-9_-]{0,63}$``)."""
    version: str = Field(min_length=1)
    """Version string; bump it when anchors change."""
    description: str = ""
    """What the rubric assesses."""
    criteria: list[Criterion] = Field(min_length=1)
    """The criteria, in report order."""
    overall: Overall = Overall()
    """How the overall score and verdict are computed."""

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        if not ID_PATTERN.fullmatch(value):
            raise ValueError(f"invalid rubric id {value!r}: ids match {ID_PATTERN.pattern}")
        return value

    @field_validator("criteria")
    @classmethod
    def _unique_ids(cls, value: list[Criterion]) -> list[Criterion]:
        seen: dict[str, int] = {}
        for i, criterion in enumerate(value):
            if criterion.id in seen:
                first = seen[criterion.id]
                raise ValueError(f"duplicate criterion id {criterion.id!r} (criteria.{first} and "
                                 f"criteria.{i})")
            seen[criterion.id] = i
        return value

    def criterion(self, criterion_id: str) -> Criterion:
        """The criterion with ``criterion_id``.

        Raises:
            KeyError: no such criterion.
        """
        for criterion in self.criteria:
            if criterion.id == criterion_id:
                return criterion
        raise KeyError(criterion_id)

    def content_hash(self) -> str:
        """sha256 of the canonical rubric content alone (no judge)."""
        return _sha256({"rubric": self.model_dump(mode="json")})


def _sha256(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def fingerprint(
    rubric: Rubric,
    *,
    judge_template: str = "",
    model: str | None = None,
    settings: ModelSettings | None = None,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """The fingerprint of judging with ``rubric``: see the module docstring.

    Args:
        rubric: The rubric (every field counts, post-processing ones included).
        judge_template: The judge prompt template text including its version.
        model: The judge model name (None for signals-only evaluation).
        settings: The judge generation settings.
        extra: Anything else that changes results (e.g. the number of samples).
    """
    return _sha256({
        "rubric": rubric.model_dump(mode="json"),
        "judge_template": judge_template,
        "model": model,
        "settings": (settings or ModelSettings()).model_dump(mode="json", exclude_none=True),
        "extra": dict(extra or {}),
    })


def default_rubric_dir() -> Path:
    """The folder of the rubrics shipped with the package."""
    return Path(str(resources.files("roleplay"))) / "rubrics"


def load_rubric(
    ref: str | os.PathLike[str] = DEFAULT_RUBRIC, *, folder: Path | None = None
) -> Rubric:
    """Load a rubric by id (a shipped rubric, or one in ``folder``) or by path to a YAML file.

    Raises:
        ConfigError: unknown id, a path outside the rubric folder, unreadable file, bad YAML,
            or a schema error (unknown field, missing level, duplicate criterion id, unknown
            cap rule ...); the message names the file and the field.
    """
    path, expected_id = resolve_ref(ref, folder or default_rubric_dir(), "rubric",
                                    name_is_id=False)
    rubric = load_yaml_model(path, Rubric, schema_hint=(
        "the format is in the README's 'The rubric' and `roleplay.rubric.rubric_json_schema()`"))
    if expected_id is not None and rubric.id != expected_id:
        raise ConfigError(f"must be {expected_id!r} (the file name)", path=str(path), field="id")
    return rubric


def list_rubrics(folder: Path | None = None) -> list[Rubric]:
    """Every rubric in ``folder`` (default: the shipped ones), sorted by id."""
    base = folder or default_rubric_dir()
    return [load_rubric(rid, folder=base) for rid in list_ids(base)]


def rubric_json_schema() -> str:
    """The JSON Schema of rubric YAML files, for editors (``yaml-language-server``)."""
    schema = Rubric.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "roleplay rubric"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
