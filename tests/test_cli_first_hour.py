"""A new user's first commands: --version, a wrong --base-url, a busy port, the favicon."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from roleplay._version import __version__
from roleplay.cli import main


@pytest.fixture
def closed_port() -> int:
    # Bound but not listening: a connect is refused at once.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"roleplay {__version__}"


@pytest.mark.parametrize("argv", [
    ["practice", "--persona", "warm-hr-screener"],
    ["evaluate", "TRANSCRIPT"],
])
def test_an_unreachable_base_url_fails_at_once_naming_it(
    argv: list[str], closed_port: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    transcript = tmp_path / "t.txt"
    transcript.write_text("Interviewer: Hi, tell me about you.\nCandidate: I lead a team.\n")
    argv = [str(transcript) if a == "TRANSCRIPT" else a for a in argv]
    base = f"http://127.0.0.1:{closed_port}/v1"
    assert main([*argv, "--base-url", base]) == 1
    err = capsys.readouterr().err
    # Named before any call (no retries, no backoff): the port, and what to check.
    assert f"Could not reach {base}: nothing is listening on port {closed_port}" in err
    assert "Traceback" not in err


def test_a_base_url_that_is_not_a_url_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    transcript = tmp_path / "t.txt"
    transcript.write_text("Interviewer: Hi, tell me about you.\nCandidate: I lead a team.\n")
    assert main(["evaluate", str(transcript), "--base-url", "localhost:8080"]) == 2
    assert "not an http(s) URL" in capsys.readouterr().err


def test_serve_on_a_busy_port_says_so_before_serving(
    busy_port: int, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("uvicorn")
    code = main(["serve", "--demo", "--port", str(busy_port), "--sessions",
                 str(tmp_path / "sessions")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"cannot serve on 127.0.0.1:{busy_port}: the port is busy" in err
    assert "--port" in err and "serving" not in err


def test_the_favicon_is_served(tmp_path: Path) -> None:
    pytest.importorskip("starlette")
    from starlette.testclient import TestClient

    from roleplay.web import create_app

    with TestClient(create_app(None, sessions_dir=tmp_path), base_url="http://127.0.0.1") as client:
        response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.content.startswith(b"<svg")
