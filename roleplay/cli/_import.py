"""``roleplay import``: convert a recorded transcript to our JSON and show how it was read."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from roleplay._display import terminal_safe
from roleplay.cli._args import out_file_arg
from roleplay.cli._transcript_args import add_transcript_args, preview, read_transcript

__all__ = ["register"]

_DESCRIPTION = """\
Convert a transcript file to the transcript JSON that every other command reads, and print a
preview (speakers, roles, turns) to check before evaluating.

Formats (detected from the content; --input-format overrides):
  json  our transcript JSON
  vtt   WebVTT: voice tags (<v Dana Kessler>, Teams) or 'Name: text' cue text (Zoom, Meet)
  srt   SubRip: 'Name: text', '- Name: text' or '[Name] text' cue text
  text  'Name: text' lines (optionally after [00:01:02]), or 'Name  0:03' header lines with
        the words below them (otter.ai and call-tool text exports)

Recordings (wav, mp3, m4a, webm, ogg, flac; detected from the name or the first bytes) are
transcribed through the endpoint's /v1/audio/transcriptions (--base-url, --api-key, else
OPENAI_BASE_URL, OPENAI_API_KEY; --transcribe-model), keeping each turn's start and end time.
With a diarizing model the speaker labels (A, B ...) go through the rules below;
--candidate B names the candidate's label. Files over 25 MB are split (WAV on quiet moments;
other containers need ffmpeg); a piece that keeps failing stops the import.

Speakers: voice tags and header lines are speakers; role labels (Interviewer:, Candidate:,
Recruiter: ...) are, when present, the only speakers; otherwise a capitalised 'Name:' that
opens two or more lines, or a full name, is one. Any other 'Label:' (System:, Result: ...) is
text of the current turn. Empty turns are kept.

The candidate: --candidate NAME; else the one speaker not named by --interviewer; else the
speaker labelled Candidate; else the speaker who answers the most questions in the first half
of the interview (who speaks first decides nothing). When that evidence is weak, the preview
says so: check it, and settle it with --candidate NAME or --interviewer NAME. Everyone else is
an interviewer and keeps their name.
"""


def register(subparsers: Any) -> None:
    """Add the ``import`` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "import", help="convert a VTT, SRT or text transcript, or a recording, to transcript JSON",
        description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", metavar="FILE", help="the transcript file or recording")
    parser.add_argument("--out", type=out_file_arg, metavar="FILE", default=None,
                        help="write the transcript JSON here (default: preview only)")
    parser.add_argument("--turns", type=int, default=6, metavar="N",
                        help="turns to show in the preview (default 6)")
    add_transcript_args(parser)
    endpoint = parser.add_argument_group("recordings endpoint")
    endpoint.add_argument("--base-url", default=None,
                          help="OpenAI-compatible base URL that transcribes recordings "
                          "(default: $OPENAI_BASE_URL, else OpenAI)")
    endpoint.add_argument("--api-key", default=None,
                          help="API key (default: $OPENAI_API_KEY); prefer the environment")
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Run ``roleplay import``; returns the exit code."""
    transcript = read_transcript(args, args.file)
    # The preview is for a person's eyes; the saved JSON keeps the text as it was.
    sys.stdout.write(terminal_safe(preview(transcript, turns=max(0, args.turns))))
    if args.out:
        transcript.save(Path(args.out))
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        print("pass --out FILE to save it as transcript JSON", file=sys.stderr)
    return 0
