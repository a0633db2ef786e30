"""The demo interviewer and judge: the shipped scripted responders behind a paced async model.

`roleplay serve` without a key uses this, so anyone can click through a whole practice
interview and its report offline. The words are scripted (`roleplay.scripted`, also shipped in
`roleplay.testing`), never an LLM's, and every page says so.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable

from roleplay.llm.base import ChatRequest, ChatResponse, DeltaCallback, Usage
from roleplay.persona import Persona
from roleplay.scripted import as_chat_function, simulation_responder
from roleplay.tokens import count_messages, count_text

__all__ = ["DEMO_MODEL_NAME", "DemoChatModel"]

DEMO_MODEL_NAME = "demo-scripted"
_PIECE = re.compile(r"\S+\s*|\s+")


class DemoChatModel:
    """An `AsyncChatModel` that plays every persona's interviewer and a keyword-rule judge.

    Args:
        personas: The personas it can interview as.
        pace: Seconds between streamed words, so the demo streams like a model does.
    """

    def __init__(self, personas: Iterable[Persona], *, pace: float = 0.02) -> None:
        self._personas = list(personas)
        self._reply = as_chat_function(simulation_responder(self._personas))
        self.pace = pace

    def add_persona(self, persona: Persona) -> None:
        """Interview as ``persona`` too (one drafted from a posting in the app)."""
        self._personas.append(persona)
        self._reply = as_chat_function(simulation_responder(self._personas))

    @property
    def model_name(self) -> str:
        """``demo-scripted``."""
        return DEMO_MODEL_NAME

    @property
    def endpoint(self) -> str:
        """A fake endpoint identity (nothing is called over the network)."""
        return "demo://scripted"

    async def acomplete(
        self, request: ChatRequest, *, on_delta: DeltaCallback | None = None
    ) -> ChatResponse:
        """The scripted reply, streamed word by word through ``on_delta``."""
        text = self._reply(request)
        if on_delta is not None:
            for piece in _PIECE.findall(text):
                on_delta(piece)
                await asyncio.sleep(self.pace)
        usage = Usage(prompt_tokens=count_messages(request.messages, DEMO_MODEL_NAME),
                      completion_tokens=count_text(text, DEMO_MODEL_NAME), calls=1)
        return ChatResponse(text=text, model=DEMO_MODEL_NAME, usage=usage)
