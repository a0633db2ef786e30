"""The bad-input table, part 3: what a server may answer instead of a judge reply.

Each row points ``roleplay evaluate`` at the local server, which answers with the row's faults
(repeated past the retry budget where a retry could help). Waits between retries are skipped.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from bad_input_kit import GOOD, Row, run_row, server

from roleplay.testing import Fault, OpenAICompatServer

# Slow: `pytest -m "not slow"` leaves this file out of the inner loop; CI runs it.
pytestmark = pytest.mark.slow

__all__ = ["server"]

T = {"t.txt": GOOD}
EVAL = ("evaluate", "t.txt", "--timeout", "0.5")


def _times(fault: Fault, n: int = 8) -> tuple[Fault, ...]:
    return (fault,) * n


ROWS = [
    Row("401 bad key", EVAL, 1, ("rejected the API key (401)", "OPENAI_API_KEY"), files=T,
        faults=_times(Fault.http_error(401)), calls=None),
    Row("403 no access", EVAL, 1, ("refused access (403)",), files=T,
        faults=_times(Fault.http_error(403)), calls=None),
    Row("404 unknown model", EVAL, 1, ("answered 404", "Check the model name"), files=T,
        faults=_times(Fault.http_error(404)), calls=None),
    Row("429 out of quota", EVAL, 1, ("out of quota", "retrying cannot help"), files=T,
        faults=_times(Fault.http_error(429, code="insufficient_quota",
                                       type="insufficient_quota")), calls=1),
    Row("429 rate limit that never ends", EVAL, 1, ("rate-limiting",), files=T,
        faults=_times(Fault.rate_limit()), calls=None),
    Row("500 every time", EVAL, 1, ("answered HTTP 500",), files=T,
        faults=_times(Fault.http_error(500)), calls=None),
    Row("503 every time", EVAL, 1, ("answered HTTP 503",), files=T,
        faults=_times(Fault.http_error(503)), calls=None),
    Row("connection reset every time", EVAL, 1, ("Could not reach",), files=T,
        faults=_times(Fault.reset()), calls=None),
    Row("a reply slower than --timeout every time", EVAL, 1, ("timed out",), files=T,
        faults=_times(Fault.hang(5)), calls=None),
    Row("one reset, then a good reply", EVAL, 0, ("Interview evaluation: t",), files=T,
        faults=(Fault.reset(),), calls=2),
    Row("a body that is not JSON, every time", EVAL, 1,
        ("body that is not valid JSON", "OpenAI-compatible /v1 endpoint"), files=T,
        faults=_times(Fault.malformed_json()), calls=None),
    Row("400 json_schema not supported", EVAL, 1, ("rejected a request feature",), files=T,
        faults=_times(Fault.http_error(400, message="response_format json_schema is not "
                                       "supported", param="response_format")), calls=None),
]


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.id)
def test_bad_server_reply(row: Row, tmp_path: Path, server: OpenAICompatServer,
                          monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    run_row(row, tmp_path, server, monkeypatch, capsys)


# --- a chat-only server: no Files or Batch API ------------------------------------------------

class _ChatOnly(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.dumps({"error": {"message": f"Unknown path {self.path}",
                                     "type": "invalid_request_error"}}).encode()
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - signature
        pass


@pytest.fixture
def chat_only() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _ChatOnly)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_batch_against_a_server_without_a_batch_api_says_so(
    chat_only: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("ROLEPLAY_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "calls").mkdir()
    (tmp_path / "calls" / "a.txt").write_text(GOOD)
    code = main_code(["evaluate", "calls", "--batch", "--base-url", chat_only,
                      "--out-dir", "results"])
    err = capsys.readouterr().err
    assert code == 1
    assert f"{chat_only} has no Batch API" in err and "without --batch" in err
    assert "Check the model name" not in err and "Traceback" not in err


def main_code(argv: list[str]) -> int:
    from roleplay.cli import main

    return main(argv)
