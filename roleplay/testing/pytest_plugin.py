"""The pytest plugin: test your own personas, prompts and rubrics in your own suite.

Installed with the package (entry point ``pytest11``) and inert until a test asks for one of
its fixtures or markers:

- ``roleplay_model``: an `OpenAIChatModel` for the interviewer and LLM candidates;
  ``roleplay_judge_model`` for the judge; ``roleplay_evaluator``: an `Evaluator` using it.
- A test that uses them records its calls to a cassette (``pytest-recording``: install
  ``roleplay-interviews[pytest]``) and replays it offline: ``pytest --record-mode=once``
  records once against the configured endpoint, plain ``pytest`` replays without a key or a
  network.
- ``roleplay_pass_k(trial, k=5, min_rate=0.8)`` runs a trial k times and asserts the pass
  rate; every pass^k result is listed in pytest's terminal summary.

Configuration, most specific first (the order of `roleplay.llm.config`, for every field):
``@pytest.mark.roleplay(model=..., judge_model=..., base_url=..., rubric=..., temperature=...,
seed=..., cassette=True)``; the ini options ``roleplay_model``, ``roleplay_judge_model``,
``roleplay_base_url``, ``roleplay_rubric``, ``roleplay_cassettes``; the environment
(``ROLEPLAY_MODEL``, ``ROLEPLAY_JUDGE_MODEL``, ``OPENAI_BASE_URL``); the key comes from
``OPENAI_API_KEY``. The judge model falls back to the interviewer's. Model names are part of
each recorded request, so set them in the project's pytest configuration rather than only in
the environment of the machine that records.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

__all__ = ["RoleplayTestConfig"]

_MODEL_FIXTURES = frozenset({"roleplay_model", "roleplay_judge_model", "roleplay_evaluator"})
_MARKER_KEYS = frozenset({"model", "judge_model", "base_url", "rubric", "temperature", "seed",
                          "cassette"})
_REPLAY_KEY = "replay-without-a-key"
_RESULTS = pytest.StashKey[list[Any]]()
_CALL_PASSED = pytest.StashKey[bool]()
_EXTRA_HINT = ("roleplay records model calls with pytest-recording: "
               'pip install "roleplay-interviews[pytest]" '
               "(or mark the test @pytest.mark.roleplay(cassette=False) to call the endpoint live)")


@dataclass(frozen=True)
class RoleplayTestConfig:
    """The model configuration a test runs with (see the module docstring for the sources)."""

    model: str
    """Interviewer and candidate model."""
    judge_model: str
    """Judge model."""
    base_url: str | None
    """Endpoint (None: the library's default, OpenAI's API)."""
    rubric: str | None
    """Rubric id or path for ``roleplay_evaluator`` (None: the shipped rubric)."""
    temperature: float
    """Sampling temperature of every call (default 0, for stable recordings)."""
    seed: int | None
    """Sampling seed of every call."""
    cassette: bool
    """Calls are recorded to / replayed from the test's cassette."""
    replaying: bool
    """Replaying a cassette (``--record-mode=none``): no key needed, no retries."""
    api_key: str | None = field(default=None, repr=False)
    """The key (never shown)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ``roleplay_*`` ini options."""
    parser.addini("roleplay_model", "model for the interviewer and candidates in roleplay tests")
    parser.addini("roleplay_judge_model", "judge model in roleplay tests (default: roleplay_model)")
    parser.addini("roleplay_base_url", "endpoint of roleplay tests (before OPENAI_BASE_URL)")
    parser.addini("roleplay_rubric", "rubric id or path for the roleplay_evaluator fixture")
    parser.addini("roleplay_cassettes", "record roleplay fixtures' calls to cassettes",
                  type="bool", default=True)


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``roleplay`` marker and the pass^k results list."""
    config.addinivalue_line(
        "markers", "roleplay(model=None, judge_model=None, base_url=None, rubric=None, "
        "temperature=0, seed=None, cassette=True): model configuration of roleplay's fixtures")
    config.stash[_RESULTS] = []


def _has_recording(config: pytest.Config) -> bool:
    return config.pluginmanager.hasplugin("recording")


def _wants_cassette(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("roleplay")
    if marker is not None and "cassette" in marker.kwargs:
        return bool(marker.kwargs["cassette"])
    return bool(item.config.getini("roleplay_cassettes"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Give every test that uses a roleplay model fixture its cassette."""
    if not _has_recording(config):
        return
    from roleplay.testing._cassettes import vcr_settings

    for item in items:
        if _MODEL_FIXTURES.isdisjoint(getattr(item, "fixturenames", ())) or not _wants_cassette(
                item):
            continue
        # Appended after any vcr marker of the test's own, which therefore wins on every key.
        item.add_marker(pytest.mark.vcr(**vcr_settings()), append=True)


@pytest.hookimpl(optionalhook=True)
def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:  # noqa: ARG001
    """Register the body matcher the roleplay cassettes use (vcrpy's own stays as it is)."""
    from roleplay.testing._cassettes import MATCHER_NAME, match_roleplay_body

    vcr.register_matcher(MATCHER_NAME, match_roleplay_body)


def _config(request: pytest.FixtureRequest) -> RoleplayTestConfig:
    marker = request.node.get_closest_marker("roleplay")
    given: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    unknown = sorted(set(given) - _MARKER_KEYS)
    if unknown:
        raise pytest.UsageError(f"{request.node.nodeid}: @pytest.mark.roleplay does not take "
                                f"{', '.join(unknown)}; it takes {', '.join(sorted(_MARKER_KEYS))}")
    ini = request.config.getini

    from roleplay.llm.config import ModelConfig, read_config

    # One order for every field (roleplay.llm.config): the marker, the ini file, the environment.
    config = read_config(
        ModelConfig(model=given.get("model"), base_url=given.get("base_url")),
        ModelConfig(model=ini("roleplay_model") or None,
                    base_url=ini("roleplay_base_url") or None))
    judge = read_config(ModelConfig(model=given.get("judge_model")),
                        ModelConfig(model=ini("roleplay_judge_model") or None), judge=True)
    cassette = _wants_cassette(request.node)
    replaying = cassette and _has_recording(request.config) and (
        request.getfixturevalue("record_mode") == "none")
    return RoleplayTestConfig(
        model=config.model_name,
        judge_model=judge.model or config.model_name,
        base_url=config.base_url,
        rubric=given.get("rubric") or ini("roleplay_rubric") or None,
        temperature=float(given.get("temperature", 0.0)),
        seed=given.get("seed"),
        cassette=cassette,
        replaying=replaying,
        api_key=config.api_key or (_REPLAY_KEY if replaying else None),
    )


@pytest.fixture
def roleplay_config(request: pytest.FixtureRequest) -> RoleplayTestConfig:
    """The resolved model configuration of this test."""
    return _config(request)


def _cassette(request: pytest.FixtureRequest, config: RoleplayTestConfig) -> Any:
    if not config.cassette:
        return None
    if not _has_recording(request.config):
        pytest.fail(f"{request.node.nodeid}: {_EXTRA_HINT}", pytrace=False)
    cassette = request.getfixturevalue("vcr")
    if config.replaying and cassette is not None and not os.path.exists(cassette._path):
        pytest.fail(
            f"{request.node.nodeid}: no cassette recorded yet at {cassette._path}. Record it once "
            "against a server: set OPENAI_BASE_URL and OPENAI_API_KEY (any placeholder for a "
            "local server) and run `pytest --record-mode=once`; later runs replay it offline.",
            pytrace=False)
    return cassette


def _check_played(request: pytest.FixtureRequest, cassette: Any) -> None:
    # After a failure the unplayed calls are a consequence, not news.
    if not request.node.stash.get(_CALL_PASSED, False):
        return
    if cassette is not None and cassette.write_protected and not cassette.all_played:
        pytest.fail(
            f"{request.node.nodeid}: cassette {cassette._path} has {len(cassette)} recorded "
            f"calls but only {cassette.play_count} were made: the interview took a shorter path "
            "than when it was recorded (a persona, prompt or rubric changed). Re-record it: "
            "`pytest --record-mode=rewrite` against a server.", pytrace=False)


def _open_model(config: RoleplayTestConfig, name: str) -> Any:
    from roleplay.llm.base import ModelSettings
    from roleplay.llm.config import ModelConfig
    from roleplay.llm.factory import build_model

    return build_model(ModelConfig(
        model=name, base_url=config.base_url, api_key=config.api_key,
        settings=ModelSettings(temperature=config.temperature, seed=config.seed),
        # Replaying, a request missing from the cassette fails at once instead of retrying.
        max_attempts=1 if config.replaying else None,
    ))


def _model_fixture(request: pytest.FixtureRequest, config: RoleplayTestConfig,
                   name: str) -> Iterator[Any]:
    cassette = _cassette(request, config)
    with _open_model(config, name) as model:
        yield model
    _check_played(request, cassette)


@pytest.fixture
def roleplay_model(request: pytest.FixtureRequest,
                   roleplay_config: RoleplayTestConfig) -> Iterator[Any]:
    """An `OpenAIChatModel` for the interviewer (and LLM candidates), recorded to a cassette."""
    yield from _model_fixture(request, roleplay_config, roleplay_config.model)


@pytest.fixture
def roleplay_judge_model(request: pytest.FixtureRequest,
                         roleplay_config: RoleplayTestConfig) -> Iterator[Any]:
    """An `OpenAIChatModel` for the judge, recorded to the test's cassette."""
    if "roleplay_model" in request.fixturenames and (
            roleplay_config.judge_model == roleplay_config.model):
        # One model object for both roles: one client, one played-calls check.
        yield request.getfixturevalue("roleplay_model")
        return
    yield from _model_fixture(request, roleplay_config, roleplay_config.judge_model)


@pytest.fixture
def roleplay_evaluator(roleplay_judge_model: Any, roleplay_config: RoleplayTestConfig) -> Any:
    """An `Evaluator` with ``roleplay_judge_model`` and the configured rubric."""
    from roleplay.evaluate import Evaluator
    from roleplay.rubric import load_rubric

    rubric = load_rubric(roleplay_config.rubric) if roleplay_config.rubric else None
    return Evaluator(rubric, judge_model=roleplay_judge_model)


@pytest.fixture
def roleplay_pass_k(request: pytest.FixtureRequest) -> Callable[..., Any]:
    """`roleplay.testing.pass_k`, named after the test and listed in the terminal summary."""
    from roleplay.testing._pass_k import pass_k

    results = request.config.stash[_RESULTS]

    def run(trial: Callable[[int], bool | None], *, k: int, min_rate: float = 1.0,
            name: str | None = None) -> Any:
        __tracebackhide__ = True
        return pass_k(trial, k=k, min_rate=min_rate, name=name or request.node.nodeid,
                      report=results.append)

    return run


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """List every pass^k result of the run."""
    results = config.stash.get(_RESULTS, [])
    if not results:
        return
    terminalreporter.section("roleplay pass^k")
    for result in results:
        terminalreporter.line(result.summary(), red=not result.ok, green=result.ok)


def _cassette_miss(exc: BaseException | None) -> BaseException | None:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if type(exc).__name__ == "CannotOverwriteExistingCassetteException":
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def _cassette_message(item: pytest.Item, miss: BaseException) -> str:
    """The plugin's own account of a call missing from the cassette, in place of vcrpy's."""
    from roleplay.testing._cassettes import MATCHER_NAME, match_roleplay_body

    # vcrpy names a failed matcher by its function's name, not the name it was registered under.
    ours = {MATCHER_NAME, match_roleplay_body.__name__}
    path = getattr(getattr(miss, "cassette", None), "_path", "the cassette")
    difference = None
    for _request, _matched, failed in getattr(miss, "similar_requests", None) or ():
        difference = next((str(text) for name, text in failed if name in ours), None)
        if difference:
            break
    if getattr(miss, "reason", "") == "already_played":
        what = "the same call was made more times than when it was recorded"
    elif difference:
        what = f"the request differs from the recorded one at {difference}"
    else:
        what = "no recorded call has this method and path"
    return (f"roleplay cassette: {item.nodeid}: a model call is not in {path}: {what}. If the "
            "change is intended (a persona, prompt, rubric or model name), re-record: "
            "`pytest --record-mode=rewrite` against a server.")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Replace a cassette miss's traceback (and vcrpy's advice) with one short message."""
    report = yield
    if report.when == "call":
        item.stash[_CALL_PASSED] = report.passed
    if call.excinfo is not None and not _MODEL_FIXTURES.isdisjoint(
            getattr(item, "fixturenames", ())):
        miss = _cassette_miss(call.excinfo.value)
        if miss is not None:
            # vcrpy's message (~170 lines of matchers and generic advice) and the SDK's
            # traceback around it bury the one line that matters: which field changed.
            report.longrepr = _cassette_message(item, miss)
    return report
