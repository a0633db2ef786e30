"""One wrapper base: metering, the limiter, batch and lazy models all expose `wrapped`."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from roleplay.evals._models import LazyModel
from roleplay.evals.batch import BatchModel, BatchRouter
from roleplay.llm import (
    AdaptiveLimiter,
    AsyncChatModel,
    ChatRequest,
    ChatResponse,
    DeltaCallback,
    Message,
    Usage,
    WrapperModel,
    attach,
    unwrap,
)
from roleplay.testing import FunctionChatModel, ScriptedChatModel

REQUEST = ChatRequest(messages=(Message(role="user", content="hi"),))


class AsyncOnly:
    """An async model with no ``complete``."""

    model_name = "async-only"
    endpoint = "async://"

    async def acomplete(self, request: ChatRequest, *,
                        on_delta: DeltaCallback | None = None) -> ChatResponse:
        return ChatResponse(text="ok", model=self.model_name, usage=Usage(calls=1))


class Wire(FunctionChatModel):
    """A function model with a batch wire mapping (no batch replies are loaded)."""

    def batch_body(self, request: ChatRequest) -> dict[str, Any]:
        return {"messages": [m.content for m in request.messages]}

    def batch_response(self, body: Any, request: ChatRequest,
                       request_id: str | None = None) -> ChatResponse:
        raise AssertionError("no batch reply was loaded")


def test_unwrap_reaches_the_model_under_the_limiter_and_the_batch_model() -> None:
    bottom = Wire(lambda _r: "ok", model_name="m", endpoint="e://")
    limited = attach(bottom, AdaptiveLimiter(2))
    batched = BatchModel(limited, BatchRouter(bottom))
    assert isinstance(limited, WrapperModel) and limited.wrapped is bottom
    assert batched.wrapped is limited
    assert unwrap(batched) is bottom and unwrap(bottom) is bottom
    # Name and endpoint are the wrapped model's, through every layer.
    assert (batched.model_name, batched.endpoint) == ("m", "e://")
    assert batched.complete(REQUEST).text == "ok"
    assert asyncio.run(batched.acomplete(REQUEST)).text == "ok"
    assert bottom.calls == 2


def test_a_lazy_model_builds_on_first_use_and_unwraps_below_its_limiter() -> None:
    built: list[str] = []
    bottom = FunctionChatModel(lambda _r: "ok", model_name="judge")

    def resolve(name: str) -> AsyncChatModel:
        built.append(name)
        return bottom

    lazy = LazyModel("judge", resolve, AdaptiveLimiter(1))
    assert lazy.model_name == "judge" and built == []
    assert asyncio.run(lazy.acomplete(REQUEST)).text == "ok"
    assert built == ["judge"]
    assert isinstance(lazy.wrapped, WrapperModel) and lazy.wrapped.wrapped is bottom
    assert unwrap(lazy) is bottom and built == ["judge"]


def test_calling_the_method_the_wrapped_model_lacks_says_which() -> None:
    wrapper = WrapperModel(AsyncOnly())
    assert asyncio.run(wrapper.acomplete(REQUEST)).text == "ok"
    with pytest.raises(TypeError, match="AsyncOnly has no complete"):
        wrapper.complete(REQUEST)


def test_a_subclass_overrides_one_method_and_forwards_the_rest() -> None:
    class Shouting(WrapperModel):
        def complete(self, request: ChatRequest, *,
                     on_delta: DeltaCallback | None = None) -> ChatResponse:
            response = super().complete(request, on_delta=on_delta)
            return response.model_copy(update={"text": response.text.upper()})

    model = Shouting(ScriptedChatModel(["quiet", "still quiet"]))
    assert model.complete(REQUEST).text == "QUIET"
    assert asyncio.run(model.acomplete(REQUEST)).text == "still quiet"
