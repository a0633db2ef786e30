"""An overall score is shown only over most applicable criteria scored; otherwise the count."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from roleplay.evaluate import Evaluation, Evaluator
from roleplay.importing import load_transcript
from roleplay.report import overall_view, render
from roleplay.rubric import load_rubric
from roleplay.testing import ScriptedChatModel

DATA = Path(__file__).parent / "data" / "transcripts"
RUBRIC = load_rubric()


def judged() -> Evaluation:
    t = load_transcript(DATA / "weak_close.txt")
    out: dict[str, Any] = {}
    for c in RUBRIC.criteria:
        p: dict[str, Any] = {"evidence": [{"turn": 8, "quote": "Please give me a chance"}],
                             "reason": "r", "applicable": True, "score": 2}
        if c.checklist:
            p = {"checklist": {item.id: False for item in c.checklist}, **p}
        out[c.id] = p
    return Evaluator(judge_model=ScriptedChatModel([json.dumps(out)])).evaluate(t)


def with_scored(e: Evaluation, scored: int, not_applicable: int = 0) -> Evaluation:
    criteria = []
    for i, c in enumerate(e.criteria):
        if i < scored:
            criteria.append(c)
        elif i < scored + not_applicable:
            criteria.append(c.model_copy(update={"status": "not_applicable", "score": None,
                                                 "passed": None}))
        else:
            criteria.append(c.model_copy(update={"status": "judge_error", "score": None,
                                                 "passed": None}))
    return e.model_copy(update={"criteria": tuple(criteria)})


@pytest.fixture(scope="module")
def full() -> Evaluation:
    e = judged()
    assert e.overall is not None and all(c.status == "scored" for c in e.criteria)
    return e


def test_one_of_eight_scored_shows_no_overall_in_any_format(full: Evaluation) -> None:
    one = with_scored(full, 1)  # the evaluator's own overall is still the mean of that one
    assert one.overall is not None
    for fmt in ("md", "html", "text"):
        report = render(one, fmt)  # type: ignore[arg-type]
        assert "no overall score: 1 of 8 applicable criteria scored" in report, fmt
        assert "at least 5" in report and f"{one.overall:.2f} / 5" not in report
    data = json.loads(render(one, "json"))
    assert data["overall"] is None and data["passed"] is None
    assert data["overall_basis"] == {"scored": 1, "applicable": 8, "needed": 5,
                                     "text": overall_view(one).text}


def test_most_applicable_scored_shows_the_overall_and_its_basis(full: Evaluation) -> None:
    five = with_scored(full, 5)
    assert f"{five.overall:.2f} / 5 (not passed), over 5 of 8 criteria" in render(five, "md")
    assert json.loads(render(five, "json"))["overall"] == five.overall
    # Not-applicable criteria do not count against it: 3 scored of 4 that apply.
    few = with_scored(full, 3, not_applicable=4)
    assert overall_view(few).score == few.overall and overall_view(few).applicable == 4
    assert overall_view(with_scored(full, 4)).score is None  # half is not most


def test_the_web_report_page_follows_the_same_rule(full: Evaluation) -> None:
    pytest.importorskip("starlette")
    from roleplay.persona import load_persona
    from roleplay.web.views import report_page

    t = load_transcript(DATA / "weak_close.txt")
    persona = load_persona("warm-hr-screener")
    page = report_page(with_scored(full, 1), t.turns, persona, demo=True)
    assert "no overall score: 1 of 8 applicable criteria scored" in page
    assert "Overall: <strong>2.00 / 5" not in page
    assert "over 8 of 8 criteria" in report_page(full, t.turns, persona, demo=True)
