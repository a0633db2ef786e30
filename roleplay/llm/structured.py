"""Structured output over any chat model: a fallback chain plus one validated re-ask.

Endpoints differ: OpenAI enforces ``json_schema``; llama.cpp rejects it but accepts
``json_object``; some servers accept neither. `complete_structured` walks the chain
``json_schema`` (strict) -> ``json_object`` (schema in the prompt) -> plain text (JSON extracted),
remembers per endpoint the step that worked, validates every reply with pydantic (no server's
``strict`` is trusted) and re-asks once with the validation error. This loop is separate from
the network retry layer (which lives in the OpenAI adapter), so the two never multiply.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from roleplay.errors import StructuredOutputError, UnsupportedFeatureError
from roleplay.llm.base import (
    AsyncChatModel,
    ChatModel,
    ChatRequest,
    ChatResponse,
    DeltaCallback,
    Message,
    ResponseFormat,
    Usage,
)

__all__ = [
    "FORMAT_CHAIN",
    "FormatMemory",
    "FormatStep",
    "StructuredResult",
    "acomplete_structured",
    "complete_structured",
    "extract_json",
    "strict_schema",
]

T = TypeVar("T", bound=BaseModel)
FormatStep = Literal["json_schema", "json_object", "text"]
FORMAT_CHAIN: tuple[FormatStep, ...] = ("json_schema", "json_object", "text")


class FormatMemory:
    """Remembers, per endpoint and model, the first chain step that worked (thread-safe)."""

    def __init__(self) -> None:
        self._steps: dict[tuple[str, str], FormatStep] = {}
        self._lock = threading.Lock()

    def get(self, endpoint: str, model: str) -> FormatStep:
        """The step to start with for this endpoint and model."""
        with self._lock:
            return self._steps.get((endpoint, model), FORMAT_CHAIN[0])

    def set(self, endpoint: str, model: str, step: FormatStep) -> None:
        """Record that ``step`` is the first one this endpoint accepts."""
        with self._lock:
            self._steps[(endpoint, model)] = step

    def clear(self) -> None:
        """Forget everything (tests, or after reconfiguring a server)."""
        with self._lock:
            self._steps.clear()


_DEFAULT_MEMORY = FormatMemory()


@dataclass(frozen=True)
class StructuredResult(Generic[T]):
    """A validated structured reply."""

    output: T
    """The validated object."""
    raw: str
    """The raw text of the reply that validated."""
    usage: Usage
    """Usage summed over every attempt, including failed ones."""
    attempts: int
    """Replies requested: 1, or 2 after a re-ask."""
    format: FormatStep
    """The chain step that produced the reply."""
    errors: list[str] = field(default_factory=list)
    """Validation errors of the attempts that failed."""


def strict_schema(output_type: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema of ``output_type`` in OpenAI's strict form (a fresh copy each call).

    Every object gets ``additionalProperties: false`` and all its properties required, as strict
    mode demands; bounds (``minimum`` ...) stay in, but are also validated locally.
    """
    result: dict[str, Any] = json.loads(_strict_schema_json(output_type))
    return result


@functools.lru_cache(maxsize=256)
def _strict_schema_json(output_type: type[BaseModel]) -> str:
    # Generating a pydantic schema costs about a millisecond; interviews ask for the same
    # move schema every turn, so build it once per type.
    schema = output_type.model_json_schema()

    def fix(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                node["additionalProperties"] = False
                node["required"] = list(node["properties"])
            node.pop("default", None)
            node.pop("title", None)
            for key, value in node.items():
                if key in ("properties", "$defs") and isinstance(value, dict):
                    # Maps of names to schemas: a field named "title" or "default" must stay.
                    for schema in value.values():
                        fix(schema)
                else:
                    fix(value)
        elif isinstance(node, list):
            for item in node:
                fix(item)

    fix(schema)
    return json.dumps(schema)


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def extract_json(text: str) -> str:
    """Pull the JSON object out of a free-text reply (fenced block, or first ``{`` to last ``}``).

    Returns the text unchanged when nothing JSON-like is found, so validation reports the error.
    """
    fenced = _FENCE.search(text)
    if fenced:
        return fenced.group(1).strip()
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        return text[start : end + 1]
    return text.strip()


def _schema_instruction(schema: dict[str, Any]) -> str:
    return (
        "Reply with one JSON object only, no prose and no code fence, that validates against "
        "this JSON Schema:\n" + json.dumps(schema, separators=(",", ":"), sort_keys=True)
    )


def _request_for(
    request: ChatRequest, step: FormatStep, schema: dict[str, Any], name: str
) -> ChatRequest:
    if step == "json_schema":
        strict = ResponseFormat(type="json_schema", name=name, json_schema=schema)
        return request.model_copy(update={"response_format": strict})
    # Without server-side enforcement the schema must travel in the prompt.
    messages = list(request.messages)
    instruction = _schema_instruction(schema)
    if messages and messages[0].role == "system":
        messages[0] = Message(role="system", content=messages[0].content + "\n\n" + instruction)
    else:
        messages.insert(0, Message(role="system", content=instruction))
    fmt: ResponseFormat | None = (
        ResponseFormat(type="json_object") if step == "json_object" else None
    )
    return request.model_copy(update={"messages": tuple(messages), "response_format": fmt})


def _reask(request: ChatRequest, raw: str, error: str) -> ChatRequest:
    messages = (
        *request.messages,
        Message(role="assistant", content=raw),
        Message(
            role="user",
            content=(
                "That reply did not validate against the required schema. Error:\n"
                f"{error}\nReply again with the corrected JSON object only."
            ),
        ),
    )
    return request.model_copy(update={"messages": messages})


def _validate(output_type: type[T], raw: str, step: FormatStep) -> T:
    text = extract_json(raw) if step == "text" else raw.strip()
    try:
        return output_type.model_validate_json(text)
    except ValidationError:
        if step == "text":
            raise
        # Some servers wrap JSON in a fence even in JSON mode; try the extracted form once.
        return output_type.model_validate_json(extract_json(raw))


def _short_error(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors()
    )[:2000]


class _Attempts(Generic[T]):
    """The pure part of the loop, shared by the sync and async drivers."""

    def __init__(self, model_name: str, endpoint: str, output_type: type[T], max_reasks: int,
                 memory: FormatMemory) -> None:
        self.output_type = output_type
        self.schema = strict_schema(output_type)
        self.name = re.sub(r"[^a-zA-Z0-9_-]", "_", output_type.__name__)[:64]
        self.max_reasks = max_reasks
        self.memory = memory
        self.model_name = model_name
        self.endpoint = endpoint
        self.usage = Usage()
        self.errors: list[str] = []
        self.attempts = 0
        self.last_raw: str | None = None

    def steps(self) -> tuple[FormatStep, ...]:
        start = self.memory.get(self.endpoint, self.model_name)
        return FORMAT_CHAIN[FORMAT_CHAIN.index(start) :]

    def accept_step(self, step: FormatStep) -> None:
        self.memory.set(self.endpoint, self.model_name, step)

    def record(self, step: FormatStep, response: ChatResponse) -> T | None:
        self.attempts += 1
        self.usage = self.usage + response.usage
        self.last_raw = response.text
        try:
            return _validate(self.output_type, response.text, step)
        except ValidationError as exc:
            self.errors.append(_short_error(exc))
            return None

    def result(self, output: T, step: FormatStep) -> StructuredResult[T]:
        return StructuredResult(output=output, raw=self.last_raw or "", usage=self.usage,
                                attempts=self.attempts, format=step, errors=list(self.errors))

    def failure(self) -> StructuredOutputError:
        return StructuredOutputError(
            f"The model's reply did not validate as {self.output_type.__name__} after "
            f"{self.attempts} attempt(s): {self.errors[-1] if self.errors else 'no reply'}",
            raw=self.last_raw,
            attempts=self.attempts,
            errors=list(self.errors),
        )


def complete_structured(
    model: ChatModel,
    request: ChatRequest,
    output_type: type[T],
    *,
    max_reasks: int = 1,
    memory: FormatMemory | None = None,
    on_delta: DeltaCallback | None = None,
) -> StructuredResult[T]:
    """Complete ``request`` into a validated ``output_type``.

    ``on_delta`` streams the raw text of each attempt (re-asks included), for live display.

    Raises:
        StructuredOutputError: the reply was still invalid after ``max_reasks`` re-asks.
        UnsupportedFeatureError: the endpoint rejected every step of the chain.
    """
    state = _Attempts(model.model_name, model.endpoint, output_type, max_reasks,
                      memory or _DEFAULT_MEMORY)
    last_unsupported: UnsupportedFeatureError | None = None
    for step in state.steps():
        current = _request_for(request, step, state.schema, state.name)
        try:
            response = model.complete(current, on_delta=on_delta)
        except UnsupportedFeatureError as exc:
            last_unsupported = exc
            continue
        state.accept_step(step)
        for reask in range(max_reasks + 1):
            output = state.record(step, response)
            if output is not None:
                return state.result(output, step)
            if reask == max_reasks:
                break
            current = _reask(current, response.text, state.errors[-1])
            response = model.complete(current, on_delta=on_delta)
        raise state.failure()
    assert last_unsupported is not None
    raise last_unsupported


async def acomplete_structured(
    model: AsyncChatModel,
    request: ChatRequest,
    output_type: type[T],
    *,
    max_reasks: int = 1,
    memory: FormatMemory | None = None,
    on_delta: DeltaCallback | None = None,
) -> StructuredResult[T]:
    """Async twin of `complete_structured`."""
    state = _Attempts(model.model_name, model.endpoint, output_type, max_reasks,
                      memory or _DEFAULT_MEMORY)
    last_unsupported: UnsupportedFeatureError | None = None
    for step in state.steps():
        current = _request_for(request, step, state.schema, state.name)
        try:
            response = await model.acomplete(current, on_delta=on_delta)
        except UnsupportedFeatureError as exc:
            last_unsupported = exc
            continue
        state.accept_step(step)
        for reask in range(max_reasks + 1):
            output = state.record(step, response)
            if output is not None:
                return state.result(output, step)
            if reask == max_reasks:
                break
            current = _reask(current, response.text, state.errors[-1])
            response = await model.acomplete(current, on_delta=on_delta)
        raise state.failure()
    assert last_unsupported is not None
    raise last_unsupported
