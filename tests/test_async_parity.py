"""`Interview.run` and `Interview.arun` make the same decisions from the same replies.

Each scenario runs twice with fresh fakes, once through each driver; the transcripts must be
identical apart from ids and timestamps, and the models must have received identical requests.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from factories import helpdesk_persona

from roleplay.candidates import LLMCandidate, ScriptedCandidate
from roleplay.errors import ModelConnectionError
from roleplay.llm.base import ChatRequest
from roleplay.persona import (
    Behaviour,
    CandidateBehaviour,
    CandidateProfile,
    Experience,
    Persona,
    Resume,
    Scenario,
)
from roleplay.session import Interview
from roleplay.testing import FunctionChatModel, ScriptedChatModel
from roleplay.transcript import Transcript


def make_persona(**overrides: object) -> Persona:
    options: dict[str, object] = {"id": "parity", "behaviour": Behaviour(invites_questions=False)}
    return helpdesk_persona(**{**options, **overrides})


PROFILE = CandidateProfile(
    id="parity-candidate", name="Kim Park", summary="Support lead.",
    resume=Resume(headline="Support lead", experience=[
        Experience(title="Lead", company="Y", years="2021-2025")]),
    behaviour=CandidateBehaviour(answer_style="star", questions="generic", asks_for_job="never",
                                 confirms_next_steps=False, closing_recap=False, follow_up=False,
                                 instructions="Answer briefly."),
)


def mv(utterance: str, phase: str = "interviewer_questions", end: bool = False) -> str:
    return json.dumps({"utterance": utterance, "phase": phase, "end_interview": end})


@dataclass
class Case:
    """One scenario: fresh fakes for each run."""

    interviewer: Callable[[], ScriptedChatModel | FunctionChatModel]
    candidate: Callable[[], Any]
    kwargs: dict[str, Any] = field(default_factory=dict)
    persona: Persona = field(default_factory=make_persona)
    raises: type[Exception] | None = None


def counting_move(request: ChatRequest) -> str:
    asked = sum(1 for m in request.messages if m.role == "assistant")
    return mv(f"Question {asked + 1}?", "opening" if asked == 0 else "interviewer_questions")


CASES: dict[str, Case] = {
    "close with last word": Case(
        lambda: ScriptedChatModel([mv("Hi.", "opening"), mv("Tell me more."),
                                   mv("Thanks, goodbye.", "close", True), mv("Bye!", "close")]),
        lambda: ScriptedCandidate(["Hello.", "I cleared 400 tickets.", "Thank you!"]),
    ),
    "turn limit with wrap-up": Case(
        lambda: FunctionChatModel(counting_move),
        lambda: ScriptedCandidate([f"answer {i}" for i in range(20)]),
        {"scenario": Scenario(max_turns=8)},
    ),
    "fallback on invalid moves": Case(
        lambda: ScriptedChatModel([mv("Hi.", "opening"), "prose one", "prose two",
                                   '{"utterance": "Half', '{"utterance": "Half a',
                                   mv("Bye.", "close", True)]),
        lambda: ScriptedCandidate(["a", "b", "c"]),
        {"last_word": False},
    ),
    "token budget": Case(
        lambda: FunctionChatModel(counting_move),
        lambda: ScriptedCandidate(["answer"] * 20),
        {"token_budget": 5000},
    ),
    "trimmed history": Case(
        lambda: FunctionChatModel(counting_move),
        lambda: ScriptedCandidate([" ".join(["word"] * 500)] * 20),
        {"scenario": Scenario(max_turns=16, max_prompt_tokens=2500)},
    ),
    "llm candidate": Case(
        lambda: ScriptedChatModel([mv("Hi.", "opening"), mv("Goodbye.", "close", True),
                                   mv("Bye.", "close", True)]),
        lambda: LLMCandidate(PROFILE, ScriptedChatModel(["Kim: Hello there.", "Thanks."])),
    ),
    "fixed opening": Case(
        lambda: ScriptedChatModel([mv("Goodbye.", "close", True)]),
        lambda: ScriptedCandidate(["Hi!"]),
        {"last_word": False},
        make_persona(opening="Hello and welcome."),
    ),
    "candidate leaves": Case(
        lambda: ScriptedChatModel([mv("Hi.", "opening"), mv("Why us?")]),
        lambda: ScriptedCandidate(["Hello."]),
    ),
    "model error": Case(
        lambda: ScriptedChatModel([mv("Hi.", "opening"), ModelConnectionError("reset")]),
        lambda: ScriptedCandidate(["Hello.", "More."]),
        raises=ModelConnectionError,
    ),
}


def normalised(transcript: Transcript | None) -> dict[str, Any]:
    assert transcript is not None
    data = transcript.model_dump(mode="json", exclude={"id", "started_at", "ended_at"})
    for turn in data["turns"]:
        turn.pop("at")
    return data


def run_sync(case: Case) -> tuple[dict[str, Any], list[ChatRequest], list[str]]:
    model, shown = case.interviewer(), []
    interview = Interview(case.persona, case.candidate(), model, on_text=shown.append,
                          **case.kwargs)
    if case.raises:
        with pytest.raises(case.raises):
            interview.run()
        transcript = interview.transcript
    else:
        transcript = interview.run()
    return normalised(transcript), model.requests, shown


async def run_async(case: Case) -> tuple[dict[str, Any], list[ChatRequest], list[str]]:
    model, shown = case.interviewer(), []
    interview = Interview(case.persona, case.candidate(), model, on_text=shown.append,
                          **case.kwargs)
    if case.raises:
        with pytest.raises(case.raises):
            await interview.arun()
        transcript = interview.transcript
    else:
        transcript = await interview.arun()
    return normalised(transcript), model.requests, shown


@pytest.mark.parametrize("name", list(CASES))
async def test_run_and_arun_agree(name: str) -> None:
    case = CASES[name]
    sync_transcript, sync_requests, sync_shown = run_sync(case)
    async_transcript, async_requests, async_shown = await run_async(case)
    assert sync_transcript == async_transcript
    assert sync_requests == async_requests
    assert "".join(sync_shown) == "".join(async_shown)
    assert sync_transcript["turns"], "every scenario records turns"


def test_the_scenarios_end_for_different_reasons() -> None:
    reasons = {name: run_sync(case)[0]["end_reason"] for name, case in CASES.items()}
    assert set(reasons.values()) == {
        "interviewer_ended", "turn_limit", "token_budget", "candidate_ended", "error"}
    assert reasons["turn limit with wrap-up"] == "turn_limit"
    assert reasons["token budget"] == "token_budget"


async def test_arun_rejects_a_sync_only_model() -> None:
    class SyncOnly:
        model_name = "x"
        endpoint = "y"

        def complete(self, request: ChatRequest, *, on_delta: object = None) -> object:
            raise AssertionError

    with pytest.raises(TypeError, match="run\\(\\)"):
        await Interview(make_persona(), ScriptedCandidate([]), SyncOnly()).arun()  # type: ignore[arg-type]
