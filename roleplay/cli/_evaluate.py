"""``roleplay evaluate``: judge a stored transcript against a rubric."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, cast

from roleplay.cache import SQLiteJudgeCache, default_cache_dir
from roleplay.cli import _common
from roleplay.cli._args import out_dir_arg, out_file_arg, samples_arg
from roleplay.cli._bulk import (
    expand_inputs,
    is_bulk,
    print_summary,
    run_bulk,
    to_csv,
    to_jsonl,
)
from roleplay.cli._screen import LINE_CHARS, shorten
from roleplay.cli._transcript_args import (
    add_transcript_args,
    announce_import,
    one_sided,
    read_transcript,
)
from roleplay.errors import ConfigError
from roleplay.evals.options import RunOptions
from roleplay.evaluate import Evaluator, JudgeCache
from roleplay.llm.base import ChatModel, ModelSettings
from roleplay.report import Format, print_report, render
from roleplay.rubric import DEFAULT_RUBRIC, Rubric, load_rubric
from roleplay.transcript import atomic_write

__all__ = ["register"]

_SUFFIX_FORMATS: dict[str, str] = {".md": "md", ".markdown": "md", ".html": "html",
                                   ".htm": "html", ".json": "json", ".txt": "text",
                                   ".jsonl": "jsonl", ".csv": "csv"}


def register(subparsers: Any) -> None:
    """Add the ``evaluate`` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "evaluate",
        help="judge a transcript against a rubric",
        description=(
            "Evaluate a transcript (our JSON, text with 'Name:' lines, WebVTT or SRT; see "
            "`roleplay import`) against a rubric: deterministic signals plus one evidence-checked "
            "judge call. --signals-only and --dry-run need no model and no API key."
        ),
    )
    parser.add_argument("transcript", metavar="TRANSCRIPT", nargs="+",
                        help="transcript file (JSON, text, VTT or SRT); several files, folders "
                        "or quoted globs ('calls/*.vtt') evaluate in bulk")
    parser.add_argument("--rubric", default=DEFAULT_RUBRIC, metavar="ID|FILE",
                        help=f"rubric id or YAML file (default: {DEFAULT_RUBRIC})")
    parser.add_argument("--format", choices=["text", "md", "html", "json", "jsonl", "csv"],
                        default=None,
                        help="report format (default: from --out's suffix, else text)")
    parser.add_argument("--signals-only", action="store_true",
                        help="provisional verdicts from signals alone; no model call")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the exact judge request (messages and JSON schema); no call")
    parser.add_argument("--out", type=out_file_arg, metavar="FILE", default=None,
                        help="write the report here instead of standard output")
    parser.add_argument("--samples", type=samples_arg, default=1, metavar="K",
                        help="judge samples per transcript (median score, agreement)")
    parser.add_argument("--cache-dir", type=out_dir_arg, default=None, metavar="DIR",
                        help="judge cache folder, shared with `roleplay eval` (default: "
                        "$ROLEPLAY_CACHE_DIR, else .roleplay-cache): an unchanged transcript is "
                        "never judged twice")
    parser.add_argument("--no-cache", action="store_true",
                        help="neither read nor write the judge cache")
    parser.add_argument("--max-prompt-tokens", type=_common.positive_int_arg, default=None,
                        metavar="N",
                        help="refuse judge prompts longer than N tokens (default: 100000)")
    bulk = parser.add_argument_group(
        "bulk", "With several transcripts: --format jsonl|csv writes every verdict to one file "
        "(--out, else stdout) and a summary table closes the run.")
    bulk.add_argument("--out-dir", type=out_dir_arg, default=None, metavar="DIR",
                      help="save each transcript's result here as it finishes; a re-run reuses "
                      "results of unchanged files and settings")
    _common.add_limit_args(bulk, batch_saved_in="--out-dir (else under the cache folder)")
    bulk.add_argument("--no-resume", action="store_true",
                      help="evaluate every file again even if --out-dir holds its result")
    add_transcript_args(parser)
    _common.add_model_args(parser)
    parser.set_defaults(func=handle)


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    if args.out:
        return _SUFFIX_FORMATS.get(Path(args.out).suffix.lower(), "text")
    return "text"


def _settings(args: argparse.Namespace) -> ModelSettings:
    return ModelSettings(temperature=args.temperature, seed=args.seed)


def _dry_run(args: argparse.Namespace, evaluator: Evaluator, transcript: Any) -> str:
    request = evaluator.judge_request(transcript)
    fmt = request.response_format
    from roleplay.llm.openai import resolve_model_name

    model = resolve_model_name(args.model)
    return json.dumps({
        "model": model,
        "settings": request.settings.model_dump(mode="json", exclude_none=True),
        "messages": [m.model_dump(mode="json") for m in request.messages],
        "response_format": None if fmt is None else fmt.model_dump(mode="json", by_alias=True),
        "estimated_prompt_tokens": evaluator.prompt_tokens(request),
        "rubric": {"id": evaluator.rubric.id, "version": evaluator.rubric.version},
    }, indent=2, ensure_ascii=False) + "\n"


def handle(args: argparse.Namespace) -> int:
    """Run ``roleplay evaluate``; returns the exit code."""
    if args.signals_only and args.dry_run:
        raise ConfigError("--signals-only and --dry-run cannot be combined: a signals-only run "
                          "makes no judge request")
    fmt = _format(args)
    if is_bulk(args.transcript) or fmt in ("jsonl", "csv") or args.batch:
        return _handle_bulk(args, fmt)
    if args.out_dir is not None:
        raise ConfigError("--out-dir is for several transcripts; use --out FILE for one")
    transcript = read_transcript(args, args.transcript[0])
    announce_import(transcript)
    warning = one_sided(transcript)
    if warning:
        print(f"roleplay: warning: {args.transcript[0]}: {warning}", file=sys.stderr)
    rubric = load_rubric(args.rubric)
    limits = _limits(args)
    if args.dry_run:
        evaluator = Evaluator(rubric, None, settings=_settings(args), samples=args.samples,
                              **limits)
        _emit(args, _dry_run(args, evaluator, transcript))
        return 0
    with _judge_cache(args) as cache:
        evaluation = _evaluator(args, rubric, cache).evaluate(transcript)
    if fmt == "text" and not args.out:
        shown, context, cut = shorten(evaluation, transcript)
        print_report(shown, transcript=context, line_chars=LINE_CHARS if cut else None)
        if cut:
            print(f"roleplay: {len(transcript.turns)} turns: the report above is shortened for "
                  "the terminal; write it whole with --out report.md (or .txt, .html) or "
                  "--format json", file=sys.stderr)
        return 0
    report = cast(Format, fmt)
    _emit(args, render(evaluation, report, transcript=transcript))
    return 0


def _limits(args: argparse.Namespace) -> dict[str, Any]:
    return {"max_prompt_tokens": args.max_prompt_tokens} if args.max_prompt_tokens else {}


def _judge_cache(args: argparse.Namespace) -> AbstractContextManager[SQLiteJudgeCache | None]:
    """The judge cache to use (a context manager that closes it), shared with ``eval``."""
    if args.signals_only or args.no_cache:
        return nullcontext(None)
    from roleplay.llm.openai import resolve_model_name

    return SQLiteJudgeCache.in_dir(args.cache_dir or default_cache_dir(),
                                   model=resolve_model_name(args.model))


def _evaluator(args: argparse.Namespace, rubric: Rubric, cache: JudgeCache | None) -> Evaluator:
    if args.signals_only:
        return Evaluator(rubric, signals_only=True, **_limits(args))
    # Looked up at call time (not imported by name) so tests can substitute a fake model.
    make = cast(Callable[[argparse.Namespace], ChatModel], _common.make_model)
    return Evaluator(rubric, make(args), settings=_settings(args), samples=args.samples,
                     cache=cache, **_limits(args))


def _handle_bulk(args: argparse.Namespace, fmt: str) -> int:
    if args.dry_run:
        raise ConfigError("--dry-run shows one judge request: pass one transcript")
    if args.batch and args.signals_only:
        raise ConfigError("--batch sends judge calls; --signals-only makes none")
    if fmt not in ("text", "jsonl", "csv"):
        raise ConfigError(f"--format {fmt} is one report per transcript; with several use "
                          "--format jsonl or csv (and --out-dir for a file per transcript)")
    start, most = _common.concurrency_limits(args)
    files = expand_inputs(args.transcript)
    options = RunOptions(concurrency=start, max_concurrency=most,
                         adaptive=not args.fixed_concurrency, resume=not args.no_resume,
                         progress=True, batch=_common.batch_options(args, progress=True))
    with _judge_cache(args) as cache:
        run = run_bulk(files, _evaluator(args, load_rubric(args.rubric), cache),
                       lambda path: read_transcript(args, path), options, out_dir=args.out_dir)
    items = run.items
    data = to_csv(items) if fmt == "csv" else to_jsonl(items) if fmt == "jsonl" else None
    if data is not None and args.out:
        _emit(args, data)
    elif data is not None:
        sys.stdout.write(data)
    # With the data on stdout, the table goes to stderr so a pipe gets only the data.
    print_summary(items, file=sys.stderr if data is not None and not args.out else sys.stdout)
    if not args.signals_only:
        for note in run.notes():
            print(f"roleplay: {note}", file=sys.stderr)
    return 1 if any(item.error for item in items) else 0


def _emit(args: argparse.Namespace, text: str) -> None:
    if args.out:
        atomic_write(Path(args.out), text)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
