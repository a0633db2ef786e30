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

from roleplay._version import __version__
from roleplay.candidates import (
    AsyncCandidate,
    Candidate,
    CandidateReply,
    CandidateView,
    HumanCandidate,
    LLMCandidate,
    ScriptedCandidate,
)
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
from roleplay.llm.openai import AsyncOpenAIChatModel, OpenAIChatModel
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
from roleplay.report import print_report, render
from roleplay.rubric import Rubric, load_rubric
from roleplay.session import Interview, InterviewState
from roleplay.tokens import count_messages, count_text, estimate_cost
from roleplay.transcript import Transcript, Turn

__all__ = [
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
    "HumanCandidate",
    "Interview",
    "InterviewState",
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
    "StructuredOutputError",
    "StructuredResult",
    "Transcript",
    "TranscriptError",
    "Turn",
    "UnsupportedFeatureError",
    "Usage",
    "__version__",
    "acomplete_structured",
    "complete_structured",
    "compute_signals",
    "count_messages",
    "count_text",
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
