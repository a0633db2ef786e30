"""Real judge replies (a strong model answering the exact requests, evals/judge-loop/) through the
evaluator: "passed" on a closing criterion always means the judge's own checklist found every
required part, whatever score the judge wrote.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from roleplay.evals.suite import EvalCase, load_suite
from roleplay.evaluate import Evaluator
from roleplay.rubric import load_rubric
from roleplay.testing import ScriptedChatModel

ROOT = Path(__file__).parent.parent / "evals"
RUBRIC = load_rubric()
CLOSING = [c for c in RUBRIC.criteria if any(i.pass_requires is not None for i in c.checklist)]


def _replies() -> list[tuple[EvalCase, dict[str, Any]]]:
    found: list[tuple[EvalCase, dict[str, Any]]] = []
    for suite_id in ("calibration", "independent"):
        suite = load_suite(ROOT / suite_id)
        for case in suite.cases:
            reply = ROOT / "judge-loop" / suite_id / f"{case.id}.json"
            if reply.exists():
                found.append((case, json.loads(reply.read_text())))
    return found


REPLIES = _replies()


def _judge(case: EvalCase, reply: dict[str, Any]):  # type: ignore[no-untyped-def]
    return Evaluator(judge_model=ScriptedChatModel([json.dumps(reply)])).evaluate(case.transcript)


def test_the_committed_replies_cover_at_least_twelve_independently_labelled_interviews() -> None:
    assert len(REPLIES) >= 12


@pytest.mark.parametrize(("case", "reply"), REPLIES, ids=[c.id for c, _ in REPLIES])
def test_passed_means_the_judges_checklist_found_every_required_part(
        case: EvalCase, reply: dict[str, Any]) -> None:
    evaluation = _judge(case, reply)
    for criterion in CLOSING:
        result = evaluation.criterion(criterion.id)
        answers = reply[criterion.id].get("checklist", {})
        complete = all(answers.get(i.id) == i.pass_requires for i in criterion.checklist
                       if i.pass_requires is not None)
        if result.passed:
            assert complete, (case.id, criterion.id, answers)


@pytest.mark.parametrize(("case", "reply"), REPLIES, ids=[c.id for c, _ in REPLIES])
def test_a_passing_score_beside_a_missing_part_is_not_passed(
        case: EvalCase, reply: dict[str, Any]) -> None:
    # Where the judge's own checklist says a required part is missing, raise its score to a
    # passing level (as a judge that contradicts itself would): it still must not pass.
    changed = json.loads(json.dumps(reply))
    touched: list[str] = []
    for criterion in CLOSING:
        part = changed[criterion.id]
        answers = part.get("checklist", {})
        missing = [i for i in criterion.checklist
                   if i.pass_requires is not None and answers.get(i.id) != i.pass_requires]
        if missing and part.get("applicable", True):
            part["score"] = 5
            touched.append(criterion.id)
    if not touched:
        pytest.skip("the judge found every required part of every closing criterion")
    evaluation = _judge(case, changed)
    for cid in touched:
        result = evaluation.criterion(cid)
        assert result.passed is not True, (case.id, cid)
        # A 5 with no quote stands unsupported; a quoted one is held below the pass mark, by
        # the checklist guard or by a red-flag cap that fired first.
        threshold = RUBRIC.criterion(cid).pass_threshold
        assert result.status == "insufficient_evidence" or (
            result.status == "scored" and result.score is not None
            and result.score < threshold and result.applied_rules), cid
