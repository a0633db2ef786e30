"""The fault matrix: each fault through the real adapter, over real HTTP, to the local server.

Every test asserts the documented outcome and how many attempts reached the server. Waits
between attempts go through an injected ``sleep`` that records them, so a ``retry-after: 1``
costs no test time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel, Field

from roleplay.errors import (
    ContentFilterError,
    ModelAPIError,
    ModelConnectionError,
    ModelTimeoutError,
    OutputTruncatedError,
    QuotaExceededError,
    RateLimitError,
    RefusalError,
    UnsupportedFeatureError,
)
from roleplay.llm.base import ChatRequest, Message
from roleplay.llm.openai import AsyncOpenAIChatModel, OpenAIChatModel
from roleplay.llm.structured import FormatMemory, acomplete_structured, complete_structured
from roleplay.testing import Fault, OpenAICompatServer

REPLY = "Thanks for coming in today. Could you walk me through your last project?"


def ask(text: str = "Start the interview.") -> ChatRequest:
    return ChatRequest(messages=(Message(role="system", content="You are an interviewer."),
                                 Message(role="user", content=text)))


class Waits(list[float]):
    """Records the waits the retry layer asked for, instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)

    async def asleep(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
def make_model(openai_server: OpenAICompatServer, waits: Waits) -> Iterator[Any]:
    models: list[OpenAIChatModel] = []

    def make(**kwargs: Any) -> OpenAIChatModel:
        options: dict[str, Any] = {"base_url": openai_server.base_url, "api_key": "test-key",
                                   "sleep": waits, "timeout": 5}
        options.update(kwargs)
        model = OpenAIChatModel("gpt-4o-mini", **options)
        models.append(model)
        return model

    yield make
    for model in models:
        model.close()


def attempts(server: OpenAICompatServer) -> int:
    return len(server.chat_requests)


# -- rate limits ------------------------------------------------------------------------------

def test_429_with_retry_after_seconds_waits_as_asked_then_succeeds(openai_server, make_model,
                                                                   waits):
    openai_server.add_faults(Fault.rate_limit(retry_after=1))
    openai_server.enqueue(REPLY)

    response = make_model().complete(ask())

    assert response.text == REPLY
    assert attempts(openai_server) == 2
    assert waits == [1.0]


def test_429_retry_after_ms_is_preferred_over_retry_after(openai_server, make_model, waits):
    openai_server.add_faults(Fault.rate_limit(retry_after_ms=250, retry_after=7))
    openai_server.enqueue(REPLY)

    assert make_model().complete(ask()).text == REPLY
    assert attempts(openai_server) == 2
    assert waits == [0.25]


def test_429_insufficient_quota_is_never_retried(openai_server, make_model, waits):
    openai_server.add_faults(Fault.insufficient_quota())
    openai_server.enqueue(REPLY)

    with pytest.raises(QuotaExceededError) as info:
        make_model().complete(ask())

    assert attempts(openai_server) == 1
    assert waits == []
    err = info.value
    assert (err.status_code, err.code) == (429, "insufficient_quota")
    assert err.request_id and err.request_id.startswith("req_")
    assert "quota" in str(err)


def test_persistent_429_becomes_rate_limit_error_after_the_attempt_budget(openai_server,
                                                                          make_model, waits):
    openai_server.add_faults(*[Fault.rate_limit(retry_after_ms=10)] * 3)

    with pytest.raises(RateLimitError) as info:
        make_model(max_attempts=3).complete(ask())

    assert attempts(openai_server) == 3
    assert waits == [0.01, 0.01]
    assert info.value.status_code == 429


def test_a_hint_longer_than_the_remaining_budget_gives_up_at_once(openai_server, make_model,
                                                                  waits):
    openai_server.add_faults(Fault.rate_limit(retry_after=300))
    openai_server.enqueue(REPLY)

    with pytest.raises(RateLimitError):
        make_model(max_retry_seconds=120).complete(ask())

    assert attempts(openai_server) == 1
    assert waits == []


# -- server errors, timeouts, connections -----------------------------------------------------

def test_500_then_503_then_success(openai_server, make_model, waits):
    openai_server.add_faults(Fault.server_error(500), Fault.server_error(503))
    openai_server.enqueue(REPLY)

    assert make_model().complete(ask()).text == REPLY
    assert attempts(openai_server) == 3
    # No hint: full-jitter exponential backoff, within its cap.
    assert len(waits) == 2 and all(0 <= w <= 30 for w in waits)


def test_x_should_retry_false_stops_a_retryable_status(openai_server, make_model):
    openai_server.add_faults(Fault.http_error(503, should_retry=False))
    openai_server.enqueue(REPLY)

    with pytest.raises(ModelAPIError) as info:
        make_model().complete(ask())

    assert info.value.status_code == 503
    assert attempts(openai_server) == 1


def test_read_timeout_is_retried(openai_server, make_model):
    openai_server.add_faults(Fault.hang(5))
    openai_server.enqueue(REPLY)

    assert make_model(timeout=0.3).complete(ask()).text == REPLY
    assert attempts(openai_server) == 2


def test_persistent_timeout_raises_model_timeout_error(openai_server, make_model):
    openai_server.add_faults(Fault.hang(5), Fault.hang(5))

    with pytest.raises(ModelTimeoutError, match="timed out"):
        make_model(timeout=0.2, max_attempts=2).complete(ask())

    assert attempts(openai_server) == 2


def test_connection_reset_is_retried(openai_server, make_model):
    openai_server.add_faults(Fault.reset())
    openai_server.enqueue(REPLY)

    assert make_model().complete(ask()).text == REPLY
    assert attempts(openai_server) == 2


def test_connection_refused_raises_model_connection_error(make_model, waits):
    with OpenAICompatServer() as server:
        dead_url = server.base_url  # nothing listens here once the server is closed

    with pytest.raises(ModelConnectionError, match="Could not reach"):
        make_model(base_url=dead_url, max_attempts=2).complete(ask())
    assert len(waits) == 1


def test_stream_dropped_midway_is_retried_whole_and_shown_once(openai_server, make_model):
    openai_server.add_faults(Fault.drop_stream(after_chunks=3))
    openai_server.enqueue(REPLY)
    shown: list[str] = []

    response = make_model().complete(ask(), on_delta=shown.append)

    assert attempts(openai_server) == 2
    assert response.text == REPLY
    # The caller saw the first three words live, then only the continuation: no duplicate.
    assert "".join(shown) == REPLY
    assert shown[:3] == ["Thanks ", "for ", "coming "]


def test_a_body_cut_off_mid_way_is_retried(openai_server, make_model):
    openai_server.add_faults(Fault.drop_stream())  # on a plain request: half the JSON, then EOF
    openai_server.enqueue(REPLY)

    assert make_model().complete(ask()).text == REPLY
    assert attempts(openai_server) == 2


def test_malformed_json_body_is_a_clear_error_and_not_retried(openai_server, make_model):
    openai_server.add_faults(Fault.malformed_json())
    openai_server.enqueue(REPLY)

    with pytest.raises(ModelAPIError, match="not valid JSON") as info:
        make_model().complete(ask())

    assert type(info.value) is ModelAPIError
    assert info.value.status_code == 200
    assert attempts(openai_server) == 1


def test_malformed_stream_event_is_a_clear_error_and_not_retried(openai_server, make_model):
    openai_server.add_faults(Fault.malformed_json())
    openai_server.enqueue(REPLY)

    with pytest.raises(ModelAPIError, match="not valid JSON"):
        make_model().complete(ask(), on_delta=lambda _: None)

    assert attempts(openai_server) == 1


# -- output faults ----------------------------------------------------------------------------

def test_finish_reason_length_raises_output_truncated(openai_server, make_model):
    openai_server.add_faults(Fault.length())
    openai_server.enqueue("Thanks for coming in. Could you walk me")

    with pytest.raises(OutputTruncatedError) as info:
        make_model().complete(ask())

    assert info.value.raw == "Thanks for coming in. Could you walk me"
    assert attempts(openai_server) == 1


@pytest.mark.parametrize("streaming", [False, True])
def test_refusal_raises_refusal_error(openai_server, make_model, streaming):
    openai_server.add_faults(Fault.refuse("I can't help with that request."))

    with pytest.raises(RefusalError, match="I can't help with that request."):
        make_model().complete(ask(), on_delta=(lambda _: None) if streaming else None)

    assert attempts(openai_server) == 1


def test_content_filter_raises_content_filter_error(openai_server, make_model):
    openai_server.add_faults(Fault.content_filter())
    openai_server.enqueue("Partial")

    with pytest.raises(ContentFilterError):
        make_model().complete(ask(), on_delta=lambda _: None)
    assert attempts(openai_server) == 1


@pytest.mark.parametrize(("status", "hint"), [(400, "HTTP 400"), (401, "OPENAI_API_KEY"),
                                              (403, "403"), (404, "model name"),
                                              (422, "HTTP 422")])
def test_client_errors_are_not_retried(openai_server, make_model, waits, status, hint):
    openai_server.add_faults(Fault.http_error(status))
    openai_server.enqueue(REPLY)

    with pytest.raises(ModelAPIError, match=hint) as info:
        make_model().complete(ask())

    assert not isinstance(info.value, UnsupportedFeatureError)
    assert info.value.status_code == status
    assert attempts(openai_server) == 1
    assert waits == []


def test_wrong_key_says_to_check_the_key_and_never_shows_it(make_model):
    with OpenAICompatServer([REPLY], api_key="the-right-key") as server:
        with pytest.raises(ModelAPIError, match="rejected the API key") as info:
            make_model(base_url=server.base_url, api_key="sk-wrong-secret-123").complete(ask())
        assert len(server.chat_requests) == 1
    assert "sk-wrong-secret-123" not in str(info.value)


# -- structured output through the real adapter -----------------------------------------------

class Verdict(BaseModel):
    reason: str
    score: int = Field(ge=1, le=5)


def test_structured_reply_failing_validation_passes_on_the_reask(openai_server, make_model):
    openai_server.enqueue({"reason": "clear STAR answer", "score": 9},
                          {"reason": "clear STAR answer", "score": 4})

    result = complete_structured(make_model(), ask("Grade it."), Verdict, memory=FormatMemory())

    assert result.output == Verdict(reason="clear STAR answer", score=4)
    assert result.attempts == 2 and len(result.errors) == 1 and "score" in result.errors[0]
    bodies = [r.body for r in openai_server.chat_requests]
    assert len(bodies) == 2
    reask = bodies[1]["messages"]
    assert reask[-2] == {"role": "assistant",
                         "content": '{"reason": "clear STAR answer", "score": 9}'}
    assert "score" in reask[-1]["content"] and reask[-1]["role"] == "user"


def test_rejected_json_schema_falls_back_to_json_object_and_remembers(make_model):
    memory = FormatMemory()
    verdict = {"reason": "specific metrics", "score": 5}
    with OpenAICompatServer([verdict, verdict], reject_json_schema=True) as server:
        model = make_model(base_url=server.base_url)

        first = complete_structured(model, ask("Grade it."), Verdict, memory=memory)
        second = complete_structured(model, ask("Grade again."), Verdict, memory=memory)

        formats = [r.body["response_format"]["type"] for r in server.chat_requests]
    assert first.format == second.format == "json_object"
    assert first.output.score == 5
    # The first call tried json_schema once; the second went straight to json_object.
    assert formats == ["json_schema", "json_object", "json_object"]


# -- async ------------------------------------------------------------------------------------

@pytest.fixture
async def amodel(openai_server: OpenAICompatServer, waits: Waits):
    async with AsyncOpenAIChatModel("gpt-4o-mini", base_url=openai_server.base_url,
                                    api_key="test-key", sleep=waits.asleep,
                                    timeout=0.3, max_attempts=3) as model:
        yield model


async def test_async_429_with_retry_after_then_success(openai_server, amodel, waits):
    openai_server.add_faults(Fault.rate_limit(retry_after=2))
    openai_server.enqueue(REPLY)

    assert (await amodel.acomplete(ask())).text == REPLY
    assert attempts(openai_server) == 2
    assert waits == [2.0]


async def test_async_insufficient_quota_is_not_retried(openai_server, amodel, waits):
    openai_server.add_faults(Fault.insufficient_quota())

    with pytest.raises(QuotaExceededError):
        await amodel.acomplete(ask())
    assert attempts(openai_server) == 1
    assert waits == []


async def test_async_timeout_retried_then_model_timeout_error(openai_server, amodel):
    openai_server.add_faults(*[Fault.hang(5)] * 3)

    with pytest.raises(ModelTimeoutError):
        await amodel.acomplete(ask())
    assert attempts(openai_server) == 3


async def test_async_stream_dropped_midway_is_retried_and_shown_once(openai_server, amodel):
    openai_server.add_faults(Fault.drop_stream(after_chunks=2))
    openai_server.enqueue(REPLY)
    shown: list[str] = []

    response = await amodel.acomplete(ask(), on_delta=shown.append)

    assert response.text == REPLY and "".join(shown) == REPLY
    assert attempts(openai_server) == 2


async def test_async_json_schema_rejected_falls_back(amodel):
    memory = FormatMemory()
    with OpenAICompatServer([{"reason": "ok", "score": 3}], reject_json_schema=True) as server:
        model = AsyncOpenAIChatModel("gpt-4o-mini", base_url=server.base_url, api_key="k",
                                     max_attempts=1)
        try:
            result = await acomplete_structured(model, ask(), Verdict, memory=memory)
        finally:
            await model.aclose()
        assert [r.body["response_format"]["type"] for r in server.chat_requests] == [
            "json_schema", "json_object"]
    assert result.format == "json_object" and result.output.score == 3
    assert memory.get(model.endpoint, model.model_name) == "json_object"
