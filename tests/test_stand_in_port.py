"""`python -m roleplay.testing --port N`: a fixed port for pasteable demos; a busy one is named."""

from __future__ import annotations

import socket

import pytest

from roleplay.testing import OpenAICompatServer
from roleplay.testing.__main__ import main


def test_the_server_binds_the_port_asked_for() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with OpenAICompatServer(port=port) as server:
        assert server.base_url == f"http://127.0.0.1:{port}/v1"


def test_a_busy_port_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    with OpenAICompatServer() as busy:
        port = busy.port
        assert main(["--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and "--port" in err
    assert "Traceback" not in err
