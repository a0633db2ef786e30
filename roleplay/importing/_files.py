"""Reading a transcript file's text: a size limit checked first, then UTF-8 or UTF-16.

The limit keeps a mistaken input (a log, a whole chat export, a video's subtitles for a
season) from running for minutes and filling memory before anything is said: a two-hour
interview is about 150 KB of text, so the default of 2 MB leaves room for any real one.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from roleplay.errors import TranscriptError

__all__ = ["MAX_TRANSCRIPT_BYTES", "read_text"]

MAX_TRANSCRIPT_BYTES = 2_000_000
"""The largest transcript file read by default (bytes)."""

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n:,} bytes"


def _utf16(data: bytes) -> str | None:
    """The text of a UTF-16 file (Notepad's "Unicode"), else ``None``."""
    if data.startswith(_UTF16_BOMS):
        return data.decode("utf-16")
    # Without a byte order mark, ASCII text in UTF-16 has a zero byte beside every character.
    sample = data[:4096]
    if len(sample) >= 4 and len(sample) % 2 == 0:
        for encoding, zeros in (("utf-16-le", sample[1::2]), ("utf-16-be", sample[0::2])):
            if zeros.count(0) > 0.9 * len(zeros):
                return data.decode(encoding)
    return None


def read_text(path: Path, *, max_bytes: int | None = MAX_TRANSCRIPT_BYTES) -> str:
    """The text of transcript file ``path`` (UTF-8, with or without a BOM, or UTF-16).

    Args:
        path: The file.
        max_bytes: Refuse larger files before reading them; ``None`` for no limit.

    Raises:
        TranscriptError: missing, unreadable, too large, or neither UTF-8 nor UTF-16; the
            message names the file (and its size and the limit, when too large).
    """
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise TranscriptError("is a folder, not a transcript file", path=str(path))
        if max_bytes is not None and size > max_bytes:
            raise TranscriptError(
                f"the file is {_size(size)}, over the {_size(max_bytes)} limit for a transcript "
                "(an interview is rarely over 200 KB); check that it is the right file, or raise "
                "the limit (--max-size MB on the command line, max_bytes= in the API)",
                path=str(path))
        data = path.read_bytes()
    except OSError as exc:
        raise TranscriptError(f"cannot read transcript: {exc.strerror}", path=str(path)) from exc
    try:
        # UTF-16 first: ASCII in UTF-16 without a byte order mark is also valid UTF-8 (with a
        # zero byte between the letters).
        text = _utf16(data)
    except UnicodeDecodeError:
        text = None
    if text is not None:
        return text
    try:
        # utf-8-sig: editors on Windows often start a UTF-8 file with a byte order mark.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TranscriptError("not UTF-8 or UTF-16 text; save the transcript as UTF-8",
                              path=str(path),
                              line=data[: exc.start].count(b"\n") + 1) from exc
