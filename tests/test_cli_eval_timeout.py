"""``roleplay eval --timeout`` reaches the judge model: a slow reply is abandoned and retried."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from roleplay.cli import main
from roleplay.testing import Fault, OpenAICompatServer, judge_responder

MINI = Path(__file__).parent / "data" / "suites" / "mini"


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLEPLAY_CACHE_DIR", str(tmp_path / "cache"))
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ROLEPLAY_MODEL"):
        monkeypatch.delenv(name, raising=False)


def test_eval_gives_up_on_a_slow_reply_after_its_timeout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
) -> None:
    suite = tmp_path / "mini"
    shutil.copytree(MINI, suite)
    caplog.set_level(logging.INFO, logger="roleplay.llm")
    with OpenAICompatServer(responder=judge_responder()) as server:
        # The first judge call hangs far longer than --timeout; the built-in 120 s would wait
        # for the server to give up, and see a dropped connection instead of a timeout.
        server.add_faults(Fault.hang(30))
        main(["eval", str(suite), "--base-url", server.base_url, "--api-key", "test",
                     "--no-progress", "--no-cache", "--concurrency", "1", "--timeout", "0.5"])
        requests = len(server.chat_requests)
    out = capsys.readouterr().out
    assert "4 evaluated now" in out, out  # the retry answered: no case was lost
    retried = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert retried and "ModelTimeoutError" in retried[0]
    assert requests == 4 + 1  # four cases, one attempt abandoned and made again
