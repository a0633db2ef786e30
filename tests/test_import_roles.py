"""Roles come from who asks and who answers, not who speaks first; weak evidence is reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from roleplay.cli import main
from roleplay.evaluate import Evaluator
from roleplay.importing import parse_transcript
from roleplay.report import render

GREETING_FIRST = """\
Sam Rivera: Hi! Can you hear me okay?
Dana Kessler: Yes, loud and clear. Thanks for joining, Sam. Tell me about yourself.
Sam Rivera: I've led a support team of six for three years at a clinic software company.
Dana Kessler: What was the hardest problem that team had?
Sam Rivera: A backlog of 900 tickets. I set up a triage rota and we cleared it in five weeks.
Dana Kessler: How did you keep the team motivated through that?
Sam Rivera: Short daily huddles and a visible chart; people could see the number fall.
Dana Kessler: Why do you want this role?
Sam Rivera: Your onboarding problem is exactly the kind of work I want to do next.
Dana Kessler: Great. Do you have any questions for me?
Sam Rivera: What are the next steps, and when should I expect to hear?
Dana Kessler: A panel next week; we decide by Friday.
"""

EVEN = """\
Alex Moreno: So what brings you here today?
Jordan Lee: Curiosity, mostly. What does the team work on?
Alex Moreno: Billing. Have you done billing work before?
Jordan Lee: A little. Is the team remote?
"""


def test_a_candidate_who_greets_first_is_still_the_candidate() -> None:
    t = parse_transcript(GREETING_FIRST)
    assert t.imported is not None
    assert t.imported.speakers == {"Sam Rivera": "candidate", "Dana Kessler": "interviewer"}
    assert [turn.speaker for turn in t.turns[:2]] == ["candidate", "interviewer"]
    assert "'Sam Rivera' answers the most questions" in t.imported.rule
    assert t.imported.doubt == ""


def test_flags_and_role_labels_still_decide() -> None:
    flagged = parse_transcript(GREETING_FIRST, candidate="Dana Kessler")
    assert flagged.imported is not None
    assert flagged.imported.speakers["Dana Kessler"] == "candidate"
    labelled = parse_transcript("Candidate: Hi! Can you hear me?\nInterviewer: Yes. Tell me "
                                "about yourself.\nCandidate: I run a support team.\n")
    assert [turn.speaker for turn in labelled.turns] == ["candidate", "interviewer", "candidate"]


def test_weak_evidence_is_said_with_the_flag_that_settles_it() -> None:
    t = parse_transcript(EVEN)
    assert t.imported is not None and "weak evidence" in t.imported.doubt
    assert "--candidate NAME" in t.imported.doubt and "--interviewer NAME" in t.imported.doubt
    settled = parse_transcript(EVEN, candidate="Jordan Lee")
    assert settled.imported is not None and settled.imported.doubt == ""


def test_the_preview_warns_when_the_evidence_is_weak(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "even.txt").write_text(EVEN, encoding="utf-8")
    (tmp_path / "clear.txt").write_text(GREETING_FIRST, encoding="utf-8")
    assert main(["import", str(tmp_path / "even.txt")]) == 0
    out = capsys.readouterr().out
    assert "warning: the roles may be wrong" in out and "--candidate NAME" in out
    assert main(["import", str(tmp_path / "clear.txt")]) == 0
    out = capsys.readouterr().out
    assert "Sam Rivera" in out and "warning" not in out


@pytest.mark.parametrize("fmt", ["md", "html", "text", "json"])
def test_every_report_format_warns_when_the_evidence_is_weak(fmt: str) -> None:
    t = parse_transcript(EVEN)
    evaluation = Evaluator(signals_only=True).evaluate(t)
    report = render(evaluation, fmt, transcript=t)  # type: ignore[arg-type]
    assert "the roles may be wrong" in report and "--candidate NAME" in report
    clear = parse_transcript(GREETING_FIRST)
    assert "roles may be wrong" not in render(Evaluator(signals_only=True).evaluate(clear), fmt,  # type: ignore[arg-type]
                                              transcript=clear)


def test_evaluate_json_carries_the_warning(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "even.txt").write_text(EVEN, encoding="utf-8")
    assert main(["evaluate", str(tmp_path / "even.txt"), "--signals-only", "--format",
                 "json"]) == 0
    captured = capsys.readouterr()
    assert "weak evidence" in json.loads(captured.out)["speakers_note"]
    assert "weak evidence" in captured.err  # and on stderr, as the mapping always was
