"""``roleplay personas new --from-posting job.txt --out personas/acme.yaml``: draft a persona."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import get_args

from roleplay.cli._args import out_file_arg
from roleplay.cli._common import add_model_args, make_model
from roleplay.cli._practice import close_model
from roleplay.drafting import STYLE_PRESETS, draft_persona, read_posting, write_persona
from roleplay.errors import ConfigError
from roleplay.persona import Stage

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``personas new`` under the ``personas`` command's sub-commands."""
    parser = subparsers.add_parser(
        "new",
        help="draft a persona from a job posting",
        description="Draft an interviewer persona from a job posting (text, Markdown or HTML "
        "pasted from a job board) with one call to the model, and write it as commented YAML. "
        "Values the posting does not state (the interviewer, next steps, timeline, decision "
        "maker, contact) are invented as practice facts, marked in the file and listed in its "
        "`drafted` field, for you to replace with the real ones.",
    )
    parser.add_argument("--from-posting", required=True, type=Path, metavar="FILE",
                        help="the job posting (.txt, .md or .html)")
    parser.add_argument("--out", required=True, type=out_file_arg, metavar="FILE.yaml",
                        help="where to write the persona; its file name is the persona's id")
    parser.add_argument("--stage", choices=get_args(Stage), default=None,
                        help="the interview stage (default: the model picks one that fits)")
    parser.add_argument("--style", choices=tuple(STYLE_PRESETS), default=None,
                        help="the interviewer's style (default: the model picks one that "
                        "fits the employer)")
    parser.add_argument("--interviewer-name", default=None, metavar="NAME",
                        help="the interviewer's name (default: from the posting, or invented)")
    parser.add_argument("--force", action="store_true", help="replace --out if it exists")
    add_model_args(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Read the posting, draft, write the YAML and print what to check."""
    out: Path = args.out
    if out.exists() and not args.force:
        # Before the model call: a costly draft is never thrown away at the end.
        raise ConfigError("the file exists; choose another --out (or pass --force to replace "
                          "it)", path=str(out))
    posting = read_posting(args.from_posting)
    model = make_model(args)
    try:
        persona = draft_persona(posting, model, stage=args.stage, style=args.style,
                                interviewer_name=args.interviewer_name,
                                source=str(args.from_posting))
    finally:
        close_model(model)
    saved = write_persona(persona, out, source=args.from_posting.name, overwrite=True)
    print(f"Wrote {out} (persona id {saved.id!r}): {saved.interviewer.name}, "
          f"{saved.interviewer.title} at {saved.company.name}, interviewing for "
          f"{saved.role.title} ({saved.stage.replace('_', ' ')}).")
    if saved.drafted:
        print("Practice facts (not in the posting; marked PRACTICE FACT in the file, replace "
              "them with the real ones): " + ", ".join(saved.drafted) + ".")
    print(f"Try it: roleplay practice --persona {out}")
    return 0
