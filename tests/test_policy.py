"""The combination policy: each declared rule fires where it should, and changes only that."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from roleplay.evaluate import RULES, Evaluation, Evaluator, render_rules
from roleplay.rubric import load_rubric
from roleplay.testing import ScriptedChatModel
from roleplay.transcript import Transcript, Turn, load_transcript

DATA = Path(__file__).parent / "data" / "transcripts"
RUBRIC = load_rubric()
IDS = [c.id for c in RUBRIC.criteria]
CHECKLISTS = {c.id: {item.id: False for item in c.checklist}
              for c in RUBRIC.criteria if c.checklist}
IV, CA = "interviewer", "candidate"
ANSWER = ("I led the rollout of a new ticketing workflow across three regional teams, trained the "
          "leads, and measured response times every week for a quarter. ")


def make(*turns: tuple[str, str], **kwargs: Any) -> Transcript:
    return Transcript(turns=tuple(Turn(index=i, speaker=s, text=t)  # type: ignore[arg-type]
                                  for i, (s, t) in enumerate(turns, start=1)), **kwargs)


def judge(transcript: Transcript, **scores: tuple[int, int, str]) -> Evaluation:
    """Evaluate with a fake judge: scores[cid] = (score, turn, verbatim quote); others get 1."""
    out: dict[str, Any] = {}
    for cid in IDS:
        score, turn, quote = scores.get(cid, (1, 0, ""))
        evidence = [{"turn": turn, "quote": quote}] if quote else []
        p: dict[str, Any] = {"evidence": evidence, "reason": "Judge's reason.",
                             "applicable": True, "score": score}
        if cid in CHECKLISTS:
            p = {"checklist": CHECKLISTS[cid], **p}
        out[cid] = p
    return Evaluator(judge_model=ScriptedChatModel([json.dumps(out)])).evaluate(transcript)


WEAK = load_transcript(DATA / "weak_close.txt")
PROJECT = load_transcript(DATA / "project_next_steps.txt")
PAY = load_transcript(DATA / "pay_first.txt")


def silent_close() -> Transcript:
    return make((IV, "Tell me about yourself."), (CA, ANSWER * 2),
                (IV, "Do you have any questions for me?"), (CA, "Hmm. Okay, thanks for your time."))


def declined_then_asked() -> Transcript:
    return make((IV, "Tell me about yourself."), (CA, ANSWER * 2),
                (IV, "Do you have any questions for me?"),
                (CA, "No, I think you covered everything. Actually, how big is the team? And what "
                    "is the biggest challenge this year?"))


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
    Case("declined_questions", declined_then_asked, AQ, (4, 4, "how big is the team?"), 2),
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
    Case("follow_up_no_channel", lambda: WEAK, "follow_up", (3, 8, "I'll follow up"), 3),
    Case("recap_not_found", lambda: PROJECT, "closing_recap", (3, 6, "that's really helpful"), 3),
    Case("job_ask_not_found", lambda: PROJECT, "asked_for_job", (3, 6, "that's really helpful"), 3),
    Case("questions_not_found", lambda: PROJECT, AQ, (3, 4, "how big is the team"), 3),
]


def test_every_declared_rule_has_a_case() -> None:
    assert {c.rule for c in CAP_CASES + REVIEW_CASES} == {r.id for r in RULES}


@pytest.mark.parametrize("case", CAP_CASES, ids=lambda c: c.rule)
def test_cap_rule_lowers_the_score_and_cites_its_trigger(case: Case) -> None:
    result = judge(case.transcript(), **{case.criterion: case.judge}).criterion(case.criterion)
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
