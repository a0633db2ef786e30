"""``roleplay personas``: list interviewer personas or candidate profiles, or print a schema."""

from __future__ import annotations

import argparse
import json
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from roleplay.cli import _personas_new
from roleplay.cli._args import in_dir_arg
from roleplay.persona import (
    CandidateBehaviour,
    CandidateProfile,
    Persona,
    Style,
    list_candidates,
    list_personas,
    persona_json_schema,
)

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``personas`` sub-command."""
    parser = subparsers.add_parser(
        "personas",
        help="list interviewer personas (or candidate profiles)",
        description="List the interviewer personas, or the simulated candidate profiles, or "
        "print the JSON Schema that persona and profile YAML files follow.",
    )
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--candidates", action="store_true",
                      help="list candidate profiles instead of interviewer personas")
    what.add_argument("--schema", choices=("persona", "candidate"), default=None,
                      help="print the JSON Schema for persona or candidate YAML and exit")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--dir", type=in_dir_arg, default=None, metavar="FOLDER",
                        help="read personas (or, with --candidates, profiles) from FOLDER "
                        "instead of the shipped ones")
    parser.set_defaults(func=run)
    actions = parser.add_subparsers(dest="personas_action", metavar="ACTION")
    _personas_new.register(actions)


def run(args: argparse.Namespace) -> int:
    """Print the listing or schema; returns the exit code."""
    if args.schema:
        print(persona_json_schema(args.schema))
        return 0
    if args.candidates:
        profiles = list_candidates(args.dir)
        if args.json:
            print(json.dumps([_candidate_json(c) for c in profiles], indent=2))
        else:
            _print(_candidate_table(profiles))
        return 0
    personas = list_personas(args.dir)
    if args.json:
        print(json.dumps([_persona_json(p) for p in personas], indent=2))
    else:
        _print(_persona_table(personas))
    return 0


def style_label(style: Style) -> str:
    """A compact style summary, e.g. ``warm 4 / chatty 2 / sceptic 3 / brisk``."""
    return (f"warm {style.warmth} / chatty {style.verbosity} / "
            f"sceptic {style.scepticism} / {style.pace}")


def behaviour_label(behaviour: CandidateBehaviour) -> str:
    """A one-line summary of a simulated candidate's known behaviour."""
    close = [name for name, on in (("next steps", behaviour.confirms_next_steps),
                                   ("recap", behaviour.closing_recap),
                                   ("follow-up", behaviour.follow_up)) if on]
    return (f"answers {behaviour.answer_style.replace('_', '-')}; "
            f"questions {behaviour.questions.replace('_', '-')}; "
            f"asks for job: {behaviour.asks_for_job}; "
            f"closes with: {', '.join(close) or 'nothing'}")


def _persona_table(personas: list[Persona]) -> Table:
    table = Table(title=f"{len(personas)} interviewer personas", title_justify="left",
                  box=box.SIMPLE_HEAD)
    table.add_column("id", no_wrap=True, style="bold")
    table.add_column("interviewer", overflow="fold")
    table.add_column("role", overflow="fold")
    table.add_column("stage", overflow="fold")
    table.add_column("style", overflow="fold")
    for p in personas:
        table.add_row(
            p.id,
            f"{p.interviewer.name}, {p.interviewer.title} @ {p.company.name}",
            p.role.title,
            p.stage.replace("_", " "),
            style_label(p.style)
            + ("" if p.behaviour.invites_questions else " / never invites questions"),
        )
    return table


def _candidate_table(profiles: list[CandidateProfile]) -> Table:
    table = Table(title=f"{len(profiles)} candidate profiles", title_justify="left",
                  box=box.SIMPLE_HEAD)
    table.add_column("id", no_wrap=True, style="bold")
    table.add_column("name", overflow="fold")
    table.add_column("behaviour", overflow="fold")
    table.add_column("expected to fail", overflow="fold")
    for c in profiles:
        fails = sorted(k for k, v in c.expected.items() if v == "fail")
        table.add_row(c.id, c.name, behaviour_label(c.behaviour), ", ".join(fails) or "none")
    return table


def _persona_json(p: Persona) -> dict[str, Any]:
    # A listing, not a dump: hidden facts stay out so browsing personas spoils no practice run.
    return {
        "id": p.id,
        "interviewer": p.interviewer.model_dump(),
        "company": p.company.name,
        "role": p.role.title,
        "stage": p.stage,
        "style": p.style.model_dump(),
        "invites_questions": p.behaviour.invites_questions,
    }


def _candidate_json(c: CandidateProfile) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "summary": c.summary,
        "behaviour": c.behaviour.model_dump(exclude={"instructions"}),
        "expected": c.expected,
        "fits": c.fits,
    }


def _print(table: Table) -> None:
    # Built per call so output goes to the current sys.stdout (redirects, test capture).
    Console(highlight=False).print(table)
