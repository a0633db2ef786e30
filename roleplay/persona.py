"""Interviewer personas, candidate profiles and scenarios: strict models and a safe loader."""

from __future__ import annotations

import json
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from roleplay.errors import ConfigError

__all__ = [
    "Behaviour",
    "CandidateBehaviour",
    "CandidateProfile",
    "Company",
    "Experience",
    "HiddenFact",
    "HiddenFacts",
    "Interviewer",
    "Persona",
    "QuestionBank",
    "Resume",
    "Role",
    "Scenario",
    "Stage",
    "Style",
    "default_persona_dir",
    "list_candidates",
    "list_personas",
    "load_candidate",
    "load_persona",
    "load_yaml_model",
    "persona_json_schema",
]

Stage = Literal["phone_screen", "hiring_manager", "panel", "final"]
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Company(_Strict):
    """The employer."""

    name: str = Field(min_length=1)
    """Company name."""
    what_it_does: str = Field(min_length=1)
    """One or two sentences on the business."""


class Interviewer(_Strict):
    """Who is asking the questions."""

    name: str = Field(min_length=1)
    """Full name."""
    title: str = Field(min_length=1)
    """Job title."""
    background: str = ""
    """A line of background that colours how they speak."""


class Role(_Strict):
    """The job being hired for."""

    title: str = Field(min_length=1)
    """Job title."""
    must_haves: list[str] = Field(min_length=1)
    """Requirements a hire must meet."""
    nice_to_haves: list[str] = Field(default_factory=list)
    """Pluses."""
    team_problems: list[str] = Field(min_length=1)
    """The real problems the team needs this hire to solve."""


class Style(_Strict):
    """How the interviewer comes across (1 = low, 5 = high)."""

    warmth: int = Field(ge=1, le=5)
    """1 cold ... 5 very warm."""
    verbosity: int = Field(ge=1, le=5)
    """1 terse ... 5 chatty."""
    scepticism: int = Field(ge=1, le=5)
    """1 takes claims at face value ... 5 challenges every claim."""
    pace: Literal["slow", "steady", "brisk"]
    """How quickly they move between questions."""


class QuestionBank(_Strict):
    """Questions the interviewer draws on."""

    behavioural: list[str] = Field(min_length=1)
    """"Tell me about a time ..." questions."""
    technical: list[str] = Field(default_factory=list)
    """Role skills questions."""
    motivational: list[str] = Field(default_factory=list)
    """Why this role, why us, why now."""


class Behaviour(_Strict):
    """How the interviewer runs the conversation."""

    interrupts_rambling: bool = False
    """Cuts in when an answer runs long."""
    probes_for_results: bool = True
    """Follows up when an answer has no outcome."""
    invites_questions: bool = True
    """Asks "do you have any questions for me?" before closing (False tests initiative)."""
    notes: list[str] = Field(default_factory=list)
    """Other habits, in plain words."""


class HiddenFact(_Strict):
    """A fact the interviewer knows and reveals only when the candidate asks."""

    fact: str = Field(min_length=1)
    """The fact, as the interviewer would say it."""
    markers: list[str] = Field(min_length=1)
    """Distinctive words whose mention by the interviewer reveals the fact (for the leak check)."""


class HiddenFacts(_Strict):
    """What happens after the interview; told only on request."""

    next_steps: HiddenFact
    """The next stage(s) of the process."""
    timeline: HiddenFact
    """When the candidate will hear, when a decision is made."""
    decision_maker: HiddenFact
    """Who decides."""
    contact: HiddenFact
    """Who the candidate may contact and how (phone or email)."""
    other: dict[str, HiddenFact] = Field(default_factory=dict)
    """More hidden facts by topic, e.g. ``salary_range``."""

    def items(self) -> list[tuple[str, HiddenFact]]:
        """Every hidden fact with its topic."""
        core = [
            ("next_steps", self.next_steps),
            ("timeline", self.timeline),
            ("decision_maker", self.decision_maker),
            ("contact", self.contact),
        ]
        return core + sorted(self.other.items())


class Persona(_Strict):
    """An interviewer persona (one YAML file in ``personas/``)."""

    id: str = ""
    """The file name without extension; filled in by the loader."""
    interviewer: Interviewer
    """Who is interviewing."""
    company: Company
    """The employer."""
    role: Role
    """The job."""
    stage: Stage
    """Interview stage: phone_screen, hiring_manager, panel or final."""
    style: Style
    """Tone and pace."""
    questions: QuestionBank
    """The question bank."""
    behaviour: Behaviour = Behaviour()
    """Conversation habits."""
    facts: list[str] = Field(default_factory=list)
    """Facts the interviewer may share freely (team size, tools, office ...)."""
    hidden_facts: HiddenFacts
    """Facts revealed only when asked."""
    opening: str | None = None
    """A fixed opening line; otherwise the model writes one in character."""


class Experience(_Strict):
    """One job on a résumé."""

    title: str
    """Job title."""
    company: str
    """Employer."""
    years: str
    """e.g. ``2019-2023``."""
    highlights: list[str] = Field(default_factory=list)
    """Achievements, with numbers where there are some."""


class Resume(_Strict):
    """A short résumé."""

    headline: str
    """One-line summary."""
    experience: list[Experience] = Field(min_length=1)
    """Jobs, most recent first."""
    education: list[str] = Field(default_factory=list)
    """Degrees and certificates."""
    skills: list[str] = Field(default_factory=list)
    """Skills."""


class CandidateBehaviour(_Strict):
    """Known behaviour of a simulated candidate, so verdicts can be predicted."""

    answer_style: Literal["star", "rambling", "one_liner", "polished", "vague"]
    """How answers are shaped."""
    questions: Literal["none", "salary_first", "generic", "informed"]
    """What kind of questions they ask when invited."""
    asks_for_job: Literal["confident", "begs", "never"]
    """How (and whether) they ask for the job."""
    confirms_next_steps: bool
    """Asks about process and timeline before leaving."""
    closing_recap: bool
    """Leaves one recap thought of interest + fit."""
    follow_up: bool
    """Agrees how to follow up (phone or email)."""
    instructions: str = Field(min_length=1)
    """Plain-language direction for the LLM playing the candidate."""


Verdict = Literal["pass", "fail"]


class CandidateProfile(_Strict):
    """A simulated candidate (one YAML file in ``personas/candidates/``)."""

    id: str = ""
    """The file name without extension; filled in by the loader."""
    name: str = Field(min_length=1)
    """Full name."""
    summary: str = Field(min_length=1)
    """Who they are in one or two sentences."""
    resume: Resume
    """Their résumé."""
    behaviour: CandidateBehaviour
    """How they behave in interviews."""
    expected: dict[str, Verdict] = Field(default_factory=dict)
    """Expected rubric verdicts by criterion id, for the mutation suite."""


class Scenario(_Strict):
    """The circumstances of one interview run."""

    max_turns: int = Field(default=24, ge=2, le=400)
    """Upper bound on turns (interviewer and candidate together)."""
    max_prompt_tokens: int = Field(default=6000, ge=500)
    """History budget per interviewer request; older turns are trimmed beyond it."""
    candidate_name: str | None = None
    """The candidate's name, when the interviewer should use it."""
    notes: str | None = None
    """Extra situation notes for the interviewer (e.g. "running ten minutes late")."""


M = TypeVar("M", bound=BaseModel)


def default_persona_dir() -> Path:
    """The personas shipped with the package (``roleplay/_personas`` in a wheel)."""
    packaged = Path(str(resources.files("roleplay"))) / "_personas"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "personas"


def _format_error(exc: ValidationError) -> tuple[str, str]:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"]) or "<root>"
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return loc, f"{err['msg']}{more}"


def load_yaml_model(path: Path, model: type[M], *, extra: dict[str, Any] | None = None) -> M:
    """Read ``path`` with a safe YAML loader and validate it as ``model``.

    Raises:
        ConfigError: unreadable file, bad YAML (including object tags), not a mapping, or a
            schema violation; the message names the file and the field.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read file: {exc.strerror}", path=str(path)) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}".replace("\n", " "), path=str(path)) from exc
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping at the top level", path=str(path))
    if extra:
        for key, value in extra.items():
            if key in data and data[key] != value:
                raise ConfigError(f"must be {value!r} (the file name) or absent",
                                  path=str(path), field=key)
            data[key] = value
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        loc, msg = _format_error(exc)
        raise ConfigError(msg, path=str(path), field=loc) from exc


def _resolve(ref: str | os.PathLike[str], folder: Path, kind: str) -> tuple[Path, str]:
    if isinstance(ref, os.PathLike) or str(ref).endswith((".yaml", ".yml")) or os.sep in str(ref):
        path = Path(ref).resolve()
        if not path.is_file():
            raise ConfigError(f"no {kind} file here", path=str(path))
        stem = path.stem
        if not ID_PATTERN.match(stem):
            raise ConfigError(f"file name must match {ID_PATTERN.pattern} to be a {kind} id",
                              path=str(path))
        return path, stem
    name = str(ref)
    if not ID_PATTERN.match(name):
        raise ConfigError(f"invalid {kind} id {name!r}: ids match {ID_PATTERN.pattern} "
                          "(lower-case letters, digits, '-' and '_'), or pass a path to a .yaml file")
    base = folder.resolve()
    for suffix in (".yaml", ".yml"):
        path = (base / f"{name}{suffix}").resolve()
        if not path.is_relative_to(base):
            raise ConfigError(f"{kind} id {name!r} resolves outside {base}")
        if path.is_file():
            return path, name
    known = ", ".join(_ids(base)) or "none"
    raise ConfigError(f"no {kind} {name!r} in {base}; known: {known}")


def _ids(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.iterdir()
                  if p.suffix in (".yaml", ".yml") and ID_PATTERN.match(p.stem))


def load_persona(ref: str | os.PathLike[str], *, folder: Path | None = None) -> Persona:
    """Load an interviewer persona by id (from ``folder``, default the shipped personas) or path.

    Raises:
        ConfigError: unknown id, path outside the folder, bad YAML or schema error.
    """
    path, pid = _resolve(ref, folder or default_persona_dir(), "persona")
    return load_yaml_model(path, Persona, extra={"id": pid})


def load_candidate(ref: str | os.PathLike[str], *, folder: Path | None = None) -> CandidateProfile:
    """Load a candidate profile by id (from ``personas/candidates``) or path."""
    path, cid = _resolve(ref, folder or default_persona_dir() / "candidates", "candidate profile")
    return load_yaml_model(path, CandidateProfile, extra={"id": cid})


def list_personas(folder: Path | None = None) -> list[Persona]:
    """Every persona in ``folder`` (default: the shipped ones), sorted by id."""
    base = folder or default_persona_dir()
    return [load_persona(pid, folder=base) for pid in _ids(base)]


def list_candidates(folder: Path | None = None) -> list[CandidateProfile]:
    """Every candidate profile, sorted by id."""
    base = folder or default_persona_dir() / "candidates"
    return [load_candidate(cid, folder=base) for cid in _ids(base)]


def persona_json_schema(kind: Literal["persona", "candidate"] = "persona") -> str:
    """The JSON Schema for persona (or candidate) YAML, for editors."""
    model: type[BaseModel] = Persona if kind == "persona" else CandidateProfile
    return json.dumps(model.model_json_schema(), indent=2)
