"""How roleplay's calls are recorded to cassettes: what is scrubbed and how requests match.

Shared by the pytest plugin and the project's own test suite. Nothing here imports vcrpy at
module level, so the package works without the ``pytest`` extra installed.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

__all__ = [
    "DROP_RESPONSE_HEADERS",
    "FILTER_HEADERS",
    "MATCHER_NAME",
    "body_difference",
    "mask_judge_nonce",
    "match_roleplay_body",
    "scrub_response",
    "vcr_settings",
]

MATCHER_NAME: Final = "roleplay_body"
"""The name the plugin registers `match_roleplay_body` under (it leaves vcrpy's own alone)."""

FILTER_HEADERS: Final[tuple[Any, ...]] = (
    "authorization",
    "api-key",
    "openai-organization",
    "openai-project",
    "cookie",
    ("user-agent", "REDACTED"),
    "x-stainless-os",
    "x-stainless-arch",
    "x-stainless-runtime-version",
)
"""Request headers that carry credentials or identify the recording machine."""

DROP_RESPONSE_HEADERS: Final = frozenset(
    {"set-cookie", "openai-organization", "openai-project", "x-request-id", "cf-ray"})
"""Response headers never stored: account ids, cookies and per-request ids."""

# The judge wraps the transcript in a per-call random delimiter (`<transcript-{16 hex}>`, also
# named in `<facts-{16 hex}>`), a candidate's CV travels in `<cv-{16 hex}>` and a job posting
# in `<posting-{16 hex}>`: production keeps them random, replay must look past them.
_JUDGE_NONCE: Final = re.compile(r"\b((?:transcript|facts|cv|posting)-)[0-9a-f]{16}\b")
# The library sends `max_completion_tokens` to api.openai.com and `max_tokens` elsewhere, so a
# recording made against a local server replays whatever base URL the replaying run has.
_MAX_TOKENS: Final = ("max_completion_tokens", "max_tokens")


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """Drop `DROP_RESPONSE_HEADERS` from a response before it is recorded."""
    headers = response.get("headers") or {}
    for name in list(headers):
        if name.lower() in DROP_RESPONSE_HEADERS:
            del headers[name]
    return response


def mask_judge_nonce(text: str) -> str:
    """``text`` with every judge delimiter nonce replaced by ``NONCE``."""
    return _JUDGE_NONCE.sub(r"\1NONCE", text)


# A multipart body (audio uploads) opens with its boundary, which the HTTP client draws at
# random per request: replay must look past it, as past the judge's nonce.
_BOUNDARY: Final = re.compile(r"\A--([0-9A-Za-z'()+_,./:=?-]{1,70})\r\n")


def mask_multipart_boundary(text: str) -> str:
    """``text`` with a multipart body's random boundary replaced by ``BOUNDARY``."""
    match = _BOUNDARY.match(text)
    return text.replace(match.group(1), "BOUNDARY") if match else text


def _normalised(body: bytes | str | None) -> Any:
    if not body:
        return None
    text = body.decode("utf-8", errors="surrogateescape") if isinstance(body, bytes) else body
    text = mask_multipart_boundary(mask_judge_nonce(text))
    try:
        value = json.loads(text)
    except ValueError:
        return text
    if isinstance(value, dict) and _MAX_TOKENS[0] in value and _MAX_TOKENS[1] not in value:
        value[_MAX_TOKENS[1]] = value.pop(_MAX_TOKENS[0])
    return value


def _short(value: Any, at: int = 0, width: int = 70) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    start = max(0, at - width // 2)
    piece = text[start:start + width]
    tail = "..." if start + width < len(text) else ""
    return ("..." if start else "") + repr(piece) + tail


def _first_difference(recorded: Any, now: Any, path: str) -> str | None:
    if isinstance(recorded, dict) and isinstance(now, dict):
        for key in [*recorded, *(k for k in now if k not in recorded)]:
            if key not in now:
                return f"{path}.{key}: recorded {_short(recorded[key])}, now missing"
            if key not in recorded:
                return f"{path}.{key}: not recorded, now {_short(now[key])}"
            found = _first_difference(recorded[key], now[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(recorded, list) and isinstance(now, list):
        for index, (a, b) in enumerate(zip(recorded, now, strict=False)):
            found = _first_difference(a, b, f"{path}[{index}]")
            if found:
                return found
        if len(recorded) != len(now):
            return f"{path}: recorded {len(recorded)} items, now {len(now)}"
        return None
    if recorded == now:
        return None
    if isinstance(recorded, str) and isinstance(now, str):
        at = next((i for i, (a, b) in enumerate(zip(recorded, now, strict=False)) if a != b),
                  min(len(recorded), len(now)))
        return f"{path}: recorded {_short(recorded, at)}, now {_short(now, at)}"
    return f"{path}: recorded {_short(recorded)}, now {_short(now)}"


def body_difference(recorded: bytes | str | None, now: bytes | str | None) -> str | None:
    """Where two request bodies differ (judge nonces and the max-tokens name aside), or None."""
    return _first_difference(_normalised(recorded), _normalised(now), "body")


def match_roleplay_body(r1: Any, r2: Any) -> None:
    """A vcrpy matcher: bodies equal as JSON, blind to judge nonces and the max-tokens name.

    Raises:
        AssertionError: the first place the bodies differ (vcrpy shows it when nothing
            matches, so a stale cassette says which field changed).
    """
    found = body_difference(r2.body, r1.body)
    if found:
        raise AssertionError(found)


def vcr_settings() -> dict[str, Any]:
    """Keyword arguments for ``pytest.mark.vcr`` that record roleplay's calls safely.

    Matches on method, path and `match_roleplay_body` (never host or port, so a recording made
    against one server replays with any base URL); filters `FILTER_HEADERS` and
    `DROP_RESPONSE_HEADERS`, so no key, token or org id lands in a cassette.
    """
    return {
        "filter_headers": list(FILTER_HEADERS),
        "filter_query_parameters": ["api-key", "key"],
        "before_record_response": scrub_response,
        "decode_compressed_response": True,
        "match_on": ["method", "path", MATCHER_NAME],
    }
