"""The combination policy: each declared rule fires where it should, and changes only that."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from roleplay.evaluate import RULES, Evaluation, Evaluator, render_rules
from roleplay.importing import load_transcript
from roleplay.rubric import Cap, Rubric, load_rubric
from roleplay.testing import ScriptedChatModel
from roleplay.transcript import Transcript, Turn

DATA = Path(__file__).parent / "data" / "transcripts"
RUBRIC = load_rubric()
IDS = [c.id for c in RUBRIC.criteria]
CHECKLISTS = {c.id: c for c in RUBRIC.criteria if c.checklist}
WITH_LENGTH_CAP = RUBRIC.model_copy(update={"criteria": [
    c.model_copy(update={"caps": [*c.caps, Cap(rule="extreme_length_majority", max=1)]})
    if c.id == "answer_balance" else c for c in RUBRIC.criteria]})


def _checklist(cid: str, score: int, *, missing: bool = False) -> dict[str, bool]:
    """Checklist answers that agree with ``score`` (or, with ``missing``, contradict a pass)."""
    c = CHECKLISTS[cid]
    done = score >= c.pass_threshold and not missing
    return {item.id: (item.pass_requires if done else not item.pass_requires)
            if item.pass_requires is not None else False for item in c.checklist}
IV, CA = "interviewer", "candidate"
ANSWER = ("I led the rollout of a new ticketing workflow across three regional teams, trained the "
          "leads, and measured response times every week for a quarter. ")


def make(*turns: tuple[str, str], **kwargs: Any) -> Transcript:
    return Transcript(turns=tuple(Turn(index=i, speaker=s, text=t)  # type: ignore[arg-type]
                                  for i, (s, t) in enumerate(turns, start=1)), **kwargs)


def judge(transcript: Transcript, *, rubric: Rubric = RUBRIC, missing: str = "",
          **scores: tuple[int, int, str]) -> Evaluation:
    """Evaluate with a fake judge: scores[cid] = (score, turn, verbatim quote); others get 1.

    Checklists agree with the score, except the ``missing`` criterion's, which says a required
    part is missing.
    """
    out: dict[str, Any] = {}
    for cid in IDS:
        score, turn, quote = scores.get(cid, (1, 0, ""))
        evidence = [{"turn": turn, "quote": quote}] if quote else []
        p: dict[str, Any] = {"evidence": evidence, "reason": "Judge's reason.",
                             "applicable": True, "score": score}
        if cid in CHECKLISTS:
            p = {"checklist": _checklist(cid, score, missing=cid == missing), **p}
        out[cid] = p
    return Evaluator(judge_model=ScriptedChatModel([json.dumps(out)]),
                     rubric=rubric).evaluate(transcript)


WEAK = load_transcript(DATA / "weak_close.txt")
PROJECT = load_transcript(DATA / "project_next_steps.txt")
PAY = load_transcript(DATA / "pay_first.txt")


def silent_close() -> Transcript:
    return make((IV, "Tell me about yourself."), (CA, ANSWER * 2),
                (IV, "Do you have any questions for me?"), (CA, "Hmm. Okay, thanks for your time."))


def declined_then_asked() -> Transcript:
    return make((IV, "Tell me about yourself."), (CA, ANSWER * 2),
                (IV, "Do you have any questions for me?"),
                (CA, "No, I think you covered everything. Actually, what's the culture like?"))


def one_liners() -> Transcript:
    return make((IV, "Tell me about yourself."), (CA, "I'm an analyst."),
                (IV, "Why do you want this job?"), (CA, "It pays well."),
                (IV, "Tell me about a time you failed."), (CA, "I was late once."))


def one_monologue() -> Transcript:
    return make((IV, "Tell me about yourself."), (CA, ANSWER * 6),
                (IV, "Why this company?"), (CA, ANSWER * 6),
                (IV, "Are you available in May?"), (CA, ANSWER * 36))


def presumptive() -> Transcript:
    return make((IV, "Tell me about yourself."), (CA, ANSWER * 2),
                (IV, "Any questions for us?"),
                (CA, "I'd love the opportunity to join the team. When can I start?"))


@dataclass
class Case:
    rule: str
    transcript: Callable[[], Transcript]
    criterion: str
    judge: tuple[int, int, str]
    expect_score: int


AQ = "asked_questions"
CAP_CASES = [
    Case("no_questions_asked", silent_close, AQ, (3, 4, "thanks for your time"), 1),
    Case("declined_questions", declined_then_asked, AQ, (4, 4, "what's the culture like?"), 2),
    Case("pay_perks_first", lambda: PAY, AQ, (4, 6, "What is the biggest challenge"), 2),
    Case("hypothetical_answers", lambda: WEAK, "sar_answers", (3, 4, "I would stay calm"), 2),
    Case("extreme_length_majority", one_liners, "answer_balance", (3, 0, ""), 1),
    Case("monologue_outlier", one_monologue, "answer_balance", (4, 0, ""), 2),
    Case("begging_phrase", lambda: WEAK, "asked_for_job", (4, 8, "Please give me a chance"), 2),
    Case("presumptive_close", presumptive, "asked_for_job", (5, 4, "When can I start?"), 4),
]
REVIEW_CASES = [
    Case("next_steps_unconfirmed", lambda: PROJECT, "next_steps",
         (4, 6, "The next steps on my side"), 4),
    Case("follow_up_no_channel", lambda: WEAK, "follow_up", (4, 8, "I'll follow up"), 4),
    Case("recap_not_found", lambda: PROJECT, "closing_recap", (4, 6, "that's really helpful"), 4),
    Case("job_ask_not_found", lambda: PROJECT, "asked_for_job", (4, 6, "that's really helpful"), 4),
    Case("questions_not_found", lambda: make(
        (IV, "Tell me about yourself."), (CA, ANSWER * 2), (IV, "Thanks, that's all from me."),
        (CA, "Thanks. When will I hear back?")), AQ, (3, 4, "When will I hear back?"), 3),
]


def test_every_declared_rule_has_a_case() -> None:
    guards = {r.id for r in RULES if r.effect == "pass_guard"}
    assert {c.rule for c in CAP_CASES + REVIEW_CASES} | guards == {r.id for r in RULES}
    assert guards == {"checklist_required"}


@pytest.mark.parametrize("case", CAP_CASES, ids=lambda c: c.rule)
def test_cap_rule_lowers_the_score_and_cites_its_trigger(case: Case) -> None:
    rubric = WITH_LENGTH_CAP if case.rule == "extreme_length_majority" else RUBRIC
    result = judge(case.transcript(), rubric=rubric,
                   **{case.criterion: case.judge}).criterion(case.criterion)
    assert result.status == "scored"
    assert result.score == case.expect_score
    assert result.applied_rules == (case.rule,)
    assert f"by {case.rule}" in result.reason and f"was {case.judge[0]}" in result.reason


@pytest.mark.parametrize("case", REVIEW_CASES, ids=lambda c: c.rule)
def test_review_rule_flags_without_changing_the_score(case: Case) -> None:
    result = judge(case.transcript(), **{case.criterion: case.judge}).criterion(case.criterion)
    assert result.status == "scored" and result.score == case.expect_score
    assert any(f.startswith(case.rule + ":") for f in result.review_flags)
    assert result.applied_rules == ()


def test_review_rules_stay_quiet_when_the_judge_says_unmet() -> None:
    result = judge(PROJECT, next_steps=(2, 6, "The next steps on my side"))
    assert result.criterion("next_steps").review_flags == ()


def test_review_rules_stay_quiet_when_signals_agree() -> None:
    strong = load_transcript(DATA / "strong.txt")
    result = judge(strong, next_steps=(4, 8, "What are the next steps"),
                   follow_up=(4, 10, "is email the best way to follow up"))
    assert result.criterion("next_steps").review_flags == ()
    assert result.criterion("follow_up").review_flags == ()


def test_begging_cap_adds_the_code_taken_quote_as_verified_evidence() -> None:
    result = judge(WEAK, asked_for_job=(4, 8, "I'll follow up")).criterion("asked_for_job")
    signal = [e for e in result.evidence if e.note == "signal: begging_phrase"]
    assert [e.quote for e in signal] == ["Please give me a chance, I really need this job."]
    assert signal[0].verified and signal[0].turn == 8


def test_a_cap_never_raises_a_score() -> None:
    result = judge(WEAK, asked_for_job=(1, 0, "")).criterion("asked_for_job")
    assert result.score == 1 and result.applied_rules == ()


def test_pay_first_is_no_red_flag_in_a_final_round_or_when_the_interviewer_raised_pay() -> None:
    final = PAY.model_copy(update={"scenario": {"stage": "final"}})
    quote = (6, "What is the biggest challenge for the team")
    assert judge(final, asked_questions=(4, *quote)).criterion("asked_questions").score == 4
    turns = list(PAY.turns)
    turns[0] = turns[0].model_copy(update={"text": "The salary band is fixed. Why this role?"})
    raised = PAY.model_copy(update={"turns": tuple(turns)})
    assert judge(raised, asked_questions=(4, *quote)).criterion("asked_questions").score == 4


def test_caps_apply_to_provisional_scores_too() -> None:
    t = make((IV, "Tell me about yourself."), (CA, ANSWER * 2),
             (IV, "Do you have any questions for us?"),
             (CA, "I'd love the opportunity to join. Please give me a chance, I really need this "
                 "job. Is there anything that would stop us moving forward?"))
    result = Evaluator(signals_only=True).evaluate(t).criterion("asked_for_job")
    assert result.provisional and result.score == 2
    assert result.applied_rules == ("begging_phrase",)


def test_judge_score_where_na_might_apply_is_flagged_for_review() -> None:
    no_invite = load_transcript(DATA / "no_invite.txt")
    result = judge(no_invite).criterion("asked_questions")
    assert result.score == 1
    assert any(f.startswith("not_applicable_possible") for f in result.review_flags)


def test_rule_table_renders_every_rule() -> None:
    table = render_rules()
    for r in RULES:
        assert f"`{r.id}`" in table


STRONG_CLOSE = make(
    (IV, "Tell me about yourself."), (CA, ANSWER * 2),
    (IV, "We need someone to fix our onboarding. Any questions for me?"),
    (CA, "What are the next steps, and when will I hear?"),
    (IV, "A panel next week; the recruiter will email you by Friday."),
    (CA, "So a panel next week and word by Friday. You need onboarding fixed, and I led exactly "
         "that rollout; I'd really like this role. Is email the best way to follow up?"),
    (IV, "Email is best."))


@pytest.mark.parametrize("cid", ["asked_for_job", "next_steps", "closing_recap", "follow_up"])
def test_a_closing_criterion_never_passes_while_the_judges_checklist_says_a_part_is_missing(
        cid: str) -> None:
    # The judge writes that a required part is missing (its checklist), yet gives a passing
    # level: "passed" would tell the candidate they are done when they are not.
    quote = {"asked_for_job": "I'd really like this role", "next_steps": "when will I hear?",
             "closing_recap": "I led exactly that rollout",
             "follow_up": "Is email the best way to follow up?"}[cid]
    turn = 4 if cid == "next_steps" else 6
    agreed = judge(STRONG_CLOSE, **{cid: (4, turn, quote)}).criterion(cid)
    assert agreed.passed is True and agreed.score == 4
    result = judge(STRONG_CLOSE, missing=cid, **{cid: (4, turn, quote)}).criterion(cid)
    assert result.status == "scored" and result.score == 3 and result.passed is False
    assert result.applied_rules == ("checklist_required",)
    assert "by checklist_required" in result.reason and "was 4" in result.reason
    assert any(a.answer is False for a in result.checklist)
