"""``roleplay practice``: a live interview with you as the candidate, in the terminal.

Answers are read from standard input, so a file works as well as typing::

    roleplay practice --persona warm-hr-screener
    roleplay practice --persona warm-hr-screener --no-evaluate < answers.txt
    roleplay practice --persona warm-hr-screener --resume transcripts/warm-hr-screener-1a2b.json

One line is one answer; end a line with a backslash to continue the answer on the next line.
Blank lines are ignored. End of input (Ctrl-D), ``/end`` or Ctrl-C leaves the interview; the
transcript is saved either way.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import TextIO

from roleplay.candidates import HumanCandidate
from roleplay.cli._args import out_file_arg
from roleplay.cli._common import add_model_args, make_model
from roleplay.cli._transcript_args import add_transcript_args, announce_import, read_transcript
from roleplay.errors import ConfigError, RoleplayError
from roleplay.persona import Persona, Scenario, load_persona
from roleplay.session import Interview
from roleplay.transcript import Transcript

__all__ = ["register"]

DEFAULT_OUT_DIR = Path("transcripts")


def max_turns_arg(value: str) -> int:
    """``--max-turns``: an integer from 2 to 400."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if not 2 <= number <= 400:
        raise argparse.ArgumentTypeError(f"must be between 2 and 400, got {number}")
    return number


def add_interview_args(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``practice`` and ``simulate``."""
    parser.add_argument("--persona", required=True, metavar="ID",
                        help="interviewer persona id (see `roleplay personas`) or a YAML path")
    parser.add_argument("--max-turns", type=max_turns_arg, default=None, metavar="N",
                        help="stop after N turns, both speakers counted (default 24)")
    parser.add_argument("--out", type=out_file_arg, default=None, metavar="FILE",
                        help="where to save the transcript JSON "
                        "(default ./transcripts/<persona>-<id>.json)")


def scenario_from(args: argparse.Namespace) -> Scenario:
    """The scenario the flags ask for."""
    return Scenario(max_turns=args.max_turns) if args.max_turns else Scenario()


def save_transcript(transcript: Transcript, out: Path | None, persona: Persona) -> Path:
    """Save atomically to ``out`` or the default path; returns the path."""
    path = out or DEFAULT_OUT_DIR / f"{persona.id or 'interview'}-{transcript.id}.json"
    return transcript.save(path)


def save_partial(interview: Interview, out: Path | None, persona: Persona) -> None:
    """After a failure, keep whatever was said (nothing is saved if nothing was said)."""
    partial = interview.transcript
    if partial is not None and partial.turns:
        path = save_transcript(partial, out, persona)
        print(f"Partial transcript saved to {path}", file=sys.stderr)


def close_model(model: object) -> None:
    """Close a model's HTTP client, if it has one (fakes do not)."""
    close = getattr(model, "close", None)
    if callable(close):
        close()


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``practice`` sub-command."""
    parser = subparsers.add_parser(
        "practice",
        help="practise an interview: you answer, an LLM interviews",
        description="Run a live interview with an interviewer persona. Your answers are read "
        "from standard input (typed or piped): one line per answer, a trailing backslash "
        "continues the answer on the next line, blank lines are ignored, and end of input, "
        "/end or Ctrl-C leaves. The transcript is saved, then evaluated.",
    )
    add_interview_args(parser)
    parser.add_argument("--no-evaluate", action="store_true",
                        help="save the transcript without evaluating it")
    parser.add_argument("--resume", metavar="FILE", default=None,
                        help="continue this transcript (a saved interview, or a recording in "
                        "any format `roleplay import` reads) where it stopped")
    add_transcript_args(parser)
    add_model_args(parser)
    parser.set_defaults(func=run)


class _Terminal:
    """Writes the streamed interviewer words under a speaker label, and reads the answers."""

    def __init__(self, out: TextIO, interviewer: str) -> None:
        self.out = out
        self.label = f"{interviewer}: "
        self.at_turn_start = True

    def write(self, text: str) -> None:
        if self.at_turn_start:
            self.out.write("\n" + self.label)
            self.at_turn_start = False
        self.out.write(text)
        self.out.flush()

    def read(self, prompt: str) -> str:
        self.at_turn_start = True
        line = input(prompt)
        if not sys.stdin.isatty():
            # Piped answers are not echoed by a terminal; show them so the output reads as a
            # conversation.
            self.out.write(line + "\n")
        return line


def run(args: argparse.Namespace) -> int:
    """Run the interview, save the transcript, print its path and the evaluation."""
    persona = load_persona(args.persona)
    scenario = scenario_from(args)
    resume = _resumed(args, persona)
    model = make_model(args)
    out = sys.stdout
    terminal = _Terminal(out, persona.interviewer.name)
    candidate = HumanCandidate(input_fn=terminal.read, show_interviewer=False)
    print(
        f"Interview with {persona.interviewer.name}, {persona.interviewer.title} at "
        f"{persona.company.name}, for the {persona.role.title} role ({scenario.max_turns} turns "
        "at most).\nOne line per answer; end a line with \\ to continue it. Ctrl-D or /end "
        "leaves.",
        file=sys.stderr,
    )
    try:
        if resume is not None:
            _show_where_it_stopped(resume, terminal)
        interview = Interview(persona, candidate, model, scenario=scenario,
                              on_text=terminal.write, resume=resume)
        try:
            transcript = interview.run()
        except RoleplayError:
            save_partial(interview, args.out, persona)
            raise
        _report(transcript, args, persona, model)
    finally:
        close_model(model)
    return 0


def _resumed(args: argparse.Namespace, persona: Persona) -> Transcript | None:
    if not args.resume:
        return None
    transcript = read_transcript(args, args.resume)
    if transcript.persona_id and persona.id and transcript.persona_id != persona.id:
        raise ConfigError(f"this interview was with persona {transcript.persona_id!r}; pass "
                          f"--persona {transcript.persona_id} to resume it", path=args.resume)
    if transcript.end_reason == "interviewer_ended":
        raise ConfigError("this interview ended with the interviewer's goodbye; there is "
                          "nothing to resume (start a new one without --resume)",
                          path=args.resume)
    announce_import(transcript)
    return transcript


def _show_where_it_stopped(transcript: Transcript, terminal: _Terminal) -> None:
    print(f"Resuming after {len(transcript.turns)} turns.", file=sys.stderr)
    last = transcript.turns[-1]
    if last.speaker == "interviewer":
        # The question waiting for an answer.
        terminal.write(last.text + "\n")
    else:
        terminal.out.write(f"\nYou: {last.text}\n")


def _report(transcript: Transcript, args: argparse.Namespace, persona: Persona,
            model: object) -> None:
    path = save_transcript(transcript, args.out, persona)
    print(f"\nInterview ended ({transcript.end_reason}) after {len(transcript.turns)} turns.")
    print(f"Transcript saved to {path}")
    if args.no_evaluate:
        return
    if transcript.end_reason == "interrupted" or not transcript.candidate_turns():
        print("Evaluation skipped: the interview was cut short. Evaluate it later with "
              f"`roleplay evaluate {path}`.", file=sys.stderr)
        return
    evaluate_and_print(transcript, model, path)


def evaluate_and_print(transcript: Transcript, model: object, path: Path) -> None:
    """Evaluate with the rubric judge and print the report, when the evaluator is installed."""
    # Imported lazily: the evaluator is a heavier, separately developed layer, and practice
    # must keep working (and saving transcripts) without it.
    try:
        evaluate = importlib.import_module("roleplay.evaluate")
        report = importlib.import_module("roleplay.report")
        evaluator_cls = evaluate.Evaluator
        print_report = report.print_report
    except (ImportError, AttributeError):
        print("Evaluation skipped: the evaluator is not available in this installation. "
              f"Evaluate later with `roleplay evaluate {path}`.", file=sys.stderr)
        return
    evaluation = evaluator_cls(judge_model=model).evaluate(transcript)
    print_report(evaluation, transcript=transcript)
