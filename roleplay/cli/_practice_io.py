"""The terminal side of ``roleplay practice``: answers in, words out, a status, autosave.

A person's interview exists nowhere else, so it is saved atomically after each turn, and
SIGTERM and SIGHUP (a killed process, a closed terminal or SSH session) end the interview the
way Ctrl-C does: it is marked ``interrupted`` and saved, ready for ``--resume``.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TextIO

from roleplay.llm.base import ChatModel, ChatRequest, ChatResponse, DeltaCallback
from roleplay.transcript import Transcript

__all__ = ["AutoSave", "Terminal", "Thinking", "signals_interrupt"]

# The signals that end a terminal session; SIGHUP does not exist on Windows.
_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class Terminal:
    """Writes the streamed interviewer words under a speaker label, and reads the answers."""

    def __init__(self, out: TextIO, interviewer: str) -> None:
        self.out = out
        self.label = f"{interviewer}: "
        self.at_turn_start = True

    def write(self, text: str) -> None:
        """Show interviewer words (the label first, at the start of a turn)."""
        if self.at_turn_start:
            self.out.write("\n" + self.label)
            self.at_turn_start = False
        self.out.write(text)
        self.out.flush()

    def read(self, prompt: str) -> str:
        """Read one answer line."""
        self.at_turn_start = True
        line = input(prompt)
        if not sys.stdin.isatty():
            # Piped answers are not echoed by a terminal; show them so the output reads as a
            # conversation.
            self.out.write(line + "\n")
        return line


class Thinking:
    """A `ChatModel` wrapper that shows "<name> is thinking..." until the first words arrive.

    The status goes to ``status`` (stderr) and only when it is a terminal, so piped output
    and files stay clean; it is erased in place before the words are written.
    """

    def __init__(self, model: ChatModel, name: str, status: TextIO) -> None:
        self.model = model
        self.text = f"({name} is thinking...)"
        self.status = status
        self.enabled = status.isatty()

    @property
    def model_name(self) -> str:
        """The wrapped model's name."""
        return self.model.model_name

    @property
    def endpoint(self) -> str:
        """The wrapped model's endpoint."""
        return self.model.endpoint

    def _show(self) -> Callable[[], None]:
        if not self.enabled:
            return lambda: None
        self.status.write(self.text)
        self.status.flush()
        shown = [True]

        def clear() -> None:
            if shown[0]:
                shown[0] = False
                # Back to the start of the line and erase it.
                self.status.write("\r\x1b[K")
                self.status.flush()

        return clear

    def complete(self, request: ChatRequest, *,
                 on_delta: DeltaCallback | None = None) -> ChatResponse:
        """Complete ``request`` with the status shown until the reply starts."""
        clear = self._show()

        def delta(text: str) -> None:
            clear()
            if on_delta is not None:
                on_delta(text)

        try:
            return self.model.complete(request, on_delta=delta)
        finally:
            clear()


class AutoSave:
    """Saves every snapshot of one interview to one file, atomically.

    The file is ``path`` when given, else ``default(transcript)`` for the first snapshot; every
    later snapshot replaces it, so the file always holds the whole interview so far.
    """

    def __init__(self, path: Path | None, default: Callable[[Transcript], Path]) -> None:
        self.path = path
        self.default = default

    def save(self, transcript: Transcript) -> Path:
        """Write ``transcript``; returns the file."""
        if self.path is None:
            self.path = self.default(transcript)
        return transcript.save(self.path)


@contextmanager
def signals_interrupt() -> Iterator[list[int]]:
    """While inside, SIGTERM and SIGHUP raise `KeyboardInterrupt`, as Ctrl-C does.

    Yields the list of signals received. Only the first one interrupts: later ones are ignored
    so they cannot cut short the save that the first one started. Outside the main thread
    (where signal handlers cannot be set) this does nothing.
    """
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def handler(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001 - signal API
        received.append(signum)
        if len(received) == 1:
            raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, handler) for sig in _SIGNALS}
    try:
        yield received
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
