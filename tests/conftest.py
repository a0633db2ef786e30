"""Shared fixtures. The LLM seam is faked in-process or served by the local test server.

Cassettes (pytest-recording + vcrpy >= 8.2.1, which intercepts openai 3.x's httpx2 transport):

- ``pytest`` replays them (``--record-mode=none --block-network`` in pyproject's addopts).
- ``scripts/record`` re-records every ``@pytest.mark.vcr`` test with ``--record-mode=rewrite``:
  against api.openai.com when ``ROLEPLAY_RECORD_OPENAI_API_KEY`` is set, else against the local
  `OpenAICompatServer` (tests enqueue the replies it should give).
- Cassettes live in ``tests/cassettes/<group>/``; a test module picks its group with a
  module-level ``CASSETTE_GROUP = "adapter"`` (default: the module name).
- Requests match on method, path and body, never host or port (the local server's port changes).
- A test fails when its cassette has interactions it did not play.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from roleplay.llm.base import ModelSettings
from roleplay.llm.openai import AsyncOpenAIChatModel, OpenAIChatModel
from roleplay.testing import OpenAICompatServer

CASSETTES = Path(__file__).parent / "cassettes"
RECORD_KEY_ENV = "ROLEPLAY_RECORD_OPENAI_API_KEY"
DUMMY_API_KEY = "test-key-not-real"
OPENAI_BASE_URL = "https://api.openai.com/v1"
CASSETTE_MODEL = "gpt-4o-mini"

# Request headers that carry credentials or identify the recording machine.
_FILTER_HEADERS: list[Any] = [
    "authorization",
    "api-key",
    "openai-organization",
    "openai-project",
    "cookie",
    ("user-agent", "REDACTED"),
    "x-stainless-os",
    "x-stainless-arch",
    "x-stainless-runtime-version",
]
# Response headers never stored: account ids, cookies and per-request ids.
_DROP_RESPONSE_HEADERS = frozenset(
    {"set-cookie", "openai-organization", "openai-project", "x-request-id", "cf-ray"}
)


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers") or {}
    for name in list(headers):
        if name.lower() in _DROP_RESPONSE_HEADERS:
            del headers[name]
    return response


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    """VCR settings. Never sets record_mode: it would override --record-mode on the CLI."""
    return {
        "filter_headers": _FILTER_HEADERS,
        "filter_query_parameters": ["api-key", "key"],
        "before_record_response": _scrub_response,
        "decode_compressed_response": True,
        "match_on": ["method", "path", "body"],
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    """``tests/cassettes/<CASSETTE_GROUP or module name>``."""
    module = request.module
    group = getattr(module, "CASSETTE_GROUP", None) or module.__name__.rsplit(".", 1)[-1]
    return str(CASSETTES / group)


@pytest.fixture(autouse=True)
def _fail_on_unplayed_cassette(request: pytest.FixtureRequest, vcr: Any) -> Iterator[None]:
    """Fail a replaying test whose cassette still has interactions it never requested."""
    yield
    # write_protected: replaying (record mode "none", or "once" with an existing cassette).
    if vcr is None or not vcr.write_protected:
        return
    if not vcr.all_played:
        pytest.fail(
            f"{request.node.nodeid}: cassette {vcr.path} has {len(vcr)} interactions but only "
            f"{vcr.play_count} were played; re-record it with scripts/record",
            pytrace=False,
        )


@pytest.fixture
def openai_server() -> Iterator[OpenAICompatServer]:
    """A running local OpenAI-compatible server (127.0.0.1, ephemeral port)."""
    with OpenAICompatServer() as server:
        yield server


@dataclass(frozen=True)
class CassetteTarget:
    """Where cassette tests send requests when they record."""

    base_url: str
    api_key: str
    live: bool
    """True when recording against api.openai.com with a real key."""


@pytest.fixture
def cassette_target(openai_server: OpenAICompatServer) -> CassetteTarget:
    """api.openai.com with ``$ROLEPLAY_RECORD_OPENAI_API_KEY``, else the local server + dummy key.

    On replay (the default) nothing is contacted, whichever target is chosen.
    """
    key = os.environ.get(RECORD_KEY_ENV)
    if key:
        return CassetteTarget(OPENAI_BASE_URL, key, live=True)
    return CassetteTarget(openai_server.base_url, DUMMY_API_KEY, live=False)


def _cassette_kwargs(target: CassetteTarget) -> dict[str, Any]:
    return {
        "base_url": target.base_url,
        "api_key": target.api_key,
        # One attempt: a cassette mismatch fails at once and replay never sleeps.
        "max_attempts": 1,
        "timeout": 60,
        # Same request body whichever target recorded it, so every cassette replays on both.
        "max_tokens_param": "max_completion_tokens",
        "settings": ModelSettings(temperature=0, seed=7),
    }


@pytest.fixture
def cassette_model(cassette_target: CassetteTarget) -> Iterator[OpenAIChatModel]:
    """An `OpenAIChatModel` (gpt-4o-mini, temperature 0) for ``@pytest.mark.vcr`` tests."""
    with OpenAIChatModel(CASSETTE_MODEL, **_cassette_kwargs(cassette_target)) as model:
        yield model


@pytest.fixture
async def async_cassette_model(
    cassette_target: CassetteTarget,
) -> AsyncIterator[AsyncOpenAIChatModel]:
    """The async twin of `cassette_model`."""
    async with AsyncOpenAIChatModel(CASSETTE_MODEL, **_cassette_kwargs(cassette_target)) as model:
        yield model
