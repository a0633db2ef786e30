"""Options and helpers shared by the sub-commands."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from roleplay.cli._args import (
    concurrency_arg,
    positive_int_arg,
    seconds_arg,
    seed_arg,
    temperature_arg,
    usd_arg,
)
from roleplay.cli._reach import check_base_url, check_reachable
from roleplay.errors import ConfigError
from roleplay.evals.batch import BatchOptions
from roleplay.llm._limiter import DEFAULT_MAX_CONCURRENCY, DEFAULT_START_CONCURRENCY
from roleplay.llm.base import ModelSettings
from roleplay.llm.config import ModelConfig
from roleplay.llm.factory import build_model

if TYPE_CHECKING:
    from roleplay.llm.openai import AsyncOpenAIChatModel, OpenAIChatModel

__all__ = ["add_cost_args", "add_limit_args", "add_model_args", "batch_options",
           "concurrency_limits", "make_async_model",
           "make_model", "model_config", "positive_int_arg"]


def add_model_args(parser: argparse.ArgumentParser) -> None:
    """Add ``--model``, ``--base-url`` and ``--api-key`` (each falls back to the environment)."""
    group = parser.add_argument_group("model endpoint")
    group.add_argument("--model", default=None,
                       help="model name (default: $ROLEPLAY_MODEL, else gpt-4o-mini)")
    group.add_argument("--base-url", default=None,
                       help="OpenAI-compatible base URL (default: $OPENAI_BASE_URL, else OpenAI)")
    group.add_argument("--api-key", default=None,
                       help="API key (default: $OPENAI_API_KEY); prefer the environment variable")
    group.add_argument("--temperature", type=temperature_arg, default=None,
                       help="sampling temperature, 0 to 2")
    group.add_argument("--seed", type=seed_arg, default=None, help="sampling seed, where supported")
    # Local CPU servers can take minutes to read a long judge prompt.
    group.add_argument("--timeout", type=seconds_arg, default=120.0, metavar="SECONDS",
                       help="seconds one model call may take before it is retried or abandoned "
                       "(default 120; raise it for slow local servers)")


def add_limit_args(parser: argparse._ActionsContainer, *, batch_saved_in: str) -> None:
    """Add the concurrency and batch options that ``eval`` and bulk ``evaluate`` share.

    ``batch_saved_in`` says where the batch id is kept, so a re-run can resume the same job.
    """
    parser.add_argument("--concurrency", type=concurrency_arg, default=DEFAULT_START_CONCURRENCY,
                        metavar="N",
                        help="judge calls in flight at the start (default "
                        f"{DEFAULT_START_CONCURRENCY}: within the lowest hosted rate-limit tiers "
                        "for calls of a few seconds); the limit then adapts: +1 after 8 "
                        "successes, halved on a 429 or a timeout, paused for retry-after")
    parser.add_argument("--max-concurrency", type=concurrency_arg, default=None, metavar="N",
                        help=f"the most judge calls in flight (default {DEFAULT_MAX_CONCURRENCY}, "
                        "or --concurrency when that is higher); not below --concurrency")
    parser.add_argument("--fixed-concurrency", action="store_true",
                        help="keep the limit at --concurrency instead of adapting it")
    parser.add_argument("--batch", action="store_true",
                        help="send the judge calls as one Batch API job (OpenAI: half price, "
                        f"results within 24 h); its id is saved in {batch_saved_in}, so the same "
                        "command resumes it after a kill; failed or unrun lines and re-asks "
                        "after an invalid reply are made live")
    parser.add_argument("--poll-interval", type=seconds_arg, default=60.0, metavar="SECONDS",
                        help="the longest wait between two polls of a batch (default 60; "
                        "polls start after 1 s and grow by half)")


def add_cost_args(parser: argparse._ActionsContainer, *, what: str, unit: str) -> None:
    """Add ``--estimate`` and ``--max-cost``, which ``eval`` and ``mutate`` share.

    ``what`` is the work the estimate covers ("judging"); ``unit`` is what ``--max-cost`` stops
    before starting ("a case").
    """
    parser.add_argument("--estimate", action="store_true",
                        help=f"print calls, tokens and expected cost, then exit without {what}")
    parser.add_argument("--max-cost", type=usd_arg, default=None, metavar="USD",
                        help=f"stop before starting {unit} that would take the run over USD")


def concurrency_limits(args: argparse.Namespace) -> tuple[int, int]:
    """``--concurrency`` and ``--max-concurrency`` (the default most raised to the start).

    Raises:
        ConfigError: the start is above an explicit ``--max-concurrency``.
    """
    start: int = args.concurrency
    most: int | None = args.max_concurrency
    if most is None:
        return start, max(DEFAULT_MAX_CONCURRENCY, start)
    if start > most:
        raise ConfigError(f"--concurrency {start} is above --max-concurrency {most}: the limit "
                          "starts at --concurrency and never exceeds --max-concurrency; lower "
                          "the one or raise the other", field="--concurrency")
    return start, most


def batch_options(args: argparse.Namespace, **extra: Any) -> BatchOptions | None:
    """The `BatchOptions` that `add_limit_args`' flags ask for, or None without ``--batch``."""
    if not args.batch:
        return None
    return BatchOptions(first_poll=min(1.0, args.poll_interval), max_poll=args.poll_interval,
                        **extra)


def _settings(args: argparse.Namespace) -> ModelSettings:
    return ModelSettings(temperature=args.temperature, seed=args.seed)


def _timeout(args: argparse.Namespace) -> float:
    # Namespaces built by hand (tests, --candidate-model) may predate the flag.
    timeout: float = getattr(args, "timeout", None) or 120.0
    return timeout


def model_config(args: argparse.Namespace) -> ModelConfig:
    """The explicit layer of the model configuration: `add_model_args`' flags."""
    return ModelConfig(model=args.model, base_url=args.base_url, api_key=args.api_key,
                       settings=_settings(args), timeout=_timeout(args))


def make_model(args: argparse.Namespace) -> OpenAIChatModel:
    """Build the sync OpenAI-compatible model from flags and the environment."""
    check_base_url(args.base_url)
    model = build_model(model_config(args))
    try:
        # After the key check, so a missing key is named first.
        check_reachable(args.base_url)
    except BaseException:
        model.close()
        raise
    return model


def make_async_model(args: argparse.Namespace) -> AsyncOpenAIChatModel:
    """Build the async OpenAI-compatible model from flags and the environment."""
    check_base_url(args.base_url)
    return build_model(model_config(args), asynchronous=True)
