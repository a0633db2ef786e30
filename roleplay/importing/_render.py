"""Write a transcript as text, WebVTT or SRT: for exports, and to prove the importers round-trip."""

from __future__ import annotations

import html
from datetime import timedelta

import srt
import webvtt

from roleplay.transcript import Transcript, Turn

__all__ = ["render_srt", "render_text", "render_vtt"]

# Speech runs at about 150 words a minute; used to invent cue times for turns without any.
_SECONDS_PER_WORD = 0.4


def _name(turn: Turn) -> str:
    return turn.name or turn.speaker.title()


def _times(transcript: Transcript) -> list[tuple[float, float]]:
    """Start and end of every turn: recorded offsets where there are any, else estimated."""
    starts: list[float] = []
    clock = 0.0
    for turn in transcript.turns:
        start = turn.offset if turn.offset is not None else clock
        start = max(start, starts[-1] if starts else 0.0)
        starts.append(start)
        clock = start + max(1.0, len(turn.text.split()) * _SECONDS_PER_WORD)
    ends = [*starts[1:], clock]
    return [(s, max(e, s + 0.5)) for s, e in zip(starts, ends, strict=True)]


def _paragraphs(text: str) -> list[str]:
    # A cue cannot hold a blank line, so each paragraph of a turn becomes its own cue.
    return [p.strip() for p in text.split("\n\n") if p.strip()] or [""]


def _stamp(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def render_text(transcript: Transcript, *, timestamps: bool = False,
                headers: bool = False) -> str:
    """``Name: text`` lines (or ``Name  0:03`` headers), as notes and call tools export them."""
    out: list[str] = []
    for turn, (start, _) in zip(transcript.turns, _times(transcript), strict=True):
        if headers:
            minutes, seconds = divmod(int(start), 60)
            out += [f"{_name(turn)}  {minutes}:{seconds:02d}", turn.text, ""]
        elif timestamps:
            out.append(f"[{_stamp(start)[:8]}] {_name(turn)}: {turn.text}")
        else:
            out.append(f"{_name(turn)}: {turn.text}")
    return "\n".join(out).rstrip("\n") + "\n"


def render_vtt(transcript: Transcript, *, voice_tags: bool = True) -> str:
    """WebVTT with a voice tag per cue (as Teams writes it) or ``Name:`` cue text (as Zoom)."""
    captions: list[webvtt.Caption] = []
    for turn, (start, end) in zip(transcript.turns, _times(transcript), strict=True):
        paragraphs = _paragraphs(turn.text)
        step = (end - start) / len(paragraphs)
        for i, paragraph in enumerate(paragraphs):
            body = html.escape(paragraph, quote=False)
            text = f"<v {html.escape(_name(turn))}>{body}" if voice_tags else \
                f"{_name(turn)}: {body}"
            captions.append(webvtt.Caption(_stamp(start + i * step),
                                           _stamp(start + (i + 1) * step), text))
    vtt = webvtt.WebVTT(captions=captions)
    return str(vtt.content)


def render_srt(transcript: Transcript) -> str:
    """SRT with the speaker's name before each cue's text."""
    subtitles: list[srt.Subtitle] = []
    for turn, (start, end) in zip(transcript.turns, _times(transcript), strict=True):
        paragraphs = _paragraphs(turn.text)
        step = (end - start) / len(paragraphs)
        for i, paragraph in enumerate(paragraphs):
            subtitles.append(srt.Subtitle(
                index=len(subtitles) + 1,
                start=timedelta(seconds=start + i * step),
                end=timedelta(seconds=start + (i + 1) * step),
                content=f"{_name(turn)}: {paragraph}",
            ))
    return str(srt.compose(subtitles, reindex=False))
