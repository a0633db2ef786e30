"""The mutation suite: simulate candidates whose behaviour is known, evaluate, check expectations.

Every candidate profile in ``personas/candidates/`` plays a known behaviour and declares the
verdict each criterion should get (``expected``: the strong closer passes ``next_steps``, the
salary-first candidate fails ``asked_questions``, the beggar fails ``asked_for_job`` ...). A run
simulates every candidate x persona pair ``k`` times (an LLM interviewer against an LLM playing
the profile), evaluates every transcript (the judge, or signals only), and reports:

* per pair and criterion, each run's **outcome**: ``met`` (the verdict is the expected one),
  ``missed``, ``excused`` (not applicable where the suite allows it, e.g. ``asked_questions``
  with an interviewer who never invites questions) or ``undecided`` (insufficient evidence or a
  judge error; in signals-only mode, what signals cannot decide);
* **pass^k**: whether *all* k runs met the expectation (reliability, not best-of-k: a check
  that holds in 2 of 3 simulations fails pass^3), and the **pass rate** (share of runs met);
* **orderings** ("the strong closer's overall score beats the one-liner's"), per persona and
  run, with the same pass^k and rate.

Models come from a factory called with a `Slot` (role, candidate, persona, run), so a caller
can give each role its own model, or bind each pair to its own recording.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from roleplay.candidates import LLMCandidate
from roleplay.errors import ConfigError
from roleplay.evaluate import Evaluation, Evaluator
from roleplay.importing import load_transcript
from roleplay.llm.base import ChatModel, ModelSettings, Usage
from roleplay.persona import (
    ID_PATTERN,
    CandidateProfile,
    Persona,
    Scenario,
    load_candidate,
    load_persona,
    load_yaml_model,
)
from roleplay.rubric import Rubric, load_rubric
from roleplay.session import Interview
from roleplay.transcript import Transcript

__all__ = [
    "CheckResult",
    "ModelFactory",
    "MutationReport",
    "MutationSuite",
    "Ordering",
    "OrderingResult",
    "Outcome",
    "Role",
    "RoleSettings",
    "RunVerdict",
    "SimulationRecord",
    "Slot",
    "evaluate_mutation",
    "load_mutation_suite",
    "load_transcripts",
    "render_mutation",
    "run_mutation",
    "save_transcripts",
    "simulate_pairs",
]

log = logging.getLogger(__name__)

Role = Literal["interviewer", "candidate", "judge"]
Verdict = Literal["pass", "fail"]
Outcome = Literal["met", "missed", "excused", "undecided"]
MutationMode = Literal["judge", "signals_only"]
MutationFormat = Literal["text", "md", "json"]

_OK: tuple[Outcome, ...] = ("met", "excused")
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Slot:
    """Which model a `ModelFactory` is asked for."""

    role: Role
    """``interviewer``, ``candidate`` or ``judge``."""
    candidate_id: str
    """The candidate profile of the pair."""
    persona_id: str
    """The interviewer persona of the pair."""
    run: int
    """The simulation's index within the pair, from 0."""


ModelFactory = Callable[[Slot], ChatModel]
"""Returns the (sync) chat model for a slot; it may return the same model every time."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


# ---------------------------------------------------------------------------------------------
# The suite file


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


# ---------------------------------------------------------------------------------------------
# Results


class RunVerdict(_Strict):
    """One criterion in one simulated interview."""

    status: str
    """The evaluation status (``scored``, ``not_applicable``, ``insufficient_evidence`` ...)."""
    score: int | None = None
    """The score, when scored."""
    passed: bool | None = None
    """Pass/fail, when scored."""
    outcome: Outcome
    """``met``, ``missed``, ``excused`` or ``undecided`` (see the module docs)."""


def _pass_k(outcomes: Sequence[Outcome]) -> bool | None:
    if not outcomes or all(o == "undecided" for o in outcomes):
        return None
    return all(o in _OK for o in outcomes)


def _rate(outcomes: Sequence[Outcome]) -> float | None:
    if not outcomes or all(o == "undecided" for o in outcomes):
        return None
    return round(sum(o in _OK for o in outcomes) / len(outcomes), 4)


class CheckResult(_Strict):
    """One expectation (pair x criterion) over every run."""

    candidate_id: str
    """The candidate profile."""
    persona_id: str
    """The persona."""
    criterion: str
    """The criterion id."""
    expected: Verdict
    """The expected verdict."""
    runs: tuple[RunVerdict, ...]
    """One per simulation, in run order."""

    @property
    def outcomes(self) -> tuple[Outcome, ...]:
        """Each run's outcome."""
        return tuple(r.outcome for r in self.runs)

    @property
    def pass_k(self) -> bool | None:
        """Every run met the expectation (``None`` when no run could decide)."""
        return _pass_k(self.outcomes)

    @property
    def pass_rate(self) -> float | None:
        """Share of runs that met it (``None`` when no run could decide)."""
        return _rate(self.outcomes)


class OrderingResult(_Strict):
    """One ordering with one persona over every run."""

    persona_id: str
    """The persona."""
    better: str
    """The candidate expected to score higher."""
    worse: str
    """The candidate expected to score lower."""
    criterion: str
    """A criterion id or ``overall``."""
    better_scores: tuple[float | None, ...]
    """The better candidate's score per run."""
    worse_scores: tuple[float | None, ...]
    """The worse candidate's score per run."""

    @property
    def holds(self) -> tuple[bool | None, ...]:
        """Per run: better > worse (``None`` when either score is missing)."""
        return tuple(None if b is None or w is None else b > w
                     for b, w in zip(self.better_scores, self.worse_scores, strict=False))

    @property
    def outcomes(self) -> tuple[Outcome, ...]:
        """Per run: ``met``, ``missed`` or ``undecided``."""
        return tuple("undecided" if h is None else "met" if h else "missed" for h in self.holds)

    @property
    def pass_k(self) -> bool | None:
        """The ordering held in every run (``None`` when no run could decide)."""
        return _pass_k(self.outcomes)

    @property
    def pass_rate(self) -> float | None:
        """Share of runs where it held."""
        return _rate(self.outcomes)


class SimulationRecord(_Strict):
    """One simulated and evaluated interview."""

    candidate_id: str
    """The candidate profile."""
    persona_id: str
    """The persona."""
    run: int
    """Index within the pair, from 0."""
    transcript_id: str
    """The transcript's id."""
    end_reason: str
    """Why the interview ended."""
    turns: int
    """Turns in the transcript."""
    overall: float | None
    """The evaluation's overall score."""
    simulation_usage: Usage
    """Interviewer and candidate usage."""
    simulation_cost_usd: float | None
    """Their estimated cost (``None`` when a price is unknown)."""
    judge_usage: Usage
    """Judge usage."""
    judge_cost_usd: float | None
    """Judge cost."""


class MutationReport(_Strict):
    """The outcome of a mutation run."""

    suite_id: str | None
    """The suite, when run from one."""
    mode: MutationMode
    """``judge`` or ``signals_only``."""
    judge_model: str | None
    """The judge model (``None`` in signals-only mode)."""
    k: int
    """Simulations per pair (the most any pair had)."""
    checks: tuple[CheckResult, ...]
    """Every pair x criterion expectation."""
    orderings: tuple[OrderingResult, ...]
    """Every ordering per persona."""
    simulations: tuple[SimulationRecord, ...]
    """Every simulated interview."""

    def _decided(self) -> list[CheckResult]:
        return [c for c in self.checks if c.pass_k is not None]

    @property
    def pass_k_share(self) -> float | None:
        """Share of decided checks whose every run met the expectation (pass^k)."""
        decided = self._decided()
        return round(sum(bool(c.pass_k) for c in decided) / len(decided), 4) if decided else None

    @property
    def pass_rate(self) -> float | None:
        """Mean pass rate over decided checks."""
        rates = [c.pass_rate for c in self._decided() if c.pass_rate is not None]
        return round(sum(rates) / len(rates), 4) if rates else None

    @property
    def failures(self) -> list[CheckResult]:
        """Checks that failed pass^k."""
        return [c for c in self.checks if c.pass_k is False]

    @property
    def ordering_failures(self) -> list[OrderingResult]:
        """Orderings that failed pass^k."""
        return [o for o in self.orderings if o.pass_k is False]

    @property
    def ok(self) -> bool:
        """No check and no ordering failed pass^k."""
        return not self.failures and not self.ordering_failures

    def check(self, candidate_id: str, persona_id: str, criterion: str) -> CheckResult:
        """The check for one pair and criterion.

        Raises:
            KeyError: no such check.
        """
        for c in self.checks:
            if (c.candidate_id, c.persona_id, c.criterion) == (candidate_id, persona_id,
                                                                 criterion):
                return c
        raise KeyError((candidate_id, persona_id, criterion))

    def ordering(self, persona_id: str, better: str, worse: str,
                 criterion: str = "overall") -> OrderingResult:
        """The result of one ordering with one persona.

        Raises:
            KeyError: no such ordering.
        """
        for o in self.orderings:
            if (o.persona_id, o.better, o.worse, o.criterion) == (persona_id, better, worse,
                                                                    criterion):
                return o
        raise KeyError((persona_id, better, worse, criterion))

    @property
    def usage(self) -> Usage:
        """Usage of every simulation and judge call."""
        total = Usage()
        for s in self.simulations:
            total = total + s.simulation_usage + s.judge_usage
        return total

    @property
    def cost_usd(self) -> float | None:
        """Estimated cost of the whole run (``None`` when any price is unknown)."""
        total = 0.0
        for s in self.simulations:
            for cost in (s.simulation_cost_usd, s.judge_cost_usd):
                if cost is None:
                    return None
                total += cost
        return total


# ---------------------------------------------------------------------------------------------
# Running


def _map(fn: Callable[[T], R], items: Sequence[T], concurrency: int) -> list[R]:
    if concurrency <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="mutation") as pool:
        return list(pool.map(fn, items))


def _personas(refs: Iterable[str | Persona]) -> list[Persona]:
    return [load_persona(r) if isinstance(r, str) else r for r in refs]


def _profiles(refs: Iterable[str | CandidateProfile]) -> list[CandidateProfile]:
    return [load_candidate(r) if isinstance(r, str) else r for r in refs]


def simulate_pairs(
    model_factory: ModelFactory,
    candidates: Sequence[str | CandidateProfile],
    personas: Sequence[str | Persona],
    k: int = 1,
    *,
    scenario: Scenario | None = None,
    settings: RoleSettings | None = None,
    concurrency: int = 1,
) -> list[Transcript]:
    """Simulate every candidate x persona pair ``k`` times; transcripts in pair-then-run order.

    Args:
        model_factory: Returns the interviewer's and the candidate's model for each `Slot`.
        candidates: Candidate profile ids or profiles.
        personas: Persona ids or personas.
        k: Simulations per pair.
        scenario: Turn limit and history budget (default `Scenario()`).
        settings: Generation settings per role.
        concurrency: Interviews run at once (threads; the factory's models must be thread-safe).

    Raises:
        ConfigError: an unknown candidate or persona id, or ``k`` < 1.
        ModelAPIError: a model call failed after its retries.
    """
    if k < 1:
        raise ConfigError(f"k must be at least 1, got {k}", field="k")
    profiles, people = _profiles(candidates), _personas(personas)
    roles = settings or RoleSettings()
    jobs = [(c, p, run) for c in profiles for p in people for run in range(k)]

    def simulate(job: tuple[CandidateProfile, Persona, int]) -> Transcript:
        profile, persona, run = job
        interviewer = model_factory(Slot("interviewer", profile.id, persona.id, run))
        player = model_factory(Slot("candidate", profile.id, persona.id, run))
        candidate = LLMCandidate(profile, player, settings=roles.candidate)
        transcript = Interview(persona, candidate, interviewer, scenario=scenario,
                               settings=roles.interviewer).run()
        log.info("simulated %s x %s run %d: %d turns, %s", profile.id, persona.id, run + 1,
                 len(transcript.turns), transcript.end_reason)
        return transcript

    return _map(simulate, jobs, concurrency)


def _expectations(profile: CandidateProfile, overrides: Mapping[str, Mapping[str, Verdict]],
                  rubric: Rubric) -> dict[str, Verdict]:
    expected: dict[str, Verdict] = dict(profile.expected)
    expected.update(overrides.get(profile.id, {}))
    known = [c.id for c in rubric.criteria]
    for criterion in expected:
        if criterion not in known:
            raise ConfigError(f"unknown criterion {criterion!r} in the expected verdicts of "
                              f"candidate {profile.id!r}; rubric {rubric.id!r} has: "
                              + ", ".join(known), field=f"expected.{criterion}")
    # Rubric order, so reports read the same way every time.
    return {c: expected[c] for c in known if c in expected}


def _outcome(status: str, passed: bool | None, expected: Verdict, excused: bool) -> Outcome:
    if status == "scored" and passed is not None:
        return "met" if passed == (expected == "pass") else "missed"
    if status == "not_applicable":
        return "excused" if excused else "missed"
    return "undecided"


def _score(evaluation: Evaluation, criterion: str) -> float | None:
    if criterion == "overall":
        return evaluation.overall
    result = evaluation.criterion(criterion)
    return float(result.score) if result.status == "scored" and result.score is not None else None


def evaluate_mutation(
    transcripts: Sequence[Transcript],
    *,
    judge_factory: ModelFactory | None = None,
    signals_only: bool = False,
    rubric: Rubric | None = None,
    judge_settings: ModelSettings | None = None,
    profiles: Mapping[str, CandidateProfile] | None = None,
    expectations: Mapping[str, Mapping[str, Verdict]] | None = None,
    allow_not_applicable: Mapping[str, Sequence[str]] | None = None,
    orderings: Sequence[Ordering] = (),
    concurrency: int = 1,
    suite_id: str | None = None,
) -> MutationReport:
    """Evaluate simulated transcripts and check every expectation and ordering.

    Transcripts are grouped into pairs by their ``candidate_id`` and ``persona_id``; their order
    within a pair is the run order. No model is needed with ``signals_only``.

    Args:
        transcripts: Simulated transcripts (from `simulate_pairs`, or saved ones).
        judge_factory: Returns the judge model for each `Slot` (judge mode).
        signals_only: Provisional verdicts from signals; no model at all.
        rubric: The rubric (default: the shipped ``interview-close``).
        judge_settings: Judge generation settings.
        profiles: Candidate profiles by id (default: loaded by the transcripts' ids).
        expectations: Per candidate id, verdicts replacing or adding to ``expected``.
        allow_not_applicable: Per persona id, criteria whose N/A counts as met.
        orderings: Score orderings to check.
        concurrency: Evaluations at once (threads).
        suite_id: Recorded in the report.

    Raises:
        ConfigError: a transcript without candidate or persona id, an unknown profile, an
            expectation for an unknown criterion, an ordering naming a candidate that was not
            simulated, or no judge in judge mode.
    """
    rubric = rubric if rubric is not None else load_rubric()
    if not signals_only and judge_factory is None:
        raise ConfigError("no judge: pass judge_factory=..., or signals_only=True",
                          field="judge_factory")
    known_profiles = dict(profiles or {})
    pairs: dict[tuple[str, str], list[Transcript]] = {}
    for t in transcripts:
        if not t.candidate_id or not t.persona_id:
            raise ConfigError(f"transcript {t.id!r} has no candidate_id or persona_id, so it "
                              "cannot be matched to expectations")
        pairs.setdefault((t.candidate_id, t.persona_id), []).append(t)
        if t.candidate_id not in known_profiles:
            known_profiles[t.candidate_id] = load_candidate(t.candidate_id)
    overrides = expectations or {}
    excused = {p: set(cs) for p, cs in (allow_not_applicable or {}).items()}
    expected = {cid: _expectations(p, overrides, rubric) for cid, p in known_profiles.items()}
    simulated = {c for c, _ in pairs}
    for o in orderings:
        for cid in (o.better, o.worse):
            if cid not in simulated:
                raise ConfigError(f"ordering {o.better} > {o.worse} names candidate {cid!r}, "
                                  "which was not simulated", field="orderings")
        if o.criterion != "overall" and o.criterion not in {c.id for c in rubric.criteria}:
            raise ConfigError(f"ordering {o.better} > {o.worse} names unknown criterion "
                              f"{o.criterion!r}", field="orderings")

    jobs = [(key, run, t) for key, ts in pairs.items() for run, t in enumerate(ts)]

    def evaluate(job: tuple[tuple[str, str], int, Transcript]) -> Evaluation:
        (cid, pid), run, transcript = job
        judge = None if signals_only or judge_factory is None else judge_factory(
            Slot("judge", cid, pid, run))
        evaluator = Evaluator(rubric, judge, settings=judge_settings, signals_only=signals_only)
        return evaluator.evaluate(transcript)

    evaluations = _map(evaluate, jobs, concurrency)
    by_pair: dict[tuple[str, str], list[Evaluation]] = {}
    records: list[SimulationRecord] = []
    for ((cid, pid), run, t), e in zip(jobs, evaluations, strict=True):
        by_pair.setdefault((cid, pid), []).append(e)
        records.append(SimulationRecord(
            candidate_id=cid, persona_id=pid, run=run, transcript_id=t.id,
            end_reason=t.end_reason, turns=len(t.turns), overall=e.overall,
            simulation_usage=t.usage, simulation_cost_usd=t.cost_usd,
            judge_usage=e.usage, judge_cost_usd=e.cost_usd))

    checks: list[CheckResult] = []
    for (cid, pid), evals in by_pair.items():
        for criterion, verdict in expected[cid].items():
            runs = []
            for e in evals:
                r = e.criterion(criterion)
                runs.append(RunVerdict(status=r.status, score=r.score, passed=r.passed,
                                       outcome=_outcome(r.status, r.passed, verdict,
                                                        criterion in excused.get(pid, set()))))
            checks.append(CheckResult(candidate_id=cid, persona_id=pid, criterion=criterion,
                                      expected=verdict, runs=tuple(runs)))

    persona_ids = list(dict.fromkeys(pid for _, pid in pairs))
    results: list[OrderingResult] = []
    for o in orderings:
        for pid in persona_ids:
            if o.personas is not None and pid not in o.personas:
                continue
            better, worse = by_pair.get((o.better, pid)), by_pair.get((o.worse, pid))
            if better is None or worse is None:
                continue
            results.append(OrderingResult(
                persona_id=pid, better=o.better, worse=o.worse, criterion=o.criterion,
                better_scores=tuple(_score(e, o.criterion) for e in better),
                worse_scores=tuple(_score(e, o.criterion) for e in worse)))

    judge_model = None
    if not signals_only and evaluations:
        judge_model = next((e.judge_model for e in evaluations if e.judge_model), None)
    return MutationReport(
        suite_id=suite_id, mode="signals_only" if signals_only else "judge",
        judge_model=judge_model, k=max((len(v) for v in pairs.values()), default=0),
        checks=tuple(checks), orderings=tuple(results), simulations=tuple(records))


def run_mutation(
    model_factory: ModelFactory,
    candidates: Sequence[str | CandidateProfile],
    personas: Sequence[str | Persona],
    k: int = 1,
    *,
    signals_only: bool = False,
    scenario: Scenario | None = None,
    settings: RoleSettings | None = None,
    rubric: Rubric | None = None,
    expectations: Mapping[str, Mapping[str, Verdict]] | None = None,
    allow_not_applicable: Mapping[str, Sequence[str]] | None = None,
    orderings: Sequence[Ordering] = (),
    concurrency: int = 1,
    suite_id: str | None = None,
    on_transcripts: Callable[[list[Transcript]], None] | None = None,
) -> MutationReport:
    """Simulate every pair ``k`` times, evaluate, and check the expectations (pass^k).

    ``model_factory`` gives the interviewer, candidate and (unless ``signals_only``) judge
    models per `Slot`. ``on_transcripts`` receives the transcripts before evaluation (to save
    them). The other arguments are those of `simulate_pairs` and `evaluate_mutation`.
    """
    profiles = _profiles(candidates)
    transcripts = simulate_pairs(model_factory, profiles, personas, k, scenario=scenario,
                                 settings=settings, concurrency=concurrency)
    if on_transcripts is not None:
        on_transcripts(transcripts)
    return evaluate_mutation(
        transcripts, judge_factory=None if signals_only else model_factory,
        signals_only=signals_only, rubric=rubric,
        judge_settings=(settings or RoleSettings()).judge,
        profiles={p.id: p for p in profiles}, expectations=expectations,
        allow_not_applicable=allow_not_applicable, orderings=orderings,
        concurrency=concurrency, suite_id=suite_id)


# ---------------------------------------------------------------------------------------------
# Saved transcripts

_NAME = re.compile(r"^(?P<candidate>[a-z0-9][a-z0-9_-]*)--(?P<persona>[a-z0-9][a-z0-9_-]*)--"
                   r"(?P<run>\d+)\.json$")


def save_transcripts(transcripts: Sequence[Transcript], folder: str | Path) -> list[Path]:
    """Save transcripts as ``<candidate>--<persona>--<run>.json`` (run from 1), atomically."""
    folder = Path(folder)
    seen: dict[tuple[str | None, str | None], int] = {}
    paths = []
    for t in transcripts:
        key = (t.candidate_id, t.persona_id)
        seen[key] = seen.get(key, 0) + 1
        paths.append(t.save(folder / f"{t.candidate_id}--{t.persona_id}--{seen[key]}.json"))
    return paths


def load_transcripts(folder: str | Path) -> list[Transcript]:
    """Load the transcripts `save_transcripts` wrote, in pair and run order.

    Raises:
        ConfigError: the folder does not exist or holds no such transcript.
        TranscriptError: a file is not a valid transcript.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError("no transcript folder here", path=str(folder))
    found = []
    for path in folder.iterdir():
        match = _NAME.match(path.name)
        if match:
            found.append(((match["candidate"], match["persona"], int(match["run"])), path))
    if not found:
        raise ConfigError("no <candidate>--<persona>--<run>.json transcripts here",
                          path=str(folder))
    return [load_transcript(path) for _, path in sorted(found)]


# ---------------------------------------------------------------------------------------------
# Rendering

_MARK: dict[Outcome, str] = {"met": "ok", "missed": "MISSED", "excused": "n/a",
                             "undecided": "?"}


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _runs(outcomes: Sequence[Outcome]) -> str:
    return " ".join(_MARK[o] for o in outcomes)


def _detail(check: CheckResult) -> str:
    parts = []
    for r in check.runs:
        shown = f"{r.status} {r.score}" if r.score is not None else r.status
        parts.append(f"{_MARK[r.outcome]} ({shown})")
    return ", ".join(parts)


def _summary(report: MutationReport) -> list[str]:
    decided = [c for c in report.checks if c.pass_k is not None]
    held = sum(bool(c.pass_k) for c in decided)
    undecided = len(report.checks) - len(decided)
    mode = ("signals only" if report.mode == "signals_only"
            else f"judge {report.judge_model or '(unknown model)'}")
    pairs = len({(s.candidate_id, s.persona_id) for s in report.simulations})
    lines = [f"Mutation suite {report.suite_id or '(ad hoc)'} ({mode}), k={report.k}: "
             f"{len(report.simulations)} interviews over {pairs} pairs."]
    lines.append(f"pass^{report.k}: {held}/{len(decided)} decided checks "
                 f"({_pct(report.pass_k_share)}); pass rate {_pct(report.pass_rate)}"
                 + (f"; {undecided} undecided (no verdict in any run)" if undecided else "")
                 + ".")
    decided_orderings = [o for o in report.orderings if o.pass_k is not None]
    lines.append(f"Orderings: {sum(bool(o.pass_k) for o in decided_orderings)}/"
                 f"{len(decided_orderings)} hold in every run.")
    cost = report.cost_usd
    lines.append(f"Spend: {report.usage.total_tokens:,} tokens in {report.usage.calls} calls, "
                 + ("unknown cost." if cost is None else f"${cost:.4f}."))
    return lines


def _text(report: MutationReport) -> str:
    lines = _summary(report)
    if report.failures:
        lines += ["", "Failed checks (expected verdict not met in every run):"]
        for c in report.failures:
            lines.append(f"  {c.candidate_id} x {c.persona_id}: {c.criterion} expected "
                         f"{c.expected}; runs: {_detail(c)}")
    if report.orderings:
        lines += ["", "Orderings:"]
        for o in report.orderings:
            mark = {True: "ok", False: "FAILED", None: "?"}[o.pass_k]
            scores = ", ".join(f"{b} > {w}" for b, w in zip(o.better_scores, o.worse_scores,
                                                            strict=False))
            lines.append(f"  [{mark}] {o.persona_id}: {o.better} > {o.worse} on {o.criterion} "
                         f"({scores})")
    lines += ["", "Per pair (runs per check: ok = met, n/a = excused N/A, ? = undecided):"]
    pairs = list(dict.fromkeys((c.candidate_id, c.persona_id) for c in report.checks))
    for cid, pid in pairs:
        checks = [c for c in report.checks if (c.candidate_id, c.persona_id) == (cid, pid)]
        held = sum(bool(c.pass_k) for c in checks)
        decided = sum(c.pass_k is not None for c in checks)
        lines.append(f"  {cid} x {pid}: {held}/{decided}")
        for c in checks:
            lines.append(f"      {c.criterion:<16} {c.expected:<4}  {_runs(c.outcomes)}")
    lines.append("")
    lines.append("Result: PASS" if report.ok else "Result: FAIL")
    return "\n".join(lines) + "\n"


def _markdown(report: MutationReport) -> str:
    lines = ["## Mutation suite", "", *(f"- {line}" for line in _summary(report)), ""]
    criteria = list(dict.fromkeys(c.criterion for c in report.checks))
    lines.append(f"Each cell: pass^{report.k} (✅ held in every run, ❌ not, – undecided), the "
                 "expected verdict" + ("" if report.k == 1 else ", the pass rate") + ".")
    lines.append("")
    lines.append("| Candidate | Persona | " + " | ".join(f"`{c}`" for c in criteria) + " |")
    lines.append("|---|---|" + "---|" * len(criteria))
    pairs = list(dict.fromkeys((c.candidate_id, c.persona_id) for c in report.checks))
    for cid, pid in pairs:
        cells = []
        for criterion in criteria:
            try:
                check = report.check(cid, pid, criterion)
            except KeyError:
                cells.append("")
                continue
            mark = {True: "✅", False: "❌", None: "–"}[check.pass_k]
            rate = check.pass_rate
            cells.append(f"{mark} {check.expected}" + ("" if rate is None or report.k == 1
                                                        else f" {rate:.0%}"))
        lines.append(f"| {cid} | {pid} | " + " | ".join(cells) + " |")
    if report.orderings:
        lines += ["", "| Persona | Ordering | Held |", "|---|---|---|"]
        for o in report.orderings:
            mark = {True: "✅", False: "❌", None: "–"}[o.pass_k]
            lines.append(f"| {o.persona_id} | {o.better} > {o.worse} ({o.criterion}) | {mark} "
                         f"{_pct(o.pass_rate)} |")
    lines += ["", f"**Result: {'PASS' if report.ok else 'FAIL'}**"]
    return "\n".join(lines) + "\n"


def _json(report: MutationReport) -> str:
    data = report.model_dump(mode="json")
    data["summary"] = {"ok": report.ok, "pass_k_share": report.pass_k_share,
                       "pass_rate": report.pass_rate,
                       "failures": len(report.failures),
                       "ordering_failures": len(report.ordering_failures),
                       "cost_usd": report.cost_usd}
    for check, out in zip(report.checks, data["checks"], strict=True):
        out["pass_k"], out["pass_rate"] = check.pass_k, check.pass_rate
    for ordering, out in zip(report.orderings, data["orderings"], strict=True):
        out["pass_k"], out["pass_rate"] = ordering.pass_k, ordering.pass_rate
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def render_mutation(report: MutationReport, fmt: MutationFormat = "text") -> str:
    """The report as ``text``, ``md`` (a pull-request comment) or ``json``."""
    if fmt == "md":
        return _markdown(report)
    if fmt == "json":
        return _json(report)
    return _text(report)
