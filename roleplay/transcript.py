"""One transcript format for human, simulated and imported interviews."""

from __future__ import annotations

import os
import tempfile
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from roleplay.errors import TranscriptError
from roleplay.types import Phase, Speaker, Usage

__all__ = [
    "EndReason",
    "ImportFormat",
    "ImportInfo",
    "InputFormat",
    "Phase",
    "Speaker",
    "Transcript",
    "TranscriptSource",
    "Turn",
]

TranscriptSource = Literal["simulated", "human", "scripted", "imported"]
EndReason = Literal[
    "interviewer_ended",
    "candidate_ended",
    "turn_limit",
    "token_budget",
    "interrupted",
    "error",
    "imported",
]

SCHEMA_VERSION = 1


class Turn(BaseModel):
    """One utterance in an interview."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    index: int = Field(ge=1)
    """1-based position in the transcript; evidence and coaching cite it."""
    speaker: Speaker
    """Who spoke; attributed by code, never by a model."""
    text: str
    """What was said, verbatim."""
    phase: Phase | None = None
    """The interview phase the turn belongs to (``None`` when unknown, e.g. imported)."""
    tokens: int | None = None
    """Tokens in ``text``, when counted."""
    at: datetime | None = None
    """When the turn was recorded (UTC)."""
    name: str | None = None
    """The speaker's name as the recording gives it (panels keep each interviewer's name);
    shown in reports, never sent to the judge."""
    offset: float | None = Field(default=None, ge=0)
    """Seconds into the recording where the turn starts, for formats with timestamps."""
    end: float | None = Field(default=None, ge=0)
    """Seconds into the recording where the turn ends, when the source gives it (recordings,
    caption cues); with `offset` it gives the turn's speaking time."""


InputFormat = Literal["json", "text", "vtt", "srt"]
ImportFormat = Literal["json", "text", "vtt", "srt", "audio"]
"""What an imported transcript was read from: a transcript format, or a recording."""


class ImportInfo(BaseModel):
    """Where an imported transcript came from and how its speakers were mapped."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: ImportFormat
    """The format the file was read as (``audio``: a recording, transcribed)."""
    speakers: dict[str, Speaker] = Field(default_factory=dict)
    """Each speaker's name as recorded, in order of first appearance, and their role."""
    rule: str = ""
    """Why the candidate is who they are (a flag, a role label, or a detection rule)."""
    doubt: str = ""
    """When detection had little to go on: why the roles may be wrong, naming the flag that
    settles it (``--candidate NAME`` / ``--interviewer NAME``); empty when the evidence is
    clear or the roles were given."""
    preamble: str = ""
    """Lines that are no one's words, kept verbatim: those before the first turn (titles,
    attendees) and the call tool's own notes (time marks, footers)."""


class Transcript(BaseModel):
    """A complete interview: who, how, what was said, what it cost and why it ended."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = SCHEMA_VERSION
    """Format version of this document."""
    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    """Unique id of this interview."""
    persona_id: str | None = None
    """The interviewer persona, when known."""
    candidate_id: str | None = None
    """The candidate profile, for simulated interviews."""
    source: TranscriptSource = "imported"
    """How the transcript came to be."""
    scenario: dict[str, Any] = Field(default_factory=dict)
    """The scenario the interview ran under (stage, turn limit, notes ...)."""
    model_settings: dict[str, Any] = Field(default_factory=dict)
    """Model names and generation settings used (never keys)."""
    started_at: datetime | None = None
    """When the interview started (UTC)."""
    ended_at: datetime | None = None
    """When it ended (UTC)."""
    turns: tuple[Turn, ...]
    """Every turn, in order, indices 1..n."""
    usage: Usage = Usage()
    """Tokens and calls spent producing the interview."""
    cost_usd: float | None = None
    """Estimated cost in USD; ``None`` when a model's price is unknown."""
    end_reason: EndReason = "imported"
    """Why the interview ended."""
    imported: ImportInfo | None = None
    """How an imported file was read; ``None`` for interviews run here."""

    def candidate_turns(self) -> list[Turn]:
        """The candidate's turns, in order."""
        return [t for t in self.turns if t.speaker == "candidate"]

    def interviewer_turns(self) -> list[Turn]:
        """The interviewer's turns, in order."""
        return [t for t in self.turns if t.speaker == "interviewer"]

    def turn(self, index: int) -> Turn:
        """The turn with 1-based ``index``.

        Raises:
            KeyError: no such turn.
        """
        if 1 <= index <= len(self.turns) and self.turns[index - 1].index == index:
            return self.turns[index - 1]
        for t in self.turns:
            if t.index == index:
                return t
        raise KeyError(index)

    def to_json(self) -> str:
        """Serialise to JSON (the on-disk format)."""
        return self.model_dump_json(indent=2)

    @classmethod
    def from_json(cls, data: str | bytes, *, path: str | None = None) -> Transcript:
        """Parse JSON text in our format (`load` reads a file); errors name ``path`` and the field.

        Raises:
            TranscriptError: not a valid transcript, or a file name where JSON text belongs.
        """
        name = _file_name(data)
        if name is not None:
            # Transcript.from_json("transcripts/demo.json") is an easy slip: say what to call.
            raise TranscriptError(f"from_json() takes JSON text, not a file name; to read the "
                                  f"file use Transcript.load({name!r})", path=path)
        try:
            return cls.model_validate_json(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(p) for p in err["loc"])
            raise TranscriptError(f"{loc}: {err['msg']}", path=path) from exc

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write atomically (temp file + rename), so a crash never leaves half a transcript."""
        return atomic_write(Path(path), self.to_json())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Transcript:
        """Read a transcript JSON file written by `save` (other formats: `load_transcript`).

        Raises:
            TranscriptError: unreadable, not UTF-8, or not a valid transcript; names the file.
        """
        p = Path(path)
        try:
            # utf-8-sig: a byte order mark from a Windows editor is not part of the JSON.
            data = p.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise TranscriptError("not UTF-8 text", path=str(p)) from exc
        except OSError as exc:
            raise TranscriptError(f"cannot read transcript: {exc.strerror}", path=str(p)) from exc
        return cls.from_json(data, path=str(p))


def _file_name(data: str | bytes) -> str | None:
    """``data`` as a file name when it is one (ends in .json or names a file), else None."""
    text = (data.decode("utf-8", "replace") if isinstance(data, bytes) else data).strip()
    if not text or text[0] in "{[" or "\n" in text or len(text) > 1024:
        return None
    try:
        return text if text.lower().endswith(".json") or Path(text).is_file() else None
    except (OSError, ValueError):
        return None


def atomic_write(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically; parent folders are created."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def now_utc() -> datetime:
    """The current time in UTC (one place, so tests can see what the library stamps)."""
    return datetime.now(timezone.utc)


def __getattr__(name: str) -> object:
    # Loading files belongs to roleplay.importing (which builds on this module); say where.
    if name in ("load_transcript", "parse_plain_text"):
        raise AttributeError(f"roleplay.transcript.{name} moved: use roleplay.{name} or "
                             f"roleplay.importing.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
