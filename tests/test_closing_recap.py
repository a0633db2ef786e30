"""closing_recap from signals: a recap is found by its parts (interest, a need the interviewer
stated, the candidate's own experience), in any words, not by "fit" or "match" (issue #13)."""

from __future__ import annotations

import pytest

from roleplay.evaluate import Evaluator, compute_signals
from roleplay.evaluate.results import CriterionResult
from roleplay.importing import parse_transcript

OPENING = (
    "Interviewer: Tell me about the depot you run now.\n"
    "Candidate: I run the night shift at a parcel depot with forty staff. Last winter our "
    "missed-collection rate doubled, so I rebuilt the loading plan with the drivers, moved the "
    "heaviest routes to the first wave and checked the plan every morning for a month. Missed "
    "collections fell from nine a night to two, and they stayed there through the peak.\n"
    "Interviewer: Our biggest problem here is the Monday backlog: parcels that sit over the "
    "weekend and miss their slot. We need someone who can get that under control.\n"
    "Candidate: Understood. How big is the backlog on a bad Monday?\n"
    "Interviewer: About three thousand parcels. That's all from me; what would you like to ask?\n"
    "Candidate: What would success look like in the first three months?\n"
    "Interviewer: The Monday backlog under five hundred by spring.\n"
)


def recap(close: str) -> CriterionResult:
    transcript = parse_transcript(OPENING + close)
    evaluation = Evaluator(signals_only=True).evaluate(transcript)
    return next(c for c in evaluation.criteria if c.id == "closing_recap")


def test_a_paraphrased_recap_with_no_fit_or_match_passes() -> None:
    result = recap(
        "Candidate: If I can leave you with one thought: the Monday backlog you described is the "
        "same problem I fixed on nights, where missed collections went from nine a night to two. "
        "I'd love to do that here.\n"
        "Interviewer: Thank you, that's helpful.\n")
    assert result.passed is True and result.score is not None and result.score >= 4
    assert any("Monday backlog you described" in e.quote for e in result.evidence)


def test_a_need_linked_to_experience_passes_before_the_last_goodbye() -> None:
    result = recap(
        "Candidate: You said you need someone to get the weekend backlog under control; I've "
        "done that kind of turnaround on a night shift and I'm keen to do it for you.\n"
        "Interviewer: Good to hear. We'll be in touch by Friday.\n"
        "Candidate: Great, I'll look out for your email. Thanks again.\n"
        "Interviewer: Bye now.\n")
    assert result.passed is True and result.score == 4


@pytest.mark.parametrize("echo", [
    "So you need someone to get the Monday backlog under control. Thanks for your time today.",
    "Okay. So just so I've got it: you need someone to get the Monday backlog under control. "
    "When will you let people know?",
])
def test_echoing_the_interviewers_need_with_nothing_of_ones_own_is_no_recap(echo: str) -> None:
    result = recap(f"Candidate: {echo}\nInterviewer: Thank you.\n")
    assert (result.score, result.passed) == (1, False)


def test_a_team_result_brought_to_the_stated_need_is_a_recap() -> None:
    result = recap(
        "Candidate: One last thought: our team cut missed collections by 70 percent last winter, "
        "and I want to bring that to your Monday backlog.\n"
        "Interviewer: Thanks.\n")
    assert result.passed is True and result.score == 5


def test_a_need_linked_to_experience_without_interest_stops_at_level_three() -> None:
    result = recap(
        "Candidate: For what it's worth, the Monday backlog you described is the problem I fixed "
        "on nights at the depot.\n"
        "Interviewer: Thanks.\n")
    assert result.score == 3


def test_a_thank_you_and_a_plea_are_no_recap() -> None:
    result = recap(
        "Candidate: Thank you so much. I really need this job, please give me a chance.\n"
        "Interviewer: We'll let you know.\n")
    assert result.passed is False and result.score is not None and result.score <= 2


def test_a_fit_claim_with_nothing_behind_it_fails() -> None:
    result = recap(
        "Candidate: Thanks, I think I'd be a great fit.\n"
        "Interviewer: Thank you.\n")
    assert (result.score, result.passed) == (2, False)


def test_generic_strengths_reach_level_three_only() -> None:
    result = recap(
        "Candidate: I'm really keen on this role. I'm organised and reliable, and I think that's "
        "what a depot needs.\n"
        "Interviewer: Thank you.\n")
    assert result.score == 3


def test_a_long_recap_with_both_parts_still_counts() -> None:
    # Rubric 2.0: the advice is that the candidate leaves the recap; length makes it less
    # memorable (no 5, and a note to tighten it), but independent raters still count it.
    long_recap = " ".join([
        "To sum up, you said the Monday backlog is your biggest problem, and I've done this on",
        "nights, where missed collections went from nine a night to two.",
        *(["I also rebuilt the rota, retrained the loaders on the scanners, ran the safety",
           "walk every week, and kept the drivers' breaks on time across the whole peak."] * 5),
        "I'd love to bring all of that here.",
    ])
    result = recap(f"Candidate: {long_recap}\nInterviewer: Thank you.\n")
    assert (result.score, result.passed) == (4, True)
    assert "could be tighter" in result.reason


def test_the_recap_signal_names_its_parts() -> None:
    transcript = parse_transcript(
        OPENING + "Candidate: If I can leave you with one thought: the Monday backlog you "
        "described is what I cleared on nights, from nine missed a night to two, and I'd love "
        "to do that here.\nInterviewer: Thank you.\n")
    r = compute_signals(transcript).recap
    assert r is not None
    assert (r.turn, r.interest, r.need, r.experience, r.result, r.framed) == (
        8, True, True, True, True, True)
    assert r.level() == 5
