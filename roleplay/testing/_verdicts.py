"""`assert_verdicts`: expectations on an `Evaluation`, failing with everything needed to act."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from roleplay.evaluate.results import CriterionResult, Evaluation

__all__ = ["VerdictAssertionError", "VerdictMismatch", "assert_verdicts"]

_WIDTH = 100


@dataclass(frozen=True)
class VerdictMismatch:
    """One expectation that the evaluation did not meet."""

    criterion: str
    """The criterion id."""
    expected: str
    """What the test asked for, e.g. ``passed`` or ``score >= 4``."""
    actual: str
    """What the evaluation says, e.g. ``failed (scored 2/5)``."""


class VerdictAssertionError(AssertionError):
    """Raised by `assert_verdicts`; the message shows each unmet criterion with its evidence."""

    def __init__(self, message: str, mismatches: list[VerdictMismatch]) -> None:
        super().__init__(message)
        self.mismatches = mismatches
        """The unmet expectations, in rubric order."""


def _actual(result: CriterionResult) -> str:
    if result.status != "scored":
        return result.status.replace("_", " ") + " (no score)"
    verdict = "passed" if result.passed else "failed"
    return f"{verdict} (scored {result.score}/5)"


def _check(result: CriterionResult, *, want_pass: bool | None, min_score: int | None,
           max_score: int | None) -> list[str]:
    """The expectations on ``result`` that do not hold, as 'expected' phrases."""
    unmet: list[str] = []
    scored = result.status == "scored" and result.score is not None
    if want_pass is not None and (not scored or result.passed is not want_pass):
        unmet.append("passed" if want_pass else "failed")
    if min_score is not None and (not scored or (result.score or 0) < min_score):
        unmet.append(f"score >= {min_score}")
    if max_score is not None and (not scored or (result.score or 0) > max_score):
        unmet.append(f"score <= {max_score}")
    return unmet


def _indented(label: str, text: str) -> list[str]:
    body = textwrap.wrap(" ".join(text.split()), _WIDTH - 8) or [""]
    return [f"    {label}: {body[0]}", *(f"      {line}" for line in body[1:])]


def _detail(result: CriterionResult) -> list[str]:
    lines = _indented("reason", result.reason) if result.reason else []
    if not result.evidence:
        lines.append("    evidence: none cited")
    for ev in result.evidence:
        check = "verified" if ev.verified else f"NOT verified: {ev.note or 'quote not found'}"
        who = f" ({ev.speaker})" if ev.speaker else ""
        lines.extend(_indented(f"evidence, turn {ev.turn}{who} [{check}]", f'"{ev.quote}"'))
    if result.coaching:
        lines.extend(_indented("coaching", result.coaching))
    if result.review_flags:
        lines.extend(_indented("review", "; ".join(result.review_flags)))
    return lines


def _known(evaluation: Evaluation, names: Iterable[str], argument: str) -> None:
    ids = [r.id for r in evaluation.criteria]
    unknown = [n for n in names if n not in ids]
    if unknown:
        raise ValueError(
            f"assert_verdicts({argument}=...): no criterion {', '.join(map(repr, unknown))} in "
            f"rubric {evaluation.rubric_id!r}; its criteria are: {', '.join(ids)}")


def assert_verdicts(
    evaluation: Evaluation,
    *,
    passed: Iterable[str] = (),
    failed: Iterable[str] = (),
    min_scores: Mapping[str, int] | None = None,
    max_scores: Mapping[str, int] | None = None,
) -> None:
    """Assert the verdicts of an evaluation, criterion by criterion.

    A criterion counts as passed or failed only when it was scored: an ``insufficient_evidence``
    or ``judge_error`` verdict meets neither expectation. The failure message lists, for every
    unmet criterion, what was expected and what came back, the reason, each quoted piece of
    evidence with its turn and whether it was verified, and the coaching line; then one line
    per criterion of the rubric, so a reader needs no other file.

    Args:
        evaluation: The evaluation to check.
        passed: Criterion ids that must be scored and passed.
        failed: Criterion ids that must be scored and failed.
        min_scores: Criterion id -> the lowest acceptable score (1-5).
        max_scores: Criterion id -> the highest acceptable score (1-5).

    Raises:
        VerdictAssertionError: an expectation did not hold (an `AssertionError`).
        ValueError: a criterion id is not in the evaluation's rubric, or one criterion is
            expected both to pass and to fail.
    """
    __tracebackhide__ = True
    want_pass = dict.fromkeys(passed, True)
    want_fail = dict.fromkeys(failed, False)
    both = sorted(set(want_pass) & set(want_fail))
    if both:
        raise ValueError(f"assert_verdicts: {', '.join(both)} cannot be both passed and failed")
    mins, maxes = dict(min_scores or {}), dict(max_scores or {})
    for argument, names in (("passed", want_pass), ("failed", want_fail),
                            ("min_scores", mins), ("max_scores", maxes)):
        _known(evaluation, names, argument)
    outcome = {**want_pass, **want_fail}
    asked = set(outcome) | set(mins) | set(maxes)

    mismatches: list[VerdictMismatch] = []
    blocks: list[str] = []
    for result in evaluation.criteria:
        if result.id not in asked:
            continue
        unmet = _check(result, want_pass=outcome.get(result.id), min_score=mins.get(result.id),
                       max_score=maxes.get(result.id))
        if not unmet:
            continue
        mismatch = VerdictMismatch(result.id, " and ".join(unmet), _actual(result))
        mismatches.append(mismatch)
        head = (f"  {result.id} ({result.title}): expected {mismatch.expected}, "
                f"got {mismatch.actual}")
        blocks.append("\n".join([head, *_detail(result)]))
    if not mismatches:
        return

    judge = evaluation.judge_model or "no judge"
    header = (f"{len(mismatches)} of {len(asked)} expected verdicts not met for transcript "
              f"{evaluation.transcript_id} (rubric {evaluation.rubric_id} "
              f"v{evaluation.rubric_version}, {judge}, mode {evaluation.mode})")
    notes: list[str] = []
    if evaluation.mode == "signals_only":
        notes.append("signals-only verdicts are provisional: configure a judge model for scores "
                     "a model gave")
    if evaluation.mode == "degenerate":
        notes.append("the transcript has no substantive candidate content, so nothing was "
                     "judged")
    summary = ", ".join(
        f"{r.id} {r.score if r.score is not None else '-'}"
        f"{'' if r.status == 'scored' else ' (' + r.status + ')'}"
        f"{' pass' if r.passed else ' fail' if r.passed is False else ''}"
        for r in evaluation.criteria)
    parts = [header, *blocks, *(f"  note: {n}" for n in notes),
             *textwrap.wrap(f"all criteria: {summary}", _WIDTH, initial_indent="  ",
                            subsequent_indent="    ")]
    raise VerdictAssertionError("\n".join(parts), mismatches)
