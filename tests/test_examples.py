"""Every example runs, as a user would run it, against the local OpenAI-compatible server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from roleplay.importing import load_transcript
from roleplay.testing import OpenAICompatServer

# Slow: `pytest -m "not slow"` leaves this file out of the inner loop; CI runs it.
pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _is_interviewer(body: dict[str, Any]) -> bool:
    fmt = body.get("response_format") or {}
    system = body["messages"][0]["content"] if body.get("messages") else ""
    return fmt.get("type") in ("json_schema", "json_object") or '"utterance"' in system or (
        "utterance:" in system
    )


def responder(body: dict[str, Any]) -> str | dict[str, Any]:
    """Interviewer requests get a move (closing after three questions); candidates get text."""
    messages = body["messages"]
    if _is_interviewer(body):
        asked = sum(1 for m in messages if m["role"] == "assistant")
        if asked >= 3:
            return {"utterance": "Thank you for your time today. Goodbye!", "phase": "close",
                    "end_interview": True}
        return {"utterance": f"Question {asked + 1}: tell me about a time you made a difference.",
                "phase": "opening" if asked == 0 else "interviewer_questions",
                "end_interview": False}
    return "I reorganised the rota and late deliveries fell from two a week to none."


@pytest.fixture
def server():
    with OpenAICompatServer(responder=responder) as srv:
        yield srv


def run_example(
    name: str, server: OpenAICompatServer, cwd: Path
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "OPENAI_BASE_URL": server.base_url,
        "OPENAI_API_KEY": "sk-test-not-a-real-key",
        "ROLEPLAY_MODEL": "gpt-4o-mini",
    }
    env.pop("ROLEPLAY_LOG", None)
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name)], cwd=cwd, env=env, capture_output=True,
        text=True, timeout=120, check=False,
    )


def test_every_example_is_covered() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == [
        "batch_simulations.py", "custom_persona.py", "quickstart.py",
    ]


def test_quickstart(server: OpenAICompatServer, tmp_path: Path) -> None:
    result = run_example("quickstart.py", server, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Ended: interviewer_ended" in result.stdout
    saved = list((tmp_path / "transcripts").glob("*.json"))
    assert len(saved) == 1
    transcript = load_transcript(saved[0])
    assert transcript.source == "simulated"
    assert transcript.persona_id == "warm-hr-screener"
    assert transcript.candidate_id == "strong-closer"
    assert transcript.turns[-1].text == "Thank you for your time today. Goodbye!"
    # The interviewer used structured output; the candidate plain text.
    bodies = [r.body for r in server.chat_requests]
    assert any((b.get("response_format") or {}).get("type") == "json_schema" for b in bodies)
    assert any(not b.get("response_format") for b in bodies)


def test_custom_persona(server: OpenAICompatServer, tmp_path: Path) -> None:
    result = run_example("custom_persona.py", server, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Crumb & Co" in json.dumps([r.body for r in server.chat_requests])
    assert "I reorganised the rota" not in result.stdout  # scripted answers, not the model's
    assert "Thanks for having me." in result.stdout
    assert "No hidden facts leaked." in result.stdout


def test_batch_simulations(server: OpenAICompatServer, tmp_path: Path) -> None:
    result = run_example("batch_simulations.py", server, tmp_path)
    assert result.returncode == 0, result.stderr
    saved = sorted(p.name for p in (tmp_path / "transcripts").glob("*.json"))
    assert saved == sorted([
        "warm-hr-screener-strong-closer.json",
        "warm-hr-screener-salary-first.json",
        "sceptical-eng-manager-nervous-rambler.json",
        "terse-vp-final-polished-never-closes.json",
    ])
    for name in saved:
        transcript = load_transcript(tmp_path / "transcripts" / name)
        assert transcript.end_reason == "interviewer_ended"
        assert [t.speaker for t in transcript.turns[:2]] == ["interviewer", "candidate"]


@pytest.mark.parametrize("name", ["quickstart.py", "custom_persona.py", "batch_simulations.py"])
def test_without_a_key_an_example_says_what_to_set_in_one_paragraph(name: str,
                                                                     tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ROLEPLAY_MODEL", "ROLEPLAY_LOG")}
    result = subprocess.run([sys.executable, str(EXAMPLES / name)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for needed in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ROLEPLAY_MODEL",
                   "python -m roleplay.testing"):
        assert needed in result.stderr
    assert "--api-key" not in result.stderr  # the scripts have no such flag
    assert result.stderr.startswith(f"{name}: ")


def test_the_quickstart_runs_against_the_offline_stand_in(tmp_path: Path) -> None:
    # What the no-key message suggests: the scripted stand-in plays the shipped persona and
    # candidate profile, so the example runs end to end with no model.
    from roleplay.persona import list_candidates, list_personas
    from roleplay.testing import simulation_responder

    responder = simulation_responder(list_personas(), list_candidates())
    with OpenAICompatServer(responder=responder) as stand_in:
        result = run_example("quickstart.py", stand_in, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Saved: transcripts" in result.stdout
