"""The OpenAI adapter: configuration, request mapping, responses, usage, streaming, retry policy.

Most tests go over real HTTP to the local server; a few give the SDK an httpx2 mock transport
to shape responses the server does not produce (cached tokens, no choices, api.openai.com).
"""

from __future__ import annotations

import email.utils
import json
import logging
from collections.abc import Callable
from typing import Any

import httpx2
import openai
import pytest

from roleplay.errors import (
    ConfigError,
    MissingAPIKeyError,
    ModelAPIError,
    ModelConnectionError,
    ModelTimeoutError,
    QuotaExceededError,
    RateLimitError,
    RefusalError,
    UnsupportedFeatureError,
)
from roleplay.llm._retry import RetryPolicy, is_retryable, retry_hint
from roleplay.llm.base import (
    AsyncChatModel,
    ChatModel,
    ChatRequest,
    Message,
    ModelSettings,
    ResponseFormat,
)
from roleplay.llm.openai import AsyncOpenAIChatModel, OpenAIChatModel
from roleplay.testing import Fault, OpenAICompatServer
from roleplay.tokens import count_messages, count_text

MESSAGES = (Message(role="system", content="You are Dana, a hiring manager."),
            Message(role="user", content="Hello, I'm here for the interview."))


def ask(**kwargs: Any) -> ChatRequest:
    return ChatRequest(messages=MESSAGES, **kwargs)


@pytest.fixture
def model(openai_server: OpenAICompatServer):
    with OpenAIChatModel("gpt-4o-mini", base_url=openai_server.base_url, api_key="test-key",
                         sleep=lambda _: None, timeout=5) as m:
        yield m


def last_body(server: OpenAICompatServer) -> dict[str, Any]:
    return server.chat_requests[-1].body


# -- configuration ----------------------------------------------------------------------------

async def test_both_models_satisfy_the_protocols(openai_server):
    sync = OpenAIChatModel(base_url=openai_server.base_url, api_key="k")
    asynchronous = AsyncOpenAIChatModel(base_url=openai_server.base_url, api_key="k")
    assert isinstance(sync, ChatModel) and isinstance(asynchronous, AsyncChatModel)
    sync.close()
    await asynchronous.aclose()


def test_missing_key_says_how_to_configure(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(MissingAPIKeyError, match="OPENAI_API_KEY"):
        OpenAIChatModel("gpt-4o-mini")
    with pytest.raises(MissingAPIKeyError):
        AsyncOpenAIChatModel("gpt-4o-mini")


def test_environment_fallback_for_key_base_url_and_model(monkeypatch):
    with OpenAICompatServer(["Hi."], api_key="env-key") as server:
        monkeypatch.setenv("OPENAI_API_KEY", "env-key")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("ROLEPLAY_MODEL", "llama3.1:8b")
        with OpenAIChatModel() as model:
            assert model.complete(ask()).text == "Hi."  # the server accepts only env-key
            assert model.model_name == "llama3.1:8b"
            assert model.endpoint == server.base_url
        assert last_body(server)["model"] == "llama3.1:8b"


def test_default_model_and_endpoint(monkeypatch):
    monkeypatch.delenv("ROLEPLAY_MODEL", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with OpenAIChatModel(api_key="k") as model:
        assert model.model_name == "gpt-4o-mini"
        assert model.endpoint == "https://api.openai.com/v1"


def test_endpoint_never_contains_credentials_or_query():
    with OpenAIChatModel(base_url="http://user:secret@127.0.0.1:9/v1/?api-key=abc",
                         api_key="k") as model:
        assert model.endpoint == "http://127.0.0.1:9/v1"


@pytest.mark.parametrize(("field", "kwargs"), [("max_attempts", {"max_attempts": 0}),
                                               ("max_retry_seconds", {"max_retry_seconds": 0}),
                                               ("timeout", {"timeout": 0})])
def test_invalid_budget_names_the_field(field, kwargs):
    with pytest.raises(ConfigError, match=field):
        OpenAIChatModel(api_key="k", **kwargs)


def test_injected_client_gets_no_sdk_retries_and_is_not_closed(openai_server):
    client = openai.OpenAI(base_url=openai_server.base_url, api_key="k", max_retries=4)
    openai_server.add_faults(Fault.server_error(500))

    model = OpenAIChatModel("gpt-4o-mini", client=client, max_attempts=1)
    with pytest.raises(ModelAPIError) as info:
        model.complete(ask())
    model.close()

    assert info.value.status_code == 500
    assert len(openai_server.chat_requests) == 1  # not 5: the SDK layer is off
    assert model.client.max_retries == 0
    assert not client.is_closed()
    client.close()


# -- request mapping --------------------------------------------------------------------------

def test_messages_and_settings_reach_the_wire(openai_server):
    openai_server.enqueue("Welcome.")
    settings = ModelSettings(temperature=0.2, top_p=0.9, seed=3, max_tokens=50)
    with OpenAIChatModel("gpt-4o-mini", base_url=openai_server.base_url, api_key="k",
                         settings=settings) as model:
        model.complete(ask(settings=ModelSettings(temperature=0.7)))

    body = last_body(openai_server)
    assert body["messages"] == [{"role": m.role, "content": m.content} for m in MESSAGES]
    assert body["model"] == "gpt-4o-mini"
    assert (body["temperature"], body["top_p"], body["seed"]) == (0.7, 0.9, 3)
    # Not api.openai.com: the older, widely supported name.
    assert body["max_tokens"] == 50 and "max_completion_tokens" not in body
    assert "stream" not in body and "response_format" not in body


def test_max_tokens_param_can_be_forced(openai_server):
    openai_server.enqueue("Welcome.")
    with OpenAIChatModel(base_url=openai_server.base_url, api_key="k",
                         max_tokens_param="max_completion_tokens") as model:
        model.complete(ask(settings=ModelSettings(max_tokens=20)))
    body = last_body(openai_server)
    assert body["max_completion_tokens"] == 20 and "max_tokens" not in body


def completion_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "id": "chatcmpl-mock", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                     "message": {"role": "assistant", "content": "Hi.", "refusal": None}}],
        "usage": {"prompt_tokens": 2000, "completion_tokens": 5, "total_tokens": 2005,
                  "prompt_tokens_details": {"cached_tokens": 1024}},
    }
    body.update(overrides)
    return body


def mock_client(base_url: str, handler: Callable[[httpx2.Request], httpx2.Response],
                ) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key="k",
                         http_client=httpx2.Client(transport=httpx2.MockTransport(handler)))


def test_api_openai_com_gets_max_completion_tokens_and_cached_tokens_are_read():
    seen: list[dict[str, Any]] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(json.loads(request.content))
        return httpx2.Response(200, json=completion_body(), headers={"x-request-id": "req_1"})

    client = mock_client("https://api.openai.com/v1", handler)
    response = OpenAIChatModel("gpt-4o-mini", client=client).complete(
        ask(settings=ModelSettings(max_tokens=30)))
    client.close()

    assert seen[0]["max_completion_tokens"] == 30 and "max_tokens" not in seen[0]
    assert response.usage.cached_tokens == 1024
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (2000, 5)
    assert response.request_id == "req_1"


def test_missing_usage_details_count_as_zero_and_missing_usage_is_estimated():
    bodies = [completion_body(usage={"prompt_tokens": 9, "completion_tokens": 2,
                                     "total_tokens": 11, "prompt_tokens_details": None}),
              completion_body(usage=None)]
    client = mock_client("http://127.0.0.1:9/v1",
                         lambda _: httpx2.Response(200, json=bodies.pop(0)))
    model = OpenAIChatModel("gpt-4o-mini", client=client)

    reported = model.complete(ask())
    estimated = model.complete(ask())
    client.close()

    assert reported.usage.cached_tokens == 0 and reported.usage_reported
    assert not estimated.usage_reported
    assert estimated.usage.prompt_tokens == count_messages(MESSAGES, "gpt-4o-mini")
    assert estimated.usage.completion_tokens == count_text("Hi.", "gpt-4o-mini")


def test_a_reply_without_choices_is_a_clear_error():
    client = mock_client("http://127.0.0.1:9/v1",
                         lambda _: httpx2.Response(200, json=completion_body(choices=[])))
    with pytest.raises(ModelAPIError, match="without any choices"):
        OpenAIChatModel(client=client).complete(ask())
    client.close()


SCHEMA = {"type": "object", "properties": {"score": {"type": "integer"}},
          "required": ["score"], "additionalProperties": False}


def test_response_formats_are_mapped(openai_server, model):
    openai_server.enqueue({"score": 1}, {"score": 2}, "plain")
    model.complete(ask(response_format=ResponseFormat(type="json_schema", name="Verdict",
                                                      json_schema=SCHEMA)))
    model.complete(ask(response_format=ResponseFormat(type="json_object")))
    model.complete(ask(response_format=ResponseFormat(type="text")))

    formats = [r.body.get("response_format") for r in openai_server.chat_requests]
    assert formats == [
        {"type": "json_schema", "json_schema": {"name": "Verdict", "strict": True,
                                                "schema": SCHEMA}},
        {"type": "json_object"},
        None,
    ]


def test_json_schema_without_a_schema_is_a_config_error(model):
    with pytest.raises(ConfigError, match="response_format"):
        model.complete(ask(response_format=ResponseFormat(type="json_schema", name="X")))


def test_rejected_json_schema_is_an_unsupported_feature_and_not_retried():
    with OpenAICompatServer(reject_json_schema=True) as server, \
            OpenAIChatModel(base_url=server.base_url, api_key="k") as model:
        with pytest.raises(UnsupportedFeatureError, match="json_schema") as info:
            model.complete(ask(response_format=ResponseFormat(
                type="json_schema", name="V", json_schema=SCHEMA)))
        assert len(server.chat_requests) == 1
    assert info.value.status_code == 400


def test_per_request_timeout_overrides_the_model_timeout(openai_server):
    # The hang ends (connection closed, not a timeout) long before the model's own timeout.
    openai_server.add_faults(Fault.hang(3))
    with OpenAIChatModel(base_url=openai_server.base_url, api_key="k", timeout=30,
                         max_attempts=1) as model, pytest.raises(ModelTimeoutError):
        model.complete(ask(settings=ModelSettings(timeout=0.2)))
    assert openai_server.chat_requests[0].headers["x-stainless-read-timeout"] == "0.2"


# -- responses and streaming ------------------------------------------------------------------

def test_plain_completion_maps_text_usage_and_request_id(openai_server, model):
    openai_server.enqueue("Tell me about a project you led.")
    response = model.complete(ask())

    assert response.text == "Tell me about a project you led."
    assert response.finish_reason == "stop" and response.refusal is None
    assert response.model == "gpt-4o-mini"
    assert response.request_id and response.request_id.startswith("req_")
    assert response.usage_reported
    assert response.usage.prompt_tokens == count_messages(MESSAGES, "gpt-4o-mini")
    assert response.usage.completion_tokens == count_text(response.text, "gpt-4o-mini")
    assert response.usage.calls == 1


def test_streaming_forwards_deltas_and_reads_usage_from_the_last_chunk(openai_server, model):
    openai_server.enqueue("Tell me about a project you led.")
    deltas: list[str] = []

    response = model.complete(ask(), on_delta=deltas.append)

    assert len(deltas) > 1 and "".join(deltas) == response.text
    assert response.usage_reported
    assert response.usage.completion_tokens == count_text(response.text, "gpt-4o-mini")
    body = last_body(openai_server)
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


def test_stream_without_usage_chunk_estimates_usage():
    with OpenAICompatServer(["Tell me more."], stream_usage=False) as server, \
            OpenAIChatModel("gpt-4o-mini", base_url=server.base_url, api_key="k") as model:
        response = model.complete(ask(), on_delta=lambda _: None)
    assert not response.usage_reported
    assert response.usage.prompt_tokens == count_messages(MESSAGES, "gpt-4o-mini")
    assert response.usage.completion_tokens == count_text("Tell me more.", "gpt-4o-mini")


def test_include_usage_false_sends_no_stream_options(openai_server):
    openai_server.enqueue("Hi.")
    with OpenAIChatModel(base_url=openai_server.base_url, api_key="k",
                         include_usage=False) as model:
        response = model.complete(ask(), on_delta=lambda _: None)
    assert "stream_options" not in last_body(openai_server)
    assert not response.usage_reported


def test_stream_iterator_yields_the_reply_and_raises_on_refusal(openai_server, model):
    openai_server.enqueue("One two three.")
    assert "".join(model.stream(ask())) == "One two three."

    openai_server.add_faults(Fault.refuse("No."))
    with pytest.raises(RefusalError):
        list(model.stream(ask()))


def test_a_stream_that_ends_without_finish_reason_counts_as_dropped():
    body = (b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m",'
            b'"choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}\n\n')
    client = mock_client("http://127.0.0.1:9/v1", lambda _: httpx2.Response(
        200, content=body, headers={"content-type": "text/event-stream"}))
    waits: list[float] = []
    with pytest.raises(ModelConnectionError, match="ended before the reply was complete"):
        OpenAIChatModel(client=client, max_attempts=2, sleep=waits.append).complete(
            ask(), on_delta=lambda _: None)
    assert len(waits) == 1  # retried once, then gave up
    client.close()


def test_a_retried_stream_that_diverges_stops_live_output(openai_server, model, caplog):
    replies = iter(["First version of the question here.", "Different wording entirely now."])
    openai_server.responder = lambda _body: next(replies)
    openai_server.add_faults(Fault.drop_stream(after_chunks=2))
    shown: list[str] = []

    with caplog.at_level(logging.WARNING, logger="roleplay"):
        response = model.complete(ask(), on_delta=shown.append)

    # drop_stream peeked at the responder once; the retry got the second reply.
    assert response.text == "Different wording entirely now."
    assert "".join(shown) == "First version "
    assert "differs from the text already shown" in caplog.text


async def test_async_streaming_and_astream(openai_server):
    openai_server.enqueue("Why this role?", "And why now?")
    async with AsyncOpenAIChatModel("gpt-4o-mini", base_url=openai_server.base_url,
                                    api_key="k") as model:
        deltas: list[str] = []
        response = await model.acomplete(ask(), on_delta=deltas.append)
        streamed = [d async for d in model.astream(ask())]
    assert "".join(deltas) == response.text == "Why this role?"
    assert "".join(streamed) == "And why now?"
    assert response.usage_reported


# -- logging ----------------------------------------------------------------------------------

def test_retry_logs_status_and_request_id_but_never_the_key(openai_server, caplog):
    openai_server.add_faults(Fault.rate_limit(retry_after_ms=1))
    openai_server.enqueue("Hi.")
    with caplog.at_level(logging.DEBUG, logger="roleplay"), \
            OpenAIChatModel(base_url=openai_server.base_url, api_key="sk-secret-abc123",
                            sleep=lambda _: None) as model:
        model.complete(ask())
    retry_logs = [r for r in caplog.records if r.name == "roleplay.llm._retry"]
    assert len(retry_logs) == 1 and retry_logs[0].levelno == logging.INFO
    assert "status=429" in retry_logs[0].getMessage()
    assert "request_id=req_" in retry_logs[0].getMessage()
    assert "sk-secret-abc123" not in caplog.text
    assert "authorization" not in caplog.text.lower()


# -- the retry policy, unit by unit -----------------------------------------------------------

class _Response:
    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers


class _SDKError(Exception):
    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__("sdk")
        self.response = _Response(headers)


def wrapped(error: ModelAPIError, headers: dict[str, str] | None = None) -> ModelAPIError:
    if headers is not None:
        error.__cause__ = _SDKError(headers)
    return error


@pytest.mark.parametrize(("error", "expected"), [
    (ModelConnectionError("x"), True),
    (ModelTimeoutError("x"), True),
    (RateLimitError("x", status_code=429), True),
    (ModelAPIError("x", status_code=408), True),
    (ModelAPIError("x", status_code=409), True),
    (ModelAPIError("x", status_code=500), True),
    (ModelAPIError("x", status_code=503), True),
    (QuotaExceededError("x", status_code=429, code="insufficient_quota"), False),
    (UnsupportedFeatureError("x", status_code=400), False),
    (ModelAPIError("x", status_code=400), False),
    (ModelAPIError("x", status_code=401), False),
    (ModelAPIError("x", status_code=403), False),
    (ModelAPIError("x", status_code=404), False),
    (ModelAPIError("x", status_code=422), False),
    (ModelAPIError("malformed", status_code=200), False),
    (RefusalError("no"), False),
    (ValueError("x"), False),
])
def test_is_retryable(error, expected):
    assert is_retryable(error) is expected


def test_x_should_retry_overrides_status_but_never_quota():
    assert is_retryable(wrapped(ModelAPIError("x", status_code=400), {"x-should-retry": "true"}))
    assert not is_retryable(wrapped(ModelAPIError("x", status_code=500),
                                    {"x-should-retry": "false"}))
    assert not is_retryable(wrapped(QuotaExceededError("x", status_code=429),
                                    {"x-should-retry": "true"}))


def test_retry_hint_parsing():
    def hint(headers: dict[str, str]) -> float | None:
        return retry_hint(wrapped(RateLimitError("x", status_code=429), headers), now=1000.0)

    assert hint({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert hint({"retry-after": "2.5"}) == 2.5
    assert hint({"retry-after": email.utils.formatdate(1030.0, usegmt=True)}) == 30.0
    assert hint({"retry-after-ms": "soon", "retry-after": "3"}) == 3.0
    assert hint({"retry-after": "-1"}) is None
    assert hint({"retry-after": "whenever"}) is None
    assert hint({}) is None
    assert retry_hint(RateLimitError("no response")) is None


def test_retry_policy_rejects_impossible_budgets():
    with pytest.raises(ConfigError, match="max_backoff"):
        RetryPolicy(max_backoff=0)
