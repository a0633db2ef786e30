"""End-to-end cassette tests, one cassette per role: interviewer, candidate and judge.

Every call goes through the real OpenAI client over real HTTP. ``scripts/record`` records them
against the local `OpenAICompatServer` answering with the scripted responders of
`roleplay.testing` (or, with ``ROLEPLAY_RECORD_OPENAI_API_KEY``, against api.openai.com); plain
``pytest`` replays them offline. A simulated interview keeps the interviewer's requests in
``tests/cassettes/interviewer/`` and the candidate's in ``tests/cassettes/candidate/``; judge
calls go to ``tests/cassettes/judge/``.

Structural assertions hold whoever answered. Assertions about what the scripted responders do
(no leak, the candidate's closing moves, the stand-in judge's verdicts) run only on cassettes
recorded against the local server (`RoleCassettes.recorded_locally`).
"""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from roleplay.candidates import LLMCandidate
from roleplay.evals.suite import EvalSuite, load_suite
from roleplay.evaluate import Evaluator
from roleplay.evaluate.judge import normalise
from roleplay.importing import load_transcript
from roleplay.leaks import find_leaks
from roleplay.llm import structured
from roleplay.llm.base import Usage
from roleplay.llm.openai import OpenAIChatModel
from roleplay.llm.structured import FormatMemory
from roleplay.persona import load_candidate, load_persona
from roleplay.prompts import PHASES
from roleplay.rubric import load_rubric
from roleplay.session import Interview
from roleplay.testing import OpenAICompatServer, simulation_responder
from roleplay.transcript import Transcript

GOLD = Path(__file__).resolve().parent.parent / "evals" / "gold"
STATUSES = {"scored", "not_applicable", "insufficient_evidence", "judge_error"}


@pytest.fixture(autouse=True)
def _fresh_format_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    # The structured-output chain remembers, per endpoint, which format worked; a memory left by
    # another test for a recycled local port would change the request bodies.
    monkeypatch.setattr(structured, "_DEFAULT_MEMORY", FormatMemory())


def recorded_usage(cassette: Any) -> Usage:
    """The usage the endpoint reported, summed over a cassette's responses."""
    total = Usage()
    for response in cassette.responses:
        body = response["body"]["string"]
        usage = json.loads(body)["usage"]
        total = total + Usage(prompt_tokens=usage["prompt_tokens"],
                              completion_tokens=usage["completion_tokens"], calls=1)
    return total


# -- interviewer and candidate ---------------------------------------------------------------

SIMULATIONS = {
    # persona, candidate profile, words the scripted candidate says in its close
    "screen-strong-closer": ("warm-hr-screener", "strong-closer", "I want this role."),
    "final-no-invite-beggar": ("terse-vp-final", "beggar", "I really need this job, please."),
}


@pytest.mark.vcr
@pytest.mark.parametrize("key", list(SIMULATIONS))
def test_simulated_interview(key: str, request: pytest.FixtureRequest, role_cassettes,
                             make_cassette_model, openai_server, tmp_path: Path) -> None:
    persona_id, candidate_id, closing_words = SIMULATIONS[key]
    persona, profile = load_persona(persona_id), load_candidate(candidate_id)
    openai_server.responder = simulation_responder([persona], [profile], judge=False)
    name = request.node.name
    interviewer = role_cassettes.bind(make_cassette_model(), f"interviewer/{name}")
    candidate = LLMCandidate(profile, role_cassettes.bind(make_cassette_model(),
                                                          f"candidate/{name}"))

    transcript = Interview(persona, candidate, interviewer).run()

    turns = transcript.turns
    assert turns[0].speaker == "interviewer"
    assert all(a.speaker != b.speaker for a, b in pairwise(turns)), "speakers must alternate"
    assert [t.index for t in turns] == list(range(1, len(turns) + 1))
    phases = [PHASES.index(t.phase) for t in turns if t.phase is not None]
    assert len(phases) == len(turns) and phases == sorted(phases), "phases only move forward"
    assert transcript.end_reason in ("interviewer_ended", "turn_limit")
    assert (transcript.persona_id, transcript.candidate_id, transcript.source) == (
        persona_id, candidate_id, "simulated")

    # Usage: exactly what the endpoint reported, summed over both roles' calls.
    asked = role_cassettes.cassette(f"interviewer/{name}")
    answered = role_cassettes.cassette(f"candidate/{name}")
    reported = recorded_usage(asked) + recorded_usage(answered)
    assert (transcript.usage.prompt_tokens, transcript.usage.completion_tokens,
            transcript.usage.calls) == (reported.prompt_tokens, reported.completion_tokens,
                                        reported.calls)
    assert len(answered) == len(transcript.candidate_turns())
    assert len(asked) >= len(transcript.interviewer_turns()) - (1 if persona.opening else 0)

    # The transcript survives JSON and the file format unchanged.
    assert Transcript.from_json(transcript.to_json()) == transcript
    assert load_transcript(transcript.save(tmp_path / "t.json")) == transcript

    if role_cassettes.recorded_locally(f"interviewer/{name}") and \
            role_cassettes.recorded_locally(f"candidate/{name}"):
        assert transcript.end_reason == "interviewer_ended"
        assert turns[-1].speaker == "interviewer" and turns[-1].phase == "close"
        assert find_leaks(transcript, persona) == []
        said = " ".join(t.text for t in transcript.candidate_turns())
        assert closing_words in said
        # The candidate asked about next steps, so the hidden answer was given, after the ask.
        marker = persona.hidden_facts.next_steps.markers[0].lower()
        told = [t.index for t in transcript.interviewer_turns() if marker in t.text.lower()]
        asked_at = [t.index for t in transcript.candidate_turns() if "next step" in t.text]
        assert told and asked_at and asked_at[0] < told[0]


# -- judge ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def gold() -> EvalSuite:
    return load_suite(GOLD)


def independently_verified(transcript: Transcript, turn: int, quote: str) -> bool:
    """The quote's pieces appear, in order, in candidate turn ``turn`` (our own check)."""
    try:
        cited = transcript.turn(turn)
    except KeyError:
        return False
    if cited.speaker != "candidate":
        return False
    body, position = normalise(cited.text), 0
    pieces = [p.strip(" .,;:!?\"'") for p in normalise(quote).split("...")]
    for piece in filter(None, pieces):
        at = body.find(piece, position)
        if at < 0:
            return False
        position = at + len(piece)
    return any(pieces)


def check_evaluation(evaluation: Any, transcript: Transcript, calls: int) -> None:
    rubric = load_rubric()
    assert evaluation.mode == "judge"
    assert evaluation.judge_calls == calls and 1 <= calls <= 2, "one judge call, one re-ask at most"
    assert evaluation.usage.calls == calls
    assert [c.id for c in evaluation.criteria] == [c.id for c in rubric.criteria]
    assert len(evaluation.criteria) == 8
    for result in evaluation.criteria:
        assert result.status in STATUSES
        if result.status == "scored":
            assert result.score in range(1, 6) and result.passed is not None
        else:
            assert result.score is None and result.passed is None
        for evidence in result.evidence:
            assert evidence.verified == independently_verified(
                transcript, evidence.turn, evidence.quote), (result.id, evidence)
            if not evidence.verified:
                assert evidence.note


JUDGED = {
    # gold case: (criterion, the stand-in judge's outcome: passed True/False, or the status)
    "g01-swe-strong-closer": ("next_steps", True),
    "g07-retail-begging": ("asked_for_job", False),
    "g08-support-salary-first": ("asked_questions", False),
    "g16-transit-no-invite-no-questions": ("asked_questions", "not_applicable"),
}


@pytest.mark.vcr
@pytest.mark.parametrize("case_id", list(JUDGED))
def test_judge_on_gold_case(case_id: str, gold: EvalSuite, request: pytest.FixtureRequest,
                            role_cassettes, make_cassette_model, openai_server) -> None:
    case = next(c for c in gold.cases if c.id == case_id)
    openai_server.responder = simulation_responder()
    name = f"judge/{request.node.name}"
    judge = role_cassettes.bind(make_cassette_model(), name)

    evaluation = Evaluator(judge_model=judge).evaluate(case.transcript)

    check_evaluation(evaluation, case.transcript, len(role_cassettes.cassette(name)))
    if role_cassettes.recorded_locally(name):
        # The stand-in judge quotes candidate turns verbatim: every quote verifies.
        assert all(e.verified for c in evaluation.criteria for e in c.evidence)
        assert not any(c.status == "judge_error" for c in evaluation.criteria)
        criterion, outcome = JUDGED[case_id]
        result = evaluation.criterion(criterion)
        assert (result.status if isinstance(outcome, str) else result.passed) == outcome


@pytest.mark.vcr
def test_judge_reasks_once_after_an_invalid_reply(gold: EvalSuite,
                                                   request: pytest.FixtureRequest,
                                                   role_cassettes, make_cassette_model,
                                                   openai_server) -> None:
    case = next(c for c in gold.cases if c.id == "g01-swe-strong-closer")
    # Locally, the first reply misses seven criteria; the responder answers the re-ask.
    openai_server.enqueue({"asked_questions": {"evidence": [], "reason": "?"}})
    openai_server.responder = simulation_responder()
    name = f"judge/{request.node.name}"
    judge = role_cassettes.bind(make_cassette_model(), name)

    evaluation = Evaluator(judge_model=judge).evaluate(case.transcript)

    check_evaluation(evaluation, case.transcript, len(role_cassettes.cassette(name)))
    if role_cassettes.recorded_locally(name):
        assert evaluation.judge_calls == 2
        assert all(c.status != "judge_error" for c in evaluation.criteria)


# -- the responders without json_schema support --------------------------------------------

def test_responders_follow_the_structured_output_fallback() -> None:
    # A server that rejects json_schema (as llama.cpp does): the schema then travels in the
    # prompt, and the scripted interviewer and judge must still answer it.
    persona, profile = load_persona("school-principal"), load_candidate("hypothetical-answerer")
    responder = simulation_responder([persona], [profile])
    with OpenAICompatServer(responder=responder, reject_json_schema=True) as server, \
            OpenAIChatModel(base_url=server.base_url, api_key="test-key-not-real",
                            max_attempts=1) as model:
        transcript = Interview(persona, LLMCandidate(profile, model), model).run()
        evaluation = Evaluator(judge_model=model).evaluate(transcript)
        formats = [(r.body or {}).get("response_format") for r in server.requests]

    assert transcript.end_reason == "interviewer_ended" and find_leaks(transcript, persona) == []
    assert formats[0]["type"] == "json_schema" and formats[1] == {"type": "json_object"}
    # The endpoint's fallback is remembered: the judge goes straight to json_object.
    assert evaluation.judge_calls == 1 and formats[-1] == {"type": "json_object"}
    assert not any(c.status == "judge_error" for c in evaluation.criteria)
    assert evaluation.criterion("sar_answers").passed is False
