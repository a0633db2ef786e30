"""The judge prompt is laid out for provider prompt caches: a long prefix identical per rubric."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from roleplay.cli import main
from roleplay.tokens import count_text

GOLD = Path(__file__).resolve().parent.parent / "evals" / "gold" / "cases"


def dry_run(path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    assert main(["evaluate", str(path), "--dry-run"]) == 0
    return json.loads(capsys.readouterr().out)


def as_seen(request: dict[str, object]) -> str:
    """The request as the endpoint reads it: the reply schema first, then the messages."""
    fmt = request["response_format"]
    assert isinstance(fmt, dict)
    messages = request["messages"]
    assert isinstance(messages, list)
    return json.dumps(fmt["schema"]) + "".join(m["role"] + m["content"] for m in messages)


def test_two_dry_run_requests_for_different_transcripts_share_a_cacheable_prefix(
        capsys: pytest.CaptureFixture[str]) -> None:
    a = dry_run(GOLD / "g01-swe-strong-closer.txt", capsys)
    b = dry_run(GOLD / "g03-warehouse-one-liner.txt", capsys)
    seen_a, seen_b = as_seen(a), as_seen(b)
    common = os.path.commonprefix([seen_a, seen_b])
    assert count_text(common) >= 1024
    # The system message is the same byte for byte; the delimiters differ (random per call).
    system_a, user_a = (m["content"] for m in a["messages"])  # type: ignore[union-attr]
    system_b, user_b = (m["content"] for m in b["messages"])  # type: ignore[union-attr]
    assert system_a == system_b
    assert user_a.split("\n")[1] != user_b.split("\n")[1]
    # What differs comes after the system message: the nonce, the facts, the transcript.
    assert len(common) >= len(json.dumps(a["response_format"]["schema"])  # type: ignore[index]
                              ) + len("system") + len(system_a)


def test_the_servers_prompt_cache_follows_openais_prefix_rule() -> None:
    from roleplay.testing._prompt_cache import PromptCache
    from roleplay.tokens import count_text

    cache = PromptCache()
    shared = " ".join(f"rule {i}: grade the candidate turns only." for i in range(400))
    first = [{"role": "system", "content": shared}, {"role": "user", "content": "Case A."}]
    second = [{"role": "system", "content": shared}, {"role": "user", "content": "Case B!"}]
    assert cache.cached_tokens(first, "gpt-4o-mini") == 0  # the first request writes the cache
    hit = cache.cached_tokens(second, "gpt-4o-mini")
    shared_tokens = count_text("system\n" + shared)
    assert 1024 <= hit <= shared_tokens and (hit - 1024) % 128 == 0
    assert shared_tokens - hit < 128 + 8  # every full 128-token step of the shared part
    short = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    assert cache.cached_tokens(short, "gpt-4o-mini") == cache.cached_tokens(
        short, "gpt-4o-mini") == 0  # under 1,024 tokens nothing is cached
    other = [{"role": "system", "content": "Another prompt. " + shared}]
    assert cache.cached_tokens(other, "gpt-4o-mini") == 0  # a different first token misses
