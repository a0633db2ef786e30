"""Test doubles for the LLM seam, shipped as public API so users can test their own personas.

`ScriptedChatModel` and `FunctionChatModel` are in-process fakes (sync and async);
`OpenAICompatServer` is a real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions
wire format, for cassette recording, fault tests and examples; `Fault` scripts its failures,
`FaultSchedule` draws them at a rate and in outages (on a `FakeClock` in fast tests).
The responders (`simulation_responder`, `interviewer_responder`, `candidate_responder`,
`judge_responder`) are scripted stand-ins for the LLM behind either, for offline runs.

For a project's own test suite: `simulate` runs one interview in a line, `assert_verdicts`
checks an evaluation criterion by criterion, `assert_no_leaks` and `assert_in_character` check
the interviewer, `pass_k` asserts a pass rate over k trials; the pytest plugin
(`roleplay.testing.pytest_plugin`) adds model fixtures that record cassettes.
"""

from roleplay.scripted import (
    as_chat_function,
    candidate_responder,
    draft_responder,
    interviewer_responder,
    judge_responder,
    request_body,
    simulation_responder,
)
from roleplay.testing._character import (
    CharacterBreak,
    assert_in_character,
    assert_no_leaks,
    character_breaks,
)
from roleplay.testing._models import FunctionChatModel, Reply, ScriptedChatModel
from roleplay.testing._pass_k import PassK, pass_k
from roleplay.testing._simulate import asimulate, simulate
from roleplay.testing._verdicts import VerdictAssertionError, VerdictMismatch, assert_verdicts
from roleplay.testing.server import (
    BatchScript,
    FakeClock,
    Fault,
    FaultSchedule,
    OpenAICompatServer,
    RecordedRequest,
    Responder,
    ServerReply,
)

__all__ = [
    "BatchScript",
    "CharacterBreak",
    "FakeClock",
    "Fault",
    "FaultSchedule",
    "FunctionChatModel",
    "OpenAICompatServer",
    "PassK",
    "RecordedRequest",
    "Reply",
    "Responder",
    "ScriptedChatModel",
    "ServerReply",
    "VerdictAssertionError",
    "VerdictMismatch",
    "as_chat_function",
    "asimulate",
    "assert_in_character",
    "assert_no_leaks",
    "assert_verdicts",
    "candidate_responder",
    "character_breaks",
    "draft_responder",
    "interviewer_responder",
    "judge_responder",
    "pass_k",
    "request_body",
    "simulate",
    "simulation_responder",
]
