"""Model configuration: one reader, one precedence order, one function that builds the model.

The model name, the endpoint and the key come from these sources, most specific first:

1. **Explicit**: a command-line flag (``--model``, ``--base-url``, ``--api-key``), an argument
   of ``@pytest.mark.roleplay(...)``, or an argument in Python.
2. **The project's files**: the pytest ini options (``roleplay_model``,
   ``roleplay_judge_model``, ``roleplay_base_url``) and a suite's ``judge.model``.
3. **The environment**: ``ROLEPLAY_MODEL`` (``ROLEPLAY_JUDGE_MODEL`` for the pytest plugin's
   judge), ``OPENAI_BASE_URL``, ``OPENAI_API_KEY``; an empty variable counts as unset.
4. **The defaults**: `DEFAULT_MODEL` at `DEFAULT_BASE_URL`; no key.

Files come before the environment because what they name is part of the project's results (a
cassette records the model name, a suite's baseline was measured with its judge), while the
environment belongs to one machine; for that reason ``roleplay eval`` takes its judge's name
only from ``--model`` or the suite, never from ``ROLEPLAY_MODEL``.

`read_config` applies the order and is the only reader of those variables;
`roleplay.llm.factory.build_model` turns
a configuration into an OpenAI-compatible model (the adapters' constructors read the
environment through `read_config` too).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace

from roleplay.llm.base import ModelSettings

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_MODEL", "ENV_API_KEY", "ENV_BASE_URL", "ENV_JUDGE_MODEL",
           "ENV_MODEL", "ModelConfig", "read_config"]

DEFAULT_MODEL = "gpt-4o-mini"
"""The model used when no source names one."""
DEFAULT_BASE_URL = "https://api.openai.com/v1"
"""OpenAI's API, used when no source names an endpoint."""
ENV_MODEL = "ROLEPLAY_MODEL"
"""The environment variable naming the model."""
ENV_JUDGE_MODEL = "ROLEPLAY_JUDGE_MODEL"
"""The environment variable naming the pytest plugin's judge model."""
ENV_BASE_URL = "OPENAI_BASE_URL"
"""The environment variable naming the endpoint."""
ENV_API_KEY = "OPENAI_API_KEY"
"""The environment variable holding the key."""


@dataclass(frozen=True)
class ModelConfig:
    """One source's model configuration, or the merged result; None or "" is "not set here"."""

    model: str | None = None
    """Model name."""
    base_url: str | None = None
    """OpenAI-compatible base URL."""
    api_key: str | None = field(default=None, repr=False)
    """API key (never shown)."""
    settings: ModelSettings | None = None
    """Default generation settings of every call."""
    timeout: float | None = None
    """Seconds one attempt may take (None: the adapter's default)."""
    max_attempts: int | None = None
    """Attempts per call, the first included (None: the adapter's retry policy)."""

    @property
    def model_name(self) -> str:
        """`model`, else `DEFAULT_MODEL`."""
        return self.model or DEFAULT_MODEL

    @property
    def url(self) -> str:
        """`base_url`, else `DEFAULT_BASE_URL`."""
        return self.base_url or DEFAULT_BASE_URL

    def fill(self, fallback: ModelConfig) -> ModelConfig:
        """This configuration with each unset field taken from ``fallback``."""
        # An empty string is unset too, as an empty environment variable or ``--model ""`` is.
        unset = {f.name: getattr(fallback, f.name) for f in fields(self)
                 if getattr(self, f.name) in (None, "")}
        return replace(self, **unset)


def _environment(environ: Mapping[str, str], *, judge: bool) -> ModelConfig:
    model = environ.get(ENV_JUDGE_MODEL if judge else ENV_MODEL) or None
    return ModelConfig(model=model, base_url=environ.get(ENV_BASE_URL) or None,
                       api_key=environ.get(ENV_API_KEY) or None)


def read_config(*layers: ModelConfig, judge: bool = False,
                environ: Mapping[str, str] | None = None) -> ModelConfig:
    """Merge ``layers`` (most specific first) over the environment, in the documented order.

    Unset fields stay None; `ModelConfig.model_name` and `ModelConfig.url` add the defaults.

    Args:
        layers: Explicit values first, then the project's files.
        judge: Read the judge's model variable (``ROLEPLAY_JUDGE_MODEL``) instead of
            ``ROLEPLAY_MODEL``; the caller falls back to the interviewer's model.
        environ: The environment (default: ``os.environ``).
    """
    merged = ModelConfig()
    for layer in layers:
        merged = merged.fill(layer)
    return merged.fill(_environment(os.environ if environ is None else environ, judge=judge))
