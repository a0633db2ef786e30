"""Recordings on the command line: transcribe an audio file through the configured endpoint."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from roleplay.audio import transcribe_file
from roleplay.cli._reach import check_base_url
from roleplay.transcript import Transcript

__all__ = ["DEFAULT_TRANSCRIBE_MODEL", "transcribe_recording"]

DEFAULT_TRANSCRIBE_MODEL = "gpt-4o-transcribe-diarize"
"""The default transcription model (kept equal to the adapter's; importing it would load the
SDK for every command)."""


def transcribe_recording(args: argparse.Namespace, path: str | Path) -> Transcript:
    """Transcribe recording ``path`` with the endpoint and speaker flags in ``args``."""
    # Imported here: the SDK is loaded only when a recording is really transcribed.
    from roleplay.llm.openai_audio import OpenAITranscriber

    base_url = getattr(args, "base_url", None)
    check_base_url(base_url)
    model = getattr(args, "transcribe_model", None) or DEFAULT_TRANSCRIBE_MODEL
    transcriber = OpenAITranscriber(model, base_url=base_url,
                                    api_key=getattr(args, "api_key", None))
    print(f"roleplay: transcribing {path} with {model} at {transcriber.endpoint}",
          file=sys.stderr)
    try:
        interviewer = getattr(args, "interviewer", None)
        return transcribe_file(path, transcriber, interviewer=interviewer,
                               candidate=getattr(args, "candidate", None))
    finally:
        transcriber.close()
