"""What a transcription endpoint returns, as our own types (no SDK import)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TimedText", "Transcription"]


@dataclass(frozen=True)
class TimedText:
    """A stretch of a recording: when, what, and (diarized) who."""

    start: float
    """Seconds into the uploaded file."""
    end: float
    """Seconds into the uploaded file."""
    text: str
    """What was said."""
    speaker: str | None = None
    """The model's speaker label (diarizing models only)."""


@dataclass(frozen=True)
class Transcription:
    """What one uploaded file says."""

    text: str
    """The whole text."""
    segments: tuple[TimedText, ...]
    """Timed segments (empty when the model gives no timestamps)."""
    duration: float | None
    """The file's duration, when the endpoint reports it."""
    diarized: bool
    """The segments carry speaker labels."""
    response_format: str
    """The response format that was used."""
