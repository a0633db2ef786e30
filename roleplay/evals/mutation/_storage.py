"""Simulated transcripts on disk, named by candidate, persona and run, to evaluate again."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from roleplay.errors import ConfigError
from roleplay.importing import load_transcript
from roleplay.transcript import Transcript

__all__ = ["load_transcripts", "save_transcripts"]


_NAME = re.compile(r"^(?P<candidate>[a-z0-9][a-z0-9_-]*)--(?P<persona>[a-z0-9][a-z0-9_-]*)--"
                   r"(?P<run>\d+)\.json$")


def save_transcripts(transcripts: Sequence[Transcript], folder: str | Path) -> list[Path]:
    """Save transcripts as ``<candidate>--<persona>--<run>.json`` (run from 1), atomically."""
    folder = Path(folder)
    seen: dict[tuple[str | None, str | None], int] = {}
    paths = []
    for t in transcripts:
        key = (t.candidate_id, t.persona_id)
        seen[key] = seen.get(key, 0) + 1
        paths.append(t.save(folder / f"{t.candidate_id}--{t.persona_id}--{seen[key]}.json"))
    return paths


def load_transcripts(folder: str | Path) -> list[Transcript]:
    """Load the transcripts `save_transcripts` wrote, in pair and run order.

    Raises:
        ConfigError: the folder does not exist or holds no such transcript.
        TranscriptError: a file is not a valid transcript.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError("no transcript folder here", path=str(folder))
    found = []
    for path in folder.iterdir():
        match = _NAME.match(path.name)
        if match:
            found.append(((match["candidate"], match["persona"], int(match["run"])), path))
    if not found:
        raise ConfigError("no <candidate>--<persona>--<run>.json transcripts here",
                          path=str(folder))
    return [load_transcript(path) for _, path in sorted(found)]
