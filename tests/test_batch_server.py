"""The local server's Files and Batch endpoints, driven by the official SDK (OpenAI's shapes)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from roleplay.testing import OpenAICompatServer


def _line(custom_id: str, text: str) -> dict[str, Any]:
    return {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions",
            "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]}}


def _jsonl(lines: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


@pytest.fixture
def server() -> Iterator[OpenAICompatServer]:
    with OpenAICompatServer(responder=lambda body: "echo: " + body["messages"][-1]["content"],
                            api_key="sk-test") as srv:
        yield srv


@pytest.fixture
def client(server: OpenAICompatServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0) as c:
        yield c


def _submit(client: openai.OpenAI, lines: list[dict[str, Any]]) -> tuple[str, str]:
    uploaded = client.files.create(file=("in.jsonl", _jsonl(lines)), purpose="batch")
    batch = client.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                                  completion_window="24h")
    return uploaded.id, batch.id


def _lines(client: openai.OpenAI, file_id: str | None) -> list[dict[str, Any]]:
    if file_id is None:
        return []
    return [json.loads(x) for x in client.files.content(file_id).text.splitlines()]


def test_a_batch_goes_through_its_states_and_answers_every_line(
        server: OpenAICompatServer, client: openai.OpenAI) -> None:
    server.batch_script.polls = 3
    file_id, batch_id = _submit(client, [_line(f"r{i}", f"q{i}") for i in range(6)])
    uploaded = client.files.retrieve(file_id)
    assert (uploaded.object, uploaded.purpose, uploaded.filename) == ("file", "batch", "in.jsonl")
    assert uploaded.bytes == len(_jsonl([_line(f"r{i}", f"q{i}") for i in range(6)]))

    seen = []
    counts = []
    while True:
        batch = client.batches.retrieve(batch_id)
        seen.append(batch.status)
        assert batch.request_counts is not None
        counts.append(batch.request_counts.completed)
        if batch.status in ("completed", "failed", "expired", "cancelled"):
            break
    assert seen == ["in_progress", "in_progress", "in_progress", "finalizing", "completed"]
    assert counts == [0, 2, 4, 6, 6]
    assert batch.object == "batch" and batch.input_file_id == file_id
    assert batch.in_progress_at and batch.finalizing_at and batch.completed_at
    assert batch.error_file_id is None
    out = _lines(client, batch.output_file_id)
    assert {o["custom_id"]: o["response"]["body"]["choices"][0]["message"]["content"]
            for o in out} == {f"r{i}": f"echo: q{i}" for i in range(6)}
    first = out[0]
    assert first["error"] is None and first["id"].startswith("batch_req_")
    assert first["response"]["status_code"] == 200
    assert first["response"]["request_id"].startswith("req_")
    assert first["response"]["body"]["object"] == "chat.completion"
    assert server.chat_requests == []  # lines never count as chat requests
    assert server.batch_lines_run == 6


def test_an_expired_batch_lists_its_unfinished_lines_in_the_error_file(
        server: OpenAICompatServer, client: openai.OpenAI) -> None:
    server.batch_script.polls = 1
    server.batch_script.expire_after = 2
    _, batch_id = _submit(client, [_line(f"r{i}", "x") for i in range(5)])
    while (batch := client.batches.retrieve(batch_id)).status == "in_progress" or \
            batch.status == "validating":
        pass
    assert batch.status == "expired" and batch.expired_at
    assert batch.request_counts is not None
    assert (batch.request_counts.completed, batch.request_counts.failed,
            batch.request_counts.total) == (2, 3, 5)
    assert [o["custom_id"] for o in _lines(client, batch.output_file_id)] == ["r0", "r1"]
    errors = _lines(client, batch.error_file_id)
    assert [e["custom_id"] for e in errors] == ["r2", "r3", "r4"]
    assert errors[0]["response"] is None
    assert errors[0]["error"]["code"] == "batch_expired"


def test_failed_lines_go_to_the_error_file_with_their_status(
        server: OpenAICompatServer, client: openai.OpenAI) -> None:
    server.batch_script.polls = 1
    server.batch_script.fail_custom_ids = {"r1"}
    _, batch_id = _submit(client, [_line(f"r{i}", "x") for i in range(3)])
    while (batch := client.batches.retrieve(batch_id)).status != "completed":
        assert batch.status in ("in_progress", "finalizing")
    assert batch.request_counts is not None
    assert (batch.request_counts.completed, batch.request_counts.failed) == (2, 1)
    (error,) = _lines(client, batch.error_file_id)
    assert error["custom_id"] == "r1" and error["error"] is None
    assert error["response"]["status_code"] == 500
    assert error["response"]["body"]["error"]["type"] == "server_error"


def test_an_invalid_input_file_fails_the_batch_naming_the_line(
        client: openai.OpenAI) -> None:
    lines = [_line("a", "x"), _line("a", "y")]
    _, batch_id = _submit(client, lines)
    batch = client.batches.retrieve(batch_id)
    assert batch.status == "failed" and batch.errors is not None and batch.errors.data
    assert batch.errors.data[0].code == "duplicate_custom_id"
    assert batch.errors.data[0].line == 2


def test_a_cancelled_batch_keeps_what_ran(server: OpenAICompatServer,
                                          client: openai.OpenAI) -> None:
    server.batch_script.polls = 4
    _, batch_id = _submit(client, [_line(f"r{i}", "x") for i in range(4)])
    client.batches.retrieve(batch_id)  # in_progress
    client.batches.retrieve(batch_id)  # one line ran
    assert client.batches.cancel(batch_id).status == "cancelling"
    batch = client.batches.retrieve(batch_id)
    assert batch.status == "cancelled" and batch.cancelled_at
    assert [o["custom_id"] for o in _lines(client, batch.output_file_id)] == ["r0"]


def test_the_endpoints_check_the_key_and_ids(server: OpenAICompatServer) -> None:
    with openai.OpenAI(base_url=server.base_url, api_key="wrong", max_retries=0) as bad:
        with pytest.raises(openai.AuthenticationError):
            bad.files.create(file=("in.jsonl", b"{}\n"), purpose="batch")
    with openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0) as good:
        with pytest.raises(openai.NotFoundError):
            good.batches.retrieve("batch_missing")
        with pytest.raises(openai.NotFoundError):
            good.files.content("file-missing")
        with pytest.raises(openai.BadRequestError):
            good.batches.create(input_file_id="file-missing", endpoint="/v1/chat/completions",
                                completion_window="24h")
