"""Provisional verdicts from signals alone (signals-only mode: no model, no key).

Signals decide what counts can decide: answer_balance, next_steps, follow_up, and
asked_questions / asked_for_job / closing_recap where the patterns are clear. Everything else
(sar_answers, enthusiasm, and unclear cases) is ``insufficient_evidence``. Each provisional
score cites the turns it rests on; its quotes were taken from the turns by code, so they are
verified by construction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from roleplay.evaluate.policy import na_allowed
from roleplay.evaluate.results import CriterionResult, Evidence
from roleplay.evaluate.signals import (
    BRIEF_CUE_WORDS,
    CLOSED_LONG_WORDS,
    CLOSED_SHORT_WORDS,
    EXTREME_OUTLIER_WORDS,
    IDEAL_HIGH_WORDS,
    IDEAL_LOW_WORDS,
    MONOLOGUE_WORDS,
    ONE_LINER_WORDS,
    RECAP_RAMBLING_WORDS,
    Hit,
    Signals,
)
from roleplay.rubric import Criterion
from roleplay.transcript import Transcript

__all__ = ["PROVISIONAL_PREFIX", "provisional_result"]

PROVISIONAL_PREFIX = "Provisional (signals only): "


def _evidence(hits: Iterable[Hit]) -> tuple[Evidence, ...]:
    seen: set[tuple[int, str]] = set()
    out: list[Evidence] = []
    for h in hits:
        if (h.turn, h.quote) in seen:
            continue
        seen.add((h.turn, h.quote))
        out.append(Evidence(turn=h.turn, quote=h.quote, verified=True, speaker="candidate",
                            note=f"signal: {h.kind}"))
    return tuple(out)


def _turns(hits: Iterable[Hit]) -> str:
    return ", ".join(f"T{t}" for t in sorted({h.turn for h in hits}))


def _scored(c: Criterion, score: int, reason: str, hits: Iterable[Hit] = ()) -> CriterionResult:
    return CriterionResult(id=c.id, title=c.title, status="scored", score=score,
                           reason=PROVISIONAL_PREFIX + reason, evidence=_evidence(hits),
                           provisional=True)


def _unknown(c: Criterion, reason: str) -> CriterionResult:
    return CriterionResult(id=c.id, title=c.title, status="insufficient_evidence",
                           reason=PROVISIONAL_PREFIX + reason, provisional=True)


def _na(c: Criterion, why: str) -> CriterionResult:
    return CriterionResult(id=c.id, title=c.title, status="not_applicable",
                           reason=PROVISIONAL_PREFIX + f"not applicable: {why}.", provisional=True)


def _answer_balance(c: Criterion, s: Signals, _t: Transcript) -> CriterionResult:
    opens = s.open_answers()
    closed = [a for a in s.answers if a.question_type == "closed"]
    if not s.answers:
        return _unknown(c, "no answers to interviewer questions were detected.")
    facts = "open-answer word counts: " + (", ".join(f"{a.span()} {a.words}" for a in opens)
                                            or "none")
    if closed:
        facts += "; closed-answer word counts: " + ", ".join(
            f"{a.span()} {a.words}" for a in closed)
    over = [a for a in closed if a.words > CLOSED_LONG_WORDS]
    # Ignoring a cue to be brief is the plainest sign of talking too much.
    ignored = [a for a in s.answers if a.brevity_cue and a.words > BRIEF_CUE_WORDS]
    if not opens:
        # Short answers are right for closed questions: with no open question asked, only
        # over-answering can be seen.
        if len(over) >= 2 and len(over) * 2 > len(closed):
            return _scored(c, 2, f"{len(over)} of {len(closed)} closed questions get over "
                                 f"{CLOSED_LONG_WORDS} words; {facts}.")
        return _scored(c, 3, f"no open question was asked, so full answers cannot be judged; "
                             f"{len(over)} of {len(closed)} closed answers run long; {facts}.")
    n = len(opens)
    words = [a.words for a in opens]
    extreme = sum(w < ONE_LINER_WORDS or w > MONOLOGUE_WORDS for w in words)
    outside = sum(w < 40 or w > 400 for w in words)
    mid = sum(60 <= w <= 400 for w in words)
    ideal = sum(IDEAL_LOW_WORDS <= w <= IDEAL_HIGH_WORDS for w in words)
    if extreme * 2 > n:
        return _scored(c, 1, f"{extreme} of {n} open answers are one-liners (< {ONE_LINER_WORDS} "
                             f"words) or monologues (> {MONOLOGUE_WORDS}); {facts}.")
    if max(a.words for a in s.answers) > EXTREME_OUTLIER_WORDS:
        return _scored(c, 2, f"one answer runs past {EXTREME_OUTLIER_WORDS} words; {facts}.")
    # One thin answer or one long story among good ones is not a pattern: level 2 needs two.
    if outside >= 2 and outside * 3 >= n:
        return _scored(c, 2, f"{outside} of {n} open answers fall outside 40-400 words; {facts}.")
    if ignored:
        a = ignored[0]
        return _scored(c, 2, f"the question at T{a.question_turn} asked for a short answer and "
                             f"{a.span()} ran to {a.words} words; {facts}.")
    if len(over) >= 2 and len(over) * 2 > len(closed):
        return _scored(c, 2, f"too talkative: {len(over)} of {len(closed)} closed questions get "
                             f"over {CLOSED_LONG_WORDS} words; {facts}.")
    if mid * 2 >= n:
        if ideal * 2 >= n and len(over) * 2 <= len(closed):
            if (n >= 3 and ideal == n and not over
                    and all(a.words <= CLOSED_SHORT_WORDS for a in closed)):
                return _scored(c, 5, f"every open answer is about 130-300 words and every closed "
                                     f"one short; whether there are tangents needs the judge; "
                                     f"{facts}.")
            return _scored(c, 4, f"open answers mostly about 130-300 words and closed answers "
                                 f"short; {facts}.")
        return _scored(c, 3, f"most open answers are 60-400 words; {facts}.")
    if sum(w > 400 for w in words) * 2 > n:
        return _scored(c, 2, f"most open answers run past 400 words; {facts}.")
    return _scored(c, 2, f"most open answers are under 60 words; {facts}.")


def _next_steps(c: Criterion, s: Signals, _t: Transcript) -> CriterionResult:
    allowed, why = na_allowed(c, s)
    if s.cut_off and allowed:
        return _na(c, why)
    if s.process and s.timeline:
        return _scored(c, 4, f"asked about or confirmed both the process ({_turns(s.process)}) "
                             f"and the timeline ({_turns(s.timeline)}).",
                       [s.process[0], s.timeline[0]])
    if s.process or s.timeline:
        which = "the process" if s.process else "the timeline"
        hits = s.process or s.timeline
        return _scored(c, 3, f"asked about or confirmed {which} only ({_turns(hits)}).", hits[:2])
    if s.interviewer_next_steps:
        turns = ", ".join(f"T{t}" for t in s.interviewer_next_steps)
        return _scored(c, 2, f"the interviewer stated next steps or a timeline ({turns}); the "
                             "candidate neither asked nor confirmed.")
    return _scored(c, 1, f"no candidate question or confirmation about next steps or timing in "
                         f"the closing phase (turns {s.closing.moves_from}-{s.turns}).")


def _follow_up(c: Criterion, s: Signals, _t: Transcript) -> CriterionResult:
    ch, tm, method, contact = (s.follow_up_channel, s.follow_up_time, s.follow_up_method_ask,
                               s.follow_up_contact)
    if method:
        return _scored(c, 4, f"asked for the preferred follow-up method ({_turns(method)}).",
                       method[:2])
    if ch and tm:
        return _scored(c, 4, f"named a channel ({_turns(ch)}) and a time ({_turns(tm)}).",
                       [ch[0], tm[0]])
    if ch or tm or contact:
        hits = ch or tm or contact
        what = "a channel" if ch else "a time" if tm else "whom to contact"
        return _scored(c, 3, f"one follow-up element: {what} ({_turns(hits)}).", hits[:2])
    if s.follow_up_vague:
        return _scored(c, 2, f"a vague follow-up with no channel, person or time "
                             f"({_turns(s.follow_up_vague)}).", s.follow_up_vague[:2])
    return _scored(c, 1, "no mention of follow-up, contact method or timing in the closing phase "
                         f"(turns {s.closing.moves_from}-{s.turns}).")


def _asked_questions(c: Criterion, s: Signals, _t: Transcript) -> CriterionResult:
    qs = s.closing_questions()
    allowed, why = na_allowed(c, s)
    if not qs and allowed:
        return _na(c, why)
    hits = [Hit(turn=q.turn, kind=f"question ({q.topic})", quote=q.quote) for q in qs]
    if not qs:
        where = (f"after the invitation at T{s.closing.invitation_turn}"
                 if s.invited_questions else "in the closing phase")
        return _scored(c, 1, f"no candidate question {where}.", s.declined_questions)
    relevant = [q for q in qs if q.topic == "other"]
    generic = [q for q in qs if q.topic == "generic"]
    counts = (f"{len(qs)} question(s) in the closing phase ({_turns(hits)}): {len(relevant)} "
              f"about the role or team, {len(generic)} generic")
    if len(relevant) >= 2:
        if any(q.builds_on for q in relevant):
            return _scored(c, 4, f"{counts}; at least one refers back to what the interviewer "
                                 "said.", hits)
        return _scored(c, 3, f"{counts}; whether they build on the conversation needs the "
                             "judge.", hits)
    if relevant or generic:
        return _scored(c, 2, f"{counts}.", hits)
    return _scored(c, 1, f"{counts}: none about the role itself (only process, timing or "
                         "pay).", hits)


def _asked_for_job(c: Criterion, s: Signals, _t: Transcript) -> CriterionResult:
    start = s.closing.moves_from
    ask = [h for h in s.job_ask if h.turn >= start]
    # Asking what happens next, in the same breath as the ask, also moves the process forward.
    ask_turns = {h.turn for h in ask}
    fwd = [*s.forward_ask, *(h for h in s.process if h.turn in ask_turns)]
    pres = [h for h in s.presumptive if h.turn >= start]
    hedged = list(s.hedged_ask)
    if s.begging and not (ask or fwd or pres):
        return _scored(c, 1, f"begs from need ({_turns(s.begging)}) without a clear ask.",
                       s.begging[:2])
    if hedged:
        return _scored(c, 2, f"a hedged or self-deprecating ask ({_turns(hedged)}).", hedged[:2])
    if ask and (fwd or pres):
        more = fwd or pres
        return _scored(c, 4, f"states wanting the role ({_turns(ask)}) and moves the process "
                             f"forward ({_turns(more)}).", [ask[0], more[0]])
    if ask or pres or s.forward_ask:
        hits = ask or pres or list(s.forward_ask)
        return _scored(c, 3, f"a clear ask ({_turns(hits)}), but not both a statement of wanting "
                             "the role and a forward-moving question.", hits[:2])
    return _scored(c, 1, "never says they want the role "
                         f"(turns {start}-{s.turns}).")


def _closing_recap(c: Criterion, s: Signals, _t: Transcript) -> CriterionResult:
    r = s.recap
    if r is None or r.level() == 1:
        why = ("only restate the interviewer's words, with no interest or experience of the "
               f"candidate's (T{r.turn})" if r is not None and r.need else
               "hold no statement of interest, fit or experience")
        return _scored(c, 1, f"no closing recap: the last candidate turns of the close {why}.")
    level = r.level()
    hits = r.hits[:4]
    size = f"about {r.words} words"
    if level == 5:
        return _scored(c, 5, f"a brief recap at T{r.turn} ({size}): a need the interviewer "
                             "stated, the candidate's own result and their interest.", hits)
    if level == 4:
        return _scored(c, 4, f"a recap at T{r.turn} ({size}) links a need the interviewer "
                             "stated to the candidate's own experience, with interest.", hits)
    if level == 3:
        return _scored(c, 3, f"a brief recap at T{r.turn} ({size}) with interest or a fit claim "
                             "tied to generic strengths, not to a need the interviewer stated.",
                       hits)
    if r.words > RECAP_RAMBLING_WORDS and (r.strength or r.experience):
        return _scored(c, 2, f"a rambling recap at T{r.turn} ({size}; a recap should be "
                             f"brief).", hits)
    return _scored(c, 2, f"interest or a fit claim at T{r.turn} with nothing behind it.", hits)


_DECIDERS: dict[str, Callable[[Criterion, Signals, Transcript], CriterionResult]] = {
    "answer_balance": _answer_balance,
    "next_steps": _next_steps,
    "follow_up": _follow_up,
    "asked_questions": _asked_questions,
    "asked_for_job": _asked_for_job,
    "closing_recap": _closing_recap,
}


def provisional_result(criterion: Criterion, signals: Signals,
                       transcript: Transcript) -> CriterionResult:
    """The signals-only verdict on ``criterion`` (before caps)."""
    decide = _DECIDERS.get(criterion.id)
    if decide is None:
        return _unknown(criterion, f"{criterion.id} needs the judge; signals alone cannot "
                                   "decide it.")
    return decide(criterion, signals, transcript)
