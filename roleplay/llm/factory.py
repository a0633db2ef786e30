"""Build the OpenAI-compatible model a `ModelConfig` describes.

Kept apart from `roleplay.llm.config` (which the adapter itself reads), so that module stays
below the adapter and the SDK is imported only when a model is really built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, overload

from roleplay.llm.config import ModelConfig

if TYPE_CHECKING:
    from roleplay.llm.openai import AsyncOpenAIChatModel, OpenAIChatModel

__all__ = ["build_model"]


@overload
def build_model(config: ModelConfig, *, asynchronous: Literal[False] = False) -> OpenAIChatModel:
    ...


@overload
def build_model(config: ModelConfig, *, asynchronous: Literal[True]) -> AsyncOpenAIChatModel:
    ...


def build_model(config: ModelConfig, *,
                asynchronous: bool = False) -> OpenAIChatModel | AsyncOpenAIChatModel:
    """The OpenAI-compatible model ``config`` describes (sync, or async with ``asynchronous``).

    Fields ``config`` leaves unset come from the environment, then the defaults (see the
    module docstring); the CLI, the eval runner and the pytest plugin all build models here.

    Raises:
        MissingAPIKeyError: no key was given or found.
        ConfigError: a non-positive timeout.
    """
    # Imported here: the SDK is loaded only when a model is really built.
    from roleplay.llm.openai import AsyncOpenAIChatModel, OpenAIChatModel

    options: dict[str, Any] = {}
    if config.timeout is not None:
        options["timeout"] = config.timeout
    if config.max_attempts is not None:
        options["max_attempts"] = config.max_attempts
    cls = AsyncOpenAIChatModel if asynchronous else OpenAIChatModel
    return cls(config.model, base_url=config.base_url, api_key=config.api_key,
               settings=config.settings, **options)
