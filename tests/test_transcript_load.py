"""`Transcript.load` reads a saved file; `from_json` takes JSON text and says so given a path."""

from __future__ import annotations

from pathlib import Path

import pytest

from roleplay.errors import TranscriptError
from roleplay.transcript import Transcript, Turn


def _transcript() -> Transcript:
    return Transcript(turns=(Turn(index=1, speaker="interviewer", text="Any questions?"),
                             Turn(index=2, speaker="candidate", text="What happens next?")))


def test_load_reads_back_what_save_wrote(tmp_path: Path) -> None:
    original = _transcript()
    path = original.save(tmp_path / "transcripts" / "demo.json")
    assert Transcript.load(path) == original
    assert Transcript.load(str(path)) == original


def test_from_json_given_a_file_name_names_load(tmp_path: Path) -> None:
    path = _transcript().save(tmp_path / "demo.json")
    with pytest.raises(TranscriptError, match=r"JSON text, not a file name.*Transcript\.load"):
        Transcript.from_json(str(path))
    with pytest.raises(TranscriptError, match=r"Transcript\.load\('transcripts/demo\.json'\)"):
        Transcript.from_json("transcripts/demo.json")


def test_from_json_still_parses_json_text() -> None:
    original = _transcript()
    assert Transcript.from_json(original.to_json()) == original
    assert Transcript.from_json(original.to_json().encode()) == original


def test_load_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(TranscriptError, match="missing.json.*cannot read"):
        Transcript.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"turns": "no"}', encoding="utf-8")
    with pytest.raises(TranscriptError, match="bad.json"):
        Transcript.load(bad)
