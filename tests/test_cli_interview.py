"""``roleplay practice`` and ``roleplay simulate``, driven through the real command line."""

from __future__ import annotations

import argparse
import io
import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest
import yaml
from factories import helpdesk_persona

import roleplay.cli
from roleplay.cli import main
from roleplay.errors import ModelConnectionError
from roleplay.importing import load_transcript
from roleplay.llm.base import ChatRequest
from roleplay.persona import (
    CandidateBehaviour,
    CandidateProfile,
    Experience,
    Resume,
)
from roleplay.testing import FunctionChatModel, ScriptedChatModel

PERSONA = helpdesk_persona()
PROFILE = CandidateProfile(
    name="Kim Park", summary="Support lead.",
    resume=Resume(headline="Support lead", experience=[
        Experience(title="Lead", company="Tally", years="2021-2025")]),
    behaviour=CandidateBehaviour(answer_style="star", questions="informed",
                                 asks_for_job="confident", confirms_next_steps=True,
                                 closing_recap=True, follow_up=True, instructions="Be concise."),
)


@pytest.fixture(autouse=True)
def only_our_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    # The other sub-commands are built elsewhere; these tests need only the two interview ones.
    monkeypatch.setattr(roleplay.cli, "_COMMANDS", ("practice", "simulate"))


@pytest.fixture
def persona_file(tmp_path: Path) -> Path:
    path = tmp_path / "support-lead.yaml"
    path.write_text(yaml.safe_dump(PERSONA.model_dump(mode="json", exclude={"id"})))
    return path


@pytest.fixture
def profile_file(tmp_path: Path) -> Path:
    path = tmp_path / "kim.yaml"
    path.write_text(yaml.safe_dump(PROFILE.model_dump(mode="json", exclude={"id"})))
    return path


def mv(utterance: str, phase: str = "interviewer_questions", end: bool = False) -> str:
    return json.dumps({"utterance": utterance, "phase": phase, "end_interview": end})


def use_model(monkeypatch: pytest.MonkeyPatch, module: str, model: Any,
              seen: list[argparse.Namespace] | None = None) -> None:
    def make_model(args: argparse.Namespace) -> Any:
        if seen is not None:
            seen.append(args)
        return model

    monkeypatch.setattr(f"roleplay.cli.{module}.make_model", make_model)


def pipe_stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


# --- practice -------------------------------------------------------------------------------


def test_practice_with_piped_answers_streams_and_saves(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    persona_file: Path,
) -> None:
    model = ScriptedChatModel([
        mv("Hi, I'm Ana. Tell me about yourself.", "opening"),
        mv("Tell me about a backlog you cleared."),
        mv("What would you do first here?"),
    ])
    use_model(monkeypatch, "_practice", model)
    pipe_stdin(monkeypatch, "I lead a support team of six.\n\nWe cut the backlog \\\nby 80%.\n")
    out = tmp_path / "out" / "practice.json"

    code = main(["practice", "--persona", str(persona_file), "--out", str(out), "--no-evaluate"])

    assert code == 0
    transcript = load_transcript(out)
    assert transcript.source == "human"
    assert transcript.end_reason == "candidate_ended"  # end of the piped input
    assert [t.text for t in transcript.candidate_turns()] == [
        "I lead a support team of six.", "We cut the backlog \nby 80%."]
    stdout = capsys.readouterr().out
    assert "Ana Ruiz: Hi, I'm Ana. Tell me about yourself.\n" in stdout
    assert "You: I lead a support team of six.\n" in stdout  # piped answers are echoed
    assert f"Transcript saved to {out}" in stdout
    assert stdout.index("Tell me about a backlog") < stdout.index("What would you do first")


def test_practice_default_path_and_turn_limit(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    persona_file: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    model = FunctionChatModel(lambda request: mv("Go on?"))
    use_model(monkeypatch, "_practice", model)
    pipe_stdin(monkeypatch, "one\ntwo\nthree\nfour\n")

    assert main(["practice", "--persona", str(persona_file), "--max-turns", "4",
                 "--no-evaluate"]) == 0

    (saved,) = (tmp_path / "transcripts").glob("support-lead-*.json")
    transcript = load_transcript(saved)
    assert transcript.end_reason == "turn_limit"
    assert len(transcript.turns) == 4
    assert saved.name == f"support-lead-{transcript.id}.json"
    assert f"Transcript saved to {Path('transcripts') / saved.name}" in capsys.readouterr().out


def test_practice_notes_when_the_evaluator_is_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    persona_file: Path,
) -> None:
    monkeypatch.setitem(sys.modules, "roleplay.evaluate", None)  # import fails
    use_model(monkeypatch, "_practice", ScriptedChatModel([mv("Hi.", "opening"), mv("Why?")]))
    pipe_stdin(monkeypatch, "hello\n")
    out = tmp_path / "t.json"
    assert main(["practice", "--persona", str(persona_file), "--out", str(out)]) == 0
    assert out.is_file()
    assert "Evaluation skipped" in capsys.readouterr().err


def test_practice_evaluates_with_the_same_model_and_prints_the_report(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    persona_file: Path,
) -> None:
    calls: list[tuple[str, Any]] = []

    class FakeEvaluator:
        def __init__(self, rubric: object = None, judge_model: object = None) -> None:
            calls.append(("judge", judge_model))

        def evaluate(self, transcript: object) -> str:
            calls.append(("evaluate", transcript))
            return "EVALUATION"

    def print_report(evaluation: object, console: object = None,
                     transcript: object = None) -> None:
        calls.append(("print", evaluation))

    monkeypatch.setitem(sys.modules, "roleplay.evaluate",
                        types.SimpleNamespace(Evaluator=FakeEvaluator))
    monkeypatch.setitem(sys.modules, "roleplay.report",
                        types.SimpleNamespace(print_report=print_report))
    model = ScriptedChatModel([mv("Hi.", "opening"), mv("Why?")])
    use_model(monkeypatch, "_practice", model)
    pipe_stdin(monkeypatch, "hello\n")
    out = tmp_path / "t.json"
    assert main(["practice", "--persona", str(persona_file), "--out", str(out)]) == 0
    assert calls[0] == ("judge", model)
    assert calls[1][0] == "evaluate" and calls[1][1] == load_transcript(out)
    assert calls[2] == ("print", "EVALUATION")


def test_practice_keeps_the_partial_transcript_when_the_model_fails(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    persona_file: Path,
) -> None:
    use_model(monkeypatch, "_practice", ScriptedChatModel([
        mv("Hi.", "opening"), ModelConnectionError("the connection was reset")]))
    pipe_stdin(monkeypatch, "hello\nmore\n")
    out = tmp_path / "t.json"
    assert main(["practice", "--persona", str(persona_file), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "connection was reset" in err
    assert f"Partial transcript saved to {out}" in err
    partial = load_transcript(out)
    assert partial.end_reason == "error"
    assert [t.text for t in partial.turns] == ["Hi.", "hello"]


def test_practice_rejects_bad_flags_and_unknown_personas(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], persona_file: Path,
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["practice", "--persona", str(persona_file), "--max-turns", "1"])
    assert exc.value.code == 2
    assert "--max-turns: must be between 2 and 400" in capsys.readouterr().err
    use_model(monkeypatch, "_practice", ScriptedChatModel([]))
    assert main(["practice", "--persona", "no-such-persona-xyz"]) == 2
    assert "no-such-persona-xyz" in capsys.readouterr().err


# --- simulate -------------------------------------------------------------------------------


def simulated_reply(request: ChatRequest) -> str:
    if request.response_format is not None:  # the interviewer asks for structured output
        asked = sum(1 for m in request.messages if m.role == "assistant")
        if asked >= 2:
            return mv("Thank you, goodbye.", "close", True)
        return mv(f"Question {asked + 1}?", "opening" if asked == 0 else "interviewer_questions")
    return "I cleared a 900-ticket backlog in six weeks."


def test_simulate_runs_both_sides_and_saves(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    persona_file: Path, profile_file: Path,
) -> None:
    model = FunctionChatModel(simulated_reply)
    seen: list[argparse.Namespace] = []
    use_model(monkeypatch, "_simulate", model, seen)
    out = tmp_path / "sim.json"

    code = main(["simulate", "--persona", str(persona_file), "--candidate", str(profile_file),
                 "--out", str(out), "--model", "gpt-4o", "--candidate-model", "gpt-4o-mini",
                 "--temperature", "0.5"])

    assert code == 0
    transcript = load_transcript(out)
    assert transcript.source == "simulated"
    assert transcript.candidate_id == "kim"
    assert transcript.persona_id == "support-lead"
    assert transcript.end_reason == "interviewer_ended"
    assert [t.speaker for t in transcript.turns] == ["interviewer", "candidate"] * 3 + [
        "interviewer"]
    assert [a.model for a in seen] == ["gpt-4o", "gpt-4o-mini"]
    assert all(a.temperature == 0.5 for a in seen)
    stdout = capsys.readouterr().out
    assert "[1] Ana Ruiz: Question 1?" in stdout
    assert "[2] Kim Park: I cleared a 900-ticket backlog" in stdout
    assert "Interview ended (interviewer_ended) after 7 turns" in stdout
    assert f"Transcript saved to {out}" in stdout


def test_simulate_stops_at_the_token_budget(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    persona_file: Path, profile_file: Path,
) -> None:
    use_model(monkeypatch, "_simulate", FunctionChatModel(lambda r: (
        mv("Next?") if r.response_format is not None else "An answer.")))
    out = tmp_path / "sim.json"
    assert main(["simulate", "--persona", str(persona_file), "--candidate", str(profile_file),
                 "--out", str(out), "--token-budget", "4000", "--quiet"]) == 0
    transcript = load_transcript(out)
    assert transcript.end_reason == "token_budget"
    captured = capsys.readouterr()
    assert "[1]" not in captured.out
    assert "token budget was reached" in captured.err


# --- practice --resume ----------------------------------------------------------------------

IMPORTS = Path(__file__).parent / "data" / "imports"


def test_practice_resumes_a_saved_interview_where_it_stopped(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    persona_file: Path,
) -> None:
    out = tmp_path / "practice.json"
    use_model(monkeypatch, "_practice", ScriptedChatModel([
        mv("Hi, I'm Ana. Tell me about yourself.", "opening"), mv("Tell me about a backlog.")]))
    pipe_stdin(monkeypatch, "I lead a support team of six.\n")  # then the input ends
    assert main(["practice", "--persona", str(persona_file), "--out", str(out),
                 "--no-evaluate"]) == 0
    first = load_transcript(out)
    assert [t.speaker for t in first.turns] == ["interviewer", "candidate", "interviewer"]
    capsys.readouterr()

    later = FunctionChatModel(lambda request: mv("What would you do first here?"))
    use_model(monkeypatch, "_practice", later)
    pipe_stdin(monkeypatch, "We cut the backlog by 80%.\n")
    assert main(["practice", "--persona", str(persona_file), "--resume", str(out),
                 "--out", str(out), "--no-evaluate"]) == 0

    resumed = load_transcript(out)
    assert resumed.id == first.id and resumed.started_at == first.started_at
    assert [t.text for t in resumed.turns[:3]] == [t.text for t in first.turns]
    assert resumed.turns[3].text == "We cut the backlog by 80%."
    assert resumed.turns[4].text == "What would you do first here?"
    assert [t.index for t in resumed.turns] == [1, 2, 3, 4, 5]
    # The interviewer hears the whole interview, not only the resumed part.
    sent = "\n".join(m.content for m in later.requests[0].messages)
    assert "I lead a support team of six." in sent and "We cut the backlog by 80%." in sent
    stdout = capsys.readouterr().out
    # The question waiting for an answer is shown again, once; earlier turns are not replayed.
    assert stdout.count("Tell me about a backlog.") == 1
    assert "Tell me about yourself" not in stdout


def test_practice_resumes_a_recording_in_another_format(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    persona_file: Path,
) -> None:
    out = tmp_path / "resumed.json"
    model = FunctionChatModel(lambda request: mv("Thanks, that is all from me.", "close"))
    use_model(monkeypatch, "_practice", model)
    pipe_stdin(monkeypatch, "Thank you, I'll send that email on Friday.\n")
    assert main(["practice", "--persona", str(persona_file), "--resume",
                 str(IMPORTS / "zoom.vtt"), "--out", str(out), "--no-evaluate"]) == 0
    resumed = load_transcript(out)
    assert len(resumed.turns) == 9
    assert resumed.turns[0].name == "Dana Kessler"  # names survive the resume
    assert resumed.turns[7].speaker == "candidate"
    assert resumed.turns[7].text == "Thank you, I'll send that email on Friday."
    assert "Jamal Okafor = candidate" in capsys.readouterr().err


@pytest.mark.parametrize(("change", "message"), [
    ({"end_reason": "interviewer_ended"}, "nothing to resume"),
    ({"persona_id": "someone-else"}, "--persona someone-else"),
])
def test_practice_refuses_a_resume_it_cannot_continue(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    persona_file: Path, change: dict[str, str], message: str,
) -> None:
    saved = load_transcript(IMPORTS / "silent.txt").model_copy(update=change)
    path = saved.save(tmp_path / "done.json")
    use_model(monkeypatch, "_practice", ScriptedChatModel([]))
    assert main(["practice", "--persona", str(persona_file), "--resume", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "done.json" in err
