"""Reports: HTML escaping, Markdown evidence and coaching, JSON shape, terminal output."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from roleplay.evaluate import Evaluation, Evaluator
from roleplay.importing import load_transcript
from roleplay.report import print_report, render, to_dict
from roleplay.rubric import load_rubric
from roleplay.testing import ScriptedChatModel
from roleplay.transcript import Transcript

DATA = Path(__file__).parent / "data" / "transcripts"
RUBRIC = load_rubric()
SCRIPT = "<script>alert('x')</script>"


def hostile_transcript() -> Transcript:
    t = load_transcript(DATA / "weak_close.txt")
    turns = list(t.turns)
    turns[5] = turns[5].model_copy(update={
        "text": f"[red]X[/red] No, I think you covered everything. {SCRIPT} **x**"})
    return t.model_copy(update={"turns": tuple(turns)})


def judged(t: Transcript) -> Evaluation:
    out: dict[str, Any] = {}
    for c in RUBRIC.criteria:
        evidence = [{"turn": 6, "quote": SCRIPT}, {"turn": 5, "quote": "any questions for me"}]
        p: dict[str, Any] = {"evidence": evidence, "reason": f"Saw {SCRIPT} in T6.",
                             "applicable": True, "score": 2 if c.id != "follow_up" else 1}
        if c.checklist:
            p = {"checklist": {item.id: False for item in c.checklist}, **p}
        out[c.id] = p
    return Evaluator(judge_model=ScriptedChatModel([json.dumps(out)])).evaluate(t)


@pytest.fixture(scope="module")
def hostile() -> tuple[Transcript, Evaluation]:
    t = hostile_transcript()
    return t, judged(t)


def test_html_is_self_contained_and_escapes_every_transcript_string(
        hostile: tuple[Transcript, Evaluation]) -> None:
    t, e = hostile
    page = render(e, "html", transcript=t)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    assert "<link" not in page and "@import" not in page
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    # Evidence links to the turn in the embedded transcript, marked verified or not.
    assert '<a href="#t6">T6</a> <span class="badge ok">verified</span>' in page
    assert '<a href="#t5">T5</a> <span class="badge bad">unverified</span>' in page
    assert 'id="t6"' in page
    assert "Coaching:" in page


def test_markdown_shows_status_score_evidence_and_coaching(
        hostile: tuple[Transcript, Evaluation]) -> None:
    _, e = hostile
    md = render(e, "md")
    section = md.split("## Asks for the job confidently, without begging (`asked_for_job`)")[1]
    section = section.split("\n## ")[0]
    assert "**Status:** scored · **Score:** 2/5 (not met)" in section
    assert "- T6 ✓ verified: “&lt;script&gt;alert('x')&lt;/script&gt;”" in section
    assert "- T5 ✗ unverified: “any questions for me”" in section
    assert "**Coaching:** At turn 8, instead of 'Please give me a chance" in section
    assert "<script" not in md


def test_markdown_lists_applied_rules_and_notes() -> None:
    t = load_transcript(DATA / "weak_close.txt")
    out: dict[str, Any] = {}
    for c in RUBRIC.criteria:
        p: dict[str, Any] = {"evidence": [{"turn": 8, "quote": "Please give me a chance"}],
                             "reason": "r", "applicable": True, "score": 4}
        if c.checklist:
            p = {"checklist": {item.id: True for item in c.checklist}, **p}
        out[c.id] = p
    e = Evaluator(judge_model=ScriptedChatModel([json.dumps(out)])).evaluate(t)
    md = render(e, "md")
    assert "**Rules applied:**\n- begging\\_phrase: The candidate begged" in md
    assert "**Review:**\n- follow\\_up\\_no\\_channel:" in md
    # The signals section shows the code-made facts the judge saw.
    assert "## Signals\n\n- Closing phase: from T5" in md and "- Begging phrases: T8." in md


def test_json_report_shape(hostile: tuple[Transcript, Evaluation]) -> None:
    _, e = hostile
    data = json.loads(render(e, "json"))
    assert data["rubric"] == {"id": "interview-close", "version": RUBRIC.version,
                              "fingerprint": e.fingerprint}
    assert [c["id"] for c in data["criteria"]] == [c.id for c in RUBRIC.criteria]
    first = data["criteria"][0]
    for key in ("id", "status", "score", "passed", "reason", "evidence", "coaching",
                "applied_rules", "review_flags", "sample_scores", "agreement"):
        assert key in first
    assert first["evidence"][0] == {"turn": 6, "quote": SCRIPT, "verified": True,
                                    "speaker": "candidate", "note": None}
    assert data["overall"] == e.overall
    assert data["usage"]["calls"] == 1 and data["usage"]["total_tokens"] > 0
    assert data["signals"]["closing"]["invitation_turn"] == 5
    assert data == to_dict(e)


def test_text_report_and_terminal_never_interpret_transcript_markup(
        hostile: tuple[Transcript, Evaluation]) -> None:
    t, e = hostile
    text = render(e, "text", transcript=t)
    assert "[red]X[/red]" in text
    assert "Asks for the job confidently" in text and "2/5 (not met)" in text
    buffer = io.StringIO()
    print_report(e, Console(file=buffer, width=120, color_system=None), transcript=t)
    assert "[red]X[/red]" in buffer.getvalue()


def test_signals_only_and_unscored_reports() -> None:
    t = load_transcript(DATA / "strong.txt")
    e = Evaluator(signals_only=True).evaluate(t)
    md = render(e, "md")
    assert "signals only (provisional, no judge)" in md
    assert "**Status:** insufficient evidence (provisional) · **Score:** —" in md
    broken = Evaluator(judge_model=ScriptedChatModel(["nope", "still nope"])).evaluate(t)
    html_page = render(broken, "html")
    assert "no overall score" in html_page and "<pre>still nope</pre>" in html_page


def test_unknown_format_is_rejected(hostile: tuple[Transcript, Evaluation]) -> None:
    with pytest.raises(ValueError, match="unknown report format"):
        render(hostile[1], "pdf")  # type: ignore[arg-type]
