"""Candidates: a person at the terminal (typed or piped), an LLM, and a script."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable, Iterable

import pytest
from factories import helpdesk_persona

from roleplay.candidates import (
    AsyncCandidate,
    Candidate,
    CandidateReply,
    CandidateView,
    HumanCandidate,
    LLMCandidate,
    ScriptedCandidate,
)
from roleplay.errors import ModelOutputError
from roleplay.persona import (
    CandidateBehaviour,
    CandidateProfile,
    Experience,
    Resume,
)
from roleplay.prompts import InterviewBrief
from roleplay.session import Interview
from roleplay.testing import ScriptedChatModel
from roleplay.transcript import Turn

PERSONA = helpdesk_persona(id="cand-test", facts=["The team has nine agents."])
PROFILE = CandidateProfile(
    id="kim", name="Kim Park", summary="Support lead with five years of experience.",
    resume=Resume(headline="Support lead", experience=[
        Experience(title="Support Lead", company="Tally", years="2021-2025",
                   highlights=["Cut the backlog from 900 to 120 tickets"])]),
    behaviour=CandidateBehaviour(answer_style="one_liner", questions="none", asks_for_job="never",
                                 confirms_next_steps=False, closing_recap=False, follow_up=False,
                                 instructions="Give one-sentence answers."),
)


def view(question: str = "Tell me about yourself.", *, closing: bool = False) -> CandidateView:
    return CandidateView(
        brief=InterviewBrief.from_persona(PERSONA),
        turns=(Turn(index=1, speaker="interviewer", text=question, phase="opening"),),
        phase="opening", closing=closing, turns_left=10,
    )


def feeder(lines: Iterable[str | BaseException]) -> tuple[Callable[[str], str], list[str]]:
    """An input() stand-in: returns the lines, raising EOFError when they run out."""
    queue = list(lines)
    prompts: list[str] = []

    def read(prompt: str) -> str:
        prompts.append(prompt)
        if not queue:
            raise EOFError
        item = queue.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item

    return read, prompts


# --- HumanCandidate -------------------------------------------------------------------------


def test_human_reads_one_line_per_answer_and_shows_the_question() -> None:
    read, prompts = feeder(["I lead a support team.", "second answer"])
    out = io.StringIO()
    human = HumanCandidate(input_fn=read, output=out)
    assert human.reply(view("Tell me about yourself.")) == CandidateReply(
        text="I lead a support team.")
    assert out.getvalue() == "\nAna Ruiz: Tell me about yourself.\n"
    assert prompts == ["You: "]
    assert human.info.source == "human"


def test_human_multi_line_answers_continue_after_a_backslash() -> None:
    read, prompts = feeder(["First line \\", "\\", "second paragraph\\", "end.", "next"])
    human = HumanCandidate(input_fn=read, show_interviewer=False)
    assert human.reply(view()).text == "First line \n\nsecond paragraph\nend."
    assert prompts == ["You: ", "...  ", "...  ", "...  "]
    assert human.reply(view()).text == "next"


def test_human_a_blank_line_after_a_continuation_ends_the_answer() -> None:
    read, _ = feeder(["Short \\", "", "Next answer."])
    human = HumanCandidate(input_fn=read, show_interviewer=False)
    assert human.reply(view()).text == "Short"
    assert human.reply(view()).text == "Next answer."


def test_human_blank_lines_before_an_answer_are_ignored() -> None:
    read, _ = feeder(["", "   ", "\\", "", "Finally an answer."])
    assert HumanCandidate(input_fn=read, show_interviewer=False).reply(view()).text \
        == "Finally an answer."


def test_human_end_of_input_leaves() -> None:
    read, _ = feeder([])
    assert HumanCandidate(input_fn=read, show_interviewer=False).reply(view()) \
        == CandidateReply.leave("candidate_ended")


def test_human_end_of_input_mid_answer_sends_what_was_typed() -> None:
    read, _ = feeder(["half an answer \\"])
    human = HumanCandidate(input_fn=read, show_interviewer=False)
    assert human.reply(view()).text == "half an answer"
    assert human.reply(view()).text is None


def test_human_ctrl_c_and_slash_end() -> None:
    read, _ = feeder([KeyboardInterrupt()])
    interrupted = HumanCandidate(input_fn=read, show_interviewer=False).reply(view())
    assert interrupted == CandidateReply.leave("interrupted")
    read, _ = feeder(["/END"])
    assert HumanCandidate(input_fn=read, show_interviewer=False).reply(view()).end_reason \
        == "candidate_ended"


def test_human_works_with_piped_stdin(monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("My answer.\n\nSecond \\\nline\n"))
    human = HumanCandidate()
    assert human.reply(view()).text == "My answer."
    assert human.reply(view()).text == "Second \nline"
    assert human.reply(view()).text is None
    assert "Ana Ruiz: Tell me about yourself." in capsys.readouterr().out


async def test_human_async_reply_reads_in_a_thread() -> None:
    read, _ = feeder(["async answer"])
    assert (await HumanCandidate(input_fn=read, show_interviewer=False).areply(view())).text \
        == "async answer"


def test_ctrl_c_at_the_prompt_ends_the_interview_and_keeps_it() -> None:
    read, _ = feeder(["I lead a team.", KeyboardInterrupt()])
    model = ScriptedChatModel([
        json.dumps({"utterance": "Hi, tell me about yourself.", "phase": "opening",
                    "end_interview": False}),
        json.dumps({"utterance": "Why support?", "phase": "interviewer_questions",
                    "end_interview": False}),
    ])
    transcript = Interview(PERSONA, HumanCandidate(input_fn=read, output=io.StringIO()),
                           model).run()
    assert transcript.end_reason == "interrupted"
    assert transcript.source == "human"
    assert [t.text for t in transcript.turns] == [
        "Hi, tell me about yourself.", "I lead a team.", "Why support?"]


# --- ScriptedCandidate ----------------------------------------------------------------------


async def test_scripted_candidate_says_its_lines_then_leaves() -> None:
    script = ScriptedCandidate(["one", "two"], candidate_id="script-1")
    assert script.reply(view()).text == "one"
    assert (await script.areply(view())).text == "two"
    assert script.reply(view()) == CandidateReply.leave("candidate_ended")
    assert script.info.candidate_id == "script-1" and script.info.source == "scripted"


def test_every_candidate_implements_both_protocols() -> None:
    model = ScriptedChatModel([])
    for candidate in (ScriptedCandidate([]), HumanCandidate(), LLMCandidate(PROFILE, model)):
        assert isinstance(candidate, Candidate)
        assert isinstance(candidate, AsyncCandidate)


# --- LLMCandidate ---------------------------------------------------------------------------


def test_llm_candidate_plays_the_profile_with_mirrored_roles() -> None:
    model = ScriptedChatModel(["Kim Park: I cleared a 900-ticket backlog."])
    candidate = LLMCandidate(PROFILE, model)
    reply = candidate.reply(view("Tell me about a backlog you cleared."))
    assert reply.text == "I cleared a 900-ticket backlog."  # the speaker label is dropped
    assert reply.usage.calls == 1
    request = model.requests[0]
    assert request.response_format is None
    system = request.messages[0]
    assert system.role == "system"
    assert "You are Kim Park" in system.content
    assert "Give one-sentence answers." in system.content
    assert "Cut the backlog from 900 to 120 tickets" in system.content
    assert [m.role for m in request.messages[1:]] == ["user"]
    assert request.messages[1].content == "Tell me about a backlog you cleared."
    everything = json.dumps([m.content for m in request.messages])
    assert "two weeks" not in everything and "nine agents" not in everything
    assert candidate.info.source == "simulated" and candidate.info.candidate_id == "kim"
    assert candidate.info.model == "gpt-4o-mini"


async def test_llm_candidate_async_and_closing_note() -> None:
    model = ScriptedChatModel(["Thanks for your time."])
    reply = await LLMCandidate(PROFILE, model).areply(view("Goodbye!", closing=True))
    assert reply.text == "Thanks for your time."
    assert "your last chance to speak" in model.requests[0].messages[0].content


def test_llm_candidate_rejects_an_empty_reply() -> None:
    model = ScriptedChatModel(["Candidate:   "])
    with pytest.raises(ModelOutputError, match="empty reply"):
        LLMCandidate(PROFILE, model).reply(view())


async def test_llm_candidate_needs_the_matching_model_interface() -> None:
    class SyncOnly:
        model_name = "gpt-4o-mini"
        endpoint = "x"

        def complete(self, request: object, *, on_delta: object = None) -> object:
            raise AssertionError

    candidate = LLMCandidate(PROFILE, SyncOnly())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="AsyncChatModel"):
        await candidate.areply(view())
