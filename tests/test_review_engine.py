"""Regression tests for defects found in review of the model layer and the engine."""

from __future__ import annotations

from pathlib import Path

import httpx2
import openai
import pytest
from pydantic import BaseModel

from roleplay.errors import ModelAPIError, TranscriptError
from roleplay.importing import load_transcript, parse_plain_text
from roleplay.llm.base import ChatRequest, Message
from roleplay.llm.openai import AsyncOpenAIChatModel, OpenAIChatModel
from roleplay.llm.structured import strict_schema

REQUEST = ChatRequest(messages=(Message(role="user", content="Hello"),))


def _client(body: str, content_type: str) -> openai.OpenAI:
    def handler(_: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, text=body, headers={"content-type": content_type})

    return openai.OpenAI(base_url="http://127.0.0.1:9/v1", api_key="k",
                         http_client=httpx2.Client(transport=httpx2.MockTransport(handler)))


@pytest.mark.parametrize(("body", "content_type"), [
    ("<html><body>Open WebUI</body></html>", "text/html"),  # base URL of a web page
    ("[]", "application/json"),
    ('"ok"', "application/json"),
    ('{"choices": [{}]}', "application/json"),
    ('{"choices": [{"index": 0, "message": null}]}', "application/json"),
])
def test_a_200_body_that_is_not_a_chat_completion_is_a_clear_error(body: str,
                                                                   content_type: str) -> None:
    client = _client(body, content_type)
    model = OpenAIChatModel("gpt-4o-mini", client=client, sleep=lambda _: None)
    with pytest.raises(ModelAPIError, match="127.0.0.1:9/v1") as info:
        model.complete(REQUEST)
    client.close()
    assert info.value.status_code == 200


async def test_async_a_200_html_body_is_a_clear_error() -> None:
    def handler(_: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, text="<html></html>", headers={"content-type": "text/html"})

    client = openai.AsyncOpenAI(
        base_url="http://127.0.0.1:9/v1", api_key="k",
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(handler)))
    model = AsyncOpenAIChatModel("gpt-4o-mini", client=client)
    with pytest.raises(ModelAPIError, match="127.0.0.1:9/v1"):
        await model.acomplete(REQUEST)
    await client.close()


def test_ipv6_endpoint_keeps_its_brackets() -> None:
    model = OpenAIChatModel("m", base_url="http://[::1]:8080/v1/", api_key="k")
    try:
        assert model.endpoint == "http://[::1]:8080/v1"
    finally:
        model.close()


def test_strict_schema_keeps_fields_named_title_and_default() -> None:
    class Article(BaseModel):
        title: str
        default: int
        body: str

    schema = strict_schema(Article)
    assert set(schema["properties"]) == {"title", "default", "body"}
    assert schema["required"] == ["title", "default", "body"]
    assert "title" not in schema["properties"]["title"]  # the schema's own title still goes


def test_a_plain_text_transcript_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("Interviewer: Hi.\nCandidate: Hello.\n", encoding="utf-8-sig")
    transcript = load_transcript(path)
    assert [t.speaker for t in transcript.turns] == ["interviewer", "candidate"]
    json_path = tmp_path / "t.json"
    json_path.write_text(transcript.to_json(), encoding="utf-8-sig")
    assert load_transcript(json_path).turns == transcript.turns


def test_a_transcript_that_is_not_utf8_is_a_transcript_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes("Interviewer: Hi.\nCandidate: I\u2019m here.\n".encode("cp1252"))
    with pytest.raises(TranscriptError, match="UTF-8"):
        load_transcript(path)


def test_a_continuation_line_starting_with_a_clock_time_is_not_a_speaker() -> None:
    transcript = parse_plain_text(
        "Interviewer: Tell me about your day.\nCandidate: Sure.\nAt 9:30 we had stand-up.")
    assert transcript.turns[1].text == "Sure.\nAt 9:30 we had stand-up."
    # A second recruiter of a panel is an interviewer who keeps their label as a name.
    panel = parse_plain_text("Interviewer: Hi.\nCandidate: Hello.\nRecruiter 2: Welcome.")
    assert [(t.speaker, t.name) for t in panel.turns][-1] == ("interviewer", "Recruiter 2")
