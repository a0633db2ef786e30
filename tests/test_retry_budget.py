"""The retry budget outlasts a short outage, and says how long it may wait in all.

The local server fails every chat request during an outage window measured on a `FakeClock`;
the model's injected sleep advances that clock, so a 10-second outage takes no test time.
"""

from __future__ import annotations

import logging

import pytest

from roleplay.errors import ModelAPIError, ModelConnectionError
from roleplay.llm._retry import RetryPolicy
from roleplay.llm.base import ChatRequest, Message
from roleplay.llm.openai import AsyncOpenAIChatModel, OpenAIChatModel
from roleplay.testing import FakeClock, Fault, FaultSchedule, OpenAICompatServer

REPLY = "Tell me about a project you are proud of."


def ask() -> ChatRequest:
    return ChatRequest(messages=(Message(role="user", content="Start."),))


def outage(server: OpenAICompatServer, seconds: float, fault: Fault | None = None) -> FakeClock:
    clock = FakeClock()
    server.schedule = FaultSchedule(outages=[(0.0, seconds)], outage_fault=fault, clock=clock)
    server.responder = lambda _body: REPLY
    return clock


def test_default_backoff_bounds_are_documented() -> None:
    # Five waits of [0.5, 1], [1, 2], [2, 4], [4, 8], [8, 16] seconds.
    assert RetryPolicy().max_attempts == 6
    assert RetryPolicy().backoff_bounds() == (15.5, 31.0)
    # The cap and the time budget bound the worst case.
    assert RetryPolicy(max_attempts=10, max_backoff=4).backoff_bounds()[1] == 1 + 2 + 4 * 7
    assert RetryPolicy(max_attempts=20, max_retry_seconds=60).backoff_bounds()[1] == 60


@pytest.mark.parametrize("fault", [Fault.server_error(503), Fault.server_error(500),
                                   Fault.reset()], ids=["503", "500", "reset"])
def test_a_ten_second_outage_is_outlasted_whatever_the_jitter_draws(openai_server, fault):
    # Full jitter (waits drawn from [0, b]) ran out of five attempts inside a 4 s outage for
    # about one call in three; twenty calls in a row never all survived a 10 s one.
    least, most = RetryPolicy().backoff_bounds()
    for _ in range(20):
        clock = outage(openai_server, 10.0, fault)
        with OpenAIChatModel("gpt-4o-mini", base_url=openai_server.base_url, api_key="k",
                             sleep=clock.sleep, timeout=5) as model:
            assert model.complete(ask()).text == REPLY
        assert clock() >= 10.0
        assert sum(clock.slept) <= most


async def test_the_async_model_outlasts_the_outage_too(openai_server):
    for _ in range(10):
        clock = outage(openai_server, 10.0)
        async with AsyncOpenAIChatModel("gpt-4o-mini", base_url=openai_server.base_url,
                                        api_key="k", sleep=clock.asleep, timeout=5) as model:
            assert (await model.acomplete(ask())).text == REPLY


def test_a_long_outage_gives_up_within_the_stated_worst_case(openai_server):
    clock = outage(openai_server, 1000.0)
    with OpenAIChatModel("gpt-4o-mini", base_url=openai_server.base_url, api_key="k",
                         sleep=clock.sleep, timeout=5) as model, pytest.raises(ModelAPIError):
        model.complete(ask())
    assert len(openai_server.chat_requests) == 6
    least, most = RetryPolicy().backoff_bounds()
    assert least <= sum(clock.slept) <= most


def test_the_time_budget_counts_injected_waits(openai_server):
    # With a fake sleep the wall clock stands still; the budget still ends the retries.
    clock = outage(openai_server, 1000.0, Fault.reset())
    policy = RetryPolicy(max_attempts=50, max_retry_seconds=20)
    with OpenAIChatModel("gpt-4o-mini", base_url=openai_server.base_url, api_key="k",
                         sleep=clock.sleep, timeout=5, retry=policy) as model, \
            pytest.raises(ModelConnectionError):
        model.complete(ask())
    assert sum(clock.slept) <= 20
    assert len(openai_server.chat_requests) < 50


def test_the_first_retry_logs_the_total_it_may_wait(openai_server, caplog):
    clock = outage(openai_server, 2.0)
    caplog.set_level(logging.INFO, logger="roleplay.llm._retry")
    with OpenAIChatModel("gpt-4o-mini", base_url=openai_server.base_url, api_key="k",
                         sleep=clock.sleep, timeout=5) as model:
        model.complete(ask())
    retries = [r.getMessage() for r in caplog.records if r.name == "roleplay.llm._retry"]
    assert len(retries) >= 2
    assert retries[0].endswith("; it retries up to 5 time(s), waiting 15.5-31.0 s in all (at "
                               "most 120 s with server retry hints) before it gives up")
    assert all("in all" not in message for message in retries[1:])


def test_low_waits_come_from_the_policy(openai_server):
    clock = outage(openai_server, 0.05)
    policy = RetryPolicy(initial_backoff=0.01, max_backoff=0.04)
    with OpenAIChatModel("gpt-4o-mini", base_url=openai_server.base_url, api_key="k",
                         sleep=clock.sleep, timeout=5, retry=policy) as model:
        assert model.complete(ask()).text == REPLY
    assert all(0.005 <= w <= 0.04 for w in clock.slept)
