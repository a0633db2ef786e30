"""One transcript format for human, simulated and imported interviews."""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from roleplay.errors import TranscriptError
from roleplay.llm.base import Usage

__all__ = [
    "EndReason",
    "Phase",
    "Speaker",
    "Transcript",
    "TranscriptSource",
    "Turn",
    "load_transcript",
    "parse_plain_text",
]

Speaker = Literal["interviewer", "candidate"]
Phase = Literal["opening", "interviewer_questions", "candidate_questions", "close"]
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
        """Parse our JSON format; errors name ``path`` and the field.

        Raises:
            TranscriptError: not a valid transcript.
        """
        try:
            return cls.model_validate_json(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(p) for p in err["loc"])
            raise TranscriptError(f"{loc}: {err['msg']}", path=path) from exc

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write atomically (temp file + rename), so a crash never leaves half a transcript."""
        return atomic_write(Path(path), self.to_json())


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


_DEFAULT_LABELS: dict[str, Speaker] = {"interviewer": "interviewer", "candidate": "candidate"}
# Labels that open a content line inside an answer ("Result: we cut costs 20%"), not a speaker.
_CONTENT_LABELS = frozenset(
    "situation task action actions result results outcome lesson lessons note notes example "
    "context impact challenge approach goal problem solution update ps summary background "
    "step answer question".split()
)
_LABEL = re.compile(r"^\s*([A-Za-z][\w .'-]{0,40}?)\s*:\s?(.*)$")
# "At 9:30 we ...": the colon of a clock time, not of a speaker label.
_CLOCK = re.compile(r"\d:\d")


def parse_plain_text(
    text: str,
    *,
    labels: dict[str, Speaker] | None = None,
    path: str | None = None,
    transcript_id: str | None = None,
) -> Transcript:
    """Import a plain-text transcript of ``Interviewer:`` / ``Candidate:`` lines.

    A line that starts with a known label opens a turn; other lines continue the previous
    speaker's turn (blank lines inside a turn are kept as paragraph breaks). ``labels`` maps
    labels (case-insensitive) to speakers, e.g. ``{"Q": "interviewer", "A": "candidate"}``.
    Lines starting with ``#`` before the first turn are comments.

    Raises:
        TranscriptError: empty input, an unknown speaker label, or no candidate turn; the
            message names the line.
    """
    mapping = {k.lower(): v for k, v in (labels or _DEFAULT_LABELS).items()}
    turns: list[tuple[Speaker, list[str], int]] = []
    lines = text.splitlines()
    for lineno, line in enumerate(lines, start=1):
        match = _LABEL.match(line)
        label = match.group(1).strip().lower() if match else None
        if match and label in mapping:
            turns.append((mapping[label], [match.group(2)], lineno))
            continue
        if not turns:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            known = ", ".join(f"'{k.title()}:'" for k in mapping)
            raise TranscriptError(
                f"expected a speaker label ({known}) but found {line.strip()[:60]!r}",
                path=path, line=lineno,
            )
        if (
            match
            and label is not None
            and label not in mapping
            and label not in _CONTENT_LABELS
            and len(label.split()) <= 2
            and line.lstrip()[0].isupper()
            and not _CLOCK.match(line, match.end(1) - 1)
        ):
            # "Recruiter: ..." at the start of a line looks like a speaker we do not know.
            known = ", ".join(f"'{k.title()}:'" for k in mapping)
            raise TranscriptError(
                f"unknown speaker {match.group(1)!r}; known labels are {known} (pass labels= "
                "to map others)",
                path=path, line=lineno,
            )
        turns[-1][1].append(line)
    if not turns:
        raise TranscriptError("the transcript is empty: no speaker turns found", path=path,
                              line=len(lines) or 1)
    built = [
        Turn(index=i, speaker=speaker, text="\n".join(body).strip())
        for i, (speaker, body, _) in enumerate(turns, start=1)
    ]
    for turn, (_, _, lineno) in zip(built, turns, strict=True):
        if not turn.text:
            raise TranscriptError(f"turn {turn.index} ({turn.speaker}) is empty", path=path,
                                  line=lineno)
    if not any(t.speaker == "candidate" for t in built):
        raise TranscriptError("the transcript has no candidate turn", path=path, line=turns[0][2])
    kwargs: dict[str, Any] = {"turns": tuple(built), "source": "imported", "end_reason": "imported"}
    if transcript_id:
        kwargs["id"] = transcript_id
    return Transcript(**kwargs)


def load_transcript(path: str | os.PathLike[str], *,
                    labels: dict[str, Speaker] | None = None) -> Transcript:
    """Load our JSON format (``.json``) or a plain-text transcript (anything else).

    Raises:
        TranscriptError: unreadable, empty, or invalid; the message names the file.
    """
    p = Path(path)
    try:
        # utf-8-sig: editors on Windows often start a UTF-8 file with a byte order mark.
        data = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TranscriptError("not UTF-8 text; save the transcript as UTF-8", path=str(p),
                              line=p.read_bytes()[: exc.start].count(b"\n") + 1) from exc
    except OSError as exc:
        raise TranscriptError(f"cannot read transcript: {exc.strerror}", path=str(p)) from exc
    if not data.strip():
        raise TranscriptError("the transcript file is empty", path=str(p), line=1)
    if p.suffix.lower() == ".json" or data.lstrip().startswith("{"):
        return Transcript.from_json(data, path=str(p))
    return parse_plain_text(data, labels=labels, path=str(p), transcript_id=p.stem)


def now_utc() -> datetime:
    """The current time in UTC (one place, so tests can see what the library stamps)."""
    return datetime.now(timezone.utc)
