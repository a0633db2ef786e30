"""What a mutation run found: per-run verdicts, checks with pass^k, orderings, the report."""

from __future__ import annotations

from collections.abc import Sequence

from roleplay.evals.mutation._types import (
    _OK,
    MutationMode,
    Outcome,
    Verdict,
    _Strict,
)
from roleplay.llm.base import Usage

__all__ = ["CheckResult", "MutationReport", "OrderingResult", "RunVerdict", "SimulationRecord"]


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


class _OverRuns(_Strict):
    """Something judged once per run: pass^k and the pass rate follow from its outcomes."""

    @property
    def outcomes(self) -> tuple[Outcome, ...]:
        """Each run's outcome."""
        raise NotImplementedError

    @property
    def pass_k(self) -> bool | None:
        """Every run met it (``None`` when no run could decide)."""
        return _pass_k(self.outcomes)

    @property
    def pass_rate(self) -> float | None:
        """Share of runs that met it (``None`` when no run could decide)."""
        return _rate(self.outcomes)


class CheckResult(_OverRuns):
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


class OrderingResult(_OverRuns):
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
