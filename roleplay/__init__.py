"""roleplay: practise and judge job interviews with LLMs.

Data flows one way: persona/scenario -> `Interview` -> `Transcript` -> `Evaluator` (signals +
judge) -> report; the eval-suite runner (`roleplay.evals`) drives the evaluator. The LLM seam is
`ChatModel` / `AsyncChatModel`; `OpenAIChatModel` talks to any OpenAI-compatible endpoint and
`roleplay.testing` holds fakes and a local test server.

Example:
    >>> from roleplay import Evaluator, Interview, LLMCandidate, OpenAIChatModel
    >>> from roleplay import load_candidate, load_persona
    >>> model = OpenAIChatModel()  # OPENAI_API_KEY / OPENAI_BASE_URL / ROLEPLAY_MODEL
    >>> transcript = Interview(load_persona("warm-hr-screener"),
    ...                        LLMCandidate(load_candidate("strong-closer"), model), model).run()
    >>> evaluation = Evaluator(judge_model=model).evaluate(transcript)
"""

import typing

from roleplay._version import __version__
from roleplay.candidates import (
    AsyncCandidate,
    Candidate,
    CandidateReply,
    CandidateView,
    HumanCandidate,
    LLMCandidate,
    ScriptedCandidate,
    SpokenTimes,
)
from roleplay.drafting import adraft_persona, draft_persona
from roleplay.errors import (
    BudgetExceededError,
    ConfigError,
    ContentFilterError,
    JudgeOutputError,
    MissingAPIKeyError,
    ModelAPIError,
    ModelConnectionError,
    ModelOutputError,
    ModelTimeoutError,
    OutputTruncatedError,
    QuotaExceededError,
    RateLimitError,
    RefusalError,
    RoleplayError,
    StructuredOutputError,
    TranscriptError,
    UnsupportedFeatureError,
)
from roleplay.evaluate import (
    CriterionResult,
    Evaluation,
    Evaluator,
    Evidence,
    JudgeCache,
    Signals,
    compute_signals,
)
from roleplay.importing import load_transcript, parse_plain_text
from roleplay.leaks import Leak, find_leaks
from roleplay.llm.base import (
    AsyncChatModel,
    ChatModel,
    ChatRequest,
    ChatResponse,
    Message,
    ModelSettings,
    ResponseFormat,
    Usage,
)
from roleplay.llm.structured import StructuredResult, acomplete_structured, complete_structured
from roleplay.persona import (
    CandidateProfile,
    Persona,
    Scenario,
    list_candidates,
    list_personas,
    load_candidate,
    load_persona,
)
from roleplay.prompts import InterviewerMove
from roleplay.report import print_report, render
from roleplay.rubric import Rubric, load_rubric
from roleplay.session import (
    Action,
    AskCandidate,
    AskInterviewer,
    Finished,
    Interview,
    InterviewState,
)
from roleplay.tokens import count_messages, count_text, estimate_cost
from roleplay.transcript import Transcript, Turn

if typing.TYPE_CHECKING:
    from roleplay.llm.openai import AsyncOpenAIChatModel, OpenAIChatModel

__all__ = [
    "Action",
    "AskCandidate",
    "AskInterviewer",
    "AsyncCandidate",
    "AsyncChatModel",
    "AsyncOpenAIChatModel",
    "BudgetExceededError",
    "Candidate",
    "CandidateProfile",
    "CandidateReply",
    "CandidateView",
    "ChatModel",
    "ChatRequest",
    "ChatResponse",
    "ConfigError",
    "ContentFilterError",
    "CriterionResult",
    "Evaluation",
    "Evaluator",
    "Evidence",
    "Finished",
    "HumanCandidate",
    "Interview",
    "InterviewState",
    "InterviewerMove",
    "JudgeCache",
    "JudgeOutputError",
    "LLMCandidate",
    "Leak",
    "Message",
    "MissingAPIKeyError",
    "ModelAPIError",
    "ModelConnectionError",
    "ModelOutputError",
    "ModelSettings",
    "ModelTimeoutError",
    "OpenAIChatModel",
    "OutputTruncatedError",
    "Persona",
    "QuotaExceededError",
    "RateLimitError",
    "RefusalError",
    "ResponseFormat",
    "RoleplayError",
    "Rubric",
    "Scenario",
    "ScriptedCandidate",
    "Signals",
    "SpokenTimes",
    "StructuredOutputError",
    "StructuredResult",
    "Transcript",
    "TranscriptError",
    "Turn",
    "UnsupportedFeatureError",
    "Usage",
    "__version__",
    "acomplete_structured",
    "adraft_persona",
    "complete_structured",
    "compute_signals",
    "count_messages",
    "count_text",
    "draft_persona",
    "estimate_cost",
    "find_leaks",
    "list_candidates",
    "list_personas",
    "load_candidate",
    "load_persona",
    "load_rubric",
    "load_transcript",
    "parse_plain_text",
    "print_report",
    "render",
]

_LAZY = frozenset({"AsyncOpenAIChatModel", "OpenAIChatModel"})


def __getattr__(name: str) -> typing.Any:
    # The OpenAI adapters import the SDK, most of this package's import time: load them when
    # first asked for, so ``import roleplay`` stays light (see `roleplay.llm`).
    if name in _LAZY:
        import roleplay.llm

        return getattr(roleplay.llm, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _LAZY)
