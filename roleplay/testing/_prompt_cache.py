"""A stand-in for a provider's prompt cache, so the local server can report ``cached_tokens``.

It follows OpenAI's published rule: a prompt prefix is cached once it is at least 1,024 tokens
long, in steps of 128 tokens, and a later request whose leading tokens match a cached prefix
exactly has that many tokens reported as ``usage.prompt_tokens_details.cached_tokens``. Entries
never expire here (a provider evicts them after minutes of disuse), so a test sees the best
case. Only the messages are tokenised, as the server counts ``prompt_tokens``.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Mapping

from roleplay.tokens import encoding_for_model

__all__ = ["MIN_CACHED_PREFIX", "PREFIX_STEP", "PromptCache"]

MIN_CACHED_PREFIX = 1024
"""The shortest prefix a provider caches."""
PREFIX_STEP = 128
"""Longer prefixes are cached in steps of this many tokens."""


class PromptCache:
    """Remembers prompt prefixes at 1,024 + k x 128 token boundaries, by hash."""

    def __init__(self) -> None:
        self._seen: set[bytes] = set()
        self._lock = threading.Lock()

    @staticmethod
    def _tokens(messages: Iterable[Mapping[str, str]], model: str) -> list[int]:
        encoding = encoding_for_model(model)
        tokens: list[int] = []
        for message in messages:
            text = f"{message.get('role', '')}\n{message.get('content', '')}"
            tokens += encoding.encode(text, disallowed_special=())
        return tokens

    def cached_tokens(self, messages: Iterable[Mapping[str, str]], model: str) -> int:
        """Tokens of this request served from the cache; its own prefixes are cached after."""
        tokens = self._tokens(messages, model)
        digests: list[bytes] = []
        state = hashlib.sha256()
        position = 0
        boundary = MIN_CACHED_PREFIX
        while boundary <= len(tokens):
            state.update(b"".join(t.to_bytes(4, "little") for t in tokens[position:boundary]))
            digests.append(state.copy().digest())
            position, boundary = boundary, boundary + PREFIX_STEP
        with self._lock:
            hit = 0
            for i, digest in enumerate(digests):
                if digest not in self._seen:
                    break
                hit = MIN_CACHED_PREFIX + i * PREFIX_STEP
            self._seen.update(digests)
        return hit
