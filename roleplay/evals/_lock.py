"""An exclusive lock on a run folder's batch state, held across processes.

Two runs on one run folder with ``--batch`` must not both submit, and neither may read the
other's half-written state: between saving the state and creating the batch, a second run saw
a job with no batch in it and reported it as "never created", retrying every line live. The
run that holds the lock collects, submits, polls and downloads; a second run waits for it, then
finds the finished batch in the state file and uses its results (no new batch, no upload).

POSIX ``flock`` (Windows: ``msvcrt.locking``) on a ``batch.lock`` file beside the state: the
operating system releases it when the process dies, so a killed run never leaves it held.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import IO

__all__ = ["LOCK_FILE", "BatchLock"]

log = logging.getLogger(__name__)

LOCK_FILE = "batch.lock"
"""The lock file in a run folder."""


def _try_lock(handle: IO[bytes]) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(handle: IO[bytes]) -> None:
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt

        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class BatchLock:
    """Hold ``run_dir``'s batch lock while the ``with`` block runs (blocking until it is free).

    Args:
        run_dir: The run folder (created if needed).
        poll: Seconds between attempts while another process holds the lock.
    """

    def __init__(self, run_dir: Path, *, poll: float = 0.1) -> None:
        self.path = run_dir / LOCK_FILE
        self.poll = poll
        self.waited = False
        """Whether another run held the lock when this one asked for it."""
        self._handle: IO[bytes] | None = None

    def acquire(self) -> None:
        """Take the lock, waiting (with one log line) while another process holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+b")  # noqa: SIM115 - held until release()
        try:
            while not _try_lock(handle):
                if not self.waited:
                    self.waited = True
                    log.warning("another run (pid in %s) is submitting or polling this run "
                                "folder's batch; waiting for it, then using its results",
                                self.path)
                time.sleep(self.poll)
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n".encode())
            handle.flush()
        except BaseException:
            handle.close()
            raise
        self._handle = handle

    def release(self) -> None:
        """Let the next run in."""
        handle, self._handle = self._handle, None
        if handle is not None:
            try:
                _unlock(handle)
            finally:
                handle.close()

    def __enter__(self) -> BatchLock:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
