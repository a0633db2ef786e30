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
