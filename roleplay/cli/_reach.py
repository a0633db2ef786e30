"""A quick look at a given base URL before the first model call: is anything listening?

A mistyped port or a server that is not running would otherwise be found by the first call,
after every retry and backoff: seconds of silence before the (clear) error. A TCP connect
answers in milliseconds and costs nothing. Only a base URL the user gave is checked, and not
through a proxy (the proxy, not the host, is what the client would reach).
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

from roleplay.errors import ConfigError, ModelConnectionError
from roleplay.llm.config import ModelConfig, read_config

__all__ = ["check_base_url", "check_reachable"]

_PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY",
               "all_proxy")
_CONNECT_SECONDS = 3.0


def check_base_url(base_url: str | None) -> None:
    """Refuse a given base URL (else ``$OPENAI_BASE_URL``) that is not an http(s) URL.

    Raises:
        ConfigError: no scheme or host, or an invalid port; the message shows the URL without
            credentials.
    """
    url = read_config(ModelConfig(base_url=base_url)).base_url
    if not url:
        return
    parts = urlsplit(url)
    # Shown without user, password or query: they may hold a key.
    shown = f"{parts.scheme}://{parts.hostname}{parts.path}" if parts.hostname else url.split(
        "?")[0].rsplit("@", 1)[-1]
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{shown!r} is not an http(s) URL with a host; a base URL looks "
                          "like http://127.0.0.1:8080/v1", field="--base-url")
    try:
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        raise ConfigError(f"{shown!r} has an invalid port (1 to 65535)",
                          field="--base-url") from None


def check_reachable(base_url: str | None) -> None:
    """Fail fast when ``base_url`` (else ``$OPENAI_BASE_URL``) cannot be connected to.

    Raises:
        ConfigError: see `check_base_url`.
        ModelConnectionError: the host does not resolve, refuses the connection, or does not
            answer within a few seconds; the message names the endpoint (without credentials).
    """
    url = read_config(ModelConfig(base_url=base_url)).base_url
    if not url or any(os.environ.get(name) for name in _PROXY_VARS):
        return
    from roleplay.llm.openai import resolve_endpoint

    check_base_url(url)
    endpoint = resolve_endpoint(url)
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname, port), timeout=_CONNECT_SECONDS).close()
    except socket.gaierror:
        raise ModelConnectionError(f"Could not reach {endpoint}: the host name "
                                   f"{parts.hostname!r} does not resolve; check the base URL "
                                   "(--base-url or OPENAI_BASE_URL).") from None
    except ConnectionRefusedError:
        raise ModelConnectionError(f"Could not reach {endpoint}: nothing is listening on port "
                                   f"{port}; check the base URL (--base-url or OPENAI_BASE_URL) "
                                   "and that the server is running.") from None
    except TimeoutError:
        raise ModelConnectionError(f"Could not reach {endpoint}: no answer within "
                                   f"{_CONNECT_SECONDS:.0f} s; check the base URL and the "
                                   "network.") from None
    except OSError as exc:
        raise ModelConnectionError(f"Could not reach {endpoint}: {exc.strerror or exc}; check "
                                   "the base URL and that the server is running.") from None
