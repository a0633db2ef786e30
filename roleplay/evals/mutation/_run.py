"""Running a mutation suite: simulate every pair k times, evaluate, check expectations."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from roleplay.candidates import LLMCandidate
from roleplay.errors import ConfigError
from roleplay.evals.mutation._results import (
    CheckResult,
    MutationReport,
    OrderingResult,
    RunVerdict,
    SimulationRecord,
)
from roleplay.evals.mutation._suite import Ordering, RoleSettings
from roleplay.evals.mutation._types import (
    ModelFactory,
    Outcome,
    Slot,
    Verdict,
)
from roleplay.evaluate import Evaluation, Evaluator
from roleplay.llm.base import ModelSettings
from roleplay.persona import CandidateProfile, Persona, Scenario, load_candidate, load_persona
from roleplay.rubric import Rubric, load_rubric
from roleplay.session import Interview
from roleplay.transcript import Transcript

__all__ = ["evaluate_mutation", "run_mutation", "simulate_pairs"]


T = TypeVar("T")
R = TypeVar("R")
log = logging.getLogger(__name__)


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
