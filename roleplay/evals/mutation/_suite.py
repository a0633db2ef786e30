"""The mutation suite file: which candidates meet which personas, and what must hold."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from roleplay._ids import ID_PATTERN
from roleplay._yaml import load_yaml_model
from roleplay.errors import ConfigError
from roleplay.evals.mutation._types import (
    Verdict,
    _Strict,
)
from roleplay.llm.base import ModelSettings
from roleplay.rubric import Rubric, load_rubric

__all__ = ["Ordering", "RoleSettings", "MutationSuite", "load_mutation_suite"]


class Ordering(_Strict):
    """``better`` must score higher than ``worse`` with every persona, in every run."""

    better: str
    """Candidate profile id expected to score higher."""
    worse: str
    """Candidate profile id expected to score lower."""
    criterion: str = "overall"
    """A criterion id, or ``overall`` for the weighted overall score."""
    personas: list[str] | None = None
    """Only with these personas (default: every persona of the run)."""


class RoleSettings(_Strict):
    """Generation settings per role."""

    interviewer: ModelSettings = ModelSettings()
    """Interviewer requests."""
    candidate: ModelSettings = ModelSettings()
    """Simulated-candidate requests."""
    judge: ModelSettings = ModelSettings()
    """Judge requests (merged over the evaluator's temperature-0 default)."""


class MutationSuite(_Strict):
    """A mutation suite file (``evals/mutation/suite.yaml``)."""

    id: str = Field(pattern=ID_PATTERN.pattern)
    """Suite id."""
    description: str = ""
    """What the suite checks."""
    rubric: str = "interview-close"
    """Rubric id, or a ``.yaml`` path relative to the suite file."""
    candidates: list[str] = Field(min_length=1)
    """Candidate profile ids (each with ``expected`` verdicts)."""
    personas: list[str] = Field(min_length=1)
    """Interviewer persona ids."""
    k: int = Field(default=3, ge=1)
    """Simulations per pair."""
    max_turns: int = Field(default=24, ge=2, le=400)
    """Turn limit of each simulated interview."""
    settings: RoleSettings = RoleSettings()
    """Generation settings per role."""
    expectations: dict[str, dict[str, Verdict]] = Field(default_factory=dict)
    """Per candidate id, verdicts that replace or add to the profile's ``expected``."""
    allow_not_applicable: dict[str, list[str]] = Field(default_factory=dict)
    """Per persona id, criteria whose ``not_applicable`` verdict counts as meeting the
    expectation (e.g. ``asked_questions`` with an interviewer who never invites questions)."""
    orderings: list[Ordering] = Field(default_factory=list)
    """Score orderings to check."""

    def load_rubric(self) -> Rubric:
        """The suite's rubric (a path was made absolute when the suite was loaded)."""
        return load_rubric(Path(self.rubric) if self.rubric.endswith((".yaml", ".yml"))
                           else self.rubric)


def _check_suite(suite: MutationSuite, path: Path) -> None:
    def fail(message: str, field: str) -> ConfigError:
        return ConfigError(message, path=str(path), field=field)

    for name, ids in (("candidates", suite.candidates), ("personas", suite.personas)):
        for i, value in enumerate(ids):
            if not ID_PATTERN.fullmatch(value):
                raise fail(f"{value!r} is not a valid id", f"{name}.{i}")
        if len(set(ids)) != len(ids):
            raise fail("an id is listed twice", name)
    for persona in suite.allow_not_applicable:
        if persona not in suite.personas:
            raise fail(f"persona {persona!r} is not in personas", "allow_not_applicable")
    for candidate in suite.expectations:
        if candidate not in suite.candidates:
            raise fail(f"candidate {candidate!r} is not in candidates", "expectations")
    for i, o in enumerate(suite.orderings):
        for cid in (o.better, o.worse):
            if cid not in suite.candidates:
                raise fail(f"candidate {cid!r} is not in candidates", f"orderings.{i}")
        for pid in o.personas or ():
            if pid not in suite.personas:
                raise fail(f"persona {pid!r} is not in personas", f"orderings.{i}.personas")


def load_mutation_suite(path: str | Path) -> MutationSuite:
    """Load a mutation suite: a folder holding ``suite.yaml``, or the file itself.

    A rubric given as a ``.yaml`` path is resolved against the suite's folder. Candidate and
    persona ids are checked when the run loads them.

    Raises:
        ConfigError: missing or invalid file, or inconsistent ids (an ordering, expectation or
            N/A allowance naming a candidate or persona the suite does not list); the message
            names the file and the field.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "suite.yaml"
    if not path.is_file():
        raise ConfigError("no mutation suite file here", path=str(path))
    suite = load_yaml_model(path, MutationSuite)
    _check_suite(suite, path)
    if suite.rubric.endswith((".yaml", ".yml")):
        suite = suite.model_copy(update={"rubric": str((path.parent / suite.rubric).resolve())})
    return suite
