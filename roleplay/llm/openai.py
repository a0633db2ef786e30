"""OpenAI and OpenAI-compatible chat models over the official ``openai`` SDK.

The SDK is imported only here, in `roleplay.llm._openai_wire` (its errors and streams mapped to
our types) and in `roleplay.llm.openai_audio` (transcription).

`OpenAIChatModel` and `AsyncOpenAIChatModel` implement `ChatModel` / `AsyncChatModel` over the
official SDK, for api.openai.com and compatible servers (vLLM, Ollama, llama.cpp, gateways).

Design decisions:

- **One network retry layer.** The SDK client is built with ``max_retries=0`` (an injected
  client is copied with ``max_retries=0``) and `roleplay.llm._retry` (tenacity) owns retries.
  The SDK's own retries would retry 429 ``insufficient_quota`` (pointless), cannot retry a
  stream that drops mid-way, and multiply with any outer retry loop (2 SDK retries inside 4
  outer attempts made 12 HTTP calls). Semantic re-asks of invalid structured output are a
  separate loop (`roleplay.llm.structured`).
- **Errors.** SDK errors become the `roleplay.errors` tree with ``raise ... from e``, keeping
  ``status_code``, ``request_id`` and ``code``. Only status, code and request id are logged,
  never headers or keys.
- **max_tokens.** api.openai.com receives ``max_completion_tokens`` (the current name, required
  by reasoning models); every other base URL receives ``max_tokens``, the only name llama.cpp,
  older vLLM/Ollama builds and many gateways know. Override with ``max_tokens_param=``.
- **Streaming and retries.** A stream is retried as a whole unit and partial text is thrown
  away. ``on_delta`` is forwarded live, and text already shown is never shown twice: after a
  drop, the retried stream stays silent until it has passed the text already forwarded, then
  continues from there. If the retry diverges from what was shown (a different sample), no
  more deltas are forwarded for that call and a warning is logged. ``ChatResponse.text`` is
  always the complete reply of the successful attempt: store it, not the deltas.
- **Usage.** Reported usage is used when the endpoint sends it; otherwise (servers that ignore
  ``stream_options.include_usage``) it is estimated with `roleplay.tokens` and
  ``usage_reported`` is ``False``. Only the successful attempt's usage is counted.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    aclosing,
    closing,
    nullcontext,
)
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

import openai
from openai.types.chat import ChatCompletion, ChatCompletionMessage

from roleplay.errors import (
    ConfigError,
    MissingAPIKeyError,
    ModelAPIError,
)
from roleplay.llm._claims import ClaimTicket, take_claim
from roleplay.llm._limiter import AdaptiveLimiter
from roleplay.llm._openai_batch import OpenAIBatchClient
from roleplay.llm._openai_wire import (
    _DETAIL_LIMIT,
    _clean_url,
    _StreamState,
    _timeout,
    _translate,
    _usage,
)
from roleplay.llm._redact import install_log_redaction, remember_secrets, url_secrets
from roleplay.llm._resume import Resume
from roleplay.llm._retry import (
    AsyncSleepFunction,
    RetryPolicy,
    SleepFunction,
    aretrying,
    retrying,
)
from roleplay.llm.base import (
    ChatRequest,
    ChatResponse,
    DeltaCallback,
    ModelSettings,
    Usage,
    check_finish,
)
from roleplay.llm.config import DEFAULT_BASE_URL, DEFAULT_MODEL, ModelConfig, read_config

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MODEL",
    "AsyncOpenAIChatModel",
    "OpenAIBatchClient",
    "OpenAIChatModel",
    "resolve_endpoint",
    "resolve_model_name",
]

_Client = TypeVar("_Client", openai.OpenAI, openai.AsyncOpenAI)
log = logging.getLogger(__name__)


def resolve_model_name(model: str | None = None) -> str:
    """``model``, else ``$ROLEPLAY_MODEL``, else `DEFAULT_MODEL`: the name the adapter sends."""
    return read_config(ModelConfig(model=model)).model_name


MaxTokensParam = Literal["max_tokens", "max_completion_tokens"]
_DEFAULT_RETRY = RetryPolicy()


def resolve_endpoint(base_url: str | None = None) -> str:
    """The endpoint identity a model built with ``base_url`` will have, without building it.

    ``base_url``, else ``$OPENAI_BASE_URL``, else `DEFAULT_BASE_URL`, without credentials,
    query or trailing slash: the value of the adapters' ``endpoint``.
    """
    return _clean_url(read_config(ModelConfig(base_url=base_url)).url)


def _release(ticket: ClaimTicket | None) -> None:
    if ticket is not None:
        try:
            ticket.release()
        except Exception:  # the call's own error matters more
            log.debug("could not release a judge cache claim", exc_info=True)


_B = TypeVar("_B", bound="_Base")


class _Base:
    """Configuration and pure request/response mapping shared by the sync and async models."""

    _owns_client = False

    def __init__(
        self,
        model: str | None,
        base_url: str | None,
        settings: ModelSettings | None,
        max_attempts: int,
        max_retry_seconds: float,
        timeout: float,
        include_usage: bool,
        max_tokens_param: MaxTokensParam | None,
        retry: RetryPolicy | None = None,
    ) -> None:
        if not timeout > 0:
            raise ConfigError(f"must be positive, got {timeout}", field="timeout")
        config = read_config(ModelConfig(model=model, base_url=base_url))
        self._model_name = config.model_name
        self._base_url = config.url
        self.settings = settings or ModelSettings()
        self.policy = retry or RetryPolicy(max_attempts=max_attempts,
                                           max_retry_seconds=max_retry_seconds)
        self.timeout = timeout
        self.include_usage = include_usage
        self._max_tokens_param = max_tokens_param
        self.limiter: AdaptiveLimiter | None = None

    def use_limiter(self, limiter: AdaptiveLimiter | None) -> None:
        """Take a slot of ``limiter`` for every attempt (retries included); None for no limit."""
        self.limiter = limiter

    def with_limiter(self: _B, limiter: AdaptiveLimiter | None) -> _B:
        """A copy that takes a slot of ``limiter`` for every attempt; this model is unchanged.

        The copy shares this model's SDK client and never closes it (its owner does).
        """
        twin = copy.copy(self)
        twin.limiter = limiter
        twin._owns_client = False
        return twin

    def _slot(self) -> AbstractContextManager[None]:
        return self.limiter.slot() if self.limiter is not None else nullcontext()

    def _aslot(self) -> AbstractAsyncContextManager[None]:
        return self.limiter.aslot() if self.limiter is not None else nullcontext()

    def batch_body(self, request: ChatRequest) -> dict[str, Any]:
        """The JSON body a live, non-streamed call of ``request`` sends (a batch line's body)."""
        params = self._params(request, stream=False)
        params.pop("timeout", None)  # a client option, not part of the body
        return params

    def batch_response(self, body: Any, request: ChatRequest,
                       request_id: str | None = None) -> ChatResponse:
        """The checked response for a batch line's chat-completion ``body``, as a live call.

        Raises:
            ModelAPIError: the body is not a chat completion.
            ModelOutputError: refusal, truncation or content filter (see `check_finish`).
        """
        try:
            completion = ChatCompletion.model_validate(body)
        except ValueError as exc:
            raise ModelAPIError(f"a batch result from {self._endpoint} is not a chat "
                                f"completion: {str(exc)[:_DETAIL_LIMIT]}", status_code=200,
                                request_id=request_id) from exc
        # The SDK sets this from the response headers; a line carries it in the JSON.
        completion._request_id = request_id
        return check_finish(self._response(completion, request))

    def batch_client(self) -> OpenAIBatchClient:
        """The Files and Batch API of this model's endpoint and key (a sync client)."""
        client: Any = self._client  # type: ignore[attr-defined]  # set by both subclasses
        sdk = openai.OpenAI(api_key=client.api_key, base_url=str(client.base_url),
                            max_retries=0, timeout=_timeout(self.timeout))
        return OpenAIBatchClient(
            sdk, self._endpoint, lambda: _translate(self._endpoint, self._model_name),
            self.policy)

    def _adopt(self, client: _Client | None, build: Callable[..., _Client], api_key: str | None,
               timeout: float) -> _Client:
        # Tenacity is the one network retry layer, so every SDK client runs with max_retries=0,
        # an injected one included (with_options copies it).
        if client is None:
            key = read_config(ModelConfig(api_key=api_key)).api_key
            if not key:
                raise MissingAPIKeyError()
            client = build(api_key=key, base_url=self._base_url, max_retries=0,
                           timeout=_timeout(timeout))
        else:
            client = client.with_options(max_retries=0, timeout=_timeout(timeout))
        self._bind_endpoint(str(client.base_url))
        return client

    def _bind_endpoint(self, base_url: str) -> None:
        # A key in the base URL (password or query) is masked in our messages and in the HTTP
        # client's and the SDK's log lines from now on.
        remember_secrets(url_secrets(base_url))
        install_log_redaction()
        self._endpoint = _clean_url(base_url)
        if self._max_tokens_param is None:
            official = urlsplit(self._endpoint).hostname == "api.openai.com"
            self._max_tokens_param = "max_completion_tokens" if official else "max_tokens"

    @property
    def model_name(self) -> str:
        """The model name sent to the endpoint."""
        return self._model_name

    @property
    def endpoint(self) -> str:
        """The base URL, without credentials or query (e.g. ``https://api.openai.com/v1``)."""
        return self._endpoint

    def _params(self, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
        settings = self.settings.merge(request.settings)
        params: dict[str, Any] = {
            "model": self._model_name,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
        }
        if settings.temperature is not None:
            params["temperature"] = settings.temperature
        if settings.top_p is not None:
            params["top_p"] = settings.top_p
        if settings.seed is not None:
            params["seed"] = settings.seed
        if settings.max_tokens is not None:
            params[self._max_tokens_param or "max_tokens"] = settings.max_tokens
        if settings.timeout is not None:
            params["timeout"] = _timeout(settings.timeout)
        fmt = request.response_format
        if fmt is not None and fmt.type == "json_schema":
            if fmt.json_schema is None:
                raise ConfigError("a json_schema response format needs a schema",
                                  field="response_format.schema")
            params["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": fmt.name or "output", "strict": True,
                                "schema": fmt.json_schema},
            }
        elif fmt is not None and fmt.type == "json_object":
            params["response_format"] = {"type": "json_object"}
        if stream:
            params["stream"] = True
            if self.include_usage:
                params["stream_options"] = {"include_usage": True}
        return params

    def _claimed(self, text: str, on_delta: DeltaCallback | None) -> ChatResponse:
        """The reply another run fetched for the same judge call: returned as ours, unpaid."""
        log.info("judge reply taken from a concurrent run's call (not paid again)")
        if on_delta is not None:
            on_delta(text)
        return ChatResponse(text=text, model=self._model_name, usage=Usage(),
                            usage_reported=False)

    def _response(self, completion: ChatCompletion, request: ChatRequest) -> ChatResponse:
        # The SDK does not validate a 200 body: a non-JSON page comes back as a str, and a JSON
        # value of the wrong shape as a list or a partly built object.
        if not isinstance(completion, ChatCompletion):
            raise ModelAPIError(
                f"{self._endpoint} answered with a {type(completion).__name__} body instead of a "
                "chat completion; check that the base URL is an OpenAI-compatible /v1 endpoint.",
                status_code=200,
            )
        request_id = completion._request_id
        choices = getattr(completion, "choices", None)
        if not choices:
            raise ModelAPIError(f"{self._endpoint} answered without any choices.",
                                status_code=200, request_id=request_id)
        choice = choices[0]
        if not isinstance(getattr(choice, "message", None), ChatCompletionMessage):
            raise ModelAPIError(f"{self._endpoint} answered with a choice without a message.",
                                status_code=200, request_id=request_id)
        text = choice.message.content or ""
        usage, reported = _usage(completion.usage, request, text, self._model_name)
        return ChatResponse(
            text=text, model=completion.model or self._model_name,
            finish_reason=choice.finish_reason, usage=usage, usage_reported=reported,
            refusal=choice.message.refusal or None, request_id=request_id,
        )


class OpenAIChatModel(_Base):
    """A synchronous `ChatModel` over the OpenAI SDK (OpenAI or any compatible server).

    Args:
        model: Model name; default ``$ROLEPLAY_MODEL``, else ``gpt-4o-mini``.
        base_url: API base URL; default ``$OPENAI_BASE_URL``, else ``https://api.openai.com/v1``.
        api_key: API key; default ``$OPENAI_API_KEY``. Local servers accept any placeholder.
        client: An SDK client to use instead of building one (its base URL and key win); it is
            copied with ``max_retries=0`` and this ``timeout``, and never closed by this model.
        settings: Default generation settings, overridden per request by
            ``ChatRequest.settings``.
        max_attempts: Attempts per call, the first one included (default 6: the backoff
            outlasts an outage of up to 15 s; see `RetryPolicy`).
        max_retry_seconds: Time budget for retries of one call.
        retry: The whole retry policy (backoff too), overriding the two arguments above.
        timeout: Seconds one attempt may take (connect: at most 5 s).
        include_usage: Ask streams for a final usage chunk (``stream_options``); disable for
            servers that reject it.
        max_tokens_param: Force the wire name for ``ModelSettings.max_tokens``.
        sleep: Replaces ``time.sleep`` between retries (tests, custom schedulers).

    Raises:
        MissingAPIKeyError: no key was given or found and no client was injected.
    """

    def __init__(
        self,
        model: str | None = None,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        client: openai.OpenAI | None = None,
        settings: ModelSettings | None = None,
        max_attempts: int = _DEFAULT_RETRY.max_attempts,
        max_retry_seconds: float = _DEFAULT_RETRY.max_retry_seconds,
        timeout: float = 120,
        include_usage: bool = True,
        max_tokens_param: MaxTokensParam | None = None,
        sleep: SleepFunction | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        super().__init__(model, base_url, settings, max_attempts, max_retry_seconds, timeout,
                         include_usage, max_tokens_param, retry)
        self._sleep = sleep
        self._owns_client = client is None
        self._client = self._adopt(client, openai.OpenAI, api_key, timeout)

    @property
    def client(self) -> openai.OpenAI:
        """The underlying SDK client (built with ``max_retries=0``)."""
        return self._client

    def close(self) -> None:
        """Close the SDK client if this model built it."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> OpenAIChatModel:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def complete(
        self, request: ChatRequest, *, on_delta: DeltaCallback | None = None
    ) -> ChatResponse:
        """Complete ``request``; with ``on_delta`` the reply streams through it.

        Raises:
            ModelAPIError: the endpoint failed after the retry budget (a subclass says why).
            ModelOutputError: refusal, truncation or content filter (see `check_finish`).
        """
        # A judge cache miss may have handed us a claim (roleplay.llm._claims): another run
        # may already be making this very call.
        ticket = take_claim()
        if ticket is not None:
            reply = ticket.acquire()
            if reply is not None:
                return self._claimed(reply, on_delta)
        try:
            return self._complete(request, on_delta)
        except BaseException:
            _release(ticket)
            raise

    def _complete(self, request: ChatRequest, on_delta: DeltaCallback | None) -> ChatResponse:
        if on_delta is None:
            response: ChatResponse = retrying(self.policy, sleep=self._sleep)(
                self._complete_once, request
            )
            return check_finish(response)
        final: ChatResponse | None = None
        # closing(): if on_delta raises, the stream's connection is released now, not at GC.
        with closing(self._events(request)) as events:
            for item in events:
                if isinstance(item, str):
                    on_delta(item)
                else:
                    final = item
        assert final is not None
        return final

    def stream(self, request: ChatRequest) -> Iterator[str]:
        """Yield the reply's text deltas (retries behave as for ``complete(on_delta=...)``).

        Raises:
            ModelAPIError: as `complete`, when iteration reaches the failure.
            ModelOutputError: after the last delta, for a refusal, truncation or filtered reply.
        """
        for item in self._events(request):
            if isinstance(item, str):
                yield item

    def _complete_once(self, request: ChatRequest) -> ChatResponse:
        params = self._params(request, stream=False)
        with self._slot(), _translate(self._endpoint, self._model_name):
            completion = self._client.chat.completions.create(**params)
        return self._response(completion, request)

    def _events(self, request: ChatRequest) -> Generator[str | ChatResponse, None, None]:
        """Forwardable deltas, then the checked final response."""
        params = self._params(request, stream=True)
        resume = Resume(self._endpoint)
        response: ChatResponse | None = None
        for attempt in retrying(self.policy, sleep=self._sleep):
            with attempt:
                resume.start_attempt()
                state = _StreamState(self._endpoint)
                with self._slot(), _translate(self._endpoint, self._model_name):
                    with self._client.chat.completions.create(**params) as stream:
                        state.begin(stream.response.headers)
                        for chunk in stream:
                            delta = resume.feed(state.add(chunk))
                            if delta:
                                yield delta
                response = state.response(request, self._model_name)
        assert response is not None
        yield check_finish(response)


class AsyncOpenAIChatModel(_Base):
    """An asynchronous `AsyncChatModel` over the OpenAI SDK; see `OpenAIChatModel`.

    ``client`` is an ``openai.AsyncOpenAI``; ``sleep`` replaces ``asyncio.sleep``.

    Raises:
        MissingAPIKeyError: no key was given or found and no client was injected.
    """

    def __init__(
        self,
        model: str | None = None,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        client: openai.AsyncOpenAI | None = None,
        settings: ModelSettings | None = None,
        max_attempts: int = _DEFAULT_RETRY.max_attempts,
        max_retry_seconds: float = _DEFAULT_RETRY.max_retry_seconds,
        timeout: float = 120,
        include_usage: bool = True,
        max_tokens_param: MaxTokensParam | None = None,
        sleep: AsyncSleepFunction | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        super().__init__(model, base_url, settings, max_attempts, max_retry_seconds, timeout,
                         include_usage, max_tokens_param, retry)
        self._sleep = sleep
        self._owns_client = client is None
        self._client = self._adopt(client, openai.AsyncOpenAI, api_key, timeout)

    @property
    def client(self) -> openai.AsyncOpenAI:
        """The underlying SDK client (built with ``max_retries=0``)."""
        return self._client

    async def aclose(self) -> None:
        """Close the SDK client if this model built it."""
        if self._owns_client:
            await self._client.close()

    async def __aenter__(self) -> AsyncOpenAIChatModel:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def acomplete(
        self, request: ChatRequest, *, on_delta: DeltaCallback | None = None
    ) -> ChatResponse:
        """Complete ``request``; see `OpenAIChatModel.complete`."""
        ticket = take_claim()
        if ticket is not None:
            reply = await ticket.aacquire()
            if reply is not None:
                return self._claimed(reply, on_delta)
        try:
            return await self._acomplete(request, on_delta)
        except BaseException:
            _release(ticket)
            raise

    async def _acomplete(self, request: ChatRequest,
                         on_delta: DeltaCallback | None) -> ChatResponse:
        if on_delta is None:
            response: ChatResponse = await aretrying(self.policy, sleep=self._sleep)(
                self._complete_once, request
            )
            return check_finish(response)
        final: ChatResponse | None = None
        async with aclosing(self._events(request)) as events:
            async for item in events:
                if isinstance(item, str):
                    on_delta(item)
                else:
                    final = item
        assert final is not None
        return final

    async def astream(self, request: ChatRequest) -> AsyncIterator[str]:
        """Yield the reply's text deltas; see `OpenAIChatModel.stream`.

        Wrap it in ``contextlib.aclosing`` when you may stop early, so the connection is
        released at once.
        """
        async with aclosing(self._events(request)) as events:
            async for item in events:
                if isinstance(item, str):
                    yield item

    async def _complete_once(self, request: ChatRequest) -> ChatResponse:
        params = self._params(request, stream=False)
        async with self._aslot():
            with _translate(self._endpoint, self._model_name):
                completion = await self._client.chat.completions.create(**params)
        return self._response(completion, request)

    async def _events(self, request: ChatRequest) -> AsyncGenerator[str | ChatResponse, None]:
        params = self._params(request, stream=True)
        resume = Resume(self._endpoint)
        response: ChatResponse | None = None
        async for attempt in aretrying(self.policy, sleep=self._sleep):
            with attempt:
                resume.start_attempt()
                state = _StreamState(self._endpoint)
                async with self._aslot():
                    with _translate(self._endpoint, self._model_name):
                        async with await self._client.chat.completions.create(
                                **params) as stream:
                            state.begin(stream.response.headers)
                            async for chunk in stream:
                                delta = resume.feed(state.add(chunk))
                                if delta:
                                    yield delta
                response = state.response(request, self._model_name)
        assert response is not None
        yield check_finish(response)
