"""``roleplay simulate``: an interview between an interviewer persona and a simulated candidate."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from roleplay.candidates import LLMCandidate
from roleplay.cli._common import add_model_args, make_model, positive_int_arg
from roleplay.cli._practice import (
    add_interview_args,
    close_model,
    save_partial,
    save_transcript,
    scenario_from,
)
from roleplay.errors import RoleplayError
from roleplay.persona import CandidateProfile, Persona, load_candidate, load_persona
from roleplay.session import Interview
from roleplay.transcript import Turn

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``simulate`` sub-command."""
    parser = subparsers.add_parser(
        "simulate",
        help="simulate an interview: an LLM candidate profile answers an LLM interviewer",
        description="Run an interview between an interviewer persona and a simulated candidate "
        "profile (see `roleplay personas --candidates`), print it as it happens and save the "
        "transcript. Both sides use the same endpoint flags; --candidate-model picks a "
        "different model for the candidate.",
    )
    add_interview_args(parser)
    parser.add_argument("--candidate", required=True, metavar="PROFILE",
                        help="candidate profile id or a YAML path")
    parser.add_argument("--candidate-model", default=None, metavar="NAME",
                        help="model for the candidate (default: the interviewer's --model)")
    parser.add_argument("--token-budget", type=positive_int_arg, default=None, metavar="N",
                        help="stop (and keep the transcript) once N tokens have been spent")
    parser.add_argument("--quiet", action="store_true",
                        help="do not print the turns, only the summary")
    add_model_args(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the simulation, print the turns and a summary, save the transcript."""
    persona = load_persona(args.persona)
    profile = load_candidate(args.candidate)
    model = make_model(args)
    candidate_model = model
    try:
        if args.candidate_model:
            candidate_model = make_model(argparse.Namespace(**{**vars(args),
                                                               "model": args.candidate_model}))
        return _simulate(args, persona, profile, model, candidate_model)
    finally:
        close_model(model)
        if candidate_model is not model:
            close_model(candidate_model)


def _simulate(args: argparse.Namespace, persona: Persona, profile: CandidateProfile,
              model: Any, candidate_model: Any) -> int:
    candidate = LLMCandidate(profile, candidate_model)
    names = {"interviewer": persona.interviewer.name, "candidate": profile.name}

    def show(turn: Turn) -> None:
        print(f"\n[{turn.index}] {names[turn.speaker]}: {turn.text}", flush=True)

    interview = Interview(
        persona, candidate, model, scenario=scenario_from(args),
        on_turn=None if args.quiet else show, token_budget=args.token_budget,
    )
    try:
        transcript = interview.run()
    except RoleplayError:
        save_partial(interview, args.out, persona)
        raise
    path = save_transcript(transcript, args.out, persona)
    cost = f"${transcript.cost_usd:.4f}" if transcript.cost_usd is not None else "unknown cost"
    print(
        f"\nInterview ended ({transcript.end_reason}) after {len(transcript.turns)} turns; "
        f"{transcript.usage.total_tokens} tokens in {transcript.usage.calls} calls, {cost}."
    )
    print(f"Transcript saved to {path}")
    if transcript.end_reason == "token_budget":
        print("The token budget was reached before the interview closed.", file=sys.stderr)
    return 0
