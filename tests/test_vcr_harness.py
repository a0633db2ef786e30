"""Cassette tests of the adapter, plus the harness's own guards (canary, secret scan, unplayed).

The ``@pytest.mark.vcr`` tests replay ``tests/cassettes/adapter/*.yaml``. ``scripts/record``
re-records them against api.openai.com (with ``ROLEPLAY_RECORD_OPENAI_API_KEY``) or against
the local server, whose scripted replies are enqueued below; assertions hold for both.
"""

from __future__ import annotations

import os
import re
import textwrap
import urllib.request
from pathlib import Path

import pytest
import vcr
from pydantic import BaseModel, Field
from vcr.errors import CannotOverwriteExistingCassetteException

from roleplay.errors import OutputTruncatedError
from roleplay.llm.base import ChatRequest, Message, ModelSettings, ResponseFormat
from roleplay.llm.openai import AsyncOpenAIChatModel, OpenAIChatModel
from roleplay.llm.structured import FormatMemory, complete_structured
from roleplay.testing import Fault, OpenAICompatServer

pytest_plugins = ["pytester"]

CASSETTE_GROUP = "adapter"
CASSETTES = Path(__file__).parent / "cassettes"
DUMMY_API_KEY = "test-key-not-real"


def ask(text: str, system: str = "You are a concise assistant.") -> ChatRequest:
    return ChatRequest(messages=(Message(role="system", content=system),
                                 Message(role="user", content=text)))


CAPITAL = ask("What is the capital of France? Answer with the city name only.")


@pytest.mark.vcr
def test_plain_completion(cassette_model, openai_server):
    openai_server.enqueue("Paris")

    response = cassette_model.complete(CAPITAL)

    assert "Paris" in response.text
    assert response.finish_reason == "stop"
    assert response.usage_reported and response.usage.prompt_tokens > 0
    assert response.model.startswith("gpt-4o-mini")


@pytest.mark.vcr
def test_streaming_completion_with_usage(cassette_model, openai_server):
    openai_server.enqueue("One, two, three, four, five.")
    deltas: list[str] = []

    response = cassette_model.complete(
        ask("Count from one to five in words, comma separated."), on_delta=deltas.append)

    assert len(deltas) > 1 and "".join(deltas) == response.text
    assert "three" in response.text.lower()
    assert response.usage_reported and response.usage.completion_tokens > 0


@pytest.mark.vcr
async def test_async_completion_and_stream(async_cassette_model: AsyncOpenAIChatModel,
                                           openai_server):
    openai_server.enqueue("Paris", "Berlin")

    plain = await async_cassette_model.acomplete(CAPITAL)
    streamed = [d async for d in async_cassette_model.astream(
        ask("What is the capital of Germany? Answer with the city name only."))]

    assert "Paris" in plain.text
    assert "Berlin" in "".join(streamed)


class Verdict(BaseModel):
    reason: str
    score: int = Field(ge=1, le=5)


GRADE = ask(
    "Grade this interview answer from 1 to 5 and give a one-sentence reason: 'I led the "
    "migration of our billing system to Postgres, cutting invoice errors by 40% in a quarter.'",
    system="You grade interview answers.",
)


@pytest.mark.vcr
def test_structured_output_with_json_schema(cassette_model, openai_server):
    openai_server.enqueue({"reason": "Specific action and a measured result.", "score": 4})

    result = complete_structured(cassette_model, GRADE, Verdict, memory=FormatMemory())

    assert result.format == "json_schema" and result.attempts == 1
    assert 1 <= result.output.score <= 5 and result.output.reason


@pytest.mark.vcr
def test_json_object_mode(cassette_model, openai_server):
    openai_server.enqueue('{"city": "Paris"}')
    request = ask("Return a JSON object with one key, city, holding the capital of France.")

    response = cassette_model.complete(
        request.model_copy(update={"response_format": ResponseFormat(type="json_object")}))

    assert '"Paris"' in response.text


@pytest.mark.vcr
def test_truncated_reply_raises(cassette_model, openai_server):
    openai_server.add_faults(Fault.length())
    openai_server.enqueue("1, 2, 3")
    request = ask("Count from 1 to 50, comma separated.")

    with pytest.raises(OutputTruncatedError) as info:
        cassette_model.complete(request.model_copy(
            update={"settings": ModelSettings(max_tokens=5)}))

    assert info.value.raw and info.value.raw.startswith("1")


# -- canary: a transport VCR does not see would make every cassette test hit the network ------

def _empty_cassette(tmp_path: Path) -> str:
    path = tmp_path / "empty.yaml"
    path.write_text("interactions: []\nversion: 1\n")
    return str(path)


def test_canary_unrecorded_sync_call_is_refused_before_the_network(openai_server, tmp_path):
    with vcr.VCR(record_mode="none").use_cassette(_empty_cassette(tmp_path)), \
            OpenAIChatModel(base_url=openai_server.base_url, api_key=DUMMY_API_KEY,
                            max_attempts=1) as model:
        with pytest.raises(CannotOverwriteExistingCassetteException):
            model.complete(CAPITAL)
        with pytest.raises(CannotOverwriteExistingCassetteException):
            model.complete(CAPITAL, on_delta=lambda _: None)
    assert openai_server.requests == []


async def test_canary_unrecorded_async_call_is_refused_before_the_network(openai_server,
                                                                           tmp_path):
    with vcr.VCR(record_mode="none").use_cassette(_empty_cassette(tmp_path)):
        async with AsyncOpenAIChatModel(base_url=openai_server.base_url, api_key=DUMMY_API_KEY,
                                        max_attempts=1) as model:
            with pytest.raises(CannotOverwriteExistingCassetteException):
                await model.acomplete(CAPITAL)
    assert openai_server.requests == []


# -- secret scan ------------------------------------------------------------------------------

_LEAKS = [
    re.compile(r"^\s*-?\s*['\"]?(authorization|api-key|cookie|set-cookie|openai-organization|"
               r"openai-project)['\"]?\s*:", re.IGNORECASE | re.MULTILINE),
    re.compile(r"Bearer\s", re.IGNORECASE),
    re.compile(r"\bsk-[A-Za-z0-9_-]{8,}"),
    re.compile(r"\borg-[A-Za-z0-9]{8,}"),
    re.compile(r"\bproj_[A-Za-z0-9]{8,}"),
    re.compile(r"__cf_bm"),
]


def leaks(text: str) -> list[str]:
    found = [m.group(0) for pattern in _LEAKS for m in pattern.finditer(text)]
    secrets = [DUMMY_API_KEY, os.environ.get("ROLEPLAY_RECORD_OPENAI_API_KEY") or ""]
    return found + [s for s in secrets if s and s in text]


def test_secret_scan_detects_an_unfiltered_recording():
    # Built from parts so that this file, which lives beside the cassettes, holds no key-shaped
    # literal for other secret scanners to flag.
    fake_key = "sk-" + "proj-abcdefghijklmnop"
    unfiltered = textwrap.dedent(f"""\
        - request:
            headers:
              authorization:
              - Bearer {fake_key}
              cookie:
              - __cf_bm=xyz
          response:
            headers:
              openai-organization:
              - org-abcdefghijklmnop
              Set-Cookie:
              - a=b
        """)
    assert len(leaks(unfiltered)) >= 6
    assert leaks(f"api_key: {DUMMY_API_KEY}")


def test_no_cassette_holds_secrets_or_account_ids():
    files = [p for p in CASSETTES.rglob("*") if p.is_file()]
    assert files, "no cassettes recorded"
    found = {str(p.relative_to(CASSETTES)): hits for p in files if (hits := leaks(p.read_text()))}
    assert found == {}


# -- the unplayed-interaction guard in conftest -----------------------------------------------

_TWO_MODEL_LISTINGS = """\
interactions:
{entries}
version: 1
"""
_ENTRY = """\
- request:
    body: null
    headers: {{}}
    method: GET
    uri: http://127.0.0.1:9/v1/models
  response:
    body:
      string: '{{"object": "list", "data": [{{"id": "m{n}", "object": "model"}}]}}'
    headers:
      content-type:
      - application/json
    status:
      code: 200
      message: OK
"""


def test_a_cassette_with_unplayed_interactions_fails_its_test(pytester: pytest.Pytester):
    pytester.makeconftest((Path(__file__).parent / "conftest.py").read_text())
    cassette_dir = pytester.path / "cassettes" / "test_inner"
    cassette_dir.mkdir(parents=True)
    cassette = _TWO_MODEL_LISTINGS.format(entries="".join(_ENTRY.format(n=n) for n in (1, 2)))
    for name in ("test_plays_one", "test_plays_both"):
        (cassette_dir / f"{name}.yaml").write_text(cassette)
    pytester.makepyfile(test_inner="""
        import urllib.request
        import pytest

        def fetch():
            with urllib.request.urlopen("http://127.0.0.1:9/v1/models") as response:
                return response.read()

        @pytest.mark.vcr
        def test_plays_one():
            assert b"m1" in fetch()

        @pytest.mark.vcr
        def test_plays_both():
            assert b"m1" in fetch() and b"m2" in fetch()
    """)

    result = pytester.runpytest_inprocess(
        "--record-mode=none", "--block-network", "-p", "no:cacheprovider",
        "-o", "asyncio_default_fixture_loop_scope=function")

    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*test_plays_one*2 interactions but only 1 were played*"])


def test_the_local_server_sends_what_the_filters_must_remove():
    # Recordings made against the local server exercise every filter the real API needs.
    with OpenAICompatServer() as server, \
            urllib.request.urlopen(server.base_url + "/models", timeout=5) as response:
        names = {name.lower() for name in response.headers}
    assert {"set-cookie", "openai-organization", "openai-project", "x-request-id",
            "cf-ray"} <= names
