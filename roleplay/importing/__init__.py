"""Import transcripts as people record them: text with names, WebVTT, SRT, or our JSON.

Formats, detected from the content (``format=`` overrides):

* ``json``: our transcript JSON (starts with ``{``).
* ``vtt``: WebVTT (starts with ``WEBVTT``), speakers from voice tags (``<v Dana Kessler>``, as
  Teams writes them) or ``Name:`` cue text (Zoom, Google Meet).
* ``srt``: SubRip (a cue number, then a ``00:00:01,000 --> ...`` line), speakers from
  ``Name:``, ``- Name:`` or ``[Name]`` at the start of a line.
* ``text``: anything else: ``Name: text`` lines (``Interviewer:``/``Candidate:`` or any two or
  more names), optionally after a timestamp (``[00:01:02] Dana: ...``), or header lines
  (``Dana Kessler  0:03`` with the words on the following lines, as otter.ai and call-tool
  text exports write them).

Turns: a speaker line opens a turn and lines without a speaker continue it (in text, line
breaks are kept). Consecutive cues of one speaker merge into one turn (captions cut speech
into fragments; their line breaks are wrapping, so cue text joins with spaces), as do
consecutive timestamped lines or header blocks of one speaker; hand-written ``Name:`` lines
stay one turn each. Timestamps become ``Turn.offset``; names become ``Turn.name``. Empty turns
(a muted microphone) are kept. Lines before the first speaker, and the notes call tools
write among the words (Meet's bare ``00:05:00`` marks, otter.ai's "Transcribed by" footer),
are kept in ``Transcript.imported.preamble``, never in a turn. Which labels are speakers and
who is the candidate follows the rules in :mod:`roleplay.importing._speakers`; the outcome is
in ``Transcript.imported``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from roleplay.errors import TranscriptError
from roleplay.importing._captions import srt_utterances, vtt_utterances
from roleplay.importing._files import MAX_TRANSCRIPT_BYTES, read_text
from roleplay.importing._json import parse_json
from roleplay.importing._render import render_srt, render_text, render_vtt
from roleplay.importing._speakers import SpeakerTurn, assign_roles, choose_speakers, role_of
from roleplay.importing._text import text_utterances
from roleplay.importing._utterances import Utterance as Utterance
from roleplay.importing._utterances import label_key
from roleplay.importing._utterances import split_label as split_label
from roleplay.transcript import ImportFormat, ImportInfo, InputFormat, Transcript, Turn
from roleplay.types import Speaker

__all__ = [
    "FORMATS",
    "MAX_TRANSCRIPT_BYTES",
    "InputFormat",
    "detect_format",
    "label_key",
    "load_transcript",
    "parse_plain_text",
    "parse_transcript",
    "render_srt",
    "render_text",
    "render_vtt",
    "role_of",
]

FORMATS: tuple[InputFormat, ...] = ("json", "text", "vtt", "srt")
_SRT_START = re.compile(r"\A\s*\d+\s*\r?\n\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->")
# Role labels that are the role itself carry no name worth keeping.
_ROLE_ONLY = frozenset({"interviewer", "candidate"})


def detect_format(text: str) -> InputFormat:
    """The format of a transcript's content (see the module docstring)."""
    start = text.lstrip("\ufeff \t\r\n")
    if start.startswith("WEBVTT"):
        return "vtt"
    if start.startswith("{"):
        return "json"
    if _SRT_START.match(start):
        return "srt"
    return "text"


def _names(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _turns(utterances: Sequence[Utterance], speakers: set[str], *, merge: bool,
           joiner: str) -> tuple[list[SpeakerTurn], list[str]]:
    turns: list[SpeakerTurn] = []
    preamble: list[str] = []
    for u in utterances:
        if u.note:
            preamble.append(u.raw)
            continue
        key = label_key(u.label) if u.label else None
        if key is not None and key in speakers:
            if merge and turns and turns[-1].key == key:
                if u.body:
                    turns[-1].parts.append(u.body)
                turns[-1].end = _later(turns[-1].end, u.end)
                continue
            turns.append(SpeakerTurn(key, u.label or "", [u.body], u.line, u.offset, u.end))
        elif turns:
            turns[-1].parts.append(u.raw)
            turns[-1].end = _later(turns[-1].end, u.end)
        else:
            preamble.append(u.raw)
    for t in turns:
        if joiner == " ":
            t.parts = [" ".join(" ".join(t.parts).split())]
    return turns, preamble


def _later(end: float | None, other: float | None) -> float | None:
    if end is None or other is None:
        return other if end is None else end
    return max(end, other)


def parse_transcript(
    text: str,
    *,
    format: InputFormat | None = None,
    interviewer: str | Sequence[str] | None = None,
    candidate: str | None = None,
    labels: Mapping[str, Speaker] | None = None,
    path: str | None = None,
    transcript_id: str | None = None,
) -> Transcript:
    """Read a transcript in any supported format (see the module docstring).

    Args:
        text: The file's content.
        format: ``json``, ``text``, ``vtt`` or ``srt``; detected from the content if omitted.
        interviewer: The interviewer's name, or the panel's names, as the file writes them.
        candidate: The candidate's name as the file writes it.
        labels: Labels mapped to roles, e.g. ``{"Q": "interviewer", "A": "candidate"}``.
        path: The file, for error messages.
        transcript_id: The id of the new transcript (default: random).

    Raises:
        TranscriptError: empty input, no way to split it into speakers, or a given name that
            is not in it; the message names the file and line and the flag that fixes it.
    """
    fmt = format or detect_format(text)
    if fmt == "json":
        return parse_json(text, path=path, transcript_id=transcript_id)
    if not text.strip():
        raise TranscriptError("the transcript is empty", path=path, line=1)
    header_style = False
    if fmt == "vtt":
        utterances = vtt_utterances(text, path=path)
    elif fmt == "srt":
        utterances = srt_utterances(text, path=path)
    else:
        utterances, header_style = text_utterances(text)
    return transcript_from_utterances(
        utterances, fmt, interviewer=interviewer, candidate=candidate, labels=labels, path=path,
        transcript_id=transcript_id, merge_lines=header_style,
        joiner=" " if fmt in ("vtt", "srt") else "\n", first_line=_first_text_line(text))


def transcript_from_utterances(
    utterances: Sequence[Utterance],
    fmt: ImportFormat,
    *,
    interviewer: str | Sequence[str] | None = None,
    candidate: str | None = None,
    labels: Mapping[str, Speaker] | None = None,
    path: str | None = None,
    transcript_id: str | None = None,
    merge_lines: bool = False,
    joiner: str = " ",
    first_line: int = 1,
) -> Transcript:
    """Decide speakers and roles over parsed utterances and build the transcript.

    Every reader (text, captions, recordings) ends here, so the speaker rules are the same
    for all of them. Consecutive utterances of one speaker merge when they are timed, caption
    cues or ``merge_lines``; ``joiner`` joins their text.

    Raises:
        TranscriptError: no speakers, or a given name that is not in it.
    """
    given: dict[str, Speaker] = {label_key(k): v for k, v in (labels or {}).items()}
    interviewers = _names(interviewer)
    given.update({label_key(n): "interviewer" for n in interviewers})
    if candidate is not None:
        given[label_key(candidate)] = "candidate"
    speakers = choose_speakers(utterances, given,
                               only_given=bool(labels) or (bool(interviewers) and bool(candidate)))
    timed = any(u.offset is not None for u in utterances if u.label)
    merge = fmt in ("vtt", "srt", "audio") or merge_lines or timed
    turns, preamble = _turns(utterances, speakers, merge=merge, joiner=joiner)
    if not turns:
        raise TranscriptError(
            "no speakers found: expected 'Name: text' lines, 'Name  0:03' header lines, or "
            "WebVTT/SRT cues with speaker names; if the speakers are labelled another way, name "
            "them with --interviewer NAME and --candidate NAME (labels= / interviewer= and "
            "candidate= in the API), or pass --input-format",
            path=path, line=first_line)
    try:
        mapping = assign_roles(turns, interviewers=interviewers, candidate=candidate,
                               labels=given if labels else {})
    except ValueError as exc:
        raise TranscriptError(str(exc), path=path, line=turns[0].line) from None
    built = tuple(
        Turn(index=i, speaker=mapping.roles[t.key], text=t.text.strip(),
             name=None if t.key in _ROLE_ONLY else t.name, offset=t.offset,
             end=t.end if t.offset is not None and t.end is not None and t.end >= t.offset
             else None)
        for i, t in enumerate(turns, start=1)
    )
    names: dict[str, Speaker] = {}
    for t in turns:
        names.setdefault(t.name, mapping.roles[t.key])
    info = ImportInfo(format=fmt, speakers=names, rule=mapping.rule, doubt=mapping.doubt,
                      preamble="\n".join(preamble).strip("\n"))
    kwargs: dict[str, Any] = {"turns": built, "source": "imported", "end_reason": "imported",
                              "imported": info}
    if transcript_id:
        kwargs["id"] = transcript_id
    return Transcript(**kwargs)


def _first_text_line(text: str) -> int:
    for n, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            return n
    return 1


def load_transcript(
    path: str | os.PathLike[str],
    *,
    format: InputFormat | None = None,
    interviewer: str | Sequence[str] | None = None,
    candidate: str | None = None,
    labels: Mapping[str, Speaker] | None = None,
    max_bytes: int | None = MAX_TRANSCRIPT_BYTES,
) -> Transcript:
    """Load a transcript file in any supported format; its id is the file name's stem.

    The file may be UTF-8 (with or without a byte order mark) or UTF-16 (Notepad's
    "Unicode"). Files over ``max_bytes`` are refused before they are read (``None``: no limit).

    Raises:
        TranscriptError: unreadable, too large, not UTF-8 or UTF-16, empty, or invalid; the
            message names the file.
    """
    p = Path(path)
    data = read_text(p, max_bytes=max_bytes)
    if not data.strip():
        raise TranscriptError("the transcript file is empty", path=str(p), line=1)
    if format is None and p.suffix.lower() == ".json":
        format = "json"
    return parse_transcript(data, format=format, interviewer=interviewer, candidate=candidate,
                            labels=labels, path=str(p), transcript_id=p.stem)


def parse_plain_text(
    text: str,
    *,
    labels: Mapping[str, Speaker] | None = None,
    path: str | None = None,
    transcript_id: str | None = None,
) -> Transcript:
    """Import a plain-text transcript of ``Name: text`` lines.

    A line that starts with a speaker's label opens a turn; other lines continue the current
    turn (blank lines inside a turn are kept as paragraph breaks). ``labels`` maps labels
    (case-insensitive) to roles, e.g. ``{"Q": "interviewer", "A": "candidate"}``; without it,
    speakers and roles are detected (see `parse_transcript`).

    Raises:
        TranscriptError: empty input or no speakers; the message names the line.
    """
    return parse_transcript(text, format="text", labels=labels, path=path,
                            transcript_id=transcript_id)
