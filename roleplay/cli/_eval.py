"""``roleplay eval SUITE``: measure the judge (or the signals) against a labelled suite.

Exit codes: 0 every threshold holds and nothing regressed against the baseline; 1 a threshold
was missed, a statistic regressed beyond the tolerance, or a case failed or was not run (budget);
2 a configuration error (bad suite, case, rubric or flags).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from roleplay.cache import SQLiteJudgeCache, default_cache_dir
from roleplay.cli._args import out_dir_arg, out_file_arg, samples_arg
from roleplay.cli._common import (
    add_cost_args,
    add_limit_args,
    add_model_args,
    batch_options,
    concurrency_limits,
)
from roleplay.errors import ConfigError
from roleplay.evals.baseline import build_report, load_baseline, make_baseline, save_baseline
from roleplay.evals.options import RunOptions
from roleplay.evals.render import render_estimate, render_report
from roleplay.evals.runner import default_model_resolver, estimate_suite, run_suite
from roleplay.evals.suite import (
    EvalSuite,
    Mode,
    case_json_schema,
    load_suite,
    suite_json_schema,
)
from roleplay.llm.base import ModelSettings
from roleplay.transcript import atomic_write

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``eval`` sub-command."""
    parser = subparsers.add_parser(
        "eval",
        help="measure the judge against a labelled eval suite",
        description="Judge every case of an eval suite, measure agreement with the human "
        "labels, compare with the committed baseline (flips and statistic changes) and check "
        "the suite's thresholds. Finished cases are saved as they complete; re-running resumes.",
    )
    parser.add_argument("suite", metavar="SUITE", nargs="?",
                        help="suite folder, its suite.yaml, or a suite name under ./evals/")
    add_limit_args(parser, batch_saved_in="the run folder")
    parser.add_argument("--samples", type=samples_arg, default=None, metavar="K",
                        help="judge samples per case, to measure stability (default: suite.yaml)")
    parser.add_argument("--baseline", type=Path, default=None, metavar="FILE",
                        help="baseline to compare with (default: the suite's for this mode)")
    parser.add_argument("--update-baseline", action="store_true",
                        help="write this run as the new baseline (only when every case ran)")
    add_cost_args(parser, what="judging", unit="a case")
    parser.add_argument("--signals-only", action="store_true",
                        help="deterministic signals only: no model, no key, no cost")
    parser.add_argument("--format", choices=("text", "md", "json"), default="text",
                        help="report format; md suits a pull-request comment (default text)")
    parser.add_argument("--out", type=out_file_arg, default=None, metavar="FILE",
                        help="write the report to FILE instead of standard output")
    parser.add_argument("--cache-dir", type=out_dir_arg, default=None, metavar="DIR",
                        help="judge cache and run folders (default: $ROLEPLAY_CACHE_DIR, "
                        "else .roleplay-cache)")
    parser.add_argument("--no-cache", action="store_true",
                        help="neither read nor write the judge cache, and judge every case "
                        "again instead of resuming")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--schema", choices=("suite", "case"), default=None,
                        help="print the JSON Schema of suite.yaml or of a case file and exit")
    add_model_args(parser)
    parser.set_defaults(func=run)


_TRANSCRIPT_SUFFIXES = (".json", ".txt", ".vtt", ".srt", ".md")


def _find_suite(ref: str) -> Path:
    path = Path(ref)
    if path.is_file() and path.suffix.lower() in _TRANSCRIPT_SUFFIXES:
        raise ConfigError(f"{ref} is a file; `roleplay eval` takes a suite folder (one with a "
                          "suite.yaml and labelled cases). To judge one transcript, run "
                          f"`roleplay evaluate {ref}`")
    if path.exists():
        return path
    named = Path("evals") / ref
    if "/" not in ref and (named / "suite.yaml").is_file():
        return named
    raise ConfigError(f"no suite {ref!r}: pass a suite folder, its suite.yaml, or a name of a "
                      "folder under ./evals/")


def _emit(text: str, out: Path | None, ok: bool) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    atomic_write(out, text)
    print(f"{'PASS' if ok else 'FAIL'}: report written to {out}")


def run(args: argparse.Namespace) -> int:
    """Run the suite and print the report; returns the exit code."""
    if args.schema:
        sys.stdout.write(suite_json_schema() if args.schema == "suite" else case_json_schema())
        return 0
    if not args.suite:
        raise ConfigError("name a suite: roleplay eval SUITE (a folder with a suite.yaml)")
    start, most = concurrency_limits(args)
    suite: EvalSuite = load_suite(_find_suite(args.suite))
    mode: Mode = "signals_only" if args.signals_only else "judge"
    config = suite.config.mode(mode)
    baseline_path: Path = args.baseline or suite.baseline_path(mode)
    cache_dir: Path = args.cache_dir or default_cache_dir()
    settings = ModelSettings(temperature=args.temperature, seed=args.seed)
    judge_model = args.model or (suite.config.judge.model if suite.config.judge else None)
    cache = None
    if not args.no_cache and not args.signals_only:
        cache = SQLiteJudgeCache.in_dir(cache_dir, model=judge_model)
    resolve = default_model_resolver(base_url=args.base_url, api_key=args.api_key,
                                     timeout=args.timeout)
    options = RunOptions(
        resolve_model=resolve, model=args.model, settings=settings, samples=args.samples,
        signals_only=args.signals_only, cache=cache, runs_dir=cache_dir / "runs",
        resume=not args.no_cache, concurrency=start, max_concurrency=most,
        adaptive=not args.fixed_concurrency, max_cost=args.max_cost,
        progress=not args.no_progress, batch=batch_options(args))
    try:
        if args.estimate:
            estimate = estimate_suite(suite, options)
            _emit(render_estimate(estimate, args.format), args.out, True)
            return 0
        # Read the baseline first: a broken one should fail before any money is spent.
        baseline = load_baseline(baseline_path)
        try:
            result = run_suite(suite, options)
        except KeyboardInterrupt:
            again = ("; the batch id is saved, and the same command polls that batch again"
                     if args.batch else "")
            print("roleplay: finished cases are saved; run the same command again to resume"
                  + again, file=sys.stderr)
            raise
    finally:
        if cache is not None:
            cache.close()
    for note in (result.batch, result.concurrency and f"concurrency: {result.concurrency}"):
        if note:
            print(f"roleplay: {note}", file=sys.stderr)
    updated = False
    if args.update_baseline:
        if result.complete:
            save_baseline(baseline_path, make_baseline(result))
            updated = True
        else:
            print("roleplay: the run is incomplete, so the baseline was not updated",
                  file=sys.stderr)
    report = build_report(result, config.thresholds, config.tolerance, baseline_path,
                          baseline=baseline, baseline_updated=updated)
    _emit(render_report(report, args.format), args.out, report.ok)
    return report.exit_code
