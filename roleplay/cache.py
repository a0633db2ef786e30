"""A persistent, content-addressed cache of raw judge replies in SQLite.

The evaluator asks the cache before every judge call with a key derived from everything that
shapes the reply (rubric text, judge template, transcript, model, settings, sample number), so a
re-run of an unchanged suite costs nothing and a changed anchor misses on its own. The cache
stores the raw reply text, not a verdict: post-processing (thresholds, caps) is re-applied on
every run, so editing a threshold never needs the judge.

One `SQLiteJudgeCache` is safe to share between the tasks and worker threads of one process (a
lock serialises its single connection); WAL mode and a busy timeout let a second process read
and write the same file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from roleplay.errors import ConfigError

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

    def __init__(self, path: str | os.PathLike[str], *, model: str | None = None) -> None:
        """Open (or create) the cache file at ``path``.

        Args:
            path: The SQLite file; parent folders are created.
            model: Model name stored with every reply this instance writes (metadata only).

        Raises:
            ConfigError: the file cannot be created or is not a usable SQLite database.
        """
        self.path = Path(path)
        self.model = model
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0
        self._puts = 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # One connection shared across threads; every use holds self._lock.
            self._conn = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False,
                                         isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"cannot open the judge cache: {exc}", path=str(self.path)) from exc

    @classmethod
    def in_dir(
        cls, folder: str | os.PathLike[str], *, model: str | None = None
    ) -> SQLiteJudgeCache:
        """The cache file inside ``folder`` (e.g. `default_cache_dir`)."""
        return cls(Path(folder) / _DB_NAME, model=model)

    @staticmethod
    def _digest(key: str) -> str:
        return hashlib.sha256(key.encode("utf-8")).hexdigest()

    def get(self, key: str) -> str | None:
        """The stored reply for ``key``, or ``None``."""
        digest = self._digest(key)
        with self._lock:
            row = self._conn.execute(
                "SELECT value FROM judge_replies WHERE digest = ?", (digest,)
            ).fetchone()
            if row is None:
                self._misses += 1
                return None
            self._hits += 1
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
            self._conn.execute(
                "INSERT OR REPLACE INTO judge_replies (digest, value, model) VALUES (?, ?, ?)",
                (digest, value, model if model is not None else self.model),
            )
            self._puts += 1

    def metadata(self, key: str) -> tuple[str | None, str] | None:
        """``(model, created)`` of the reply stored under ``key``, or ``None``."""
        with self._lock:
            row = self._conn.execute(
                "SELECT model, created FROM judge_replies WHERE digest = ?", (self._digest(key),)
            ).fetchone()
        return None if row is None else (row[0], row[1])

    def __len__(self) -> int:
        with self._lock:
            (count,) = self._conn.execute("SELECT COUNT(*) FROM judge_replies").fetchone()
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
            cursor = self._conn.execute("DELETE FROM judge_replies")
            self._hits = self._misses = self._puts = 0
            deleted = cursor.rowcount
        log.info("cleared %d judge replies from %s", deleted, self.path)
        return deleted

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
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
