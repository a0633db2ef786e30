"""The web app against hostile clients: deep JSON, IPv6 loopback Host, slow or half-open sockets."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("starlette")
uvicorn = pytest.importorskip("uvicorn")

from starlette.testclient import TestClient  # noqa: E402

from roleplay.web import create_app  # noqa: E402
from roleplay.web._serve import server_options  # noqa: E402
from roleplay.web.app import host_name  # noqa: E402
from tests.test_web_app import follow, start  # noqa: E402

LOOPBACK = ("127.0.0.1", "localhost", "::1")  # what `roleplay serve` allows on loopback


def test_deeply_nested_json_is_a_clear_400(tmp_path: Path) -> None:
    app = create_app(None, sessions_dir=tmp_path, demo_pace=0)
    with TestClient(app, raise_server_exceptions=True) as client:
        sid = start(client)
        assert follow(client, sid) == "candidate"
        response = client.post(f"/i/{sid}/answer", content="[" * 5000 + "]" * 5000,
                               headers={"content-type": "application/json"})
        assert response.status_code == 400
        assert "nested too deeply" in response.json()["error"]
        # The interview goes on.
        assert client.post(f"/i/{sid}/answer", json={"text": "I led the team."}
                           ).status_code == 202


@pytest.mark.parametrize(("host", "ok"), [
    ("[::1]", True), ("[::1]:8000", True), ("127.0.0.1:8000", True), ("localhost", True),
    ("LOCALHOST:8000", True), ("evil.example", False), ("[::1].evil.example", False),
    ("[::2]:8000", False), ("[::1]:80x", False), ("", False),
])
def test_loopback_hosts_include_ipv6(tmp_path: Path, host: str, ok: bool) -> None:
    app = create_app(None, sessions_dir=tmp_path, allowed_hosts=LOOPBACK)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        status = client.get("/", headers={"Host": host}).status_code
    assert (status == 200) is ok, (host, status)


def test_host_name() -> None:
    assert host_name("[::1]:8000") == "::1"
    assert host_name("[::1]") == "::1"
    assert host_name("Example.org:443") == "example.org"
    assert host_name("::1") == "::1"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[int]:
    app = create_app(None, sessions_dir=tmp_path, demo_pace=0)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off",
                            **server_options(request_timeout=0.3))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        threading.Event().wait(0.01)
    assert server.started
    yield int(server.servers[0].sockets[0].getsockname()[1])
    server.should_exit = True
    thread.join(10)


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closes the socket (True) rather than leaving it open (False)."""
    sock.settimeout(10)  # far longer than the 0.3 s deadline: only a held socket times out
    try:
        data = sock.recv(4096)
        while data:
            data = sock.recv(4096)
        return True
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


@pytest.mark.parametrize("sent", [
    b"",  # connected, then silence
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n",  # half the headers (slowloris)
    b"POST /interviews HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\npersona=",
], ids=["silent", "half-headers", "half-body"])
def test_half_open_and_slow_clients_are_cut_off(served: int, sent: bytes) -> None:
    with socket.create_connection(("127.0.0.1", served)) as sock:
        sock.sendall(sent)
        assert closed_by_server(sock)


def test_a_prompt_client_is_served(served: int) -> None:
    with socket.create_connection(("127.0.0.1", served)) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        sock.settimeout(10)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200")
