"""Caption files: WebVTT (voice tags or ``Name:`` cue text) and SRT, parsed by webvtt-py and srt."""

from __future__ import annotations

import html
import re

import srt
import webvtt
from webvtt.errors import MalformedFileError

from roleplay.errors import TranscriptError
from roleplay.importing._utterances import Utterance, split_label

__all__ = ["srt_utterances", "vtt_utterances"]

# A voice span opening a cue line: "<v Dana Kessler>", "<v.loud Dana>".
_VOICE = re.compile(r"^\s*<v(?:\.[^\s>]*)?\s+([^>]+)>")
_TAG = re.compile(r"</?[^>]*>")
# "[Dana Kessler] text": the bracketed speaker some SRT exports use.
_BRACKETED = re.compile(r"^\s*\[([^\W\d_][^\]]{0,40})\]\s*(.*)$", re.DOTALL)
# "- Dana: text": a dialogue dash before the speaker.
_DASH = re.compile(r"^\s*[-\u2013\u2014]\s+")


def _cue_lines(text: str) -> list[int]:
    """The file line of every cue's timing line, in order (the parsers do not keep them)."""
    return [n for n, line in enumerate(text.splitlines(), start=1) if "-->" in line]


def _line_of(timing: list[int], index: int) -> int:
    return timing[index] if index < len(timing) else (timing[-1] if timing else 1)


def _cue_utterances(lines: list[str], line: int, offset: float, end: float, *,
                    entities: bool) -> list[Utterance]:
    out: list[Utterance] = []
    voiced = False
    for raw in lines:
        voice = _VOICE.match(raw)
        text = _TAG.sub("", raw)
        if entities:
            text = html.unescape(text)
        text = text.strip()
        if voice:
            name = html.unescape(voice.group(1)).strip()
            out.append(Utterance(name, text, text, line, offset, end, strong=True))
            voiced = True
            continue
        if voiced:
            # The rest of a voice span: the voice's words, whatever they look like.
            out.append(Utterance(None, text, text, line, offset, end))
            continue
        text = _DASH.sub("", text)
        bracketed = _BRACKETED.match(text)
        if bracketed:
            label: str | None = bracketed.group(1).strip()
            body = bracketed.group(2)
        else:
            label, body = split_label(text)
        out.append(Utterance(label, body, text, line, offset, end))
    return out


def vtt_utterances(text: str, *, path: str | None = None) -> list[Utterance]:
    """Every cue line of a WebVTT file; voice tags are speakers, ``Name:`` cue text may be."""
    try:
        captions = webvtt.from_string(text)
    except MalformedFileError as exc:
        raise TranscriptError(f"not a valid WebVTT file ({exc}); pass --input-format to read it "
                              "as another format", path=path, line=1) from exc
    timing = _cue_lines(text)
    out: list[Utterance] = []
    for i, caption in enumerate(captions.captions):
        offset = caption.start_time.in_milliseconds() / 1000
        end = caption.end_time.in_milliseconds() / 1000
        out += _cue_utterances(caption.raw_text.split("\n"), _line_of(timing, i), offset, end,
                               entities=True)
    return out


def srt_utterances(text: str, *, path: str | None = None) -> list[Utterance]:
    """Every subtitle line of an SRT file; ``Name:`` or ``[Name]`` prefixes may be speakers."""
    try:
        subtitles = list(srt.parse(text))
    except srt.SRTParseError as exc:
        line = text[: exc.expected_start].count("\n") + 1
        raise TranscriptError(f"not a valid SRT file near {exc.unmatched_content[:40]!r}; pass "
                              "--input-format to read it as another format",
                              path=path, line=line) from exc
    timing = _cue_lines(text)
    out: list[Utterance] = []
    for i, subtitle in enumerate(subtitles):
        offset = subtitle.start.total_seconds()
        end = subtitle.end.total_seconds()
        out += _cue_utterances(subtitle.content.split("\n"), _line_of(timing, i), offset, end,
                               entities=False)
    return out
