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
- Bodies match ignoring only the judge's per-call delimiter nonce (`body_ignoring_judge_nonce`).
- `role_cassettes` binds models to named cassettes, so one test can keep each role's calls
  (interviewer, candidate, judge) in its own file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import vcr as vcr_module
from vcr import matchers as vcr_matchers
from vcr.cassette import Cassette
from vcr.patch import CassettePatcherBuilder
from vcr.request import Request as VcrRequest
from vcr.util import read_body

from roleplay.llm.base import ModelSettings
from roleplay.llm.openai import AsyncOpenAIChatModel, OpenAIChatModel
from roleplay.testing import OpenAICompatServer
from roleplay.testing._cassettes import (
    FILTER_HEADERS,
    mask_judge_nonce,
    mask_multipart_boundary,
    scrub_response,
)

CASSETTES = Path(__file__).parent / "cassettes"
RECORD_KEY_ENV = "ROLEPLAY_RECORD_OPENAI_API_KEY"
DUMMY_API_KEY = "test-key-not-real"
OPENAI_BASE_URL = "https://api.openai.com/v1"
CASSETTE_MODEL = "gpt-4o-mini"

@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    """VCR settings. Never sets record_mode: it would override --record-mode on the CLI."""
    return {
        "filter_headers": list(FILTER_HEADERS),
        "filter_query_parameters": ["api-key", "key"],
        "before_record_response": scrub_response,
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


@pytest.fixture(autouse=True)
def _own_cache_dir(monkeypatch: pytest.MonkeyPatch,
                   tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every test gets its own judge cache folder (``roleplay evaluate`` caches by default).

    Without it, in-process CLI runs would share ``./.roleplay-cache`` across tests (one test's
    cached reply answering another's call) and write into the checkout.
    """
    monkeypatch.setenv("ROLEPLAY_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


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


# -- the judge's delimiter nonce, and cassettes per role ---------------------------------------
#
# The judge wraps the transcript in a per-call random delimiter (``<transcript-{16 hex}>``, also
# named on the user message's second line and in ``<facts-{16 hex}>``), so its request body
# differs on every run. Production keeps it random; on replay the body matcher
# treats two requests that differ only in that nonce as the same request. Everything else in the
# body still has to match byte for byte (as JSON).

def _mask_judge_nonce(request: Any) -> Any:
    body = read_body(request)
    if not body:
        return request
    text = body.decode("utf-8", errors="surrogateescape") if isinstance(body, bytes) else body
    masked = mask_multipart_boundary(mask_judge_nonce(text))
    if masked == text:
        return request
    return VcrRequest(request.method, request.uri,
                      masked.encode("utf-8", errors="surrogateescape"), request.headers)


def body_ignoring_judge_nonce(r1: Any, r2: Any) -> None:
    """vcrpy's ``body`` matcher, blind to the judge's delimiter nonce and multipart boundaries."""
    vcr_matchers.body(_mask_judge_nonce(r1), _mask_judge_nonce(r2))


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    """Every VCR (pytest-recording's and `role_cassettes`') matches bodies this way."""
    vcr.register_matcher("body", body_ignoring_judge_nonce)


@pytest.fixture
def make_cassette_model(cassette_target: CassetteTarget) -> Iterator[Callable[[], OpenAIChatModel]]:
    """Builds more models configured like `cassette_model` (closed after the test)."""
    models: list[OpenAIChatModel] = []

    def make() -> OpenAIChatModel:
        models.append(OpenAIChatModel(CASSETTE_MODEL, **_cassette_kwargs(cassette_target)))
        return models[-1]

    yield make
    for model in models:
        model.close()


class CassetteBound:
    """A `ChatModel` whose every call is recorded to / replayed from one cassette.

    Several models (or one model several times) can be bound to different cassettes within one
    test; each call switches to its own cassette, so one interview can keep the interviewer's and
    the candidate's requests in separate files. Calls must not overlap (sync use only).
    """

    def __init__(self, model: Any, cassette: Any) -> None:
        self.model = model
        self.cassette = cassette

    @property
    def model_name(self) -> str:
        return str(self.model.model_name)

    @property
    def endpoint(self) -> str:
        return str(self.model.endpoint)

    def complete(self, request: Any, *, on_delta: Any = None) -> Any:
        with contextlib.ExitStack() as stack:
            for patcher in CassettePatcherBuilder(self.cassette).build():
                stack.enter_context(patcher)
            return self.model.complete(request, on_delta=on_delta)


class RoleCassettes:
    """Opens cassettes by name under tests/cassettes and binds models to them."""

    def __init__(self, request: pytest.FixtureRequest, stack: contextlib.ExitStack,
                 record_mode: str, config: dict[str, Any]) -> None:
        self._request = request
        self._stack = stack
        self._record_mode = record_mode
        self._config = config
        self.cassettes: dict[str, Any] = {}

    def cassette(self, name: str) -> Any:
        """The cassette ``tests/cassettes/<name>.yaml``, opened on first use."""
        if name not in self.cassettes:
            path = CASSETTES / f"{name}.yaml"
            mode = self._record_mode
            if mode == "rewrite":  # as pytest-recording does it
                path.unlink(missing_ok=True)
                mode = "new_episodes"
            recorder = vcr_module.VCR(record_mode=mode)
            self._request.config.hook.pytest_recording_configure(
                config=self._request.config, vcr=recorder)
            # Loaded without installing its patches: only `CassetteBound` calls reach it, so a
            # stray request still meets the test's default cassette (and fails on replay).
            config = recorder.get_merged_config(path=str(path), **self._config)
            for key in ("path_transformer", "func_path_generator", "record_on_exception"):
                config.pop(key, None)
            cassette = Cassette.load(**config)
            self._stack.callback(cassette._save)  # what vcrpy's use_cassette does on exit
            self.cassettes[name] = cassette
        return self.cassettes[name]

    def bind(self, model: Any, name: str) -> CassetteBound:
        """``model`` with every call recorded to / replayed from cassette ``name``."""
        return CassetteBound(model, self.cassette(name))

    def recorded_locally(self, name: str) -> bool:
        """Whether every response in cassette ``name`` came from the local test server.

        The scripted responders behave in known ways; tests assert those behaviours only on
        such recordings (a recording against api.openai.com is checked for structure only).
        """
        responses = self.cassette(name).responses
        return bool(responses) and all(
            (r.get("headers") or {}).get("server") == [LOCAL_SERVER_HEADER] for r in responses)


LOCAL_SERVER_HEADER = "roleplay-openai-compat/1"


@pytest.fixture
def role_cassettes(request: pytest.FixtureRequest, vcr: Any, vcr_config: dict[str, Any],
                   record_mode: str) -> Iterator[RoleCassettes]:
    """Cassettes named per role (``interviewer/<test>``, ``judge/<test>`` ...) for one test.

    The test must be marked ``@pytest.mark.vcr`` (so ``scripts/record`` selects it and the
    network is open while recording). Replaying, a cassette with unplayed interactions fails
    the test, like the default cassette.
    """
    if vcr is None:
        raise pytest.UsageError("role_cassettes needs a @pytest.mark.vcr test")
    with contextlib.ExitStack() as stack:
        cassettes = RoleCassettes(request, stack, record_mode, vcr_config)
        yield cassettes
        unplayed = [f"{c._path} has {len(c)} interactions but only {c.play_count} were played"
                    for c in cassettes.cassettes.values() if c.write_protected and not c.all_played]
    if unplayed:
        pytest.fail(f"{request.node.nodeid}: " + "; ".join(unplayed)
                    + "; re-record with scripts/record", pytrace=False)
