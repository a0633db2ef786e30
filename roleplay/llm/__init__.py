"""The model layer: our request/response types, protocols, structured output and adapters.

`OpenAIChatModel` and `AsyncOpenAIChatModel` are loaded on first use, so importing this package
(or ``roleplay``) does not import the OpenAI SDK.
"""

import typing

from roleplay.llm._limiter import (
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_START_CONCURRENCY,
    AdaptiveLimiter,
    attach,
)
from roleplay.llm._retry import AsyncSleepFunction, RetryPolicy, SleepFunction
from roleplay.llm.base import (
    AsyncChatModel,
    ChatModel,
    ChatRequest,
    ChatResponse,
    DeltaCallback,
    Message,
    ModelSettings,
    ResponseFormat,
    Usage,
)
from roleplay.llm.config import DEFAULT_BASE_URL, DEFAULT_MODEL, ModelConfig, read_config
from roleplay.llm.factory import build_model
from roleplay.llm.structured import StructuredResult, acomplete_structured, complete_structured
from roleplay.llm.wrapper import WrapperModel, unwrap

if typing.TYPE_CHECKING:
    from roleplay.llm.openai import AsyncOpenAIChatModel, OpenAIChatModel

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_CONCURRENCY",
    "DEFAULT_MODEL",
    "DEFAULT_START_CONCURRENCY",
    "AdaptiveLimiter",
    "AsyncChatModel",
    "AsyncOpenAIChatModel",
    "AsyncSleepFunction",
    "ChatModel",
    "ChatRequest",
    "ChatResponse",
    "DeltaCallback",
    "Message",
    "ModelConfig",
    "ModelSettings",
    "OpenAIChatModel",
    "ResponseFormat",
    "RetryPolicy",
    "SleepFunction",
    "StructuredResult",
    "Usage",
    "WrapperModel",
    "acomplete_structured",
    "attach",
    "build_model",
    "complete_structured",
    "read_config",
    "unwrap",
]

_LAZY = frozenset({"AsyncOpenAIChatModel", "OpenAIChatModel"})


def __getattr__(name: str) -> typing.Any:
    # The adapters import the OpenAI SDK (most of the package's import time); load them when
    # first asked for, as openai-python loads its own heavy modules.
    if name in _LAZY:
        from roleplay.llm import openai

        return getattr(openai, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _LAZY)
