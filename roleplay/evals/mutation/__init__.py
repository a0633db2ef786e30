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

The package, by idea: `_suite` (the suite file), `_results` (checks, orderings, the report),
`_run` (simulate and evaluate), `_storage` (saved transcripts), `_render` and `_cost` (what a
run would spend); import from ``roleplay.evals.mutation``.
"""

from roleplay.evals.mutation._cost import MutationEstimate, estimate_mutation
from roleplay.evals.mutation._render import render_mutation
from roleplay.evals.mutation._results import (
    CheckResult,
    MutationReport,
    OrderingResult,
    RunVerdict,
    SimulationRecord,
)
from roleplay.evals.mutation._run import evaluate_mutation, run_mutation, simulate_pairs
from roleplay.evals.mutation._storage import load_transcripts, save_transcripts
from roleplay.evals.mutation._suite import (
    MutationSuite,
    Ordering,
    RoleSettings,
    load_mutation_suite,
)
from roleplay.evals.mutation._types import (
    ModelFactory,
    MutationFormat,
    MutationMode,
    Outcome,
    Role,
    Slot,
    Verdict,
)

__all__ = [
    "CheckResult",
    "ModelFactory",
    "MutationEstimate",
    "MutationFormat",
    "MutationMode",
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
    "Verdict",
    "estimate_mutation",
    "evaluate_mutation",
    "load_mutation_suite",
    "load_transcripts",
    "render_mutation",
    "run_mutation",
    "save_transcripts",
    "simulate_pairs",
]
