"""Reading transcript files on the command line: the format and speaker flags, and the preview."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from roleplay.audio import is_audio
from roleplay.cli._args import megabytes_arg
from roleplay.cli._recordings import DEFAULT_TRANSCRIBE_MODEL, transcribe_recording
from roleplay.importing import FORMATS, MAX_TRANSCRIPT_BYTES, load_transcript, role_of
from roleplay.transcript import InputFormat, Transcript

__all__ = ["add_transcript_args", "announce_import", "describe_import", "one_sided", "preview",
           "read_transcript"]


def add_transcript_args(parser: argparse.ArgumentParser) -> None:
    """Add ``--input-format``, ``--interviewer`` and ``--candidate``."""
    group = parser.add_argument_group(
        "transcript input",
        "Transcripts may be our JSON, text with 'Name:' lines or 'Name  0:03' headers, WebVTT "
        "or SRT; the format and the speakers are detected (see `roleplay import --help`).")
    group.add_argument("--input-format", choices=["auto", *FORMATS], default="auto",
                       help="read transcripts as this format (default: detect from the content)")
    group.add_argument("--interviewer", action="append", default=None, metavar="NAME",
                       help="the interviewer's name as the file writes it (repeat for a panel)")
    group.add_argument("--candidate", default=None, metavar="NAME",
                       help="the candidate's name as the file writes it")
    group.add_argument("--transcribe-model", default=DEFAULT_TRANSCRIBE_MODEL, metavar="NAME",
                       help="for recordings (wav, mp3, m4a, webm ...): the endpoint's "
                       f"transcription model (default {DEFAULT_TRANSCRIBE_MODEL}, which labels "
                       "speakers; whisper-1 or a Whisper served by vLLM gives times only)")
    group.add_argument("--max-size", type=megabytes_arg, default=MAX_TRANSCRIPT_BYTES,
                       metavar="MB", help="refuse transcript files larger than this "
                       f"(default {MAX_TRANSCRIPT_BYTES / 1_000_000:g} MB)")


def read_transcript(args: argparse.Namespace, path: str | Path) -> Transcript:
    """Load ``path`` with the flags of `add_transcript_args`; a recording is transcribed."""
    if is_audio(path):
        return transcribe_recording(args, path)
    fmt: InputFormat | None = None if args.input_format == "auto" else args.input_format
    return load_transcript(path, format=fmt, interviewer=args.interviewer,
                           candidate=args.candidate,
                           max_bytes=getattr(args, "max_size", MAX_TRANSCRIPT_BYTES))


def describe_import(transcript: Transcript) -> str | None:
    """One line on how an imported file's speakers were mapped, when names had to be mapped."""
    info = transcript.imported
    if info is None or all(role_of(name) == role
                           for name, role in info.speakers.items()):
        # Role labels ("Interviewer:", "Candidate:") left nothing to guess.
        return None
    roles = ", ".join(f"{name} = {role}" for name, role in info.speakers.items())
    if info.doubt:
        return f"read as {info.format}: {roles} ({info.rule}); {info.doubt}"
    return f"read as {info.format}: {roles} ({info.rule}; override with --candidate NAME)"


def announce_import(transcript: Transcript) -> None:
    """Say on stderr how names were mapped (stdout stays clean for reports and pipes)."""
    mapping = describe_import(transcript)
    if mapping:
        print(f"roleplay: {mapping}", file=sys.stderr)


def one_sided(transcript: Transcript) -> str | None:
    """A warning when only one side speaks (a judge would grade half an interview), else None."""
    if not transcript.turns:
        return None
    if not transcript.candidate_turns():
        return (f"every one of the {len(transcript.turns)} turns is the interviewer's: nothing "
                "the candidate said will be graded; name the candidate with --candidate NAME "
                "(see `roleplay import FILE` for how the speakers were read)")
    if not transcript.interviewer_turns():
        return (f"every one of the {len(transcript.turns)} turns is the candidate's: the "
                "questions are missing, so answers are graded without them; name the "
                "interviewer with --interviewer NAME, or check the file")
    return None


def preview(transcript: Transcript, *, turns: int = 6, width: int = 90) -> str:
    """Speakers, turn counts, the mapping and the first turns, for a person to check."""
    lines = [f"transcript {transcript.id}: {len(transcript.turns)} turns"]
    counts = Counter((t.name, t.speaker) for t in transcript.turns)
    words: Counter[tuple[str | None, str]] = Counter()
    for t in transcript.turns:
        words[(t.name, t.speaker)] += len(t.text.split())
    for (name, role), n in counts.items():
        lines.append(f"  {name or role.title():<24} {role:<12} {n:>3} turns "
                     f"{words[(name, role)]:>6} words")
    info = transcript.imported
    if info is not None:
        lines.append(f"format: {info.format}; candidate: {info.rule}")
        if info.doubt:
            lines.append(f"warning: the roles may be wrong: {info.doubt}")
        if info.preamble:
            n = len(info.preamble.splitlines())
            lines.append(f"kept apart, not in any turn: {n} line{'s' if n != 1 else ''} of titles "
                         "and tool notes")
    for t in transcript.turns[:turns]:
        text = " ".join(t.text.split()) or "(silent)"
        if len(text) > width:
            text = text[: width - 3] + "..."
        stamp = f"{_clock(t.offset)} " if t.offset is not None else ""
        lines.append(f"  T{t.index} {stamp}{t.name or t.speaker}: {text}")
    if len(transcript.turns) > turns:
        lines.append(f"  ... {len(transcript.turns) - turns} more turns")
    return "\n".join(lines) + "\n"


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
