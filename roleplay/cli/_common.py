"""Options and helpers shared by the sub-commands."""

from __future__ import annotations

import argparse

from roleplay.llm.base import ModelSettings

__all__ = ["add_model_args", "make_async_model", "make_model"]


def add_model_args(parser: argparse.ArgumentParser) -> None:
    """Add ``--model``, ``--base-url`` and ``--api-key`` (each falls back to the environment)."""
    group = parser.add_argument_group("model endpoint")
    group.add_argument("--model", default=None,
                       help="model name (default: $ROLEPLAY_MODEL, else gpt-4o-mini)")
    group.add_argument("--base-url", default=None,
                       help="OpenAI-compatible base URL (default: $OPENAI_BASE_URL, else OpenAI)")
    group.add_argument("--api-key", default=None,
                       help="API key (default: $OPENAI_API_KEY); prefer the environment variable")
    group.add_argument("--temperature", type=float, default=None, help="sampling temperature")
    group.add_argument("--seed", type=int, default=None, help="sampling seed, where supported")
    # Local CPU servers can take minutes to read a long judge prompt.
    group.add_argument("--timeout", type=_seconds, default=120.0, metavar="SECONDS",
                       help="seconds one model call may take before it is retried or abandoned "
                       "(default 120; raise it for slow local servers)")


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {value!r}") from None
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return seconds


def _settings(args: argparse.Namespace) -> ModelSettings:
    return ModelSettings(temperature=args.temperature, seed=args.seed)


def _timeout(args: argparse.Namespace) -> float:
    # Namespaces built by hand (tests, --candidate-model) may predate the flag.
    timeout: float = getattr(args, "timeout", None) or 120.0
    return timeout


def make_model(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """Build the sync OpenAI-compatible model from flags and the environment."""
    from roleplay.llm.openai import OpenAIChatModel

    return OpenAIChatModel(args.model, base_url=args.base_url, api_key=args.api_key,
                           settings=_settings(args), timeout=_timeout(args))


def make_async_model(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """Build the async OpenAI-compatible model from flags and the environment."""
    from roleplay.llm.openai import AsyncOpenAIChatModel

    return AsyncOpenAIChatModel(args.model, base_url=args.base_url, api_key=args.api_key,
                                settings=_settings(args), timeout=_timeout(args))
