"""Interviewer personas, candidate profiles and scenarios: strict models, loaded by id or path.

The files are read by the strict YAML loader (`roleplay._yaml`) and ids are resolved by
`roleplay._ids`, as rubrics and eval suites are.
"""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from roleplay._ids import ID_PATTERN, list_ids, require_folder, resolve_ref
from roleplay._yaml import load_yaml_model
from roleplay.cv import CandidateCV
from roleplay.errors import ConfigError

__all__ = [
    "ID_PATTERN",
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


class _Strict(BaseModel):
    # The field docstrings become JSON Schema descriptions, so editors show them on hover.
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


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
    markers: list[Annotated[str, Field(min_length=2, pattern=r"\S")]] = Field(min_length=1)
    """Distinctive words whose mention by the interviewer reveals the fact (for the leak check).

    Two to four short phrases that appear nowhere else in the persona: a name, a date, an
    address, a phone number, a named stage such as "panel interview".
    """


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
    """Leave out of files: the loader fills it from the file name (if given, it must match)."""
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
    drafted: list[str] = Field(default_factory=list)
    """Fields drafted as plausible practice facts because the source posting did not state them
    (dotted paths such as ``hidden_facts.timeline``); replace them with the employer's real ones."""


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
    """Leave out of files: the loader fills it from the file name (if given, it must match)."""
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
    fits: list[str] = Field(default_factory=list)
    """Ids of personas whose role this résumé suits, for pairing in eval suites."""


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
    candidate_cv: CandidateCV = None
    """The candidate's CV as text (`roleplay.cv.read_cv` reads a file): the interviewer asks about
    it and the judge checks claims of fit against it, always as candidate data."""


def default_persona_dir() -> Path:
    """The personas shipped with the package (``roleplay/_personas`` in a wheel).

    From a source checkout (or an editable install) this is the repository's ``personas/``.
    """
    packaged = Path(str(resources.files("roleplay"))) / "_personas"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "personas"


def load_persona(ref: str | os.PathLike[str], *, folder: Path | None = None) -> Persona:
    """Load an interviewer persona by id (from ``folder``, default the shipped personas) or path.

    Args:
        ref: An id such as ``"warm-hr-screener"``, or a path to a ``.yaml`` file (a
            ``pathlib.Path``, or a string ending in ``.yaml``/``.yml``).
        folder: Where ids are looked up; default :func:`default_persona_dir`.

    Raises:
        ConfigError: invalid or unknown id (the message lists the known ones), a path outside
            the folder, bad YAML or a schema error.
    """
    path, pid = resolve_ref(ref, folder or default_persona_dir(), "persona")
    return load_yaml_model(path, Persona, extra={"id": pid}, schema_hint=(
        "every field is described in the README's 'Persona format' and in "
        "`roleplay personas --schema persona`"))


def load_candidate(ref: str | os.PathLike[str], *, folder: Path | None = None) -> CandidateProfile:
    """Load a candidate profile by id (from ``personas/candidates``) or path.

    Raises:
        ConfigError: as :func:`load_persona`.
    """
    path, cid = resolve_ref(ref, folder or default_persona_dir() / "candidates",
                            "candidate profile")
    return load_yaml_model(path, CandidateProfile, extra={"id": cid}, schema_hint=(
        "the format is in `roleplay personas --schema candidate`"))


def list_personas(folder: Path | None = None) -> list[Persona]:
    """Every persona in ``folder`` (default: the shipped ones), sorted by id.

    Raises:
        ConfigError: the folder does not exist, or a persona in it is invalid.
    """
    base = require_folder(folder, default_persona_dir(), "persona")
    return [load_persona(pid, folder=base) for pid in list_ids(base)]


def list_candidates(folder: Path | None = None) -> list[CandidateProfile]:
    """Every candidate profile in ``folder`` (default: the shipped ones), sorted by id.

    Raises:
        ConfigError: the folder does not exist, or a profile in it is invalid.
    """
    base = require_folder(folder, default_persona_dir() / "candidates",
                          "candidate profile")
    return [load_candidate(cid, folder=base) for cid in list_ids(base)]


_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def persona_json_schema(kind: Literal["persona", "candidate"] = "persona") -> str:
    """The JSON Schema (draft 2020-12) for persona or candidate-profile YAML, for editors.

    ``personas/schema/*.schema.json`` are this output plus a final newline; regenerate them
    with ``roleplay personas --schema persona > personas/schema/persona.schema.json``.

    Raises:
        ConfigError: ``kind`` is neither ``"persona"`` nor ``"candidate"``.
    """
    models: dict[str, type[BaseModel]] = {"persona": Persona, "candidate": CandidateProfile}
    if kind not in models:
        raise ConfigError(f"unknown schema {kind!r}; choose persona or candidate")
    schema = {"$schema": _SCHEMA_DIALECT, **models[kind].model_json_schema()}
    return json.dumps(schema, indent=2)
