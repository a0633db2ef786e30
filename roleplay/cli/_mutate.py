"""``roleplay mutate [SUITE]``: known candidate behaviours must get their expected verdicts.

Exit codes: 0 every decided check and ordering held in every run (pass^k); 1 one did not;
2 a configuration error (bad suite, unknown id, bad flags).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from roleplay.cli._args import (
    concurrency_arg,
    in_dir_arg,
    out_dir_arg,
    out_file_arg,
    positive_int_arg,
)
from roleplay.cli._budget import Budget
from roleplay.cli._common import add_cost_args, add_model_args, make_model
from roleplay.errors import BudgetExceededError, ConfigError
from roleplay.evals.mutation import (
    MutationEstimate,
    MutationSuite,
    Ordering,
    Slot,
    estimate_mutation,
    evaluate_mutation,
    load_mutation_suite,
    load_transcripts,
    render_mutation,
    run_mutation,
    save_transcripts,
)
from roleplay.persona import Scenario, load_candidate, load_persona
from roleplay.rubric import Rubric
from roleplay.transcript import Transcript, atomic_write

__all__ = ["register"]

DEFAULT_SUITE = Path("evals") / "mutation"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``mutate`` sub-command."""
    parser = subparsers.add_parser(
        "mutate",
        help="simulate candidates with known behaviour and check their expected verdicts",
        description="Simulate every candidate x persona pair of a mutation suite k times, "
        "evaluate each interview, and check every expected verdict and ordering: pass^k (all "
        "k runs met it) and the pass rate. Needs a model for the simulations (and the judge), "
        "except with --signals-only --transcripts DIR, which needs none.",
    )
    parser.add_argument("suite", metavar="SUITE", nargs="?", default=None,
                        help="suite folder or its suite.yaml (default: evals/mutation)")
    parser.add_argument("-k", type=positive_int_arg, default=None, metavar="K",
                        help="simulations per pair (default: the suite's k)")
    parser.add_argument("--candidates", default=None, metavar="IDS",
                        help="comma-separated candidate ids to run (default: the suite's)")
    parser.add_argument("--personas", default=None, metavar="IDS",
                        help="comma-separated persona ids to run (default: the suite's)")
    parser.add_argument("--signals-only", action="store_true",
                        help="evaluate with deterministic signals only (no judge)")
    parser.add_argument("--transcripts", type=in_dir_arg, default=None, metavar="DIR",
                        help="evaluate transcripts saved by --save-transcripts instead of "
                        "simulating (with --signals-only: no model at all)")
    parser.add_argument("--save-transcripts", type=out_dir_arg, default=None, metavar="DIR",
                        help="save the simulated transcripts as <candidate>--<persona>--<run>.json")
    parser.add_argument("--judge-model", default=None, metavar="NAME",
                        help="model for the judge (default: --model)")
    parser.add_argument("--concurrency", type=concurrency_arg, default=1, metavar="N",
                        help="interviews and evaluations at once (default 1)")
    parser.add_argument("--format", choices=("text", "md", "json"), default="text",
                        help="report format (default text)")
    parser.add_argument("--out", type=out_file_arg, default=None, metavar="FILE",
                        help="write the report to FILE instead of standard output")
    add_cost_args(parser, what="simulating or judging", unit="a model call")
    add_model_args(parser)
    parser.set_defaults(func=run)


def _subset(flag: str | None, listed: list[str], field: str) -> list[str]:
    if flag is None:
        return listed
    chosen = [part.strip() for part in flag.split(",") if part.strip()]
    unknown = [c for c in chosen if c not in listed]
    if not chosen or unknown:
        raise ConfigError(f"must name ids of the suite ({', '.join(listed)}); got "
                          f"{', '.join(unknown) or 'nothing'}", field=field)
    return chosen


def _orderings(suite: MutationSuite, candidates: list[str]) -> list[Ordering]:
    """The suite's orderings between candidates that are part of this run."""
    return [o for o in suite.orderings if o.better in candidates and o.worse in candidates]


def _close(model: Any) -> None:
    close = getattr(model, "close", None)
    if close is not None:
        close()


def _estimate(args: argparse.Namespace, suite: MutationSuite, candidates: list[str],
              personas: list[str], rubric: Rubric) -> MutationEstimate:
    from roleplay.llm.openai import resolve_model_name

    saved = len(load_transcripts(args.transcripts)) if args.transcripts is not None else 0
    return estimate_mutation(
        [load_persona(p) for p in personas], [load_candidate(c) for c in candidates],
        args.k or suite.k, scenario=Scenario(max_turns=suite.max_turns), rubric=rubric,
        model=resolve_model_name(args.model),
        judge_model=resolve_model_name(args.judge_model or args.model),
        signals_only=args.signals_only, simulate=args.transcripts is None, transcripts=saved)


def _budget(args: argparse.Namespace, estimate: MutationEstimate) -> Budget | None:
    """The budget to meter the run with (None without ``--max-cost`` or calls).

    Raises:
        BudgetExceededError: the estimate is over ``--max-cost`` (nothing has run).
        ConfigError: no price is known for the model, so the cap cannot be kept.
    """
    if args.max_cost is None or not estimate.calls:
        return None
    if estimate.cost_usd is None:
        raise ConfigError("--max-cost needs a price for the model, and none is known; drop "
                          "--max-cost or name a priced model", field="--max-cost")
    if estimate.cost_usd > args.max_cost:
        raise BudgetExceededError(
            f"the run is estimated at ${estimate.cost_usd:.4f} ({estimate.calls} calls, "
            f"{estimate.tokens} tokens), over --max-cost ${args.max_cost:.4f}; nothing was "
            "run. Lower -k, pick fewer --candidates or --personas, or raise --max-cost")
    return Budget(args.max_cost)


def run(args: argparse.Namespace) -> int:
    """Run the suite and print the report; returns the exit code."""
    suite: MutationSuite = load_mutation_suite(args.suite or DEFAULT_SUITE)
    candidates = _subset(args.candidates, suite.candidates, "--candidates")
    personas = _subset(args.personas, suite.personas, "--personas")
    rubric = suite.load_rubric()
    budget = None
    if args.estimate or args.max_cost is not None:
        estimate = _estimate(args, suite, candidates, personas, rubric)
        if args.estimate:
            sys.stdout.write(estimate.render())
            return 0
        budget = _budget(args, estimate)
    common: dict[str, Any] = {
        "rubric": rubric, "expectations": suite.expectations,
        "allow_not_applicable": suite.allow_not_applicable,
        "orderings": _orderings(suite, candidates),
        "concurrency": args.concurrency, "suite_id": suite.id,
    }
    models: list[Any] = []

    def model_named(name: str | None) -> Any:
        model = make_model(argparse.Namespace(**{**vars(args), "model": name or args.model}))
        models.append(model)
        return model if budget is None else budget.wrap(model)

    try:
        if args.transcripts is not None:
            transcripts: list[Transcript] = [
                t for t in load_transcripts(args.transcripts)
                if t.candidate_id in candidates and t.persona_id in personas]
            if not transcripts:
                raise ConfigError("no saved transcript of the chosen candidates and personas",
                                  path=str(args.transcripts))
            common["orderings"] = _orderings(
                suite, [c for c in candidates if any(t.candidate_id == c for t in transcripts)])
            judge_factory = None
            if not args.signals_only:
                judge_model = model_named(args.judge_model)

                def judge_factory(slot: Slot) -> Any:  # noqa: ARG001 - one judge for all
                    return judge_model

            report = evaluate_mutation(
                transcripts, judge_factory=judge_factory, signals_only=args.signals_only,
                judge_settings=suite.settings.judge, **common)
        else:
            simulator = model_named(args.model)
            judge = simulator if args.signals_only or not args.judge_model else model_named(
                args.judge_model)

            def factory(slot: Slot) -> Any:
                return judge if slot.role == "judge" else simulator

            def keep(ts: list[Transcript]) -> None:
                if args.save_transcripts is not None:
                    save_transcripts(ts, args.save_transcripts)

            report = run_mutation(
                factory, candidates, personas, args.k or suite.k,
                signals_only=args.signals_only, scenario=Scenario(max_turns=suite.max_turns),
                settings=suite.settings, on_transcripts=keep, **common)
    finally:
        for model in models:
            _close(model)
    text = render_mutation(report, args.format)
    if args.out is None:
        sys.stdout.write(text)
    else:
        atomic_write(args.out, text)
        print(f"{'PASS' if report.ok else 'FAIL'}: report written to {args.out}")
    return 0 if report.ok else 1
