"""Offline token counting and cost estimates."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
import tiktoken

from roleplay import tokens
from roleplay.errors import ConfigError
from roleplay.llm.base import Message, Usage
from roleplay.tokens import (
    DEFAULT_PRICES,
    Price,
    TiktokenCounter,
    count_messages,
    count_text,
    encoding_name_for_model,
    estimate_cost,
)

SHIPPED = Path(tokens.__file__).parent / "data" / "tiktoken"

# The example from OpenAI's cookbook "How to count tokens with tiktoken"; the API reported
# 129 prompt tokens for gpt-4-0613 and 124 for gpt-4o / gpt-4o-mini.
COOKBOOK = [
    {"role": "system", "content": "You are a helpful, pattern-following assistant that "
                                  "translates corporate jargon into plain English."},
    {"role": "system", "name": "example_user",
     "content": "New synergies will help drive top-line growth."},
    {"role": "system", "name": "example_assistant",
     "content": "Things working well together will increase revenue."},
    {"role": "system", "name": "example_user",
     "content": "Let's circle back when we have more bandwidth to touch base on opportunities "
                "for increased leverage."},
    {"role": "system", "name": "example_assistant",
     "content": "Let's talk later when we're less busy about how to do better."},
    {"role": "user", "content": "This late pivot means we don't have time to boil the ocean for "
                                "the client deliverable."},
]


@pytest.mark.parametrize(("model", "expected"), [("gpt-4o", 124), ("gpt-4o-mini", 124),
                                                 ("gpt-4-0613", 129)])
def test_cookbook_example_matches_the_api(model, expected):
    assert count_messages(COOKBOOK, model) == expected


def test_messages_and_dicts_count_the_same():
    messages = [Message(role="user", content="Tell me about a time you failed.")]
    as_dicts = [{"role": "user", "content": "Tell me about a time you failed."}]
    assert count_messages(messages) == count_messages(as_dicts)
    assert TiktokenCounter("gpt-4o").count_messages(messages) == count_messages(messages)


@pytest.mark.parametrize(("model", "encoding"), [
    ("gpt-4o", "o200k_base"), ("gpt-4o-mini-2024-07-18", "o200k_base"), ("gpt-4.1", "o200k_base"),
    ("gpt-4.5", "o200k_base"), ("o3-mini", "o200k_base"), ("gpt-4", "cl100k_base"),
    ("gpt-4-0613", "cl100k_base"), ("gpt-3.5-turbo", "cl100k_base"),
    ("gpt-35-turbo-16k", "cl100k_base"),
    # Not in tiktoken's map: fall back to o200k instead of raising KeyError.
    ("llama3.1:8b", "o200k_base"), ("openai/gpt-4o", "o200k_base"), ("my-deployment", "o200k_base"),
])
def test_model_to_encoding(model, encoding):
    assert encoding_name_for_model(model) == encoding


def test_unknown_models_count_with_o200k():
    text = "Walk me through your résumé — briefly."
    assert count_text(text, "llama3.1:8b") == count_text(text, "gpt-4o")
    assert count_text(text, "llama3.1:8b") != count_text(text, "gpt-4")


def test_special_token_text_in_a_transcript_is_counted_as_text():
    text = "I said <|endoftext|> and <|endofprompt|> on purpose."
    assert count_text(text) > 10  # counted piece by piece, not as two special tokens
    assert count_messages([{"role": "user", "content": text}]) > 10


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base"])
def test_shipped_files_have_tiktokens_hashes(name):
    digest = hashlib.sha256((SHIPPED / f"{name}.tiktoken").read_bytes()).hexdigest()
    assert digest == tokens._SHA256[name]


def _fake_package(tmp_path: Path, name: str, data: bytes) -> SimpleNamespace:
    target = tmp_path / "data" / "tiktoken"
    target.mkdir(parents=True)
    (target / f"{name}.tiktoken").write_bytes(data)
    return SimpleNamespace(files=lambda _package: tmp_path)


def test_a_corrupted_encoding_file_is_refused(tmp_path, monkeypatch):
    data = bytearray((SHIPPED / "cl100k_base.tiktoken").read_bytes())
    data[100] ^= 0x01
    monkeypatch.setattr(tokens, "resources", _fake_package(tmp_path, "cl100k_base", bytes(data)))

    with pytest.raises(ConfigError, match=r"cl100k_base\.tiktoken is corrupt.*reinstall"):
        tokens._load_ranks("cl100k_base")


def test_an_intact_copy_loads(tmp_path, monkeypatch):
    data = (SHIPPED / "cl100k_base.tiktoken").read_bytes()
    monkeypatch.setattr(tokens, "resources", _fake_package(tmp_path, "cl100k_base", data))
    assert len(tokens._load_ranks("cl100k_base")) == 100256


_URL = "https://openaipublic.blob.core.windows.net/encodings/{}.tiktoken"


@pytest.mark.parametrize(("name", "cache_name", "n_vocab"), [
    ("cl100k_base", "9b5ad71b2ce5302211f9c61530b329a4922fc6a4", 100277),
    ("o200k_base", "fb374d419588a4632f3f557e76b4b70aebbca790", 200019),
])
def test_direct_build_equals_tiktoken_registry(tmp_path, monkeypatch, name, cache_name, n_vocab):
    # tiktoken's cache names each file by the sha1 of its URL; prepare it so nothing downloads.
    assert hashlib.sha1(_URL.format(name).encode()).hexdigest() == cache_name
    shutil.copyfile(SHIPPED / f"{name}.tiktoken", tmp_path / cache_name)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(tiktoken.registry, "ENCODINGS", {})

    reference = tiktoken.get_encoding(name)
    ours = tokens.get_encoding(name)

    assert ours.n_vocab == reference.n_vocab == n_vocab
    assert ours._special_tokens == reference._special_tokens
    sample = ("Hello, I'm Dana 👋 — let's talk about the Q3 roadmap.\n\n  def f(x): return x**2 "
              "12345 ünïcödé 東京 <|endoftext|>")
    assert ours.encode(sample, disallowed_special=()) == reference.encode(
        sample, disallowed_special=())
    assert ours.encode("<|endoftext|>", allowed_special="all") == reference.encode(
        "<|endoftext|>", allowed_special="all")


def test_estimate_cost_for_a_known_model():
    usage = Usage(prompt_tokens=1_000_000, completion_tokens=1_000_000)
    assert estimate_cost(usage, "gpt-4o-mini") == pytest.approx(0.15 + 0.60)


def test_estimate_cost_for_a_dated_snapshot_uses_its_family_price():
    usage = Usage(prompt_tokens=2_000_000, completion_tokens=0)
    assert estimate_cost(usage, "gpt-4o-mini-2024-07-18") == pytest.approx(0.30)
    assert estimate_cost(usage, "gpt-4o-2024-08-06") == pytest.approx(5.00)
    assert estimate_cost(usage, "gpt-4.1-mini-2025-04-14") == pytest.approx(0.80)


def test_estimate_cost_prices_cached_tokens_at_the_cached_rate():
    usage = Usage(prompt_tokens=1_000_000, cached_tokens=400_000, completion_tokens=0)
    assert estimate_cost(usage, "gpt-4o") == pytest.approx(0.6 * 2.50 + 0.4 * 1.25)


def test_estimate_cost_unknown_model_is_none_not_zero():
    usage = Usage(prompt_tokens=10, completion_tokens=10)
    assert estimate_cost(usage, "llama3.1:8b") is None
    # Only a date suffix makes a snapshot of a priced family; these are other models.
    assert estimate_cost(usage, "gpt-5-pro") is None
    assert estimate_cost(usage, "gpt-4o-minimal") is None


def test_estimate_cost_with_a_custom_table():
    usage = Usage(prompt_tokens=1_000_000, completion_tokens=500_000)
    prices = {"llama3.1:8b": Price(input=0.0, output=0.0), **DEFAULT_PRICES}
    assert estimate_cost(usage, "llama3.1:8b", prices) == 0.0
