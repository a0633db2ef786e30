"""``roleplay practice`` keeps the interview on disk: after every turn, on SIGTERM and SIGHUP,
and ``--resume`` continues in the same file.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import roleplay.cli
from roleplay.cli import main
from roleplay.cli._practice_io import Thinking
from roleplay.importing import load_transcript
from roleplay.llm.base import ChatRequest
from roleplay.persona import load_persona
from roleplay.scripted import interviewer_responder
from roleplay.testing import FunctionChatModel, OpenAICompatServer, ScriptedChatModel
from roleplay.transcript import Transcript

PERSONA = "warm-hr-screener"


@pytest.fixture(autouse=True)
def only_practice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(roleplay.cli, "_COMMANDS", ("practice",))


def mv(utterance: str, phase: str = "interviewer_questions", end: bool = False) -> str:
    return json.dumps({"utterance": utterance, "phase": phase, "end_interview": end})


def use_model(monkeypatch: pytest.MonkeyPatch, model: Any) -> None:
    monkeypatch.setattr("roleplay.cli._practice.make_model", lambda args: model)


def pipe_stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


# --- saved after every turn ----------------------------------------------------------------


def test_every_turn_is_on_disk_before_the_interviewer_is_asked_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    out = tmp_path / "practice.json"
    on_disk: list[list[str]] = []

    def reply(request: ChatRequest) -> str:
        # What a kill -9 at this moment would leave behind.
        on_disk.append([t.text for t in load_transcript(out).turns] if out.exists() else [])
        return mv(f"Question {len(on_disk)}?")

    use_model(monkeypatch, FunctionChatModel(reply))
    pipe_stdin(monkeypatch, "First answer.\nSecond answer.\n")
    assert main(["practice", "--persona", PERSONA, "--out", str(out), "--no-evaluate"]) == 0

    # When the interviewer was asked after each answer, that answer was already on disk.
    assert [texts[-1] for texts in on_disk if texts and texts[-1].endswith("answer.")] == [
        "First answer.", "Second answer."]
    final = load_transcript(out)
    assert final.end_reason == "candidate_ended"
    assert [t.text for t in final.candidate_turns()] == ["First answer.", "Second answer."]


def test_a_snapshot_is_marked_interrupted_until_the_interview_ends(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    out = tmp_path / "practice.json"
    seen: list[str] = []

    def reply(request: ChatRequest) -> str:
        if out.exists():
            seen.append(load_transcript(out).end_reason)
        return mv("And then?")

    use_model(monkeypatch, FunctionChatModel(reply))
    pipe_stdin(monkeypatch, "One.\n")
    assert main(["practice", "--persona", PERSONA, "--out", str(out), "--no-evaluate"]) == 0
    assert seen and set(seen) == {"interrupted"}  # resumable if the process dies here
    assert load_transcript(out).end_reason == "candidate_ended"


# --- SIGTERM and SIGHUP, in a real process ---------------------------------------------------


def _wait_for_turns(path: Path, count: int, proc: subprocess.Popen[str]) -> Transcript:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"practice exited early ({proc.returncode}): "
                                 f"{proc.stderr.read() if proc.stderr else ''}")
        if path.exists():
            transcript = load_transcript(path)
            if len(transcript.turns) >= count:
                return transcript
        time.sleep(0.05)
    raise AssertionError(f"{path} never reached {count} turns")


@pytest.mark.parametrize("sig", [s for s in ("SIGTERM", "SIGHUP") if hasattr(signal, s)])
def test_a_signal_mid_interview_saves_every_typed_turn(tmp_path: Path, sig: str) -> None:
    signum = int(getattr(signal, sig))
    out = tmp_path / "practice.json"
    persona = load_persona(PERSONA)
    with OpenAICompatServer(responder=interviewer_responder(persona)) as server:
        env = {**os.environ, "OPENAI_BASE_URL": server.base_url,
               "OPENAI_API_KEY": "sk-test-not-a-real-key", "ROLEPLAY_MODEL": "gpt-4o-mini"}
        env.pop("ROLEPLAY_LOG", None)
        proc = subprocess.Popen(
            [sys.executable, "-m", "roleplay", "practice", "--persona", PERSONA, "--out",
             str(out), "--no-evaluate"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env, cwd=tmp_path)
        assert proc.stdin is not None
        try:
            _wait_for_turns(out, 1, proc)  # the opening question
            proc.stdin.write("I run a support team of six.\n")
            proc.stdin.flush()
            _wait_for_turns(out, 3, proc)  # my answer and the next question
            proc.stdin.write("We cut the backlog by 80% in a quarter.\n")
            proc.stdin.flush()
            _wait_for_turns(out, 5, proc)
            # The process now waits for the next answer, as a person at a closed terminal.
            proc.send_signal(signum)
            _, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 128 + signum, err
    assert "Traceback" not in err
    assert f"{sig} received; the interview was saved to {out}" in err
    saved = load_transcript(out)
    assert saved.end_reason == "interrupted"
    assert [t.text for t in saved.candidate_turns()] == [
        "I run a support team of six.", "We cut the backlog by 80% in a quarter."]
    assert len(saved.turns) == 5


# --- --resume continues in the same file -----------------------------------------------------


def test_resume_continues_in_the_same_file_with_the_persona_it_names(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "sd.json"
    use_model(monkeypatch, FunctionChatModel(lambda request: mv("Tell me more?")))
    pipe_stdin(monkeypatch, "I lead a support team.\n")
    assert main(["practice", "--persona", PERSONA, "--out", str(out), "--no-evaluate"]) == 0
    first = load_transcript(out)
    interrupted = first.model_copy(update={"end_reason": "interrupted"})
    interrupted.save(out)
    capsys.readouterr()

    pipe_stdin(monkeypatch, "We cut the backlog by 80%.\n")
    # No --persona, no --out: both come from the file.
    assert main(["practice", "--resume", str(out), "--no-evaluate"]) == 0

    resumed = load_transcript(out)
    assert resumed.id == first.id and resumed.persona_id == PERSONA
    assert len(resumed.turns) == len(first.turns) + 2
    assert resumed.candidate_turns()[-1].text == "We cut the backlog by 80%."
    assert resumed.end_reason == "candidate_ended"  # finished, no longer "interrupted"
    assert not (tmp_path / "transcripts").exists()  # nothing written anywhere else
    assert f"Transcript saved to {out}" in capsys.readouterr().out


def test_resume_without_persona_says_what_to_pass_when_the_file_names_none(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    recording = tmp_path / "call.txt"
    recording.write_text("Interviewer: Hello, tell me about you.\nCandidate: I lead a team.\n"
                         "Interviewer: Why this role?\n")
    use_model(monkeypatch, ScriptedChatModel([]))
    assert main(["practice", "--resume", str(recording)]) == 2
    err = capsys.readouterr().err
    assert "--persona" in err and "names none" in err


def test_resume_of_a_recording_writes_a_new_json_file_not_over_the_recording(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    recording = tmp_path / "call.txt"
    text = ("Interviewer: Hello, tell me about you.\nCandidate: I lead a team.\n"
            "Interviewer: Why this role?\n")
    recording.write_text(text)
    use_model(monkeypatch, FunctionChatModel(lambda request: mv("Thanks.")))
    pipe_stdin(monkeypatch, "Because I like support.\n")
    assert main(["practice", "--persona", PERSONA, "--resume", str(recording),
                 "--no-evaluate"]) == 0
    assert recording.read_text() == text
    (saved,) = (tmp_path / "transcripts").glob("*.json")
    assert load_transcript(saved).candidate_turns()[-1].text == "Because I like support."


# --- the interviewer is thinking -------------------------------------------------------------


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_thinking_status_shows_until_the_first_words_on_a_terminal() -> None:
    status = _Tty()
    events: list[str] = []

    def reply(request: ChatRequest) -> str:
        events.append(f"asked with status {status.getvalue()!r}")
        return mv("Hello there.")

    thinking = Thinking(FunctionChatModel(reply), "Ana", status)
    request = ChatRequest(messages=[])
    thinking.complete(request, on_delta=lambda text: events.append(f"words after "
                                                                    f"{status.getvalue()!r}"))
    assert events[0] == "asked with status '(Ana is thinking...)'"
    # Erased before the first words were written, and not written twice.
    assert events[1] == "words after '(Ana is thinking...)\\r\\x1b[K'"
    assert status.getvalue() == "(Ana is thinking...)\r\x1b[K"


def test_no_thinking_status_when_stderr_is_not_a_terminal() -> None:
    status = io.StringIO()
    thinking = Thinking(FunctionChatModel(lambda request: mv("Hi.")), "Ana", status)
    thinking.complete(ChatRequest(messages=[]))
    assert status.getvalue() == ""
