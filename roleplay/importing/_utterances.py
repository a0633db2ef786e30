"""Utterances: what every format parser yields before speakers are decided."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["LABEL", "Utterance", "label_key", "split_label"]


@dataclass(frozen=True)
class Utterance:
    """One line (text) or cue (captions) of a recording, before roles are known.

    ``label`` is the name the line seems to open with. ``strong`` labels come from the
    format's own structure (a WebVTT voice tag, an ``Name  0:03`` header) and are always
    speakers; weak ones (``Name: text``) are speakers only if the speaker rules say so,
    otherwise ``raw`` is text of the current turn.
    """

    label: str | None
    """The speaker the line opens with, as written; ``None`` for a continuation."""
    body: str
    """The text after the label (the whole text when there is no label)."""
    raw: str
    """The line as written (without a leading timestamp): used when the label is not a
    speaker, so nothing the person said is dropped."""
    line: int
    """1-based line in the file where it starts."""
    offset: float | None = None
    """Seconds into the recording, when the format gives a time."""
    end: float | None = None
    """Seconds into the recording where it ends, when the format gives one (caption cues)."""
    strong: bool = False
    """The label comes from the format's structure, not from a ``Name:`` prefix."""
    note: bool = False
    """A line the recording tool wrote, not a person ("00:05:00", "Transcribed by ..."):
    kept with the preamble, never in a turn."""


# A speaker label: a letter first (any script), up to 40 name characters, then a colon and a
# space or the end ("At 9:30" and "https://" are not labels), or a full-width colon, which
# Chinese and Japanese text writes with no space after it.
LABEL = re.compile(r"^\s*([^\W\d_][\w .'\u2019()-]{0,40}?)\s*(?::(?:\s+|$)|\uff1a\s*)(.*)$",
                   re.DOTALL)


def label_key(label: str) -> str:
    """How labels compare: case and spacing do not make two speakers."""
    return " ".join(label.casefold().split())


def split_label(text: str) -> tuple[str | None, str]:
    """``("Dana Kessler", "Hi")`` for ``"Dana Kessler: Hi"``; ``(None, text)`` otherwise."""
    match = LABEL.match(text)
    if not match:
        return None, text
    return match.group(1).strip(), match.group(2)
