"""The local server, the SDK's requests and the cassettes against the official OpenAI schemas."""

from __future__ import annotations

import copy
import json
import threading
import time
import urllib.error
import urllib.request
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from roleplay.errors import ModelConnectionError
from roleplay.llm.base import ChatRequest, Message, ModelSettings, ResponseFormat
from roleplay.llm.openai import OpenAIChatModel
from roleplay.testing import Fault, OpenAICompatServer

SCHEMAS = Path(__file__).parent / "data" / "openai" / "chat-completions.schemas.json"
CASSETTES = Path(__file__).parent / "cassettes"
DOC_URI = "urn:openai:chat-completions"


def _fix_nullable(node: Any) -> Any:
    """OpenAPI 3.0 ``nullable: true`` -> JSON Schema ``anyOf [node, null]``."""
    if isinstance(node, list):
        return [_fix_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    fixed = {key: _fix_nullable(value) for key, value in node.items()}
    if fixed.pop("nullable", False) is True:
        return {"anyOf": [fixed, {"type": "null"}]}
    return fixed


@cache
def _registry() -> Registry:
    document = _fix_nullable(json.loads(SCHEMAS.read_text()))
    return Registry().with_resource(
        DOC_URI, Resource.from_contents(document, default_specification=DRAFT202012))


def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = {"$ref": f"{DOC_URI}#/components/schemas/{name}"}
    return jsonschema.Draft202012Validator(schema, registry=_registry())


def check(name: str, instance: Any) -> None:
    errors = sorted(validator(name).iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def test_the_nullable_fixup_is_needed_and_works():
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
             "choices": [{"index": 0, "delta": {"content": "Hi"}, "logprobs": None,
                          "finish_reason": None}]}
    check("CreateChatCompletionStreamResponse", chunk)
    raw = json.loads(SCHEMAS.read_text())
    unfixed = jsonschema.Draft202012Validator(
        {"$ref": f"{DOC_URI}#/components/schemas/CreateChatCompletionStreamResponse"},
        registry=Registry().with_resource(
            DOC_URI, Resource.from_contents(raw, default_specification=DRAFT202012)))
    assert not unfixed.is_valid(chunk)
    broken = copy.deepcopy(chunk)
    broken["choices"][0]["finish_reason"] = "finished"
    assert not validator("CreateChatCompletionStreamResponse").is_valid(broken)


def post(server: OpenAICompatServer, body: dict[str, Any]) -> tuple[int, str, bytes]:
    request = urllib.request.Request(
        server.base_url + "/chat/completions", data=json.dumps(body).encode(),
        headers={"content-type": "application/json", "authorization": "Bearer k"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers["content-type"], response.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.headers["content-type"], err.read()


def sse_events(data: bytes) -> list[str]:
    events = data.decode().split("\n\n")
    return [event[len("data: "):] for event in events if event.startswith("data: ")]


BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}


@pytest.mark.parametrize("fault", [None, Fault.length(), Fault.content_filter(),
                                   Fault.refuse()], ids=["stop", "length", "filter", "refusal"])
def test_json_responses_match_the_schema(openai_server, fault):
    if fault is not None:
        openai_server.add_faults(fault)
    openai_server.enqueue("Tell me about yourself.")

    status, content_type, data = post(openai_server, BODY)

    assert status == 200 and content_type == "application/json"
    body = json.loads(data)
    check("CreateChatCompletionResponse", body)
    assert body["id"].startswith("chatcmpl-") and body["object"] == "chat.completion"
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


@pytest.mark.parametrize(("include_usage", "stream_usage"),
                         [(True, True), (False, True), (True, False)])
def test_stream_chunks_match_the_schema(include_usage, stream_usage):
    with OpenAICompatServer(["Tell me about yourself."], stream_usage=stream_usage) as server:
        status, content_type, data = post(
            server, {**BODY, "stream": True, "stream_options": {"include_usage": include_usage}})

    assert status == 200 and content_type.startswith("text/event-stream")
    events = sse_events(data)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    for chunk in chunks:
        check("CreateChatCompletionStreamResponse", chunk)
        assert chunk["object"] == "chat.completion.chunk"
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "Tell me about yourself."
    with_usage = include_usage and stream_usage
    finish = chunks[-2] if with_usage else chunks[-1]
    assert finish["choices"][0]["finish_reason"] == "stop"
    if with_usage:
        assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] > 0
        assert all(c["usage"] is None for c in chunks[:-1])
    else:
        assert all("usage" not in c for c in chunks)


@pytest.mark.parametrize("fault", [
    Fault.rate_limit(retry_after=1), Fault.insufficient_quota(), Fault.server_error(503),
    Fault.http_error(401), Fault.http_error(404, code="model_not_found"),
], ids=["429", "quota", "503", "401", "404"])
def test_error_bodies_match_the_schema(openai_server, fault):
    openai_server.add_faults(fault)
    status, content_type, data = post(openai_server, BODY)
    assert status == fault.status_code and content_type == "application/json"
    check("ErrorResponse", json.loads(data))


def test_other_error_bodies_match_the_schema():
    with OpenAICompatServer(reject_json_schema=True, api_key="k") as server:
        schema_request = {**BODY, "response_format": {
            "type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}}
        results = [post(server, schema_request), post(server, BODY)]  # 400, then no reply left
        bad_path = urllib.request.Request(server.url + "/v1/nothing", data=b"{}")
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(bad_path, timeout=5)
        with info.value as err:
            results.append((err.code, err.headers["content-type"], err.read()))
    assert [status for status, _, _ in results] == [400, 500, 404]
    for _, _, data in results:
        check("ErrorResponse", json.loads(data))


def test_models_endpoint(openai_server):
    with urllib.request.urlopen(openai_server.base_url + "/models", timeout=5) as response:
        body = json.loads(response.read())
        assert response.headers["x-request-id"].startswith("req_")
    assert body["object"] == "list"
    assert all(m["object"] == "model" and m["id"] for m in body["data"])


def test_requests_the_sdk_sends_match_the_schema(openai_server):
    openai_server.enqueue("a", "b", {"score": 1}, {"score": 2})
    request = ChatRequest(
        messages=(Message(role="system", content="Interview me."),
                  Message(role="assistant", content="Why this job?"),
                  Message(role="user", content="Because.")),
        settings=ModelSettings(temperature=0.3, top_p=0.8, seed=1, max_tokens=64, timeout=10),
    )
    schema = {"type": "object", "properties": {"score": {"type": "integer"}},
              "required": ["score"], "additionalProperties": False}
    with OpenAIChatModel("gpt-4o-mini", base_url=openai_server.base_url, api_key="k",
                         max_tokens_param="max_completion_tokens") as model:
        model.complete(request)
        model.complete(request, on_delta=lambda _: None)
        model.complete(request.model_copy(update={"response_format": ResponseFormat(
            type="json_schema", name="Score", json_schema=schema)}))
        model.complete(request.model_copy(update={
            "response_format": ResponseFormat(type="json_object")}))

    bodies = [r.body for r in openai_server.chat_requests]
    assert len(bodies) == 4
    for body in bodies:
        check("CreateChatCompletionRequest", body)


def _cassette_chat_interactions() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(CASSETTES.rglob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        for number, interaction in enumerate(data.get("interactions") or []):
            if interaction["request"]["uri"].endswith("/chat/completions"):
                found.append((f"{path.relative_to(CASSETTES)}#{number}", interaction["response"]))
    return found


@pytest.mark.slow
def test_recorded_cassettes_match_the_schema():
    interactions = _cassette_chat_interactions()
    assert interactions, "no recorded chat completions found under tests/cassettes"
    for name, response in interactions:
        status = response["status"]["code"]
        headers = {k.lower(): v for k, v in response["headers"].items()}
        content_type = headers.get("content-type", [""])[0]
        body = response["body"]["string"]
        if status != 200:
            check("ErrorResponse", json.loads(body))
        elif content_type.startswith("text/event-stream"):
            events = sse_events(body.encode() if isinstance(body, str) else body)
            assert events[-1] == "[DONE]", name
            for event in events[:-1]:
                check("CreateChatCompletionStreamResponse", json.loads(event))
        else:
            check("CreateChatCompletionResponse", json.loads(body))


# -- the server itself ------------------------------------------------------------------------

def test_binds_loopback_on_an_ephemeral_port():
    with OpenAICompatServer() as first, OpenAICompatServer() as second:
        assert first.base_url == f"http://127.0.0.1:{first.port}/v1"
        assert first.port != second.port
    with pytest.raises(RuntimeError, match="not running"):
        _ = first.base_url


def test_concurrent_clients_each_get_a_distinct_reply():
    replies = [f"Question {n}?" for n in range(40)]
    with OpenAICompatServer(replies) as server, \
            OpenAIChatModel(base_url=server.base_url, api_key="k") as model:
        request = ChatRequest(messages=(Message(role="user", content="Next."),))
        got: list[str] = []
        lock = threading.Lock()

        def worker() -> None:
            for _ in range(5):
                text = model.complete(request).text
                with lock:
                    got.append(text)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(got) == sorted(replies)
        assert len(server.chat_requests) == 40 and server.remaining_replies == 0


def test_close_ends_a_hanging_request_and_recorded_headers_hold_no_secrets():
    server = OpenAICompatServer().start()
    server.add_faults(Fault.hang(60))
    errors: list[BaseException] = []

    def call() -> None:
        with OpenAIChatModel(base_url=server.base_url, api_key="sk-do-not-record",
                             max_attempts=1, timeout=60) as model:
            try:
                model.complete(ChatRequest(messages=(Message(role="user", content="Hi"),)))
            except BaseException as exc:
                errors.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    while not server.chat_requests:
        time.sleep(0.005)
    server.close()
    thread.join(timeout=10)

    assert not thread.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], ModelConnectionError)
    headers = server.chat_requests[0].headers
    assert "authorization" not in headers and "sk-do-not-record" not in str(headers)
