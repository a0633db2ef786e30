"""``argparse`` types for every number and path flag: checked when the command line is read.

A bad value is a usage error (exit 2) that names the flag, before any file is read or any
model is called: ``--timeout inf`` would otherwise overflow deep in the HTTP client, ``--max-cost
nan`` would switch the budget off (every comparison with NaN is false), and ``--out`` naming a
folder would fail only after the paid judge call, losing its result.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "MAX_CONCURRENCY",
    "MAX_SAMPLES",
    "MAX_SECONDS",
    "concurrency_arg",
    "in_dir_arg",
    "megabytes_arg",
    "out_dir_arg",
    "out_file_arg",
    "port_arg",
    "positive_int_arg",
    "samples_arg",
    "seconds_arg",
    "seed_arg",
    "temperature_arg",
    "usd_arg",
]

MAX_SECONDS = 86_400.0
"""The longest timeout or poll interval a flag accepts (a day)."""
MAX_CONCURRENCY = 1024
"""The most model calls in flight a flag may ask for; more is a typo, not a plan."""
MAX_SAMPLES = 25
"""The most judge samples per transcript or case (each one is a judge call)."""
_SEED_RANGE = (-(2**63), 2**63 - 1)


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None


def _finite(value: str, what: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {value!r}") from None
    if not math.isfinite(number):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {value!r}")
    return number


def positive_int_arg(value: str) -> int:
    """An ``argparse`` type: a whole number of at least 1."""
    number = _int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def _bounded_int(low: int, high: int, why: str = "") -> Callable[[str], int]:
    def parse(value: str) -> int:
        number = _int(value)
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}{why}, got "
                                             f"{number}")
        return number

    return parse


def concurrency_arg(value: str) -> int:
    """An ``argparse`` type: model calls in flight, 1 to `MAX_CONCURRENCY`."""
    number = positive_int_arg(value)
    if number > MAX_CONCURRENCY:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_CONCURRENCY}, got {number}")
    return number


def samples_arg(value: str) -> int:
    """An ``argparse`` type: judge samples, 1 to `MAX_SAMPLES`; the refusal says what it costs."""
    number = _int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    if number > MAX_SAMPLES:
        raise argparse.ArgumentTypeError(
            f"{number} samples would make {number} judge calls for every transcript or case; "
            f"at most {MAX_SAMPLES} are allowed (3 to 5 already measure stability)")
    return number


def megabytes_arg(value: str) -> int:
    """An ``argparse`` type: a size in MB (finite, positive); returns bytes."""
    number = _finite(value, "a size in MB")
    if not 0 < number <= 10_000:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 10000 MB, got {value}")
    return int(number * 1_000_000)


def port_arg(value: str) -> int:
    """An ``argparse`` type: a TCP port, 1 to 65535."""
    return _bounded_int(1, 65535)(value)


def seed_arg(value: str) -> int:
    """An ``argparse`` type: a sampling seed that fits the API's 64-bit integer."""
    return _bounded_int(*_SEED_RANGE)(value)


def seconds_arg(value: str) -> float:
    """An ``argparse`` type: a finite, positive number of seconds, at most a day."""
    seconds = _finite(value, "a number of seconds")
    if not 0 < seconds <= MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"must be positive and at most {MAX_SECONDS:.0f} "
                                         f"seconds, got {value}")
    return seconds


def temperature_arg(value: str) -> float:
    """An ``argparse`` type: a sampling temperature from 0 to 2 (the API's range)."""
    number = _finite(value, "a number")
    if not 0 <= number <= 2:
        raise argparse.ArgumentTypeError(f"must be between 0 and 2, got {value}")
    return number


def usd_arg(value: str) -> float:
    """An ``argparse`` type: an amount of US dollars, finite and not negative."""
    number = _finite(value, "an amount in USD")
    if number < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return number


def _file_in_folder(path: Path) -> Path | None:
    """The first existing ancestor of ``path`` that is a file (so nothing can go under it)."""
    for parent in path.parents:
        if parent.exists():
            return None if parent.is_dir() else parent
    return None


def out_file_arg(value: str) -> Path:
    """An ``argparse`` type: a file to write; a folder, or a path under a file, is refused."""
    path = Path(value)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{value} is a folder; name a file to write "
                                         f"(e.g. {path / 'report.md'})")
    blocker = _file_in_folder(path)
    if blocker is not None:
        raise argparse.ArgumentTypeError(f"cannot write {value}: {blocker} is a file, not a "
                                         "folder")
    return path


def out_dir_arg(value: str) -> Path:
    """An ``argparse`` type: a folder to write into (created if missing); a file is refused."""
    path = Path(value)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{value} is a file; name a folder (it is created if "
                                         "missing)")
    blocker = _file_in_folder(path)
    if blocker is not None:
        raise argparse.ArgumentTypeError(f"cannot create {value}: {blocker} is a file, not a "
                                         "folder")
    return path


def in_dir_arg(value: str) -> Path:
    """An ``argparse`` type: an existing folder to read."""
    path = Path(value)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"{value} is {'a file' if path.exists() else 'missing'}"
                                         "; name an existing folder")
    return path
