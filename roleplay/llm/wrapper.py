"""`WrapperModel`: a chat model around another one, the base of every wrapper in roleplay.

Usage metering (the interview and the evaluator), the concurrency limit (`attach`), batch
replies and lazily built judge models each subclass it, override what they change and forward
the rest to `WrapperModel.wrapped`, as pydantic-ai's ``WrapperModel`` does. `unwrap` reaches the
model at the bottom of a stack of wrappers (for example for the Batch API's wire mapping), so
no caller needs to know how a wrapper stores what it wraps.
"""

from __future__ import annotations

from roleplay.llm.base import AsyncChatModel, ChatModel, ChatRequest, ChatResponse, DeltaCallback

__all__ = ["WrapperModel", "unwrap"]

AnyChatModel = ChatModel | AsyncChatModel


class WrapperModel:
    """A chat model that forwards to `wrapped` whatever its subclass does not override.

    It has both ``complete`` and ``acomplete``; calling the one the wrapped model lacks raises
    `TypeError`, as calling a missing method would.

    Args:
        wrapped: The model to wrap (a `ChatModel`, an `AsyncChatModel` or both).
    """

    def __init__(self, wrapped: AnyChatModel) -> None:
        self._wrapped = wrapped

    @property
    def wrapped(self) -> AnyChatModel:
        """The model this one wraps."""
        return self._wrapped

    @property
    def model_name(self) -> str:
        """The wrapped model's name."""
        return self.wrapped.model_name

    @property
    def endpoint(self) -> str:
        """The wrapped model's endpoint."""
        return self.wrapped.endpoint

    def complete(self, request: ChatRequest, *,
                 on_delta: DeltaCallback | None = None) -> ChatResponse:
        """The wrapped model's `ChatModel.complete`."""
        model = self.wrapped
        if not isinstance(model, ChatModel):
            raise TypeError(f"{type(model).__name__} has no complete(); it is an async model, "
                            "so use the async API (acomplete)")
        return model.complete(request, on_delta=on_delta)

    async def acomplete(self, request: ChatRequest, *,
                        on_delta: DeltaCallback | None = None) -> ChatResponse:
        """The wrapped model's `AsyncChatModel.acomplete`."""
        model = self.wrapped
        if not isinstance(model, AsyncChatModel):
            raise TypeError(f"{type(model).__name__} has no acomplete(); it is a sync model, "
                            "so use the sync API (complete)")
        return await model.acomplete(request, on_delta=on_delta)


def unwrap(model: object) -> object:
    """The model at the bottom of ``model``'s wrappers (``model`` itself when not wrapped)."""
    while isinstance(model, WrapperModel):
        model = model.wrapped
    return model
