"""Reading a chat-completions request body: messages, the requested schema, text helpers."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any, Final, Union

from roleplay.llm.base import ChatRequest

ServerReply = Union[str, dict[str, Any], list[Any]]
"""A scripted reply: text, or a JSON value that is sent as the message content (JSON-encoded)."""
Responder = Callable[[dict[str, Any]], ServerReply]
"""Computes a reply from the parsed request body."""

_REASK_START: Final = "That reply did not validate against the required schema."
_SCHEMA_MARKER: Final = "validates against this JSON Schema:\n"
_TRANSCRIPT_BLOCK: Final = re.compile(r"<(transcript-[0-9A-Za-z]+)>\n(.*?)\n</\1>", re.DOTALL)
_LINE: Final = re.compile(r"^\[T(\d+)\]\[(INTERVIEWER|CANDIDATE)\] ?(.*)$")
_SENTENCE: Final = re.compile(r"[^.!?\n]+(?:[.!?]+|$)", re.MULTILINE)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _messages(body: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for message in body.get("messages") or []:
        if isinstance(message, dict):
            out.append((str(message.get("role", "")), _text(message.get("content"))))
    return out


def _without_reask(messages: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The conversation without a trailing re-ask (the failed reply and the correction)."""
    if (len(messages) >= 2 and messages[-1][0] == "user"
            and messages[-1][1].startswith(_REASK_START) and messages[-2][0] == "assistant"):
        return messages[:-2]
    return messages


def _system(messages: Sequence[tuple[str, str]]) -> str:
    return messages[0][1] if messages and messages[0][0] == "system" else ""


def _requested_schema(body: dict[str, Any], system: str) -> dict[str, Any] | None:
    """The JSON Schema the request asks for: in ``response_format``, or appended to the prompt."""
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        spec = fmt.get("json_schema") or {}
        schema = spec.get("schema") if isinstance(spec, dict) else None
        if isinstance(schema, dict):
            return schema
    at = system.rfind(_SCHEMA_MARKER)
    if at >= 0:
        try:
            schema = json.loads(system[at + len(_SCHEMA_MARKER):].strip())
        except ValueError:
            return None
        return schema if isinstance(schema, dict) else None
    return None


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def _words(text: str) -> int:
    return len(re.findall(r"[^\W_]+(?:'[^\W_]+)*", text))


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def request_body(request: ChatRequest) -> dict[str, Any]:
    """The chat-completions body a `ChatRequest` becomes on the wire (messages and format).

    Lets a responder serve in-process fakes exactly as it serves the local server.
    """
    body: dict[str, Any] = {
        "messages": [{"role": m.role, "content": m.content} for m in request.messages],
    }
    fmt = request.response_format
    if fmt is not None and fmt.type == "json_schema":
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": fmt.name or "output", "strict": True,
                            "schema": fmt.json_schema},
        }
    elif fmt is not None:
        body["response_format"] = {"type": fmt.type}
    return body


def as_chat_function(responder: Responder) -> Callable[[ChatRequest], str]:
    """Adapt ``responder`` for `FunctionChatModel`: ``FunctionChatModel(as_chat_function(r))``."""

    def reply(request: ChatRequest) -> str:
        out = responder(request_body(request))
        return out if isinstance(out, str) else json.dumps(out, ensure_ascii=False)

    return reply


