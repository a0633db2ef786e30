"""The OpenAI SDK's errors and streams, mapped to roleplay's own types.

Kept apart from the adapters (`roleplay.llm.openai`, `roleplay.llm.openai_audio`): what an HTTP
error means for a caller, and how a streamed reply is put together, are one idea each client
shares.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import (
    contextmanager,
)
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import openai
from openai.types.chat import ChatCompletionChunk
from openai.types.completion_usage import CompletionUsage

from roleplay.errors import (
    ModelAPIError,
    ModelConnectionError,
    ModelTimeoutError,
    QuotaExceededError,
    RateLimitError,
    UnsupportedFeatureError,
)
from roleplay.llm._redact import redact
from roleplay.llm.base import (
    ChatRequest,
    ChatResponse,
    Usage,
)
from roleplay.tokens import count_messages, count_text

log = logging.getLogger("roleplay.llm.openai")
_CONNECT_TIMEOUT = 5.0
_DETAIL_LIMIT = 300


def _timeout(seconds: float) -> openai.Timeout:
    return openai.Timeout(seconds, connect=min(_CONNECT_TIMEOUT, seconds))


def _clean_url(url: str) -> str:
    """``url`` without credentials, query or fragment, and without a trailing slash."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


def _detail(exc: openai.APIError) -> str:
    body = exc.body
    message = body.get("message") if isinstance(body, dict) else None
    text = str(message) if message else (str(body) if body is not None else exc.message)
    # Servers echo the request URL ("Unknown path /v1/?api-key=..."): never show its key.
    text = redact(text)
    return text if len(text) <= _DETAIL_LIMIT else text[:_DETAIL_LIMIT] + "..."


# Statuses whose meaning (auth, missing model, transient) wins over a feature mentioned in the
# message.
_NOT_A_FEATURE_STATUS = frozenset({401, 403, 404, 408, 409, 429})


def _is_unsupported_feature(exc: openai.APIStatusError) -> bool:
    text = f"{exc.param or ''} {_detail(exc)}".lower()
    return any(word in text for word in ("response_format", "json_schema", "response format"))


def _map_error(exc: openai.APIError, endpoint: str, model: str) -> ModelAPIError:
    """The `roleplay.errors` equivalent of an SDK error (the caller raises it ``from exc``)."""
    if isinstance(exc, openai.APITimeoutError):
        return ModelTimeoutError(
            f"The request to {endpoint} timed out; the server may be overloaded, or raise the "
            "timeout (timeout= / ModelSettings.timeout)."
        )
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__
        reason = redact(f"{type(cause).__name__}: {cause}" if cause is not None else exc.message)
        return ModelConnectionError(
            f"Could not reach {endpoint}, or the connection dropped mid-reply ({reason}); check "
            "the base URL and that the server is running."
        )
    if isinstance(exc, openai.APIStatusError):
        status, detail = exc.status_code, _detail(exc)
        fields: dict[str, Any] = {"status_code": status, "request_id": exc.request_id,
                                  "code": exc.code}
        log.debug("model endpoint error: status=%s code=%s request_id=%s", status, exc.code,
                  exc.request_id)
        if status == 429 and "insufficient_quota" in (exc.code, exc.type):
            return QuotaExceededError(
                f"{endpoint} says the account is out of quota (429 insufficient_quota): {detail} "
                "Add credit or use another key; retrying cannot help.", **fields)
        if status == 429:
            return RateLimitError(
                f"{endpoint} kept rate-limiting the requests (429): {detail} Lower the "
                "concurrency or try again later.", **fields)
        # llama-cpp-python rejects json_schema with a 500, not a 400; retrying cannot help.
        if status not in _NOT_A_FEATURE_STATUS and _is_unsupported_feature(exc):
            return UnsupportedFeatureError(
                f"{endpoint} rejected a request feature (HTTP {status}): {detail}", **fields)
        if status == 401:
            return ModelAPIError(
                f"{endpoint} rejected the API key (401): {detail} Check OPENAI_API_KEY or "
                "--api-key, and that the key belongs to this base URL's provider.", **fields)
        if status == 403:
            return ModelAPIError(
                f"{endpoint} refused access (403) to model {model!r}: {detail} Check the key's "
                "project permissions.", **fields)
        if status == 404:
            return ModelAPIError(
                f"{endpoint} answered 404 for model {model!r}: {detail} Check the model name "
                "(--model / ROLEPLAY_MODEL) and that the base URL ends in /v1.", **fields)
        return ModelAPIError(f"{endpoint} answered HTTP {status}: {detail}", **fields)
    return ModelAPIError(f"{endpoint} failed: {redact(exc.message)}", code=exc.code)


@contextmanager
def _translate(endpoint: str, model: str) -> Iterator[None]:
    """Map SDK errors (and undecodable bodies) raised in the block to `roleplay.errors`."""
    try:
        yield
    except openai.APIError as exc:
        raise _map_error(exc, endpoint, model) from exc
    except json.JSONDecodeError as exc:
        raise ModelAPIError(
            f"{endpoint} answered with a body that is not valid JSON ({exc.msg}); check that "
            "the base URL is an OpenAI-compatible /v1 endpoint.",
            status_code=200,
        ) from exc


def _usage(usage: CompletionUsage | None, request: ChatRequest, text: str,
           model: str) -> tuple[Usage, bool]:
    if usage is None:
        estimate = Usage(prompt_tokens=count_messages(request.messages, model),
                         completion_tokens=count_text(text, model), calls=1)
        return estimate, False
    details = usage.prompt_tokens_details
    cached = (details.cached_tokens if details is not None else None) or 0
    return Usage(prompt_tokens=usage.prompt_tokens or 0,
                 completion_tokens=usage.completion_tokens or 0,
                 cached_tokens=cached, calls=1), True


class _StreamState:
    """Accumulates one streamed attempt."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.parts: list[str] = []
        self.refusal: list[str] = []
        self.finish_reason: str | None = None
        self.usage: CompletionUsage | None = None
        self.model: str | None = None
        self.request_id: str | None = None

    def begin(self, headers: Any) -> None:
        self.request_id = headers.get("x-request-id")
        content_type = str(headers.get("content-type", ""))
        if not content_type.startswith("text/event-stream"):
            raise ModelAPIError(
                f"{self.endpoint} answered a streaming request with {content_type or 'no'} "
                "content instead of an event stream; check that the base URL is an "
                "OpenAI-compatible /v1 endpoint.",
                status_code=200, request_id=self.request_id,
            )

    def add(self, chunk: ChatCompletionChunk) -> str:
        """Take one chunk; return its text delta ('' when it has none)."""
        if chunk.model:
            self.model = chunk.model
        if chunk.usage is not None:
            self.usage = chunk.usage
        # With include_usage the last chunk has no choices; never index blindly.
        if not chunk.choices:
            return ""
        choice = chunk.choices[0]
        if choice.finish_reason:
            self.finish_reason = choice.finish_reason
        delta = choice.delta
        if delta.refusal:
            self.refusal.append(delta.refusal)
        if delta.content:
            self.parts.append(delta.content)
            return delta.content
        return ""

    def response(self, request: ChatRequest, model_name: str) -> ChatResponse:
        if self.finish_reason is None:
            # Some servers end the body cleanly when they die mid-stream; that is a drop too.
            raise ModelConnectionError(
                f"The stream from {self.endpoint} ended before the reply was complete (no "
                "finish_reason).",
                request_id=self.request_id,
            )
        text = "".join(self.parts)
        usage, reported = _usage(self.usage, request, text, model_name)
        return ChatResponse(
            text=text, model=self.model or model_name, finish_reason=self.finish_reason,
            usage=usage, usage_reported=reported, refusal="".join(self.refusal) or None,
            request_id=self.request_id,
        )
