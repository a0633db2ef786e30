"""``roleplay practice``: a live interview with you as the candidate, in the terminal.

Answers are read from standard input, so a file works as well as typing::

    roleplay practice --persona warm-hr-screener
    roleplay practice --persona warm-hr-screener --no-evaluate < answers.txt
    roleplay practice --persona warm-hr-screener --resume transcripts/warm-hr-screener-1a2b.json

One line is one answer; end a line with a backslash to continue the answer on the next line.
Blank lines are ignored. End of input (Ctrl-D), ``/end`` or Ctrl-C leaves the interview. The
transcript is saved after every turn, and when the terminal is closed or the process is sent
SIGTERM or SIGHUP (it is then marked ``interrupted``); ``--resume FILE`` continues it in FILE.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
from pathlib import Path

from roleplay.candidates import HumanCandidate
from roleplay.cli._args import out_file_arg
from roleplay.cli._common import add_model_args, make_model
from roleplay.cli._practice_io import AutoSave, Terminal, Thinking, signals_interrupt
from roleplay.cli._transcript_args import add_transcript_args, announce_import, read_transcript
from roleplay.cv import read_cv
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


def add_interview_args(parser: argparse.ArgumentParser, *, persona_required: bool = True,
                       persona_help: str = "") -> None:
    """Options shared by ``practice`` and ``simulate``."""
    parser.add_argument("--persona", required=persona_required, metavar="ID",
                        help="interviewer persona id (see `roleplay personas`) or a YAML path"
                        + persona_help)
    parser.add_argument("--max-turns", type=max_turns_arg, default=None, metavar="N",
                        help="stop after N turns, both speakers counted (default 24)")
    parser.add_argument("--out", type=out_file_arg, default=None, metavar="FILE",
                        help="where to save the transcript JSON "
                        "(default ./transcripts/<persona>-<id>.json)")
    parser.add_argument("--cv", default=None, metavar="FILE",
                        help="the candidate's CV (.md, .txt or .pdf): the interviewer asks about "
                        "it and the judge checks claims of fit against it, as data")


def scenario_from(args: argparse.Namespace, cv: str | None = None) -> Scenario:
    """The scenario the flags ask for (``--cv`` read here; ``cv`` is the fallback CV text)."""
    path = getattr(args, "cv", None)
    if path:
        cv = read_cv(path)
    if args.max_turns:
        return Scenario(max_turns=args.max_turns, candidate_cv=cv)
    return Scenario(candidate_cv=cv)


def save_transcript(transcript: Transcript, out: Path | None, persona: Persona) -> Path:
    """Save atomically to ``out`` or the default path; returns the path."""
    path = out or DEFAULT_OUT_DIR / f"{persona.id or 'interview'}-{transcript.id}.json"
    return transcript.save(path)


def save_partial(interview: Interview, out: Path | None | AutoSave,
                 persona: Persona | None = None) -> None:
    """After a failure, keep whatever was said (nothing is saved if nothing was said)."""
    partial = interview.transcript
    if partial is not None and partial.turns:
        if isinstance(out, AutoSave):
            path = out.save(partial)
        else:
            assert persona is not None
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
    add_interview_args(parser, persona_required=False,
                       persona_help="; with --resume, default: the one the transcript names")
    parser.add_argument("--no-evaluate", action="store_true",
                        help="save the transcript without evaluating it")
    parser.add_argument("--resume", metavar="FILE", default=None,
                        help="continue this transcript where it stopped, saving into the same "
                        "file (a recording in another format `roleplay import` reads is "
                        "continued into a new JSON file)")
    add_transcript_args(parser)
    add_model_args(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the interview, saving after every turn; print the path and the evaluation."""
    resume = _resumed(args)
    persona = _persona(args, resume)
    # Resuming without --cv keeps the CV the interview started with.
    scenario = scenario_from(args, _resumed_cv(resume))
    model = make_model(args)
    out = sys.stdout
    terminal = Terminal(out, persona.interviewer.name)
    candidate = HumanCandidate(input_fn=terminal.read, show_interviewer=False)
    saver = AutoSave(_out_path(args, resume),
                     lambda t: DEFAULT_OUT_DIR / f"{persona.id or 'interview'}-{t.id}.json")
    print(
        f"Interview with {persona.interviewer.name}, {persona.interviewer.title} at "
        f"{persona.company.name}, for the {persona.role.title} role ({scenario.max_turns} turns "
        "at most).\nOne line per answer; end a line with \\ to continue it. Ctrl-D or /end "
        "leaves. The transcript is saved after every turn.",
        file=sys.stderr,
    )
    thinking = Thinking(model, persona.interviewer.name, sys.stderr)
    interview = Interview(persona, candidate, thinking, scenario=scenario,
                          on_text=terminal.write, resume=resume)

    def snapshot(_turn: object) -> None:
        # Marked interrupted until it ends, so a killed run leaves a file --resume accepts.
        state = interview.state
        if state is not None:
            saver.save(state.transcript(None if state.finished else "interrupted"))

    interview.on_turn = snapshot
    try:
        with signals_interrupt() as received:
            if resume is not None:
                _show_where_it_stopped(resume, terminal)
            try:
                transcript = interview.run()
            except RoleplayError:
                save_partial(interview, saver)
                raise
            except KeyboardInterrupt:
                # A signal outside the interview loop (while showing where it stopped or the
                # last words): keep what was said.
                transcript = _interrupted(interview, resume)
            _report(transcript, args, saver, model)
    finally:
        close_model(model)
    if received:
        name = signal.Signals(received[0]).name
        print(f"roleplay: {name} received; the interview was saved to {saver.path}",
              file=sys.stderr)
        return 128 + received[0]
    return 0


def _interrupted(interview: Interview, resume: Transcript | None) -> Transcript:
    state = interview.state
    if state is not None:
        return state.interrupt()
    if resume is None:
        raise KeyboardInterrupt
    return resume.model_copy(update={"end_reason": "interrupted"})


def _resumed(args: argparse.Namespace) -> Transcript | None:
    if not args.resume:
        return None
    transcript = read_transcript(args, args.resume)
    if transcript.end_reason == "interviewer_ended":
        raise ConfigError("this interview ended with the interviewer's goodbye; there is "
                          "nothing to resume (start a new one without --resume)",
                          path=args.resume)
    announce_import(transcript)
    return transcript


def _resumed_cv(resume: Transcript | None) -> str | None:
    cv = resume.scenario.get("candidate_cv") if resume is not None else None
    return cv if isinstance(cv, str) and cv.strip() else None


def _persona(args: argparse.Namespace, resume: Transcript | None) -> Persona:
    if args.persona is None:
        named = resume.persona_id if resume is not None else None
        if named is None:
            where = " (the transcript names none)" if resume is not None else ""
            raise ConfigError(f"name the interviewer: --persona ID or a YAML path{where}; "
                              "`roleplay personas` lists them", field="--persona")
        try:
            return load_persona(named)
        except ConfigError as exc:
            raise ConfigError(f"this interview was with persona {named!r}, which cannot be "
                              f"loaded by id ({exc}); pass --persona with its YAML file",
                              path=args.resume) from None
    persona = load_persona(args.persona)
    if resume is not None and resume.persona_id and persona.id \
            and resume.persona_id != persona.id:
        raise ConfigError(f"this interview was with persona {resume.persona_id!r}; pass "
                          f"--persona {resume.persona_id} (or leave --persona out) to resume it",
                          path=args.resume)
    return persona


def _out_path(args: argparse.Namespace, resume: Transcript | None) -> Path | None:
    """``--out``; else, resuming our JSON, the same file; else None (the default path)."""
    if args.out is not None:
        return Path(args.out)
    if resume is not None and resume.imported is None:
        return Path(args.resume)
    return None


def _show_where_it_stopped(transcript: Transcript, terminal: Terminal) -> None:
    print(f"Resuming after {len(transcript.turns)} turns.", file=sys.stderr)
    last = transcript.turns[-1]
    if last.speaker == "interviewer":
        # The question waiting for an answer.
        terminal.write(last.text + "\n")
    else:
        terminal.out.write(f"\nYou: {last.text}\n")


def _report(transcript: Transcript, args: argparse.Namespace, saver: AutoSave,
            model: object) -> None:
    path = saver.save(transcript)
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
