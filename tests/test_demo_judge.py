"""The demo's scripted judge never contradicts the transcript, and never ends in a judge error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from roleplay.evaluate import Evaluator
from roleplay.importing import load_transcript
from roleplay.testing import FunctionChatModel, as_chat_function, judge_responder
from roleplay.transcript import Transcript, Turn

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "evals").glob("*/cases/*.txt"))
NEVER_WANTS = "never says they want the role"


def stand_in() -> Evaluator:
    return Evaluator(judge_model=FunctionChatModel(as_chat_function(judge_responder())))


def cut_short() -> Transcript:
    """A practice interview ended after three answers; the last says the person wants the job."""
    lines = [
        ("interviewer", "Hi, I'm Hannah from Fernleaf. Thanks for making the time. Tell me "
                        "a little about yourself."),
        ("candidate", "I've led a support team of six at a clinic software company."),
        ("interviewer", "Tell me about a time a customer was unhappy with you or your "
                        "company. What did you do, and how did it end?"),
        ("candidate", "A clinic lost a week of bookings after an update. I called the manager "
                      "the same day and we restored the data within two days."),
        ("interviewer", "Thank you. Why this role, and why now?"),
        ("candidate", "I'd really like this role. Onboarding clinics is what I do best."),
    ]
    return Transcript(turns=tuple(Turn(index=i, speaker=s, text=t)  # type: ignore[arg-type]
                                  for i, (s, t) in enumerate(lines, start=1)),
                      end_reason="candidate_ended")


def test_a_short_demo_interview_is_read_as_it_was_said() -> None:
    evaluation = stand_in().evaluate(cut_short())
    statuses = {c.id: c.status for c in evaluation.criteria}
    assert "judge_error" not in statuses.values(), statuses
    assert statuses["sar_answers"] == "scored"
    assert all(NEVER_WANTS not in c.reason for c in evaluation.criteria)
    ask = evaluation.criterion("asked_for_job")
    # Rubric 2.0: saying plainly "I'd really like this role" is asking for the job (level 4).
    assert ask.status == "scored" and ask.score == 4 and ask.passed is True
    assert any(ev.verified and "really like this role" in ev.quote for ev in ask.evidence)


@pytest.mark.parametrize("phrase", ["I'd really like this role.", "I want this job.",
                                    "I would love to join the team.",
                                    "I'm very keen on this position.",
                                    "I'd very much like the opportunity."])
def test_any_usual_way_of_wanting_the_role_is_heard(phrase: str) -> None:
    t = cut_short()
    last = t.turns[-1].model_copy(update={"text": f"{phrase} Onboarding clinics is my work."})
    evaluation = stand_in().evaluate(t.model_copy(update={"turns": (*t.turns[:-1], last)}))
    assert NEVER_WANTS not in evaluation.criterion("asked_for_job").reason


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_on_every_eval_transcript_no_judge_error_and_no_contradiction(case: Path) -> None:
    evaluation = stand_in().evaluate(load_transcript(case))
    assert [c.id for c in evaluation.criteria if c.status == "judge_error"] == []
    if evaluation.signals.job_ask:
        assert NEVER_WANTS not in evaluation.criterion("asked_for_job").reason
    if evaluation.signals.behavioural_prompts:
        assert "No behavioural question was asked" not in evaluation.criterion(
            "sar_answers").reason


def test_the_web_demo_report_of_a_short_interview(tmp_path: Path) -> None:
    pytest.importorskip("starlette")
    from starlette.testclient import TestClient

    from roleplay.web import create_app

    app = create_app(None, sessions_dir=tmp_path / "sessions", demo_pace=0)
    with TestClient(app) as client:
        sid = str(client.post("/interviews", data={"persona": "warm-hr-screener"},
                              follow_redirects=False).headers["location"]).rsplit("/", 1)[1]
        client.get(f"/i/{sid}/events")
        for text in ["I've led a support team of six for three years.",
                     "I'd really like this role."]:
            assert client.post(f"/i/{sid}/answer", json={"text": text}).status_code == 202
            client.get(f"/i/{sid}/events")
        assert client.post(f"/i/{sid}/end").status_code == 202
        client.get(f"/i/{sid}/events")
        report = client.get(f"/i/{sid}/report").text
    saved = json.loads((tmp_path / "sessions" / f"{sid}.evaluation.json").read_text())
    statuses = [c["status"] for c in saved["criteria"]]
    assert "judge_error" not in statuses
    assert NEVER_WANTS not in report
    scored = statuses.count("scored")
    applicable = len(statuses) - statuses.count("not_applicable")
    if scored * 2 > applicable:
        assert f"over {scored} of {applicable} criteria" in report
    else:
        assert f"no overall score: {scored} of {applicable} applicable criteria scored" in report
