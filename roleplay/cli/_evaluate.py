"""``roleplay evaluate``: judge a stored transcript against a rubric."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from roleplay.cli import _common
from roleplay.cli._transcript_args import add_transcript_args, describe_import, read_transcript
from roleplay.errors import ConfigError
from roleplay.evaluate import Evaluator
from roleplay.llm.base import ChatModel, ModelSettings
from roleplay.report import Format, print_report, render
from roleplay.rubric import DEFAULT_RUBRIC, load_rubric
from roleplay.transcript import atomic_write

__all__ = ["register"]

_SUFFIX_FORMATS: dict[str, Format] = {".md": "md", ".markdown": "md", ".html": "html",
                                      ".htm": "html", ".json": "json", ".txt": "text"}


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


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
    parser.add_argument("transcript", metavar="TRANSCRIPT",
                        help="transcript file (JSON, text, VTT or SRT)")
    parser.add_argument("--rubric", default=DEFAULT_RUBRIC, metavar="ID|FILE",
                        help=f"rubric id or YAML file (default: {DEFAULT_RUBRIC})")
    parser.add_argument("--format", choices=["text", "md", "html", "json"], default=None,
                        help="report format (default: from --out's suffix, else text)")
    parser.add_argument("--signals-only", action="store_true",
                        help="provisional verdicts from signals alone; no model call")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the exact judge request (messages and JSON schema); no call")
    parser.add_argument("--out", metavar="FILE", default=None,
                        help="write the report here instead of standard output")
    parser.add_argument("--samples", type=_positive, default=1, metavar="K",
                        help="judge samples per transcript (median score, agreement)")
    parser.add_argument("--max-prompt-tokens", type=_positive, default=None, metavar="N",
                        help="refuse judge prompts longer than N tokens (default: 100000)")
    add_transcript_args(parser)
    _common.add_model_args(parser)
    parser.set_defaults(func=handle)


def _format(args: argparse.Namespace) -> Format:
    if args.format:
        return cast(Format, args.format)
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
    transcript = read_transcript(args, args.transcript)
    mapping = describe_import(transcript)
    if mapping:
        # On stderr: the report on stdout stays clean for pipes.
        print(f"roleplay: {mapping}", file=sys.stderr)
    rubric = load_rubric(args.rubric)
    limits: dict[str, Any] = {}
    if args.max_prompt_tokens:
        limits["max_prompt_tokens"] = args.max_prompt_tokens
    fmt = _format(args)
    if args.dry_run:
        evaluator = Evaluator(rubric, None, settings=_settings(args), samples=args.samples,
                              **limits)
        _emit(args, _dry_run(args, evaluator, transcript))
        return 0
    if args.signals_only:
        evaluator = Evaluator(rubric, signals_only=True, **limits)
    else:
        # Looked up at call time (not imported by name) so tests can substitute a fake model.
        make = cast(Callable[[argparse.Namespace], ChatModel], _common.make_model)
        evaluator = Evaluator(rubric, make(args), settings=_settings(args), samples=args.samples,
                              **limits)
    evaluation = evaluator.evaluate(transcript)
    if fmt == "text" and not args.out:
        print_report(evaluation, transcript=transcript)
        return 0
    _emit(args, render(evaluation, fmt, transcript=transcript if fmt in ("md", "html") else None))
    return 0


def _emit(args: argparse.Namespace, text: str) -> None:
    if args.out:
        atomic_write(Path(args.out), text)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
