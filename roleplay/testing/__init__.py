"""Test doubles for the LLM seam, shipped as public API so users can test their own personas.

`ScriptedChatModel` and `FunctionChatModel` are in-process fakes (sync and async);
`OpenAICompatServer` is a real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions
wire format, for cassette recording, fault tests and examples; `Fault` scripts its failures.
The responders (`simulation_responder`, `interviewer_responder`, `candidate_responder`,
`judge_responder`) are scripted stand-ins for the LLM behind either, for offline runs.
"""

from roleplay.testing._models import FunctionChatModel, Reply, ScriptedChatModel
from roleplay.testing._responders import (
    as_chat_function,
    candidate_responder,
    interviewer_responder,
    judge_responder,
    request_body,
    simulation_responder,
)
from roleplay.testing.server import (
    Fault,
    OpenAICompatServer,
    RecordedRequest,
    Responder,
    ServerReply,
)

__all__ = [
    "Fault",
    "FunctionChatModel",
    "OpenAICompatServer",
    "RecordedRequest",
    "Reply",
    "Responder",
    "ScriptedChatModel",
    "ServerReply",
    "as_chat_function",
    "candidate_responder",
    "interviewer_responder",
    "judge_responder",
    "request_body",
    "simulation_responder",
]
