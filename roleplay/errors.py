"""The exception tree of `roleplay`.

Every error the library raises on purpose derives from `RoleplayError`, and every message
says what to do next::

    RoleplayError
    ├── ConfigError                 bad persona, rubric, suite, transcript file or settings
    │   ├── MissingAPIKeyError      no key for the model endpoint
    │   └── TranscriptError         a transcript that cannot be read or used
    ├── ModelAPIError               the endpoint failed (wraps the SDK error; status, request id)
    │   ├── RateLimitError          429 that survived the retry budget
    │   ├── QuotaExceededError      429 insufficient_quota: never retried
    │   ├── ModelTimeoutError       the request timed out on every attempt
    │   ├── ModelConnectionError    connection refused, reset, or a stream that dropped
    │   └── UnsupportedFeatureError the endpoint rejected a request feature (e.g. json_schema)
    ├── ModelOutputError            the endpoint answered, but not with usable output
    │   ├── RefusalError            the model refused
    │   ├── OutputTruncatedError    finish_reason == "length"
    │   ├── ContentFilterError      finish_reason == "content_filter"
    │   └── StructuredOutputError   a structured reply still invalid after the re-ask
    │       └── JudgeOutputError    ... from the judge
    └── BudgetExceededError         a turn, token or cost budget was hit
"""

from __future__ import annotations

__all__ = [
    "BudgetExceededError",
    "ConfigError",
    "ContentFilterError",
    "JudgeOutputError",
    "MissingAPIKeyError",
    "ModelAPIError",
    "ModelConnectionError",
    "ModelOutputError",
    "ModelTimeoutError",
    "OutputTruncatedError",
    "QuotaExceededError",
    "RateLimitError",
    "RefusalError",
    "RoleplayError",
    "StructuredOutputError",
    "TranscriptError",
    "UnsupportedFeatureError",
]


class RoleplayError(Exception):
    """Base class of every error raised by `roleplay`.

    Attributes:
        paid_usage: A `roleplay.llm.base.Usage` of the model calls that answered (and were
            billed) before this error ended the work, when known; budgets count it. Typed
            ``object`` because this module sits below the model layer.
    """

    paid_usage: object | None = None


class ConfigError(RoleplayError):
    """Invalid user-supplied configuration: a persona, rubric, suite or settings value.

    Attributes:
        path: The file at fault, when there is one.
        field: The dotted field path at fault, when known.
    """

    def __init__(self, message: str, *, path: str | None = None, field: str | None = None) -> None:
        prefix = ""
        if path:
            prefix += f"{path}: "
        if field:
            prefix += f"{field}: "
        super().__init__(prefix + message)
        self.path = path
        self.field = field


class MissingAPIKeyError(ConfigError):
    """No API key was configured for the model endpoint.

    Args:
        command_line: Word the advice for the ``roleplay`` command (its flags) rather than
            for code calling the library.
    """

    def __init__(self, *, command_line: bool = False) -> None:
        key = "--api-key" if command_line else "api_key=... to the model"
        model = "ROLEPLAY_MODEL or --model" if command_line else "ROLEPLAY_MODEL"
        super().__init__(
            f"No API key is configured for the model endpoint. Set OPENAI_API_KEY (or pass "
            f"{key}), or point OPENAI_BASE_URL at a local OpenAI-compatible server that needs "
            "no key (Ollama, vLLM, llama.cpp; e.g. http://127.0.0.1:8080/v1) with any "
            f"placeholder key, e.g. OPENAI_API_KEY=local; choose the model with {model}. To "
            "try it offline with no model at all, start the scripted stand-in with `python -m "
            "roleplay.testing` and set the OPENAI_BASE_URL it prints, with OPENAI_API_KEY=local."
        )


class TranscriptError(ConfigError):
    """A transcript file or object cannot be read or used (names the file and line)."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        super().__init__(message, path=path, field=f"line {line}" if line is not None else None)
        self.line = line


class ModelAPIError(RoleplayError):
    """The model endpoint returned an error or could not be reached.

    Attributes:
        status_code: HTTP status, when the server answered.
        request_id: The server's request id (``x-request-id``), when present.
        code: The error code from the body (e.g. ``rate_limit_exceeded``), when present.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        request_id: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.request_id = request_id
        self.code = code


class RateLimitError(ModelAPIError):
    """The endpoint kept rate-limiting after every retry; slow down or lower concurrency."""


class QuotaExceededError(ModelAPIError):
    """The account is out of quota (429 ``insufficient_quota``); retrying cannot help."""


class ModelTimeoutError(ModelAPIError):
    """Every attempt timed out."""


class ModelConnectionError(ModelAPIError):
    """The endpoint could not be reached, or the connection (or stream) dropped."""


class UnsupportedFeatureError(ModelAPIError):
    """The endpoint rejected a feature of the request, e.g. ``response_format: json_schema``."""


class ModelOutputError(RoleplayError):
    """The endpoint answered, but the output cannot be used.

    Attributes:
        raw: The raw text the model returned (possibly partial).
    """

    def __init__(self, message: str, *, raw: str | None = None) -> None:
        super().__init__(message)
        self.raw = raw


class RefusalError(ModelOutputError):
    """The model refused to answer."""


class OutputTruncatedError(ModelOutputError):
    """The reply hit the token limit (``finish_reason == "length"``); raise max_tokens."""


class ContentFilterError(ModelOutputError):
    """The endpoint's content filter stopped the reply."""


class StructuredOutputError(ModelOutputError):
    """A structured reply was still invalid after the re-ask.

    Attributes:
        attempts: How many replies were tried.
        errors: The validation error of each attempt.
    """

    def __init__(
        self, message: str, *, raw: str | None, attempts: int, errors: list[str] | None = None
    ) -> None:
        super().__init__(message, raw=raw)
        self.attempts = attempts
        self.errors = errors or []


class JudgeOutputError(StructuredOutputError):
    """The judge's reply was still invalid after the re-ask."""


class BudgetExceededError(RoleplayError):
    """A turn, token or cost budget was exhausted."""
