"""Offline token accounting: shipped tiktoken encodings, message counting, cost estimates.

tiktoken normally downloads its encodings on first use, which fails offline and on locked-down
CI. `roleplay` ships ``o200k_base`` and ``cl100k_base`` as package data, checks their sha256 on
load and builds the `tiktoken.Encoding` directly, so counting never touches the network.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Literal, Protocol

import tiktoken
from pydantic import BaseModel, ConfigDict

from roleplay.errors import ConfigError
from roleplay.types import Message, Usage

__all__ = [
    "DEFAULT_PRICES",
    "EncodingName",
    "Price",
    "PriceTable",
    "TiktokenCounter",
    "TokenCounter",
    "count_messages",
    "count_text",
    "encoding_for_model",
    "encoding_name_for_model",
    "estimate_cost",
]

log = logging.getLogger(__name__)

EncodingName = Literal["o200k_base", "cl100k_base"]

# sha256 of the shipped files; identical to tiktoken's own expected_hash values.
_SHA256: dict[str, str] = {
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
}

# Patterns and special tokens as in tiktoken_ext/openai_public.py (tiktoken 0.14).
_CL100K_PAT = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_O200K_PAT = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
_SPECIAL: dict[str, dict[str, int]] = {
    "cl100k_base": {
        "<|endoftext|>": 100257,
        "<|fim_prefix|>": 100258,
        "<|fim_middle|>": 100259,
        "<|fim_suffix|>": 100260,
        "<|endofprompt|>": 100276,
    },
    "o200k_base": {"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
}
_PATTERNS = {"cl100k_base": _CL100K_PAT, "o200k_base": _O200K_PAT}

# Prefixes in the order tiktoken's model map checks them; anything else falls back to o200k.
_CL100K_PREFIXES = ("gpt-4-", "gpt-3.5-turbo", "gpt-35-turbo", "text-embedding-ada-002",
                    "text-embedding-3-")
_CL100K_EXACT = {"gpt-4", "gpt-3.5-turbo", "gpt-35-turbo"}


def _load_ranks(name: str) -> dict[bytes, int]:
    import base64

    data = (
        resources.files("roleplay").joinpath("data").joinpath("tiktoken").joinpath(f"{name}.tiktoken")
    ).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != _SHA256[name]:
        raise ConfigError(
            f"the shipped encoding file {name}.tiktoken is corrupt (sha256 {digest}, expected "
            f"{_SHA256[name]}); reinstall roleplay"
        )
    ranks: dict[bytes, int] = {}
    for line in data.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


@functools.cache
def get_encoding(name: EncodingName) -> tiktoken.Encoding:
    """The tiktoken encoding ``name``, built from the shipped, hash-checked file."""
    if name not in _SHA256:
        raise ConfigError(f"unknown encoding {name!r}; known: {sorted(_SHA256)}")
    return tiktoken.Encoding(
        name=name,
        pat_str=_PATTERNS[name],
        mergeable_ranks=_load_ranks(name),
        special_tokens=_SPECIAL[name],
    )


@functools.lru_cache(maxsize=256)
def encoding_name_for_model(model: str) -> EncodingName:
    """Map a model name to its encoding, falling back to ``o200k_base`` for unknown names.

    Local and proxied names (``llama3.1:8b``, ``openai/gpt-4o``, Azure deployment names) are not
    in tiktoken's map; their counts are estimates either way, and o200k is the current default.
    """
    base = model.rsplit("/", 1)[-1].lower()
    if base in _CL100K_EXACT or base.startswith(_CL100K_PREFIXES):
        return "cl100k_base"
    known = ("gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4", "chatgpt-4o")
    if not base.startswith(known):
        log.info("no known encoding for model %r; counting with o200k_base", model)
    return "o200k_base"


def encoding_for_model(model: str) -> tiktoken.Encoding:
    """The encoding for ``model`` (see `encoding_name_for_model`)."""
    return get_encoding(encoding_name_for_model(model))


_MEMO_MAX_CHARS = 16_000


@functools.lru_cache(maxsize=2048)
def _count_memo(encoding: EncodingName, text: str) -> int:
    return len(get_encoding(encoding).encode(text, disallowed_special=()))


def _count(encoding: EncodingName, text: str) -> int:
    # Interviews re-send the same system prompt and history every turn; memoising per text
    # makes counting a growing conversation linear instead of quadratic. Long one-off texts
    # (whole judge prompts, each with its own nonce) bypass the memo to bound its memory.
    if len(text) > _MEMO_MAX_CHARS:
        return len(get_encoding(encoding).encode(text, disallowed_special=()))
    return _count_memo(encoding, text)


def count_text(text: str, model: str = "gpt-4o") -> int:
    """Tokens in ``text``; special-token strings in untrusted text are counted as plain text."""
    return _count(encoding_name_for_model(model), text)


def count_messages(messages: Iterable[Message | Mapping[str, str]], model: str = "gpt-4o") -> int:
    """Prompt tokens of a chat request by OpenAI's cookbook rule (an estimate off OpenAI).

    3 tokens per message, the encoded length of every value, +1 when a ``name`` is present, and
    3 for the primed reply.
    """
    encoding = encoding_name_for_model(model)
    total = 3
    for message in messages:
        fields: Mapping[str, object] = (
            {"role": message.role, "content": message.content}
            if isinstance(message, Message)
            else message
        )
        total += 3
        for key, value in fields.items():
            if value is None:
                continue
            total += _count(encoding, str(value))
            if key == "name":
                total += 1
    return total


class TokenCounter(Protocol):
    """Counts tokens; inject a trivial one in unit tests."""

    def count_text(self, text: str) -> int:
        """Tokens in ``text``."""
        ...

    def count_messages(self, messages: Iterable[Message]) -> int:
        """Prompt tokens of ``messages`` as one request."""
        ...


class TiktokenCounter:
    """A `TokenCounter` using the shipped encoding for ``model``."""

    def __init__(self, model: str = "gpt-4o") -> None:
        self.model = model

    def count_text(self, text: str) -> int:
        """Tokens in ``text``."""
        return count_text(text, self.model)

    def count_messages(self, messages: Iterable[Message]) -> int:
        """Prompt tokens of ``messages`` as one request."""
        return count_messages(messages, self.model)


class Price(BaseModel):
    """USD per million tokens."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input: float
    """Per million prompt tokens."""
    output: float
    """Per million completion tokens."""
    cached_input: float | None = None
    """Per million cached prompt tokens (defaults to ``input``)."""


PriceTable = Mapping[str, Price]

# Public list prices (USD / 1M tokens); override with your own table for other models or dates.
DEFAULT_PRICES: dict[str, Price] = {
    "gpt-4o": Price(input=2.50, output=10.00, cached_input=1.25),
    "gpt-4o-mini": Price(input=0.15, output=0.60, cached_input=0.075),
    "gpt-4.1": Price(input=2.00, output=8.00, cached_input=0.50),
    "gpt-4.1-mini": Price(input=0.40, output=1.60, cached_input=0.10),
    "gpt-4.1-nano": Price(input=0.10, output=0.40, cached_input=0.025),
    "gpt-5": Price(input=1.25, output=10.00, cached_input=0.125),
    "gpt-5-mini": Price(input=0.25, output=2.00, cached_input=0.025),
    "gpt-5-nano": Price(input=0.05, output=0.40, cached_input=0.005),
    "o4-mini": Price(input=1.10, output=4.40, cached_input=0.275),
}


_SNAPSHOT = re.compile(r"(.+?)-(?:\d{4}-\d{2}-\d{2}|\d{4})")


def _lookup(model: str, prices: PriceTable) -> Price | None:
    if model in prices:
        return prices[model]
    # Dated snapshots ("gpt-4o-2024-08-06", "gpt-4-0613") cost what their family costs. Only a
    # date suffix counts: "gpt-5-pro" or "gpt-4o-audio-preview" are other models, other prices.
    match = _SNAPSHOT.fullmatch(model)
    if match and match.group(1) in prices:
        return prices[match.group(1)]
    return None


def estimate_cost(usage: Usage, model: str, prices: PriceTable | None = None) -> float | None:
    """USD cost of ``usage`` on ``model``, or ``None`` when the price is unknown (never 0)."""
    price = _lookup(model, DEFAULT_PRICES if prices is None else prices)
    if price is None:
        return None
    cached = min(usage.cached_tokens, usage.prompt_tokens)
    cached_rate = price.cached_input if price.cached_input is not None else price.input
    return (
        (usage.prompt_tokens - cached) * price.input
        + cached * cached_rate
        + usage.completion_tokens * price.output
    ) / 1_000_000
