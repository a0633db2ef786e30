"""Plain-text transcripts: ``Name: text`` lines, timestamped lines and ``Name  0:03`` headers."""

from __future__ import annotations

import re

from roleplay.importing._utterances import Utterance, split_label

__all__ = ["parse_seconds", "text_utterances"]

_TIME = r"(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
# "[00:01:02] Dana: ...", "00:01:02 Dana: ...", "(01:02) Dana: ..."
_LEADING_TIME = re.compile(rf"^\s*[\[(]?({_TIME})[\])]?\s+(.*)$", re.DOTALL)
# "Dana Kessler  0:03", "[Dana Kessler] 10:02:03", "Speaker 1 (00:01:02):": a header line, the
# words follow on the next lines (otter.ai, Zoom, Teams and Rev text exports).
_HEADER = re.compile(
    rf"^\s*\[?([^\W\d_][\w .'\u2019-]{{0,40}}?)\]?\s+[\[(]?({_TIME})[\])]?:?\s*$"
)
# What call tools write between and after the words: a bare time mark (Google Meet every five
# minutes), otter.ai's footer, Meet's closing line and disclaimer.
_TOOL_NOTE = re.compile(
    rf"^\s*(?:[\[(]?{_TIME}[\])]?|Transcribed by https?://\S+|Meeting ended after {_TIME}.*"
    r"|This editable transcript was computer generated.*)\s*$"
)


def parse_seconds(stamp: str) -> float:
    """``"01:02:03.5"`` -> 3723.5; ``"1:02"`` -> 62.0."""
    *head, last = stamp.replace(",", ".").split(":")
    minutes = 0
    for part in head:
        minutes = minutes * 60 + int(part)
    return minutes * 60 + float(last)


def _title_case_name(name: str) -> bool:
    # A header names a person ("Dana Kessler", "Speaker 2"), not a sentence that happens to end
    # in a time ("see you at 10:30"); scripts without case count as capitalised.
    words = name.split()
    return 0 < len(words) <= 5 and all(w[0].isupper() or not w[0].islower() for w in words)


def _header(line: str) -> tuple[str, float] | None:
    match = _HEADER.match(line)
    if not match or not _title_case_name(match.group(1)):
        return None
    return match.group(1).strip(), parse_seconds(match.group(2))


def text_utterances(text: str) -> tuple[list[Utterance], bool]:
    """The utterances of a text transcript, and whether it is written in header style.

    In header style (``Name  0:03`` lines naming at least two people) the header lines are the
    speakers and everything else is what they said, ``Label:`` lines included: a line that is
    only a name and a time is the export's structure, and nobody writes it by hand.
    """
    lines = text.splitlines()
    headers = [_header(line) for line in lines]
    header_style = len({h[0].casefold() for h in headers if h is not None}) >= 2
    out: list[Utterance] = []
    for lineno, (line, header) in enumerate(zip(lines, headers, strict=True), start=1):
        if _TOOL_NOTE.match(line):
            out.append(Utterance(None, "", line, lineno, note=True))
            continue
        if header_style:
            if header is not None:
                out.append(Utterance(header[0], "", line, lineno, header[1], strong=True))
            else:
                out.append(Utterance(None, line, line, lineno))
            continue
        offset: float | None = None
        rest = line
        timed = _LEADING_TIME.match(line)
        if timed and split_label(timed.group(2))[0] is not None:
            offset, rest = parse_seconds(timed.group(1)), timed.group(2)
        label, body = split_label(rest)
        out.append(Utterance(label, body, rest, lineno, offset))
    return out, header_style
