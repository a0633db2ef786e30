"""Reading the interviewer's reply: its words while the JSON streams, and after a bad reply."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Final

from roleplay.llm.structured import extract_json

__all__ = ["FALLBACK_UTTERANCE", "UtteranceStream", "best_utterance"]

FALLBACK_UTTERANCE: Final = "Sorry, I lost my train of thought there. Could you go on?"
"""What the interviewer says when a reply held no usable words at all (see `best_utterance`)."""


_ESCAPES: Final[dict[str, str]] = {
    '"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t",
}


class UtteranceStream:
    r"""Incrementally extracts the ``utterance`` string from streamed JSON.

    Feed it the raw deltas of a structured reply (`feed` is a `DeltaCallback`); it calls
    ``on_text`` with the decoded characters of the top-level ``utterance`` value as they arrive,
    escapes included (``\n``, ``\"``, ``\uXXXX`` and surrogate pairs). Text outside the
    JSON object (prose or a code fence around it) is ignored.

    A re-asked reply starts a new JSON object; only the first object that yields words is
    passed to ``on_text`` (the later ones are still decoded into `text`), so the reader never
    sees the same turn twice. Compare `text` with the validated utterance to spot a correction.
    """

    def __init__(self, on_text: Callable[[str], None] | None = None) -> None:
        self._on_text = on_text
        self.emitted = ""
        """Everything passed to ``on_text`` so far."""
        self.text = ""
        """The utterance decoded from the latest object that had one (possibly partial)."""
        self._objects = 0
        self._emitting: int | None = None  # the object whose words go to on_text
        self._reset()

    def _reset(self) -> None:
        self._stack: list[str] = []  # "{" or "[" per open container
        self._expect_key = False
        self._in_string = False
        self._string_is_key = False
        self._capturing = False
        self._escape = False
        self._unicode: str | None = None
        self._high_surrogate: int | None = None
        self._key = ""
        self._last_key: str | None = None
        self._current = ""

    def _emit(self, chars: str) -> None:
        self._current += chars
        self.text = self._current
        if self._emitting is None:
            self._emitting = self._objects
        if self._emitting == self._objects:
            self.emitted += chars
            if self._on_text is not None:
                self._on_text(chars)

    def _string_char(self, chars: str) -> None:
        if self._string_is_key:
            self._key += chars
        elif self._capturing:
            self._emit(chars)

    def _decoded(self, code: int) -> None:
        if 0xD800 <= code <= 0xDBFF:
            if self._high_surrogate is not None:
                self._string_char("\ufffd")
            self._high_surrogate = code
            return
        if 0xDC00 <= code <= 0xDFFF:
            if self._high_surrogate is None:
                self._string_char("\ufffd")
                return
            code = 0x10000 + ((self._high_surrogate - 0xD800) << 10) + (code - 0xDC00)
            self._high_surrogate = None
        self._flush_surrogate()
        self._string_char(chr(code))

    def _flush_surrogate(self) -> None:
        if self._high_surrogate is not None:
            self._high_surrogate = None
            self._string_char("\ufffd")

    def feed(self, delta: str) -> None:
        """Consume the next piece of raw reply text."""
        for ch in delta:
            self._step(ch)

    def _step(self, ch: str) -> None:
        if self._in_string:
            if self._unicode is not None:
                self._unicode += ch
                if len(self._unicode) == 4:
                    try:
                        code = int(self._unicode, 16)
                    except ValueError:
                        code = 0xFFFD
                    self._unicode = None
                    self._decoded(code)
                return
            if self._escape:
                self._escape = False
                if ch == "u":
                    self._unicode = ""
                    return
                self._flush_surrogate()
                self._string_char(_ESCAPES.get(ch, ch))
                return
            if ch == "\\":
                self._escape = True
                return
            if ch == '"':
                self._flush_surrogate()
                self._in_string = False
                if self._string_is_key and len(self._stack) == 1:
                    self._last_key = self._key
                self._capturing = False
                return
            self._flush_surrogate()
            self._string_char(ch)
            return
        if not self._stack:
            if ch == "{":
                self._reset()
                self._objects += 1
                self._stack.append("{")
                self._expect_key = True
            return
        if ch == '"':
            self._in_string = True
            top = self._stack[-1]
            self._string_is_key = top == "{" and self._expect_key
            if self._string_is_key:
                self._key = ""
            else:
                self._capturing = (
                    len(self._stack) == 1 and top == "{" and self._last_key == "utterance"
                )
                if self._capturing:
                    self._current = ""
        elif ch in "{[":
            self._stack.append(ch)
            self._expect_key = ch == "{"
        elif ch in "}]":
            self._stack.pop()
            self._expect_key = False
        elif ch == ":":
            self._expect_key = False
        elif ch == ",":
            self._expect_key = self._stack[-1] == "{"
            if len(self._stack) == 1:
                self._last_key = None


def best_utterance(raw: str | None) -> str:
    """The interviewer's words recovered from a reply that did not validate.

    In order: the ``utterance`` field of the JSON object in ``raw`` (even an incomplete object,
    as left by a truncated reply); else ``raw`` itself when it holds no JSON at all (the model
    answered in prose, which is then the utterance); else `FALLBACK_UTTERANCE`, a neutral line
    that keeps the conversation going.
    """
    if not raw or not raw.strip():
        return FALLBACK_UTTERANCE
    try:
        data = json.loads(extract_json(raw))
    except ValueError:
        data = None
    if isinstance(data, dict):
        value = data.get("utterance")
        if isinstance(value, str) and value.strip():
            return value.strip()
    stream = UtteranceStream()
    stream.feed(raw)
    if stream.text.strip():
        return stream.text.strip()
    if "{" not in raw:
        return raw.strip()
    return FALLBACK_UTTERANCE
