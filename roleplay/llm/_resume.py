"""Live deltas across retried stream attempts, without showing any text twice."""

from __future__ import annotations

import logging

__all__ = ["Resume"]

log = logging.getLogger("roleplay.llm.openai")


class Resume:
    """Forwards deltas live across retried attempts without showing any text twice."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.shown = ""
        self.current = ""
        self.caught_up = True
        self.diverged = False

    def start_attempt(self) -> None:
        self.current = ""
        self.caught_up = not self.shown

    def feed(self, delta: str) -> str:
        """The part of ``delta`` to forward ('' while replaying text already shown)."""
        if self.diverged:
            return ""
        if self.caught_up:
            self.shown += delta
            return delta
        self.current += delta
        if len(self.current) <= len(self.shown):
            if not self.shown.startswith(self.current):
                self._diverge()
            return ""
        if not self.current.startswith(self.shown):
            self._diverge()
            return ""
        new = self.current[len(self.shown):]
        self.shown = self.current
        self.caught_up = True
        return new

    def _diverge(self) -> None:
        self.diverged = True
        log.warning(
            "the retried stream from %s differs from the text already shown; live output stops "
            "here and the complete reply is in the response", self.endpoint,
        )
