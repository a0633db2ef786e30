"""In-process fake chat models: the first test tier, for users' tests as much as ours."""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Union

from roleplay.llm.base import ChatRequest, ChatResponse, DeltaCallback, Usage, check_finish
from roleplay.tokens import count_messages, count_text

__all__ = ["FunctionChatModel", "Reply", "ScriptedChatModel"]

Reply = Union[str, ChatResponse, BaseException]
"""A queued reply: text, a full response (e.g. ``finish_reason="length"``), or an error to raise."""

_CHUNK = re.compile(r"\S+\s*|\s+")


def _respond(model_name: str, request: ChatRequest, reply: str | ChatResponse,
             on_delta: DeltaCallback | None) -> ChatResponse:
    if isinstance(reply, str):
        usage = Usage(
            prompt_tokens=count_messages(request.messages, model_name),
            completion_tokens=count_text(reply, model_name),
            calls=1,
        )
        reply = ChatResponse(text=reply, model=model_name, usage=usage)
    if on_delta is not None:
        for piece in _CHUNK.findall(reply.text):
            on_delta(piece)
    return check_finish(reply)


class _FakeBase:
    def __init__(self, model_name: str, endpoint: str) -> None:
        self._model_name = model_name
        self._endpoint = endpoint
        self.requests: list[ChatRequest] = []
        """Every request received, in order."""
        self._lock = threading.Lock()

    @property
    def model_name(self) -> str:
        """The fake model's name (used for token counting and cost look-ups)."""
        return self._model_name

    @property
    def endpoint(self) -> str:
        """A fake endpoint identity."""
        return self._endpoint

    @property
    def calls(self) -> int:
        """How many requests were made."""
        return len(self.requests)


class ScriptedChatModel(_FakeBase):
    """Replies from a queue, records every request; usable as `ChatModel` and `AsyncChatModel`.

    Example:
        >>> model = ScriptedChatModel(["Hello, tell me about yourself."])
        >>> model.complete(request).text
        'Hello, tell me about yourself.'
    """

    def __init__(self, replies: Iterable[Reply] = (), *, model_name: str = "gpt-4o-mini",
                 endpoint: str = "scripted://") -> None:
        super().__init__(model_name, endpoint)
        self._queue: deque[Reply] = deque(replies)

    def enqueue(self, *replies: Reply) -> None:
        """Add replies to the end of the queue."""
        with self._lock:
            self._queue.extend(replies)

    @property
    def remaining(self) -> int:
        """Replies not yet used."""
        return len(self._queue)

    def _next(self, request: ChatRequest) -> str | ChatResponse:
        with self._lock:
            self.requests.append(request)
            if not self._queue:
                raise AssertionError(
                    f"ScriptedChatModel ran out of replies at request {len(self.requests)}"
                )
            reply = self._queue.popleft()
        if isinstance(reply, BaseException):
            raise reply
        return reply

    def complete(
        self, request: ChatRequest, *, on_delta: DeltaCallback | None = None
    ) -> ChatResponse:
        """Pop the next reply."""
        return _respond(self.model_name, request, self._next(request), on_delta)

    async def acomplete(self, request: ChatRequest, *,
                        on_delta: DeltaCallback | None = None) -> ChatResponse:
        """Pop the next reply."""
        return _respond(self.model_name, request, self._next(request), on_delta)


class FunctionChatModel(_FakeBase):
    """Computes each reply from the request; usable as `ChatModel` and `AsyncChatModel`.

    ``function`` may be sync or async; an async one works only through ``acomplete``.
    """

    def __init__(
        self,
        function: Callable[[ChatRequest], str | ChatResponse]
        | Callable[[ChatRequest], Awaitable[str | ChatResponse]],
        *,
        model_name: str = "gpt-4o-mini",
        endpoint: str = "function://",
    ) -> None:
        super().__init__(model_name, endpoint)
        self.function = function

    def complete(
        self, request: ChatRequest, *, on_delta: DeltaCallback | None = None
    ) -> ChatResponse:
        """Reply with ``function(request)``."""
        with self._lock:
            self.requests.append(request)
        reply = self.function(request)
        if isinstance(reply, Awaitable):
            raise TypeError("an async function needs acomplete(), not complete()")
        return _respond(self.model_name, request, reply, on_delta)

    async def acomplete(self, request: ChatRequest, *,
                        on_delta: DeltaCallback | None = None) -> ChatResponse:
        """Reply with ``function(request)``, awaiting it when it is async."""
        with self._lock:
            self.requests.append(request)
        reply = self.function(request)
        if isinstance(reply, Awaitable):
            reply = await reply
        return _respond(self.model_name, request, reply, on_delta)
