"""Our own request, response and usage types, and the chat-model protocols.

Nothing above `roleplay.llm` imports the OpenAI SDK: interviews, candidates and the judge talk
to a `ChatModel` / `AsyncChatModel` with these types, so a fake, a cassette-backed OpenAI client
or any other backend can stand behind them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from roleplay.errors import ContentFilterError, OutputTruncatedError, RefusalError

# Shared with tokens and transcripts; re-exported here, where the model seam uses them.
from roleplay.types import Message, Role, Usage

__all__ = [
    "AsyncChatModel",
    "ChatModel",
    "ChatRequest",
    "ChatResponse",
    "DeltaCallback",
    "Message",
    "ModelSettings",
    "ResponseFormat",
    "Role",
    "Usage",
    "check_finish",
]

DeltaCallback = Callable[[str], None]
"""Called with each text delta while a reply streams."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ModelSettings(_Frozen):
    """Generation settings; ``None`` means "the endpoint's default"."""

    temperature: float | None = None
    """Sampling temperature."""
    top_p: float | None = None
    """Nucleus sampling mass."""
    max_tokens: int | None = Field(default=None, ge=1)
    """Upper bound on completion tokens (``max_completion_tokens`` on api.openai.com,
    ``max_tokens`` on other endpoints; see `roleplay.llm.openai`)."""
    seed: int | None = None
    """Sampling seed, where the endpoint supports one."""
    timeout: float | None = Field(default=None, gt=0)
    """Seconds one attempt may take before it is abandoned."""

    def merge(self, other: ModelSettings | None) -> ModelSettings:
        """Return these settings overridden by every field that ``other`` sets."""
        if other is None:
            return self
        return self.model_copy(update=other.model_dump(exclude_none=True))


class ResponseFormat(_Frozen):
    """How the reply must be shaped.

    ``json_schema`` asks for strict schema-constrained JSON, ``json_object`` for any JSON
    object (the schema travels in the prompt), ``text`` for free text.
    """

    type: Literal["text", "json_object", "json_schema"]
    """The wire-level response format."""
    name: str | None = None
    """Schema name (``json_schema`` only)."""
    json_schema: dict[str, Any] | None = Field(default=None, alias="schema")
    """The JSON Schema of the reply (``json_schema`` only)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class ChatRequest(_Frozen):
    """One chat completion request."""

    messages: tuple[Message, ...]
    """The conversation, oldest first."""
    settings: ModelSettings = ModelSettings()
    """Generation settings for this request (merged over the model's defaults)."""
    response_format: ResponseFormat | None = None
    """Requested reply shape; ``None`` for plain text."""


class ChatResponse(_Frozen):
    """One chat completion reply."""

    text: str
    """The reply text (may be empty on refusal)."""
    model: str
    """The model that answered, as the endpoint names it."""
    finish_reason: str | None = "stop"
    """``stop``, ``length``, ``content_filter`` ... as the endpoint reports it."""
    usage: Usage = Usage(calls=1)
    """Usage of this call; ``usage_reported`` says whether the endpoint sent it."""
    usage_reported: bool = True
    """False when the endpoint sent no usage and the counts are local estimates."""
    refusal: str | None = None
    """The refusal text, when the model refused."""
    request_id: str | None = None
    """The endpoint's request id, when present."""


def check_finish(response: ChatResponse) -> ChatResponse:
    """Raise the typed error for a refusal, a truncated reply or a filtered reply.

    Every `ChatModel` implementation calls this, so callers see the same errors from a fake as
    from a real endpoint.
    """
    if response.refusal:
        raise RefusalError(f"The model refused: {response.refusal}", raw=response.text)
    if response.finish_reason == "length":
        raise OutputTruncatedError(
            "The reply was cut off at the token limit (finish_reason=length); raise "
            "max_tokens or shorten the input.",
            raw=response.text,
        )
    if response.finish_reason == "content_filter":
        raise ContentFilterError(
            "The endpoint's content filter stopped the reply (finish_reason=content_filter).",
            raw=response.text,
        )
    return response


@runtime_checkable
class ChatModel(Protocol):
    """A synchronous chat model."""

    @property
    def model_name(self) -> str:
        """The model name sent to the endpoint."""
        ...

    @property
    def endpoint(self) -> str:
        """A stable identity of the endpoint (e.g. its base URL), for per-endpoint memory."""
        ...

    def complete(
        self, request: ChatRequest, *, on_delta: DeltaCallback | None = None
    ) -> ChatResponse:
        """Complete ``request``; with ``on_delta`` the reply streams through it.

        Raises:
            ModelAPIError: the endpoint failed after the retry budget.
            ModelOutputError: refusal, truncation or content filter (see `check_finish`).
        """
        ...


@runtime_checkable
class AsyncChatModel(Protocol):
    """An asynchronous chat model."""

    @property
    def model_name(self) -> str:
        """The model name sent to the endpoint."""
        ...

    @property
    def endpoint(self) -> str:
        """A stable identity of the endpoint, for per-endpoint memory."""
        ...

    async def acomplete(
        self, request: ChatRequest, *, on_delta: DeltaCallback | None = None
    ) -> ChatResponse:
        """Complete ``request`` asynchronously; see `ChatModel.complete`."""
        ...
