"""The judge model of a suite run: built lazily from its name, limited, optionally batched."""

from __future__ import annotations

import threading
from collections.abc import Callable

from roleplay.llm._limiter import AdaptiveLimiter, attach
from roleplay.llm.base import AsyncChatModel, ChatRequest, ChatResponse, DeltaCallback
from roleplay.llm.config import ModelConfig
from roleplay.llm.factory import build_model
from roleplay.llm.wrapper import WrapperModel, unwrap

__all__ = ["LazyModel", "ModelResolver", "default_model_resolver"]

ModelResolver = Callable[[str], AsyncChatModel]
"""Turns a model name from ``suite.yaml`` (or ``--model``) into an async chat model."""

class LazyModel(WrapperModel):
    """Defers building the judge model until a call is really needed.

    A fully cached or resumed run therefore never constructs the client, so it works without
    an API key or network. `wrapped` builds it (with ``limiter`` on every call).
    """

    def __init__(self, name: str, resolve: ModelResolver,
                 limiter: AdaptiveLimiter | None = None) -> None:
        # No super().__init__: there is nothing to wrap until `wrapped` builds it.
        self._name = name
        self._resolve = resolve
        self.limiter = limiter
        self.intercept: Callable[[ChatRequest], ChatResponse | None] | None = None
        """Asked first on every call (batch mode): a reply, or None for a live call."""
        self._built: AsyncChatModel | None = None
        self._limited: AsyncChatModel | None = None
        self._endpoint: str | None = None
        self._lock = threading.Lock()

    @property
    def wrapped(self) -> AsyncChatModel:
        """The judge model, built on first use; every live call goes through it."""
        with self._lock:
            if self._limited is None:
                self._built = self._resolve(self._name)
                # Every live call of the run shares one limiter (one slot per attempt).
                self._limited = (attach(self._built, self.limiter) if self.limiter
                                 else self._built)
            return self._limited

    @property
    def model_name(self) -> str:
        return self._name

    @property
    def endpoint(self) -> str:
        # Judge cache keys name the endpoint, so this must not change once the model is built:
        # a resolver that declares its endpoint (the default one does) answers without a
        # client, so a fully cached run still needs no key; any other resolver is asked for
        # the model.
        if self._endpoint is None:
            declared = getattr(self._resolve, "endpoint", None)
            self._endpoint = declared if isinstance(declared, str) else self.wrapped.endpoint
        return self._endpoint

    def unwrapped(self) -> object:
        """The built model itself, below the limiter (for batch mode's wire mapping)."""
        return unwrap(self)

    async def acomplete(self, request: ChatRequest, *,
                        on_delta: DeltaCallback | None = None) -> ChatResponse:
        if self.intercept is not None:
            reply = self.intercept(request)
            if reply is not None:
                return reply
        return await super().acomplete(request, on_delta=on_delta)

    async def aclose(self) -> None:
        # The resolver built the model for this run, so the run closes it (its HTTP pool
        # belongs to this event loop).
        model, self._built, self._limited = self._built, None, None
        close = getattr(model, "aclose", None)
        if close is not None:
            await close()


class _OpenAIResolver:
    """Builds `roleplay.llm.openai.AsyncOpenAIChatModel` per model name; knows its endpoint."""

    def __init__(self, base_url: str | None, api_key: str | None,
                 timeout: float | None = None) -> None:
        self._base_url = base_url
        self._api_key = api_key
        self._timeout = timeout

    @property
    def endpoint(self) -> str:
        from roleplay.llm.openai import resolve_endpoint

        return resolve_endpoint(self._base_url)

    def __call__(self, name: str) -> AsyncChatModel:
        return build_model(ModelConfig(model=name, base_url=self._base_url,
                                       api_key=self._api_key, timeout=self._timeout),
                           asynchronous=True)


def default_model_resolver(*, base_url: str | None = None, api_key: str | None = None,
                           timeout: float | None = None) -> ModelResolver:
    """A resolver building `roleplay.llm.openai.AsyncOpenAIChatModel` for each model name.

    ``timeout`` is the seconds one call may take (default: the adapter's).

    It has an ``endpoint`` attribute (the base URL the models will use), so judge cache keys
    are known before any client is built. A custom resolver may declare one too; otherwise the
    model is built when its endpoint is first needed.
    """
    return _OpenAIResolver(base_url, api_key, timeout)
