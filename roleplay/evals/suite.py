"""Eval suites: a strict ``suite.yaml`` plus labelled cases, loaded and cross-checked.

Layout::

    evals/<suite>/suite.yaml
    evals/<suite>/baseline.json           # committed judge baseline
    evals/<suite>/baseline.signals.json   # committed signals-only baseline
    evals/<suite>/cases/<case-id>.txt     # transcript (plain text, or .json in our format)
    evals/<suite>/cases/<case-id>.yaml    # labels

Every problem is a `ConfigError` naming the file and the field; `load_suite` reports all the
problems it finds in one error (`SuiteError`), so a labeller fixes them in one pass.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from roleplay._ids import ID_PATTERN
from roleplay._yaml import load_yaml_model
from roleplay.errors import ConfigError
from roleplay.evals._rubric import rubric_info
from roleplay.importing import load_transcript
from roleplay.llm.base import ModelSettings
from roleplay.persona import Stage
from roleplay.transcript import InputFormat, Transcript

__all__ = [
    "STATISTICS",
    "CaseFile",
    "CaseLabel",
    "EvalCase",
    "EvalSuite",
    "JudgeConfig",
    "Mode",
    "ModeConfig",
    "SignalsOnlyConfig",
    "SuiteConfig",
    "SuiteError",
    "ThresholdConfig",
    "Thresholds",
    "Tolerance",
    "case_json_schema",
    "cited_turns",
    "load_suite",
    "suite_json_schema",
]

Mode = Literal["judge", "signals_only"]
"""``judge``: signals plus the LLM judge; ``signals_only``: deterministic signals, no model."""

STATISTICS: dict[str, Literal["higher", "lower"]] = {
    "accuracy": "higher",
    "pass_kappa": "higher",
    "kappa": "higher",
    "alpha": "higher",
    "mae": "lower",
    "exact": "higher",
    "within_one": "higher",
    "flip_rate": "lower",
}
"""Statistics compared against the baseline, and which direction is better."""

_SUITE_FILE = "suite.yaml"
_TURN_REF = re.compile(r"\bT(\d+)(?:\s*[-\u2013]\s*T?(\d+))?")


class _Strict(BaseModel):
    # Attribute docstrings become schema descriptions, which editors show as hints.
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class Thresholds(_Strict):
    """Minimum agreement a criterion must reach; an unset field is not checked."""

    min_accuracy: float | None = Field(default=None, ge=0, le=1)
    """Lowest share of cases whose pass/fail/na verdict matches the label."""
    min_kappa: float | None = Field(default=None, ge=-1, le=1)
    """Lowest quadratic-weighted Cohen's kappa of the 1-5 scores."""
    min_alpha: float | None = Field(default=None, ge=-1, le=1)
    """Lowest Krippendorff's alpha (ordinal)."""
    max_mae: float | None = Field(default=None, ge=0, le=4)
    """Highest mean absolute score error."""

    def over(self, base: Thresholds) -> Thresholds:
        """These thresholds, falling back to ``base`` for every unset field."""
        return base.model_copy(update=self.model_dump(exclude_none=True))


class ThresholdConfig(_Strict):
    """Thresholds for every criterion, with per-criterion overrides."""

    default: Thresholds = Thresholds()
    """Applies to every criterion."""
    criteria: dict[str, Thresholds] = Field(default_factory=dict)
    """Per criterion id; each set field replaces the default's."""

    def for_criterion(self, criterion: str) -> Thresholds:
        """The effective thresholds of ``criterion``."""
        own = self.criteria.get(criterion)
        return own.over(self.default) if own else self.default


class Tolerance(_Strict):
    """How far each statistic may regress against the baseline before the run fails.

    A regression is a drop (for ``mae`` and ``flip_rate``: a rise) larger than the tolerance,
    in the statistic's own units. Unset statistics use ``default``.
    """

    default: float = Field(default=0.0, ge=0)
    """Tolerance for every statistic not listed."""
    accuracy: float | None = Field(default=None, ge=0)
    """Pass/fail/na verdict accuracy."""
    pass_kappa: float | None = Field(default=None, ge=0)
    """Pass/fail Cohen's kappa."""
    kappa: float | None = Field(default=None, ge=0)
    """Quadratic-weighted kappa."""
    alpha: float | None = Field(default=None, ge=0)
    """Krippendorff's alpha."""
    mae: float | None = Field(default=None, ge=0)
    """Mean absolute error (a rise is a regression)."""
    exact: float | None = Field(default=None, ge=0)
    """Exact score agreement."""
    within_one: float | None = Field(default=None, ge=0)
    """Within-one score agreement."""
    flip_rate: float | None = Field(default=None, ge=0)
    """Flip rate across samples (a rise is a regression)."""

    def for_statistic(self, name: str) -> float:
        """The tolerance of statistic ``name``."""
        value = getattr(self, name, None)
        return self.default if value is None else float(value)


class JudgeConfig(_Strict):
    """The judge model the suite is measured with (command-line flags override it)."""

    model: str = Field(min_length=1)
    """Model name, e.g. ``gpt-4o-mini``."""
    settings: ModelSettings = ModelSettings()
    """Generation settings (temperature, seed, max_tokens ...)."""
    samples: int = Field(default=1, ge=1, le=20)
    """Judge samples per case (``--samples`` overrides); more than one measures stability."""


class ModeConfig(_Strict):
    """Thresholds, tolerance and baseline for one mode."""

    thresholds: ThresholdConfig = ThresholdConfig()
    """Minimum agreement per criterion."""
    tolerance: Tolerance = Tolerance()
    """Allowed regression against the baseline."""
    baseline: str = "baseline.json"
    """Baseline file, relative to the suite folder."""


class SignalsOnlyConfig(_Strict):
    """Overrides for ``--signals-only`` runs; unset fields fall back to the judge mode's."""

    thresholds: ThresholdConfig | None = None
    """Thresholds for the signals; signals are weaker than the judge, so usually lower."""
    tolerance: Tolerance | None = None
    """Allowed regression of the signals against their own baseline."""
    baseline: str = "baseline.signals.json"
    """Baseline file of signals-only runs, relative to the suite folder."""


class SuiteConfig(_Strict):
    """The contents of ``suite.yaml``."""

    id: str = Field(pattern=ID_PATTERN.pattern)
    """Suite id (names the run folder and the baseline)."""
    description: str = Field(min_length=1)
    """What the suite measures."""
    rubric: str = Field(min_length=1)
    """Rubric id (``interview-close``) or a ``.yaml`` path relative to the suite folder."""
    judge: JudgeConfig | None = None
    """The judge; required unless the suite only ever runs ``--signals-only``."""
    cases: str = "cases/*.yaml"
    """Glob of case files, relative to the suite folder."""
    thresholds: ThresholdConfig = ThresholdConfig()
    """Judge-mode thresholds."""
    tolerance: Tolerance = Tolerance()
    """Judge-mode tolerance against the baseline."""
    baseline: str = "baseline.json"
    """Judge-mode baseline file, relative to the suite folder."""
    signals_only: SignalsOnlyConfig = SignalsOnlyConfig()
    """Overrides for ``--signals-only`` runs."""

    @field_validator("cases", "baseline")
    @classmethod
    def _relative(cls, value: str) -> str:
        if Path(value).is_absolute() or ".." in Path(value).parts:
            raise ValueError("must be a path inside the suite folder")
        return value

    def mode(self, mode: Mode) -> ModeConfig:
        """The effective thresholds, tolerance and baseline of ``mode``."""
        if mode == "judge":
            return ModeConfig(thresholds=self.thresholds, tolerance=self.tolerance,
                              baseline=self.baseline)
        return ModeConfig(
            thresholds=self.signals_only.thresholds or self.thresholds,
            tolerance=self.signals_only.tolerance or self.tolerance,
            baseline=self.signals_only.baseline,
        )


Score = Annotated[int, Field(strict=True, ge=1, le=5)]


class CaseLabel(_Strict):
    """A human label for one criterion."""

    score: Score | Literal["na"]
    """1-5, or ``na`` when the criterion does not apply."""
    rationale: str = Field(min_length=1, json_schema_extra={"pattern": r"T\d+"})
    """One line that cites at least one turn as ``T<n>`` (or a range ``T3-T5``)."""
    passed: bool | None = None
    """Overrides the rubric's threshold for pass/fail (rarely needed)."""

    @field_validator("rationale")
    @classmethod
    def _one_line_with_turns(cls, value: str) -> str:
        value = value.strip()
        if "\n" in value:
            raise ValueError("must be one line")
        if not cited_turns(value):
            raise ValueError("must cite at least one turn, e.g. 'T12' or 'T3-T5'")
        return value


class CaseFile(_Strict):
    """The contents of a case's ``.yaml`` file."""

    transcript: str = Field(min_length=1)
    """The transcript file, relative to the case file: our JSON, text, WebVTT or SRT."""
    input_format: InputFormat | None = None
    """Read the transcript as this format (default: detect it from the content)."""
    interviewer: list[str] = Field(default_factory=list)
    """The interviewers' names as the transcript writes them (default: detected)."""
    candidate: str | None = None
    """The candidate's name as the transcript writes it (default: detected)."""
    description: str = Field(min_length=1)
    """One line on what the case tests."""
    stage: Stage | None = None
    """Interview stage (``phone_screen``, ``hiring_manager``, ``panel``, ``final``)."""
    tags: list[str] = Field(default_factory=list)
    """Free tags (``strong``, ``hard``, ``injection`` ...)."""
    labels: dict[str, CaseLabel]
    """One label per criterion of the suite's rubric."""


def cited_turns(text: str) -> list[int]:
    """Every turn number a rationale cites (``T4``, ``T1/T19``, both ends of ``T14-T20``)."""
    turns: list[int] = []
    for match in _TURN_REF.finditer(text):
        turns.append(int(match.group(1)))
        if match.group(2):
            turns.append(int(match.group(2)))
    return turns


@dataclass(frozen=True)
class EvalCase:
    """One loaded case: labels plus its parsed transcript."""

    id: str
    """The case file name without extension."""
    path: Path
    """The case ``.yaml`` file."""
    spec: CaseFile
    """The validated case file."""
    transcript: Transcript
    """The transcript, with the case's stage in ``scenario['stage']`` when given."""

    @property
    def labels(self) -> dict[str, CaseLabel]:
        """Labels by criterion id."""
        return self.spec.labels

    @property
    def transcript_digest(self) -> str:
        """A hash of the transcript as the evaluator sees it (a changed case is re-judged)."""
        data = self.transcript.model_dump(mode="json")
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class EvalSuite:
    """A loaded suite: its configuration, folder and cases."""

    config: SuiteConfig
    """The validated ``suite.yaml``."""
    root: Path
    """The suite folder."""
    cases: tuple[EvalCase, ...]
    """The cases, sorted by id."""
    criteria: tuple[str, ...] = field(default=())
    """The rubric's criterion ids the labels were checked against."""

    @property
    def id(self) -> str:
        """The suite id."""
        return self.config.id

    @property
    def path(self) -> Path:
        """The ``suite.yaml`` file."""
        return self.root / _SUITE_FILE

    def rubric_ref(self) -> str | Path:
        """The rubric as `load_rubric` takes it: an id, or a path resolved against the suite."""
        return _rubric_ref(self.config, self.root)

    def baseline_path(self, mode: Mode) -> Path:
        """The committed baseline of ``mode``."""
        return self.root / self.config.mode(mode).baseline


class SuiteError(ConfigError):
    """One or more problems in a suite; ``problems`` lists each (file and field named)."""

    def __init__(self, problems: Sequence[ConfigError]) -> None:
        self.problems = list(problems)
        shown = "\n  ".join(str(p) for p in self.problems[:25])
        more = f"\n  ... and {len(self.problems) - 25} more" if len(self.problems) > 25 else ""
        first = self.problems[0]
        if len(self.problems) == 1:
            # Keep the plain one-problem message; path and field are already in str(first).
            ConfigError.__init__(self, str(first))
        else:
            ConfigError.__init__(self, f"{len(self.problems)} problems:\n  {shown}{more}")
        self.path = first.path
        self.field = first.field


def _suite_file(path: str | Path) -> Path:
    p = Path(path)
    if p.is_dir():
        p = p / _SUITE_FILE
    if not p.is_file():
        raise ConfigError("no suite here (expected a suite folder or its suite.yaml)", path=str(p))
    return p


def _check_case(case_path: Path, criteria: Sequence[str] | None) -> EvalCase:
    spec = load_yaml_model(case_path, CaseFile)
    case_id = case_path.stem
    if not ID_PATTERN.fullmatch(case_id):
        raise ConfigError(f"case file names must match {ID_PATTERN.pattern}", path=str(case_path))
    transcript_path = case_path.parent / spec.transcript
    if not transcript_path.is_file():
        raise ConfigError(f"no transcript file {spec.transcript!r} next to the case",
                          path=str(case_path), field="transcript")
    transcript = load_transcript(transcript_path, format=spec.input_format,
                                 interviewer=spec.interviewer or None, candidate=spec.candidate)
    if spec.stage and "stage" not in transcript.scenario:
        # The judge reads the stage from the scenario (pay questions are judged by stage).
        transcript = transcript.model_copy(
            update={"scenario": {**transcript.scenario, "stage": spec.stage}}
        )
    if criteria is not None:
        missing = [c for c in criteria if c not in spec.labels]
        if missing:
            raise ConfigError(f"no label for criterion {', '.join(missing)} (every criterion of "
                              "the rubric needs a score or 'na')",
                              path=str(case_path), field="labels")
        unknown = [c for c in spec.labels if c not in criteria]
        if unknown:
            raise ConfigError(f"not a criterion of the rubric (known: {', '.join(criteria)})",
                              path=str(case_path), field=f"labels.{unknown[0]}")
    n_turns = len(transcript.turns)
    for criterion, label in spec.labels.items():
        bad = [t for t in cited_turns(label.rationale) if not 1 <= t <= n_turns]
        if bad:
            raise ConfigError(
                f"cites T{bad[0]} but the transcript {spec.transcript} has {n_turns} turns",
                path=str(case_path), field=f"labels.{criterion}.rationale",
            )
    return EvalCase(id=case_id, path=case_path, spec=spec, transcript=transcript)


def load_suite(path: str | Path, *, criteria: Sequence[str] | None = None) -> EvalSuite:
    """Load a suite folder (or its ``suite.yaml``) and every case, and cross-check them.

    Args:
        path: The suite folder or its ``suite.yaml``.
        criteria: The rubric's criterion ids. ``None`` loads the suite's rubric to get them.

    Raises:
        ConfigError: the suite file is missing or invalid.
        SuiteError: one or more cases are invalid: bad YAML or schema, a missing or unknown
            criterion label, a rationale that cites no turn or a turn the transcript does not
            have, an unreadable transcript, or no case at all.
    """
    suite_path = _suite_file(path)
    config = load_yaml_model(suite_path, SuiteConfig)
    root = suite_path.parent
    if criteria is None:
        try:
            criteria = rubric_info(_rubric_ref(config, root)).criteria
        except ConfigError as exc:
            raise ConfigError(f"cannot load the rubric: {exc}", path=str(suite_path),
                              field="rubric") from exc
    problems: list[ConfigError] = []
    for name, thresholds in (("thresholds", config.thresholds),
                             ("signals_only.thresholds", config.signals_only.thresholds)):
        for criterion in (thresholds.criteria if thresholds else {}):
            if criterion not in criteria:
                problems.append(ConfigError(
                    f"not a criterion of the rubric (known: {', '.join(criteria)})",
                    path=str(suite_path), field=f"{name}.criteria.{criterion}"))
    case_paths = sorted(p for p in root.glob(config.cases) if p.is_file())
    if not case_paths:
        problems.append(ConfigError(f"no case files match {config.cases!r}",
                                    path=str(suite_path), field="cases"))
    cases: list[EvalCase] = []
    seen: dict[str, Path] = {}
    for case_path in case_paths:
        try:
            case = _check_case(case_path, criteria)
        except ConfigError as exc:
            problems.append(exc)
            continue
        if case.id in seen:
            problems.append(ConfigError(f"duplicate case id (also {seen[case.id]})",
                                        path=str(case_path)))
            continue
        seen[case.id] = case_path
        cases.append(case)
    if problems:
        raise SuiteError(problems)
    return EvalSuite(config=config, root=root, cases=tuple(cases), criteria=tuple(criteria))


def _rubric_ref(config: SuiteConfig, root: Path) -> str | Path:
    ref = config.rubric
    if ref.endswith((".yaml", ".yml")) or "/" in ref:
        return (root / ref).resolve()
    return ref


def suite_json_schema() -> str:
    """The JSON Schema of ``suite.yaml`` (for editors; committed as ``evals/schema/``)."""
    schema = SuiteConfig.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "roleplay eval suite (suite.yaml)"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def case_json_schema() -> str:
    """The JSON Schema of a case's ``.yaml`` file."""
    schema = CaseFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "roleplay eval case (cases/<case-id>.yaml)"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
