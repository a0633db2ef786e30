"""A persistent, content-addressed cache of raw judge replies in SQLite.

The evaluator asks the cache before every judge call with a key derived from everything that
shapes the reply (rubric text, judge template, transcript, model, settings, sample number), so a
re-run of an unchanged suite costs nothing and a changed anchor misses on its own. The cache
stores the raw reply text, not a verdict: post-processing (thresholds, caps) is re-applied on
every run, so editing a threshold never needs the judge.

One `SQLiteJudgeCache` is safe to share between the tasks and worker threads of one process (a
lock serialises its single connection). Several processes may share one cache folder (two runs
at once): WAL mode and a busy timeout let them read and write the same file, and opening or
using it retries while another process holds a lock (``lock_timeout``), so a busy file means a
short wait, never "database is locked". And a miss is *claimed*: a second run that needs a
judge reply the first is already fetching waits for it instead of paying for it again (see
`roleplay.llm._claims`); a claim older than ``claim_timeout``, or held by a process that is gone,
is taken over.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import secrets
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from roleplay.errors import ConfigError
from roleplay.llm._claims import offer_claim

__all__ = [
    "CACHE_DIR_ENV",
    "CacheStats",
    "SQLiteJudgeCache",
    "default_cache_dir",
]

log = logging.getLogger(__name__)

CACHE_DIR_ENV = "ROLEPLAY_CACHE_DIR"
"""Environment variable that moves the cache folder (default ``.roleplay-cache``)."""

_DEFAULT_DIR = ".roleplay-cache"
_DB_NAME = "judge-cache.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS judge_replies (
    digest  TEXT PRIMARY KEY,
    value   TEXT NOT NULL,
    model   TEXT,
    created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
)
"""
# Who is fetching which reply right now (rows live for one judge call).
_CLAIMS = """
CREATE TABLE IF NOT EXISTS judge_claims (
    digest  TEXT PRIMARY KEY,
    owner   TEXT NOT NULL,
    host    TEXT NOT NULL,
    pid     INTEGER NOT NULL,
    claimed REAL NOT NULL
)
"""
_T = TypeVar("_T")
DEFAULT_LOCK_TIMEOUT = 60.0
"""Seconds to keep retrying while another process holds the database locked."""
DEFAULT_CLAIM_TIMEOUT = 300.0
"""Seconds a claim is honoured: a run waits at most this long for another's judge call."""
_POLL = 0.05
_HOST = socket.gethostname()


def _locked(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def _alive(host: str, pid: int) -> bool:
    """Whether the claim's process may still be running (only checkable on this host)."""
    if host != _HOST:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, as another user
        return True
    return True


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The cache folder: ``$ROLEPLAY_CACHE_DIR``, else ``.roleplay-cache`` in the current folder.

    This is the one place that reads ``ROLEPLAY_CACHE_DIR``.
    """
    env = os.environ if environ is None else environ
    return Path(env.get(CACHE_DIR_ENV) or _DEFAULT_DIR)


@dataclass(frozen=True)
class CacheStats:
    """Counters of one cache instance since it was opened (or since `SQLiteJudgeCache.clear`)."""

    hits: int
    """``get`` calls that found a reply."""
    misses: int
    """``get`` calls that found nothing."""
    puts: int
    """Replies stored."""
    entries: int
    """Replies currently in the file."""


class SQLiteJudgeCache:
    """A `JudgeCache` backed by one SQLite file.

    Keys are hashed (sha256) before storage, so any key string works and the table stays
    compact. Values are the judge's raw reply text, stored with the model name and a UTC
    timestamp for inspection.

    Example:
        >>> cache = SQLiteJudgeCache.in_dir(default_cache_dir(), model="gpt-4o-mini")
        >>> evaluator = Evaluator(rubric, judge, cache=cache)
    """

    def __init__(self, path: str | os.PathLike[str], *, model: str | None = None,
                 lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
                 claim_timeout: float = DEFAULT_CLAIM_TIMEOUT, claims: bool = True) -> None:
        """Open (or create) the cache file at ``path``.

        Args:
            path: The SQLite file; parent folders are created.
            model: Model name stored with every reply this instance writes (metadata only).
            lock_timeout: Seconds to keep retrying while another process holds the file locked.
            claim_timeout: Seconds to wait for another run's judge call before making it.
            claims: Claim misses, so concurrent runs pay for each judge call once.

        Raises:
            ConfigError: the file cannot be created, is not a usable SQLite database, or stayed
                locked for ``lock_timeout`` seconds.
        """
        self.path = Path(path)
        self.model = model
        self.lock_timeout = lock_timeout
        self.claim_timeout = claim_timeout
        self.claims = claims
        self.owner = f"{_HOST}:{os.getpid()}:{secrets.token_hex(4)}"
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0
        self._puts = 0
        self.waited = 0
        """Misses answered by another run's judge call (waited for, not paid)."""
        self.closed = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = self._retry(self._open)
        except (OSError, sqlite3.Error) as exc:
            advice = (" (another process kept it locked; try again when it is done)"
                      if isinstance(exc, sqlite3.Error) and _locked(exc) else "")
            raise ConfigError(f"cannot open the judge cache: {exc}{advice}",
                              path=str(self.path)) from exc

    def _open(self) -> sqlite3.Connection:
        # One connection shared across threads; every use holds self._lock.
        conn = sqlite3.connect(self.path, timeout=min(self.lock_timeout, 30.0),
                               check_same_thread=False, isolation_level=None)
        try:
            # Switching a new file to WAL and creating the tables race with other processes
            # doing the same; SQLite may answer "locked" at once there, so _retry waits.
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(_SCHEMA)
            conn.execute(_CLAIMS)
        except BaseException:
            conn.close()
            raise
        return conn

    def _retry(self, operation: Callable[[], _T]) -> _T:
        """Run ``operation``, retrying for up to ``lock_timeout`` s while the file is locked."""
        deadline = time.monotonic() + self.lock_timeout
        wait = 0.01
        while True:
            try:
                return operation()
            except sqlite3.OperationalError as exc:
                if not _locked(exc) or time.monotonic() + wait > deadline:
                    raise
                log.debug("judge cache %s is locked; retrying in %.2f s", self.path, wait)
                time.sleep(wait)
                wait = min(wait * 2, 0.5)

    def _execute(self, sql: str, params: tuple[object, ...] = ()) -> sqlite3.Cursor:
        # Callers hold self._lock.
        return self._retry(lambda: self._conn.execute(sql, params))

    @classmethod
    def in_dir(
        cls, folder: str | os.PathLike[str], *, model: str | None = None,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT, claim_timeout: float = DEFAULT_CLAIM_TIMEOUT,
        claims: bool = True,
    ) -> SQLiteJudgeCache:
        """The cache file inside ``folder`` (e.g. `default_cache_dir`); options as `__init__`."""
        return cls(Path(folder) / _DB_NAME, model=model, lock_timeout=lock_timeout,
                   claim_timeout=claim_timeout, claims=claims)

    @staticmethod
    def _digest(key: str) -> str:
        return hashlib.sha256(key.encode("utf-8")).hexdigest()

    def get(self, key: str) -> str | None:
        """The stored reply for ``key``, or ``None``."""
        digest = self._digest(key)
        with self._lock:
            row = self._execute(
                "SELECT value FROM judge_replies WHERE digest = ?", (digest,)
            ).fetchone()
            if row is None:
                self._misses += 1
            else:
                self._hits += 1
        # A miss is usually followed by the judge call: the call takes this ticket, and waits
        # for another run's reply instead of paying for it (roleplay.llm._claims).
        offer_claim(_Ticket(self, key) if row is None and self.claims else None)
        if row is None:
            return None
        value: str = row[0]
        return value

    def put(self, key: str, value: str, *, model: str | None = None) -> None:
        """Store ``value`` under ``key`` (replacing any earlier reply).

        Args:
            key: The evaluator's cache key.
            value: The raw reply text.
            model: Model name to record; defaults to the instance's ``model``.
        """
        digest = self._digest(key)
        with self._lock:
            self._execute(
                "INSERT OR REPLACE INTO judge_replies (digest, value, model) VALUES (?, ?, ?)",
                (digest, value, model if model is not None else self.model),
            )
            # The reply is stored: whoever waited for it reads it now.
            self._execute("DELETE FROM judge_claims WHERE digest = ?", (digest,))
            self._puts += 1

    def metadata(self, key: str) -> tuple[str | None, str] | None:
        """``(model, created)`` of the reply stored under ``key``, or ``None``."""
        with self._lock:
            row = self._execute(
                "SELECT model, created FROM judge_replies WHERE digest = ?", (self._digest(key),)
            ).fetchone()
        return None if row is None else (row[0], row[1])

    def __len__(self) -> int:
        with self._lock:
            (count,) = self._execute("SELECT COUNT(*) FROM judge_replies").fetchone()
        return int(count)

    @property
    def stats(self) -> CacheStats:
        """Hit, miss and put counters, and the number of stored replies."""
        entries = len(self)
        with self._lock:
            return CacheStats(hits=self._hits, misses=self._misses, puts=self._puts,
                              entries=entries)

    def clear(self) -> int:
        """Delete every stored reply and reset the counters; returns how many were deleted."""
        with self._lock:
            cursor = self._execute("DELETE FROM judge_replies")
            self._hits = self._misses = self._puts = 0
            deleted = cursor.rowcount
        log.info("cleared %d judge replies from %s", deleted, self.path)
        return deleted

    # --- claims: one judge call per key across runs ----------------------------------------

    def claim(self, key: str) -> str | bool:
        """Try to become the one run fetching ``key``'s reply.

        Returns the stored reply when there already is one, True when this instance now holds
        the claim (or held it), False while another live run holds it.
        """
        digest = self._digest(key)
        now = time.time()
        with self._lock:
            def attempt() -> str | bool:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    row = self._conn.execute("SELECT value FROM judge_replies WHERE digest = ?",
                                             (digest,)).fetchone()
                    if row is not None:
                        return str(row[0])
                    held = self._conn.execute(
                        "SELECT owner, host, pid, claimed FROM judge_claims WHERE digest = ?",
                        (digest,)).fetchone()
                    if held is not None and held[0] != self.owner and \
                            now - held[3] < self.claim_timeout and _alive(held[1], held[2]):
                        return False
                    if held is not None and held[0] != self.owner:
                        log.info("taking over a judge cache claim of %s (%s)", held[0],
                                 "timed out" if now - held[3] >= self.claim_timeout
                                 else "its process is gone")
                    self._conn.execute(
                        "INSERT OR REPLACE INTO judge_claims (digest, owner, host, pid, claimed) "
                        "VALUES (?, ?, ?, ?, ?)", (digest, self.owner, _HOST, os.getpid(), now))
                    return True
                finally:
                    self._conn.execute("COMMIT")

            return self._retry(attempt)

    def release(self, key: str) -> None:
        """Give up this instance's claim on ``key`` (its judge call failed)."""
        with self._lock:
            self._execute("DELETE FROM judge_claims WHERE digest = ? AND owner = ?",
                          (self._digest(key), self.owner))

    def _settled(self, outcome: str | bool) -> str | None:
        if isinstance(outcome, str):
            self.waited += 1
            return _reply_text(outcome)
        return None

    def wait_for(self, key: str) -> str | None:
        """Claim ``key``, waiting while another run holds it (blocking).

        Returns the reply text another run stored meanwhile, or None once this instance holds
        the claim (and should make the call). Gives up waiting after ``claim_timeout``.
        """
        deadline = time.monotonic() + self.claim_timeout
        while True:
            outcome = self.claim(key)
            if outcome is not False:
                return self._settled(outcome)
            if time.monotonic() >= deadline:
                self._take_over(key)
                return None
            time.sleep(_POLL)

    async def await_for(self, key: str) -> str | None:
        """`wait_for` without blocking the event loop."""
        deadline = time.monotonic() + self.claim_timeout
        while True:
            outcome = await asyncio.to_thread(self.claim, key)
            if outcome is not False:
                return self._settled(outcome)
            if time.monotonic() >= deadline:
                self._take_over(key)
                return None
            await asyncio.sleep(_POLL)

    def _take_over(self, key: str) -> None:
        log.warning("waited %.0f s for another run's judge call; making it here",
                    self.claim_timeout)
        with self._lock:
            self._execute(
                "INSERT OR REPLACE INTO judge_claims (digest, owner, host, pid, claimed) "
                "VALUES (?, ?, ?, ?, ?)", (self._digest(key), self.owner, _HOST, os.getpid(),
                                            time.time()))

    def close(self) -> None:
        """Give up this instance's claims and close the database connection."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            try:
                self._execute("DELETE FROM judge_claims WHERE owner = ?", (self.owner,))
            except sqlite3.Error as exc:  # closing must not fail on a busy file
                log.debug("could not clear judge cache claims: %s", exc)
            self._conn.close()

    def __enter__(self) -> SQLiteJudgeCache:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _reply_text(value: str) -> str | None:
    """The judge reply inside a stored value, as the text a model call would return.

    The evaluator stores ``{"format": 1, "reply": {...}, ...}``; a value of another shape is
    not handed out (the caller makes the call itself).
    """
    try:
        data = json.loads(value)
    except ValueError:
        return None
    reply = data.get("reply") if isinstance(data, dict) else None
    return json.dumps(reply, ensure_ascii=False) if isinstance(reply, dict) else None


class _Ticket:
    """A miss of one key, settled by the model call that follows it."""

    def __init__(self, cache: SQLiteJudgeCache, key: str) -> None:
        self._cache = cache
        self._key = key

    def acquire(self) -> str | None:
        return None if self._cache.closed else self._cache.wait_for(self._key)

    async def aacquire(self) -> str | None:
        return None if self._cache.closed else await self._cache.await_for(self._key)

    def release(self) -> None:
        if not self._cache.closed:
            self._cache.release(self._key)
