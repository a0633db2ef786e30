"""Interviewer personas, candidate profiles and scenarios: strict models and a safe loader."""

from __future__ import annotations

import difflib
import json
import logging
import os
import re
import types
from collections.abc import Hashable, Sequence
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails
from yaml.constructor import ConstructorError

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
"""Persona and candidate ids: the file name without ``.yaml``. Always use ``fullmatch``."""

logger = logging.getLogger(__name__)


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


M = TypeVar("M", bound=BaseModel)


def default_persona_dir() -> Path:
    """The personas shipped with the package (``roleplay/_personas`` in a wheel).

    From a source checkout (or an editable install) this is the repository's ``personas/``.
    """
    packaged = Path(str(resources.files("roleplay"))) / "_personas"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "personas"


# --- YAML -------------------------------------------------------------------------------------

_MERGE_TAG = "tag:yaml.org,2002:merge"
_TAG_PREFIX = "tag:yaml.org,2002:"


class _UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that rejects duplicate keys, which PyYAML silently overwrites."""

    def construct_mapping(
        self, node: yaml.MappingNode, deep: bool = False
    ) -> dict[Hashable, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue  # `<<: *base` merges may legitimately be overridden
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:
                continue  # unhashable: the base class reports it with a proper message
            if duplicate:
                raise ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _yaml_path_at(text: str, line: int, column: int) -> str | None:
    """The dotted key path of the node starting at (line, column), 0-based, if any."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    target = (line, column)
    visited: set[int] = set()

    def walk(node: yaml.Node, path: list[str]) -> list[str] | None:
        if id(node) in visited:  # aliases can make the node graph cyclic
            return None
        visited.add(id(node))
        children: list[tuple[str, yaml.Node | None, yaml.Node]] = []
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                name = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
                children.append((str(name), key_node, value_node))
        elif isinstance(node, yaml.SequenceNode):
            children = [(str(i), None, item) for i, item in enumerate(node.value)]
        for name, key_node, value_node in children:
            here = [*path, name]
            for candidate in (key_node, value_node):
                if candidate is not None and (
                    candidate.start_mark.line, candidate.start_mark.column
                ) == target:
                    return here
            found = walk(value_node, here)
            if found:
                return found
        return None

    found = walk(root, []) if root is not None else None
    return ".".join(found) if found else None


def _yaml_error(exc: yaml.YAMLError, text: str, path: Path) -> ConfigError:
    mark = getattr(exc, "problem_mark", None)
    problem = str(getattr(exc, "problem", None) or exc).strip()
    field: str | None = None
    if mark is not None:
        where = _yaml_path_at(text, mark.line, mark.column)
        field = f"{where} (line {mark.line + 1})" if where else f"line {mark.line + 1}"
    if isinstance(exc, ConstructorError) and "could not determine a constructor" in problem:
        tag = re.search(r"'([^']+)'", problem)
        shown = tag.group(1) if tag else "?"
        if shown.startswith(_TAG_PREFIX):
            shown = "!!" + shown[len(_TAG_PREFIX):]
        message = f"YAML tag {shown} is not allowed: these files hold plain data only"
    elif isinstance(exc, ConstructorError):
        message = problem
    else:
        context = getattr(exc, "context", None)
        message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    return ConfigError(" ".join(message.split()), path=str(path), field=field)


# --- validation errors ------------------------------------------------------------------------


def _unwrap(tp: Any) -> Any:
    """Strip ``Annotated`` and ``Optional`` so the underlying type can be inspected."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _model_at(model: type[BaseModel], loc: Sequence[int | str]) -> type[BaseModel] | None:
    """The model class that validates the mapping at ``loc``, when it can be worked out."""
    tp: Any = model
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(part))
            if field is None:
                return None
            tp = field.annotation
        elif get_origin(tp) in (list, tuple, set, frozenset):
            tp = get_args(tp)[0]
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        else:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(err: ErrorDetails, model: type[BaseModel]) -> str:
    kind, loc = err["type"], err["loc"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        owner = _model_at(model, loc[:-1])
        message = "unknown key"
        if owner is not None:
            allowed = list(owner.model_fields)
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            if close:
                message += f" (did you mean {close[0]!r}?)"
            message += "; allowed keys: " + ", ".join(allowed)
        return message
    return f"{err['msg']} (got {_shown(err.get('input'))})"


def _loc(err: ErrorDetails) -> str:
    return ".".join(str(p) for p in err["loc"])


def _format_error(exc: ValidationError, model: type[BaseModel]) -> tuple[str | None, str]:
    errors = exc.errors()
    first = errors[0]
    message = _describe(first, model)
    if len(errors) > 1:
        others = ", ".join(_loc(e) or "<top level>" for e in errors[1:4])
        more = "" if len(errors) <= 4 else ", ..."
        message += f" (and {len(errors) - 1} more: {others}{more})"
    return _loc(first) or None, message


# --- loading ----------------------------------------------------------------------------------


def load_yaml_model(path: Path, model: type[M], *, extra: dict[str, Any] | None = None,
                    schema_hint: str | None = None) -> M:
    """Read ``path`` with a safe YAML loader and validate it as ``model``.

    Only plain YAML data is accepted: object tags such as ``!!python/object/apply`` are refused,
    and so are duplicate keys (which YAML would otherwise silently overwrite).

    Args:
        path: The YAML file.
        model: The pydantic model to validate the top-level mapping as.
        extra: Keys to add to the mapping (e.g. ``{"id": <file stem>}``); a file may repeat
            such a key only with the same value.
        schema_hint: Where the format is described, added to the message of a missing or
            unknown field.

    Raises:
        ConfigError: unreadable file, bad YAML, not a mapping, or a schema violation; the
            message names the file and the field (or line).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError("not UTF-8 text", path=str(path)) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read file: {exc.strerror}", path=str(path)) from exc
    try:
        # A SafeLoader subclass: plain data only, never arbitrary objects.
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, text, path) from exc
    if data is None:
        raise ConfigError("the file is empty; expected a mapping of fields", path=str(path))
    if not isinstance(data, dict):
        raise ConfigError(f"expected a mapping of fields at the top level, got {_shown(data)}",
                          path=str(path))
    if extra:
        for key, value in extra.items():
            if key in data and data[key] != value:
                raise ConfigError(f"must be {value!r} (the file name) or left out",
                                  path=str(path), field=key)
            data[key] = value
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        field, message = _format_error(exc, model)
        if schema_hint and exc.errors()[0]["type"] in ("missing", "extra_forbidden"):
            # A missing or unknown field means the format is not known yet: say where it is.
            message += f"; {schema_hint}"
        raise ConfigError(message, path=str(path), field=field) from exc


def _resolve(ref: str | os.PathLike[str], folder: Path, kind: str) -> tuple[Path, str]:
    # Only an explicit path (a PathLike, or a name ending in .yaml/.yml) is read as a file;
    # every other string must be a plain id, so "../../etc/passwd" never touches the disk.
    if isinstance(ref, os.PathLike) or str(ref).endswith((".yaml", ".yml")):
        path = Path(ref)
        if not path.is_file():
            raise ConfigError(f"no {kind} file here", path=str(path))
        if not ID_PATTERN.fullmatch(path.stem):
            raise ConfigError(f"the file name must be a valid {kind} id "
                              f"({ID_PATTERN.pattern}, e.g. 'my-interviewer.yaml')",
                              path=str(path))
        return path.resolve(), path.stem
    name = str(ref)
    if not ID_PATTERN.fullmatch(name):
        raise ConfigError(
            f"invalid {kind} id {name!r}: an id is a file name without '.yaml' made of "
            "lower-case letters, digits, '-' and '_' (at most 64 characters); "
            "to load a file, pass a path ending in .yaml"
        )
    base = folder.resolve()
    for suffix in (".yaml", ".yml"):
        path = (base / f"{name}{suffix}").resolve()
        if not path.is_relative_to(base):  # e.g. a symlink pointing out of the folder
            raise ConfigError(f"{kind} id {name!r} resolves outside {base}")
        if path.is_file():
            return path, name
    known = _ids(base)
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ConfigError(f"no {kind} {name!r} in {base}{hint}; known: {', '.join(known) or 'none'}")


def _ids(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    found: set[str] = set()
    for path in folder.iterdir():
        if path.suffix not in (".yaml", ".yml") or not path.is_file():
            continue
        if ID_PATTERN.fullmatch(path.stem):
            found.add(path.stem)
        else:
            logger.warning("skipping %s: the file name is not a valid id (%s)",
                           path, ID_PATTERN.pattern)
    return sorted(found)


def _folder(folder: Path | None, default: Path, kind: str) -> Path:
    base = folder if folder is not None else default
    if not base.is_dir():
        raise ConfigError(f"no {kind} folder here", path=str(base))
    return base


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
    path, pid = _resolve(ref, folder or default_persona_dir(), "persona")
    return load_yaml_model(path, Persona, extra={"id": pid}, schema_hint=(
        "every field is described in the README's 'Persona format' and in "
        "`roleplay personas --schema persona`"))


def load_candidate(ref: str | os.PathLike[str], *, folder: Path | None = None) -> CandidateProfile:
    """Load a candidate profile by id (from ``personas/candidates``) or path.

    Raises:
        ConfigError: as :func:`load_persona`.
    """
    path, cid = _resolve(ref, folder or default_persona_dir() / "candidates", "candidate profile")
    return load_yaml_model(path, CandidateProfile, extra={"id": cid}, schema_hint=(
        "the format is in `roleplay personas --schema candidate`"))


def list_personas(folder: Path | None = None) -> list[Persona]:
    """Every persona in ``folder`` (default: the shipped ones), sorted by id.

    Raises:
        ConfigError: the folder does not exist, or a persona in it is invalid.
    """
    base = _folder(folder, default_persona_dir(), "persona")
    return [load_persona(pid, folder=base) for pid in _ids(base)]


def list_candidates(folder: Path | None = None) -> list[CandidateProfile]:
    """Every candidate profile in ``folder`` (default: the shipped ones), sorted by id.

    Raises:
        ConfigError: the folder does not exist, or a profile in it is invalid.
    """
    base = _folder(folder, default_persona_dir() / "candidates", "candidate profile")
    return [load_candidate(cid, folder=base) for cid in _ids(base)]


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
