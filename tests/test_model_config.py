"""One configuration reader: explicit > the project's files > the environment > the defaults."""

from __future__ import annotations

import argparse
import asyncio

import pytest

from roleplay.cli._common import make_async_model
from roleplay.evals import default_model_resolver
from roleplay.llm import (
    DEFAULT_BASE_URL,
    DEFAULT_MODEL,
    AsyncOpenAIChatModel,
    ModelConfig,
    ModelSettings,
    OpenAIChatModel,
    build_model,
    read_config,
)
from roleplay.llm.openai import resolve_endpoint, resolve_model_name

ENV = {"ROLEPLAY_MODEL": "env-model", "ROLEPLAY_JUDGE_MODEL": "env-judge",
       "OPENAI_BASE_URL": "http://127.0.0.1:3/v1", "OPENAI_API_KEY": "env-key"}


def test_each_field_comes_from_the_most_specific_source_that_sets_it() -> None:
    explicit = ModelConfig(model="flag-model")
    project = ModelConfig(model="ini-model", base_url="http://127.0.0.1:2/v1")
    config = read_config(explicit, project, environ=ENV)
    assert config.model == "flag-model"
    assert config.base_url == "http://127.0.0.1:2/v1"  # the project's file beats the environment
    assert config.api_key == "env-key"
    assert read_config(environ=ENV).base_url == "http://127.0.0.1:3/v1"
    assert read_config(ModelConfig(base_url="http://127.0.0.1:1/v1"), project,
                       environ=ENV).base_url == "http://127.0.0.1:1/v1"


def test_unset_and_empty_values_fall_through_to_the_defaults() -> None:
    config = read_config(ModelConfig(model=""), environ={"ROLEPLAY_MODEL": "",
                                                         "OPENAI_BASE_URL": ""})
    assert (config.model, config.base_url, config.api_key) == (None, None, None)
    assert (config.model_name, config.url) == (DEFAULT_MODEL, DEFAULT_BASE_URL)


def test_the_judge_reads_its_own_variable() -> None:
    assert read_config(environ=ENV, judge=True).model == "env-judge"
    assert read_config(ModelConfig(model="ini-judge"), environ=ENV, judge=True).model == (
        "ini-judge")


def test_the_key_is_never_shown() -> None:
    assert "secret" not in repr(ModelConfig(api_key="secret"))


def test_the_adapters_resolve_through_the_same_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLEPLAY_MODEL", "env-model")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://user:pw@127.0.0.1:3/v1/")
    monkeypatch.setenv("OPENAI_API_KEY", "env-key")
    assert resolve_model_name() == "env-model" and resolve_model_name("given") == "given"
    assert resolve_endpoint() == "http://127.0.0.1:3/v1"
    with build_model(ModelConfig(settings=ModelSettings(seed=3), timeout=7)) as model:
        assert isinstance(model, OpenAIChatModel)
        assert (model.model_name, model.endpoint) == ("env-model", "http://127.0.0.1:3/v1")
        assert model.settings.seed == 3 and model.timeout == 7
    model = build_model(ModelConfig(model="m", base_url="http://127.0.0.1:4/v1",
                                    max_attempts=1), asynchronous=True)
    assert isinstance(model, AsyncOpenAIChatModel)
    assert (model.model_name, model.endpoint, model.policy.max_attempts) == (
        "m", "http://127.0.0.1:4/v1", 1)
    asyncio.run(model.aclose())


def test_the_cli_and_the_eval_runner_build_models_in_the_same_order(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:3/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "env-key")
    monkeypatch.setenv("ROLEPLAY_MODEL", "env-model")
    args = argparse.Namespace(model=None, base_url="http://127.0.0.1:5/v1", api_key=None,
                              temperature=None, seed=None, timeout=30.0)
    model = make_async_model(args)
    assert (model.model_name, model.endpoint, model.timeout) == (
        "env-model", "http://127.0.0.1:5/v1", 30.0)
    asyncio.run(model.aclose())
    resolve = default_model_resolver(timeout=9.0)
    judge = resolve("suite-judge")
    assert resolve.endpoint == judge.endpoint == "http://127.0.0.1:3/v1"  # type: ignore[attr-defined]
    assert judge.model_name == "suite-judge" and isinstance(judge, AsyncOpenAIChatModel)
    assert judge.timeout == 9.0
    asyncio.run(judge.aclose())
