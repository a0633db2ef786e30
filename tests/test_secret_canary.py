"""A key inside the base URL never appears in output, logs or written files.

Each command runs as a subprocess at debug log level (``ROLEPLAY_LOG=debug``, and once the SDK's
``OPENAI_LOG=debug``) against the local server, with a canary key in the base URL: as a
password, a bare userinfo token or a query parameter. The canary must appear nowhere in stdout,
stderr or any file the run wrote (cache, run folder, report).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from roleplay.llm._redact import mask_url, redact, url_secrets
from roleplay.testing import OpenAICompatServer
from tests.test_cli_eval import MINI, judge_responder

# Slow: `pytest -m "not slow"` leaves this file out of the inner loop; CI runs it.
pytestmark = pytest.mark.slow

CANARY = "CANARY-sk-5e1f0a9b7c3d"


def roleplay(tmp: Path, *argv: str, env: dict[str, str] | None = None) -> str:
    environ = {**os.environ, "ROLEPLAY_LOG": "debug", "ROLEPLAY_CACHE_DIR": str(tmp / "cache"),
               **(env or {})}
    environ.pop("OPENAI_API_KEY", None)
    done = subprocess.run([sys.executable, "-m", "roleplay", *argv], capture_output=True,
                          text=True, env=environ, timeout=120, cwd=tmp)
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    return done.stdout + done.stderr


def written(tmp: Path) -> list[Path]:
    return [p for p in tmp.rglob("*") if p.is_file()
            and CANARY.encode() in p.read_bytes()]


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    target = tmp_path / "mini"
    shutil.copytree(MINI, target)
    return target


@pytest.mark.parametrize("shape", [
    "http://user:{k}@127.0.0.1:{port}/v1",
    "http://{k}@127.0.0.1:{port}/v1",
    "http://127.0.0.1:{port}/v1?api-key={k}",  # the server's 404 echoes the path and query
    "http://127.0.0.1:{port}/v1?api-version=1&key={k}",
], ids=["password", "bare-userinfo", "api-key-query", "key-query"])
def test_eval_never_shows_the_key(tmp_path: Path, suite: Path, shape: str) -> None:
    with OpenAICompatServer(responder=judge_responder(suite)) as server:
        url = shape.format(k=CANARY, port=server.port)
        output = roleplay(tmp_path, "eval", str(suite), "--base-url", url, "--api-key", "t",
                          "--no-progress", "--format", "json", "--out",
                          str(tmp_path / "report.json"))
    assert "HTTP Request: POST http://" in output  # the debug log did show the requests
    assert CANARY not in output
    assert written(tmp_path) == []


def test_evaluate_and_the_environment_base_url_never_show_the_key(tmp_path: Path,
                                                                  suite: Path) -> None:
    with OpenAICompatServer(responder=judge_responder(suite)) as server:
        env = {"OPENAI_BASE_URL": f"http://u:{CANARY}@127.0.0.1:{server.port}/x?token={CANARY}",
               "OPENAI_LOG": "debug"}  # the SDK's own debug lines too
        output = roleplay(tmp_path, "evaluate", str(suite / "cases" / "c1-strong.txt"),
                          "--api-key", "t", "--out", str(tmp_path / "eval.json"), env=env)
    assert "openai._base_client" in output  # the SDK's debug lines were on
    assert "404" in output  # /x is no API: the server's error message was shown
    assert CANARY not in output
    assert written(tmp_path) == []


def test_an_unreachable_server_never_shows_the_key(tmp_path: Path, suite: Path) -> None:
    output = roleplay(tmp_path, "eval", str(suite), "--base-url",
                      f"http://user:{CANARY}@127.0.0.1:9/v1", "--api-key", "t", "--no-progress",
                      "--timeout", "2")
    assert "Could not reach http://127.0.0.1:9/v1" in output
    assert CANARY not in output


# -- the helper --------------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "shown"), [
    ("https://user:sk-123456@gw.example/v1", "https://user:***@gw.example/v1"),
    ("https://sk-123456@gw.example/v1", "https://***@gw.example/v1"),
    ("https://gw.example/v1?api-key=sk-1&api-version=2024-10-21",
     "https://gw.example/v1?api-key=***&api-version=2024-10-21"),
    ("https://gw.example/v1?Key=a&token=b&access_token=c&sig=d&x=1",
     "https://gw.example/v1?Key=***&token=***&access_token=***&sig=***&x=1"),
    ("https://api.openai.com/v1", "https://api.openai.com/v1"),
])
def test_mask_url(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_redact_masks_urls_in_text_and_known_secrets_anywhere() -> None:
    text = "Unknown path /v1/?api-key=sk-abcdefchat/completions; POST http://u:pw12@h/v1"
    assert redact(text) == "Unknown path /v1/?api-key=***; POST http://u:***@h/v1"
    assert redact("echo sk-abcdef in a body", secrets={"sk-abcdef"}) == "echo *** in a body"
    assert url_secrets("http://u:pw12@h/v1?key=k123&api-version=2024") == {"pw12", "k123"}
