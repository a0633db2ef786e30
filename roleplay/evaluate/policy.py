"""The combination policy: declared rules that combine signals with a criterion's score.

The table itself (`RULES`, ids, effects, descriptions) is data in ``roleplay.rubric`` so rubric
files can be validated against it; this module decides when each rule fires. A ``cap`` lowers
the score to the maximum the rubric declares and cites the turn that triggered it; a
``review_flag`` never changes a score, it flags a disagreement between the judge and the
signals for a human. Caps apply to judge scores and to provisional (signals-only) scores alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from roleplay.evaluate._answers import (
    EXTREME_OUTLIER_SECONDS,
    EXTREME_OUTLIER_WORDS,
    MONOLOGUE_SECONDS,
    MONOLOGUE_WORDS,
    ONE_LINER_SECONDS,
    ONE_LINER_WORDS,
)
from roleplay.evaluate._balance import lengths
from roleplay.evaluate.results import CriterionResult, Evidence
from roleplay.evaluate.signals import Hit, Signals
from roleplay.rubric import POLICY_RULES, Criterion, PolicyRule

__all__ = [
    "RULES",
    "Firing",
    "apply_caps",
    "apply_checklist",
    "fires",
    "na_allowed",
    "render_rules",
    "review_flags",
    "rule",
]

RULES: tuple[PolicyRule, ...] = POLICY_RULES
"""The declared rule table."""


@dataclass(frozen=True)
class Firing:
    """A rule that fired: why, and the code-taken quotes it rests on."""

    detail: str
    """What triggered it, with turn numbers."""
    hits: tuple[Hit, ...] = ()
    """Verbatim quotes from the turns that triggered it."""


def rule(rule_id: str) -> PolicyRule:
    """The rule with ``rule_id``.

    Raises:
        KeyError: no such rule.
    """
    for r in RULES:
        if r.id == rule_id:
            return r
    raise KeyError(rule_id)


def _no_questions_asked(s: Signals) -> Firing | None:
    if s.invited_questions and not s.questions:
        return Firing(f"the interviewer invited questions at T{s.closing.invitation_turn} and "
                      "the candidate asked none", s.declined_questions)
    return None


def _declined_questions(s: Signals) -> Firing | None:
    # Declining at the end after good questions asked along the way is no red flag.
    if s.declined_questions and not s.role_question_turns():
        first = s.declined_questions[0]
        return Firing(f"at T{first.turn}, right after the invitation, the candidate said they had "
                      "no questions", (first,))
    return None


def _pay_perks_first(s: Signals) -> Firing | None:
    asked = list(s.questions)
    if not asked or s.pay_raised_by_interviewer or (s.stage or "").lower() == "final":
        return None
    if asked[0].topic == "pay_perks" or all(q.topic == "pay_perks" for q in asked):
        q = asked[0]
        which = "first" if len(asked) > 1 else "only"
        return Firing(f"the candidate's {which} question (T{q.turn}) was about pay or perks",
                      (Hit(turn=q.turn, kind="pay_perks", quote=q.quote),))
    return None


def _hypothetical_answers(s: Signals) -> Firing | None:
    answered = [b for b in s.behavioural_answers if b.turn is not None]
    if answered and all(b.hypothetical for b in answered):
        turns = ", ".join(f"T{b.turn}" for b in answered)
        return Firing(f"every behavioural prompt got a hypothetical \"I would\" answer ({turns})")
    return None


def _extreme_length_majority(s: Signals) -> Firing | None:
    # Timed answers are measured in minutes, the rest in words (roleplay.evaluate._balance).
    answers = [m for m in lengths(s) if m.answer.question_type in ("behavioural", "open")]
    extreme = [m for m in answers if m.under(ONE_LINER_WORDS, ONE_LINER_SECONDS)
               or m.over(MONOLOGUE_WORDS, MONOLOGUE_SECONDS)]
    if answers and len(extreme) * 2 > len(answers):
        turns = ", ".join(f"T{m.answer.turn} ({m.size()})" for m in extreme)
        return Firing(f"{len(extreme)} of {len(answers)} open answers are one-liners or "
                      f"monologues: {turns}")
    return None


def _monologue_outlier(s: Signals) -> Firing | None:
    worst = [m for m in lengths(s) if m.over(EXTREME_OUTLIER_WORDS, EXTREME_OUTLIER_SECONDS)
             or (m.answer.question_type == "closed" and m.over(MONOLOGUE_WORDS, MONOLOGUE_SECONDS))]
    if worst:
        m = max(worst, key=lambda x: (x.seconds or 0.0, x.answer.words))
        return Firing(f"T{m.answer.turn} ran to {m.size()} on a {m.answer.question_type} "
                      "question")
    return None


def _begging_phrase(s: Signals) -> Firing | None:
    if s.begging:
        return Firing(f"begging at T{s.begging[0].turn}", s.begging[:3])
    return None


def _presumptive_close(s: Signals) -> Firing | None:
    if s.presumptive:
        return Firing(f"presumptive close at T{s.presumptive[0].turn}", s.presumptive[:2])
    return None


_CAP_RULES: dict[str, Callable[[Signals], Firing | None]] = {
    "no_questions_asked": _no_questions_asked,
    "declined_questions": _declined_questions,
    "pay_perks_first": _pay_perks_first,
    "hypothetical_answers": _hypothetical_answers,
    "extreme_length_majority": _extreme_length_majority,
    "monologue_outlier": _monologue_outlier,
    "begging_phrase": _begging_phrase,
    "presumptive_close": _presumptive_close,
}


def _close_span(s: Signals) -> str:
    return f"turns {s.closing.moves_from}-{s.turns}"


def _next_steps_unconfirmed(s: Signals) -> str | None:
    if s.process or s.timeline:
        return None
    return (f"the judge scored next_steps as met, but no candidate turn in the closing phase "
            f"({_close_span(s)}) asks about or confirms the process or the timeline")


def _follow_up_no_channel(s: Signals) -> str | None:
    if s.follow_up_channel or s.follow_up_method_ask:
        return None
    return ("the judge scored follow_up as met, but the candidate never named a channel "
            "(email, phone, call) or asked for the preferred one")


def _recap_not_found(s: Signals) -> str | None:
    if s.recap_interest or s.recap_fit:
        return None
    return ("the judge scored closing_recap as met, but the last three candidate turns show no "
            "interest or fit wording (a paraphrased recap may still count)")


def _job_ask_not_found(s: Signals) -> str | None:
    if s.job_ask or s.forward_ask or s.presumptive:
        return None
    return ("the judge scored asked_for_job as met, but code found no statement of wanting the "
            "role and no forward ask")


def _questions_not_found(s: Signals) -> str | None:
    if s.role_question_turns():
        return None
    return ("the judge scored asked_questions as met, but code found no candidate question "
            "about the work anywhere in the interview")


_REVIEW_RULES: dict[str, Callable[[Signals], str | None]] = {
    "next_steps_unconfirmed": _next_steps_unconfirmed,
    "follow_up_no_channel": _follow_up_no_channel,
    "recap_not_found": _recap_not_found,
    "job_ask_not_found": _job_ask_not_found,
    "questions_not_found": _questions_not_found,
}

# Every declared rule has exactly one implementation (checked at import, so a new table row
# without code fails loudly rather than silently never firing).
if {r.id for r in RULES if r.effect == "cap"} != set(_CAP_RULES) or {
    r.id for r in RULES if r.effect == "review_flag"
} != set(_REVIEW_RULES):  # pragma: no cover
    raise RuntimeError("roleplay.rubric.POLICY_RULES and roleplay.evaluate.policy disagree")


def fires(rule_id: str, signals: Signals) -> Firing | None:
    """Whether the cap rule ``rule_id`` fires on ``signals``."""
    return _CAP_RULES[rule_id](signals)


def apply_caps(criterion: Criterion, result: CriterionResult, signals: Signals) -> CriterionResult:
    """Apply the criterion's declared caps to a scored result; record each cap that lowered it.

    A cap cites the turns that triggered it as verified evidence (the quotes are slices of the
    turn text taken by code).
    """
    if result.status != "scored" or result.score is None:
        return result
    score = result.score
    applied: list[str] = []
    notes: list[str] = []
    evidence = list(result.evidence)
    for cap in criterion.caps:
        if score <= cap.max:
            continue
        firing = _CAP_RULES[cap.rule](signals)
        if firing is None:
            continue
        notes.append(f"Capped at {cap.max} (was {score}) by {cap.rule}: {firing.detail}.")
        score = cap.max
        applied.append(cap.rule)
        known = {(e.turn, e.quote) for e in evidence}
        evidence.extend(
            Evidence(turn=h.turn, quote=h.quote, verified=True, speaker="candidate",
                     note=f"signal: {cap.rule}")
            for h in firing.hits if (h.turn, h.quote) not in known
        )
    if not applied:
        return result
    return result.model_copy(update={
        "score": score,
        "reason": " ".join([result.reason, *notes]).strip(),
        "applied_rules": result.applied_rules + tuple(applied),
        "evidence": tuple(evidence),
    })


def apply_checklist(criterion: Criterion, result: CriterionResult) -> CriterionResult:
    """Keep a scored result below the pass mark while the judge's checklist says a part is missing.

    "Passed" tells a person they are done: a judge that writes "no channel was named" and
    still gives a passing level must not pass follow_up. Items without ``pass_requires`` only
    inform the score.
    """
    if result.status != "scored" or result.score is None:
        return result
    if result.score < criterion.pass_threshold or criterion.pass_threshold <= 1:
        return result
    answers = {a.id: a.answer for a in result.checklist}
    missing = [item for item in criterion.checklist
               if item.pass_requires is not None and item.id in answers
               and answers[item.id] != item.pass_requires]
    if not missing:
        return result
    cap = criterion.pass_threshold - 1
    said = "; ".join(f"{'yes' if answers[i.id] else 'no'} to \"{i.question}\"" for i in missing)
    note = (f"Capped at {cap} (was {result.score}) by checklist_required: the judge's own "
            f"checklist answers {said}.")
    return result.model_copy(update={
        "score": cap,
        "reason": f"{result.reason} {note}".strip(),
        "applied_rules": (*result.applied_rules, "checklist_required"),
    })


def review_flags(criterion: Criterion, result: CriterionResult,
                 signals: Signals) -> tuple[str, ...]:
    """Review flags for a scored, met criterion whose signals disagree; never changes the score."""
    if result.status != "scored" or result.score is None or result.provisional:
        return ()
    if result.score < criterion.pass_threshold:
        return ()
    flags: list[str] = []
    for rule_id in criterion.review_checks:
        message = _REVIEW_RULES[rule_id](signals)
        if message is not None:
            flags.append(f"{rule_id}: {message}")
    return tuple(flags)


def na_allowed(criterion: Criterion, signals: Signals) -> tuple[bool, str]:
    """Whether the rubric's N/A rule allows ``criterion`` to be N/A here, and why."""
    na = criterion.not_applicable
    if na is None:
        return False, "the rubric says this criterion is always scored"
    how = {"invitation": f"invitation found at T{signals.closing.invitation_turn}",
           "phases": "closing phase from turn phase tags",
           "fallback": "no invitation found; closing phase = last ~20% of turns"}[
        signals.closing.source]
    if na.when == "judge":
        return True, "the rubric leaves N/A to the judge"
    if na.when == "no_invitation_and_no_questions":
        if signals.invited_questions:
            return False, f"the interviewer invited questions ({how})"
        if signals.questions:
            turns = ", ".join(f"T{t}" for t in sorted({q.turn for q in signals.questions}))
            return False, f"the candidate asked questions at {turns}"
        return True, f"no invitation to ask questions and no candidate questions ({how})"
    if na.when == "no_experience_described":
        if signals.experience_turns:
            turns = ", ".join(f"T{t}" for t in signals.experience_turns[:6])
            return False, f"the candidate described their experience at {turns}"
        return True, "the candidate never described their experience"
    if na.when == "no_behavioural_prompt":
        if signals.behavioural_prompts:
            turns = ", ".join(f"T{t}" for t in signals.behavioural_prompts)
            return False, f"behavioural prompts were asked at {turns}"
        return True, "no behavioural prompt detected"
    if signals.cut_off:
        return True, "the interview was cut off before a natural close"
    return False, f"the interview was not cut off before the close ({how})"


def render_rules(rules: tuple[PolicyRule, ...] = RULES) -> str:
    """The rule table as Markdown, for docs and reports."""
    lines = ["| Rule | Criterion | Effect | Description |", "|---|---|---|---|"]
    for r in rules:
        effect = {"cap": f"cap ≤ {r.default_max}", "review_flag": "review flag",
                  "pass_guard": "below the pass mark"}[r.effect]
        lines.append(f"| `{r.id}` | {r.criterion} | {effect} | {r.description} |")
    return "\n".join(lines)
