"""One progress bar for every long run: a rich bar on stderr when it is a terminal, else nothing."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

from roleplay._display import terminal_safe

__all__ = ["ProgressBar"]


class ProgressBar:
    """Items done of ``total``, a one-line status (cost so far, failures) and the time taken.

    Shows nothing when ``enabled`` is false or stderr is not a terminal (CI logs, pipes). The
    label and status are shown as plain text: neither rich markup nor terminal escapes in a
    suite or file name take effect.
    """

    def __init__(self, label: str, total: int, *, done: int = 0, status: str = "",
                 enabled: bool = True) -> None:
        self._bar: Any = None
        self._task: Any = None
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        console = Console(stderr=True)
        if not console.is_terminal:
            return
        self._bar = Progress(
            TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[status]}", markup=False), TimeElapsedColumn(),
            console=console, transient=False,
        )
        self._task = self._bar.add_task(terminal_safe(label), total=total, completed=done,
                                        status=terminal_safe(status))

    def context(self) -> AbstractContextManager[Any]:
        """Enter to show the bar; it stays on screen when the run ends."""
        return self._bar if self._bar is not None else nullcontext()

    def update(self, done: int, status: str) -> None:
        """Set the items done and the status text."""
        if self._bar is not None:
            self._bar.update(self._task, completed=done, status=terminal_safe(status))

    def set_status(self, status: str) -> None:
        """Replace the status text only (e.g. a new concurrency limit)."""
        if self._bar is not None:
            self._bar.update(self._task, status=terminal_safe(status))

    def advance(self, status: str) -> None:
        """One more item done; ``status`` replaces the status text."""
        if self._bar is not None:
            self._bar.update(self._task, advance=1, status=terminal_safe(status))
