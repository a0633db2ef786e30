"""The one transcript format: JSON round trip, atomic save, and the plain-text importer."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from roleplay.errors import TranscriptError
from roleplay.importing import load_transcript, parse_plain_text
from roleplay.llm.base import Usage
from roleplay.transcript import Transcript, Turn

MULTILINE = """# Acme Freight, hiring manager round
Interviewer: Thanks for coming in.
Tell me about a time you fixed a slow system.
Candidate: At Tally our nightly batch took six hours.

Situation: the job blocked the morning reports.
Action: I profiled it and moved the joins into the database.
Result: it ran in forty minutes.
Interviewer: Any questions for me?
Candidate: What happens next, and when should I expect to hear?
"""


def test_plain_text_turns_continue_over_lines_and_blank_lines() -> None:
    t = parse_plain_text(MULTILINE)
    assert [(x.index, x.speaker) for x in t.turns] == [
        (1, "interviewer"), (2, "candidate"), (3, "interviewer"), (4, "candidate")]
    assert t.turns[0].text == "Thanks for coming in.\nTell me about a time you fixed a slow system."
    # STAR labels inside an answer are content, not speakers; the paragraph break is kept.
    assert t.turns[1].text.startswith("At Tally our nightly batch took six hours.\n\nSituation:")
    assert t.turns[1].text.endswith("Result: it ran in forty minutes.")
    assert t.source == "imported" and t.end_reason == "imported"


def test_speaker_labels_are_configurable_and_case_insensitive() -> None:
    t = parse_plain_text("q: Why us?\nA: Your routing product.\nQ: Thanks.",
                         labels={"Q": "interviewer", "A": "candidate"})
    assert [x.speaker for x in t.turns] == ["interviewer", "candidate", "interviewer"]


@pytest.mark.parametrize(("text", "line", "message"), [
    ("Interviewer: Hi.\nInterviewer: Anyone there?", 1, "no candidate: every speaker"),
    ("Dana: Hi.\nDana: Anyone there?", 1, "only one speaker"),
    ("Interviewer: Any questions?\nRecruiter: Hello.", 1, "no candidate: every speaker"),
    ("\n\n# only a comment\n", 3, "no speakers found.*--interviewer NAME and --candidate"),
    ("we talked about the job and then i asked about pay\n", 1, "no speakers found"),
])
def test_text_that_cannot_be_split_into_speakers_names_the_line_and_the_fix(
        text: str, line: int, message: str) -> None:
    with pytest.raises(TranscriptError, match=message) as info:
        parse_plain_text(text, path="notes.txt")
    assert info.value.line == line
    assert str(info.value).startswith(f"notes.txt: line {line}: ")


def test_what_a_person_would_accept_is_accepted() -> None:
    # A panel's recruiter is an interviewer, a silent candidate is an empty turn (as in JSON),
    # and a title line before the first speaker is kept as the preamble.
    t = parse_plain_text("Acme, 3 March\nInterviewer: Hi.\nRecruiter: Welcome.\nCandidate:\n"
                         "Interviewer: Hello?")
    assert [(x.speaker, x.name, x.text) for x in t.turns] == [
        ("interviewer", None, "Hi."), ("interviewer", "Recruiter", "Welcome."),
        ("candidate", None, ""), ("interviewer", None, "Hello?")]
    assert t.imported is not None and t.imported.preamble == "Acme, 3 March"


def test_load_transcript_reads_text_and_json_and_names_bad_files(tmp_path: Path) -> None:
    text = tmp_path / "interview.txt"
    text.write_text(MULTILINE, encoding="utf-8")
    imported = load_transcript(text)
    assert imported.id == "interview" and len(imported.turns) == 4

    saved = imported.save(tmp_path / "out" / "t.json")
    assert load_transcript(saved) == imported

    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    with pytest.raises(TranscriptError, match=r"empty\.txt: line 1: the transcript file is empty"):
        load_transcript(empty)
    with pytest.raises(TranscriptError, match="cannot read transcript"):
        load_transcript(tmp_path / "missing.txt")
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"turns": [{"index": 0, "speaker": "candidate", "text": "x"}]}),
                      encoding="utf-8")
    with pytest.raises(TranscriptError, match=r"broken\.json: turns\.0\.index"):
        load_transcript(broken)


def test_json_round_trip_keeps_everything() -> None:
    t = Transcript(
        persona_id="warm-hr-screener", candidate_id="strong-closer", source="simulated",
        scenario={"max_turns": 12}, model_settings={"interviewer": {"model": "gpt-4o-mini"}},
        turns=(Turn(index=1, speaker="interviewer", text="Hi <|endoftext|>", phase="opening",
                    tokens=5),
               Turn(index=2, speaker="candidate", text="Hello.", phase="opening", tokens=2)),
        usage=Usage(prompt_tokens=10, completion_tokens=7, calls=2), cost_usd=None,
        end_reason="turn_limit",
    )
    again = Transcript.from_json(t.to_json())
    assert again == t
    assert again.turn(2).text == "Hello." and [x.index for x in again.candidate_turns()] == [2]


def test_save_is_atomic_and_leaves_no_temporary_files(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    t = parse_plain_text(MULTILINE)
    target = tmp_path / "t.json"
    t.save(target)
    before = target.read_text(encoding="utf-8")

    def fail(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    changed = t.model_copy(update={"end_reason": "error"})
    with pytest.raises(OSError, match="disk full"):
        changed.save(target)
    # The old file is intact and the half-written temporary file is gone.
    assert target.read_text(encoding="utf-8") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.json"]


def test_loading_files_lives_in_importing_and_the_old_name_says_where() -> None:
    import roleplay
    import roleplay.importing
    import roleplay.transcript

    assert roleplay.load_transcript is roleplay.importing.load_transcript
    assert roleplay.parse_plain_text is roleplay.importing.parse_plain_text
    with pytest.raises(AttributeError, match="use roleplay.load_transcript or "
                                             "roleplay.importing.load_transcript"):
        roleplay.transcript.load_transcript  # noqa: B018
