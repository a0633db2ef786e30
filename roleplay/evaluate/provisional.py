"""Provisional verdicts from signals alone (signals-only mode: no model, no key).

Signals decide what counts can decide: answer_balance, next_steps, follow_up, and
asked_questions / asked_for_job / closing_recap where the patterns are clear. Everything else
(sar_answers, enthusiasm, and unclear cases) is ``insufficient_evidence``. Each provisional
score cites the turns it rests on; its quotes were taken from the turns by code, so they are
verified by construction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from roleplay.evaluate._answers import VAGUE_PER_100
from roleplay.evaluate._balance import Lapse, Length, lengths, talkative_lapses
from roleplay.evaluate.policy import na_allowed
from roleplay.evaluate.results import CriterionResult, Evidence
from roleplay.evaluate.signals import RECAP_RAMBLING_WORDS, Hit, Signals
from roleplay.rubric import Criterion
from roleplay.transcript import Transcript

__all__ = ["PROVISIONAL_PREFIX", "provisional_result"]

PROVISIONAL_PREFIX = "Provisional (signals only): "

DEEP_WORDS = 80
"""An open answer of this many words or more, with specifics, gives the depth a story needs."""
DENSE_PER_100 = 3.0
"""Specific details per 100 words above which short answers still give the facts."""


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
    """Proportion from what code can see.

    Thin answers, vague padding, and lapses of talking too much (cut-ins, ignored cues,
    over-answered simple questions, drifting out loud).

    Word counts alone never decide: tangents need the judge, so signals stay near the middle
    unless the evidence is plain. Where the transcript timed an answer, its minutes decide
    whether it ran long or was a one-liner (see `roleplay.evaluate._balance`).
    """
    if not s.answers:
        return _unknown(c, "no answers to interviewer questions were detected.")
    measured = lengths(s)
    opens = s.open_answers()
    facts = "answers: " + ", ".join(_answer_fact(m) for m in measured)
    # thin() is False for closed questions: a few words are right there.
    thin = [m.answer for m in measured if m.thin()]
    words = sum(a.words for a in s.answers)
    details = sum(a.specifics for a in s.answers)
    vague = details * 100 < words * VAGUE_PER_100 and len(s.answers) >= 3
    lapses = talkative_lapses(s)
    deep = [a for a in opens if a.words >= DEEP_WORDS and a.specifics >= 2]
    if not opens:
        if len(lapses) >= 2:
            return _scored(c, 2, f"too talkative: {_lapse_list(lapses)}; {facts}.")
        return _scored(c, 3, f"no open question was asked, so depth cannot be judged; {facts}.")
    if vague:
        return _scored(c, 2, f"the answers give almost no specifics ({details} in {words} "
                             f"words): padding rather than facts; {facts}.")
    if len(thin) * 2 > len(opens):
        level = 3 if details * 100 >= words * DENSE_PER_100 else 2
        what = ("short, but they give specifics" if level == 3 else "and they give few facts")
        return _scored(c, level, f"{len(thin)} of {len(opens)} open answers are one-liners or "
                                 f"thin ({what}); {facts}.")
    # Missing the interviewer's own cue to stop is what the advice means by too talkative.
    ignored = [lapse for lapse in lapses if lapse.answer.brevity_cue]
    if len(lapses) >= 2 or ignored:
        return _scored(c, 2, f"too talkative: {_lapse_list(lapses)}; {facts}.")
    if lapses or len(thin) * 4 > len(opens):
        slips = len(lapses) + len(thin)
        which = (_lapse_list(lapses) if lapses else
                 ("thin answers at " if len(thin) > 1 else "a thin answer at ")
                 + ", ".join(a.span() for a in thin))
        how = "mixed" if slips >= 2 else "mostly proportioned"
        return _scored(c, 3 if slips >= 2 else 4, f"{how}, with {which}; "
                                                  f"whether answers drift needs the judge; "
                                                  f"{facts}.")
    if len(deep) >= 2:
        return _scored(c, 5, f"full, specific answers where depth was asked for and no sign of "
                             f"talking past the point; whether there are tangents needs the "
                             f"judge; {facts}.")
    return _scored(c, 4, f"answers proportioned, none thin or running past a cue; {facts}.")


def _answer_fact(m: Length) -> str:
    a = m.answer
    spoken = f" in {m.size()}" if m.seconds is not None else ""
    return f"{a.span()} {a.words} words{spoken}, {a.specifics} specifics ({a.question_type})"


def _lapse_list(lapses: list[Lapse]) -> str:
    return "; ".join(f"{lapse.answer.span()}: {lapse.reason()}" for lapse in lapses)


def _next_steps(c: Criterion, s: Signals, _t: Transcript) -> CriterionResult:
    allowed, why = na_allowed(c, s)
    if s.cut_off and allowed:
        return _na(c, why)
    if s.process and s.timeline:
        return _scored(c, 5 if s.restated else 4,
                       f"asked about or confirmed both the next stage ({_turns(s.process)}) "
                       f"and the timing ({_turns(s.timeline)}) of the hiring process"
                       + (", summed back in their own words." if s.restated else "."),
                       [s.process[0], s.timeline[0]])
    if s.process or s.timeline:
        which = "the next stage" if s.process else "the timing"
        hits = s.process or s.timeline
        return _scored(c, 4, f"asked about or confirmed {which} of the hiring process "
                             f"({_turns(hits)}).", hits[:2])
    if s.other_next_steps:
        return _scored(c, 3, "asked about next steps, but of something other than the hiring "
                             f"process ({_turns(s.other_next_steps)}).", s.other_next_steps[:2])
    if s.interviewer_next_steps:
        turns = ", ".join(f"T{t}" for t in s.interviewer_next_steps)
        return _scored(c, 2, f"the interviewer stated next steps or a timeline ({turns}); the "
                             "candidate neither asked nor confirmed.")
    return _scored(c, 1, f"no candidate question or confirmation about the hiring process's "
                         f"next steps in the closing phase (turns {s.closing.moves_from}-"
                         f"{s.turns}).")


def _follow_up(c: Criterion, s: Signals, _t: Transcript) -> CriterionResult:
    ch = [*s.follow_up_channel, *(h for h in s.follow_up_method_ask
                                  if h not in s.follow_up_channel)]
    tm, contact = s.follow_up_time, s.follow_up_contact
    if ch:
        if tm and contact:
            return _scored(c, 5, f"a channel ({_turns(ch)}), a time ({_turns(tm)}) and whom to "
                                 f"contact ({_turns(contact)}).", [ch[0], tm[0], contact[0]])
        return _scored(c, 4, f"named, agreed or asked about a channel for following up "
                             f"({_turns(ch)}).", ch[:2])
    if tm or contact:
        hits = tm or contact
        what = "when" if tm else "whom to contact"
        return _scored(c, 3, f"said {what} ({_turns(hits)}), but named, asked or agreed no "
                             "channel (email, phone).", hits[:2])
    if s.follow_up_vague:
        return _scored(c, 2, f"a vague follow-up with no channel, person or time "
                             f"({_turns(s.follow_up_vague)}).", s.follow_up_vague[:2])
    return _scored(c, 1, "no mention of follow-up, contact method or timing in the closing phase "
                         f"(turns {s.closing.moves_from}-{s.turns}).")


def _asked_questions(c: Criterion, s: Signals, _t: Transcript) -> CriterionResult:
    """The candidate's questions anywhere in the interview.

    Judged by what they ask and whether they pick up what the interviewer said.
    """
    qs = list(s.questions)
    allowed, why = na_allowed(c, s)
    if not qs and allowed:
        return _na(c, why)
    hits = [Hit(turn=q.turn, kind=f"question ({q.topic})", quote=q.quote) for q in qs]
    if not qs:
        where = (f"after the invitation at T{s.closing.invitation_turn} or before it"
                 if s.invited_questions else "anywhere in the interview")
        return _scored(c, 1, f"no candidate question about the job {where}.",
                       s.declined_questions)
    role = s.role_question_turns()
    built = s.built_question_turns()
    generic = sorted({q.turn for q in qs if q.topic == "generic"})
    counts = (f"questions at {_turns(hits)}: about the work at "
              f"{', '.join(f'T{t}' for t in role) or 'no turn'}"
              + (f", building on what the interviewer said at "
                 f"{', '.join(f'T{t}' for t in built)}" if built else "")
              + (f", canned at {', '.join(f'T{t}' for t in generic)}" if generic else ""))
    if not role:
        if generic:
            return _scored(c, 2, f"{counts}: only canned questions.", hits)
        return _scored(c, 1, f"{counts}: none about the work itself (only pay, terms or the "
                             "process).", hits)
    asked = s.role_question_count()
    if asked == 1:
        return _scored(c, 3 if built else 2, f"{counts}: one question about the work.", hits)
    if not built:
        return _scored(c, 3, f"{counts}; none picks up what the interviewer said (the judge "
                             "reads whether they follow the conversation).", hits)
    if len(built) >= 2 and asked >= 3:
        return _scored(c, 5, f"{counts}: several questions that follow the conversation.", hits)
    return _scored(c, 4, f"{counts}.", hits)


def _asked_for_job(c: Criterion, s: Signals, _t: Transcript) -> CriterionResult:
    start = s.closing.moves_from
    ask = [h for h in s.job_ask if h.turn >= start]
    ask_turns = {h.turn for h in ask}
    # Asking what happens next, in the same breath as the ask, also moves the process forward.
    fwd = [*s.forward_ask, *(h for h in s.process if h.turn in ask_turns)]
    pres = [h for h in s.presumptive if h.turn >= start]
    pressure = [*s.hedged_ask, *s.ultimatum]
    if s.begging and not (ask or pres):
        return _scored(c, 1, f"begs from need ({_turns(s.begging)}) without a clear ask.",
                       s.begging[:2])
    if pressure and not ask:
        return _scored(c, 2, f"hints, hedges or pressures instead of asking "
                             f"({_turns(pressure)}).", pressure[:2])
    if ask:
        if pressure:
            return _scored(c, 2, f"wants the role ({_turns(ask)}), but the ask comes with a "
                                 f"hedge or pressure ({_turns(pressure)}).", [ask[0], pressure[0]])
        # Level 5 also gives a reason tied to the job: a recap in the turn of the ask.
        reasoned = s.recap is not None and s.recap.turn in ask_turns and s.recap.level() >= 4
        if fwd and reasoned:
            return _scored(c, 5, f"says plainly they want the role with a reason tied to the job "
                                 f"({_turns(ask)}) and moves the process forward "
                                 f"({_turns(fwd)}).", [ask[0], fwd[0]])
        more = f" and moves the process forward ({_turns(fwd)})" if fwd else ""
        return _scored(c, 4, f"says plainly they want the role ({_turns(ask)}){more}.",
                       [ask[0], *fwd[:1]])
    if pres:
        return _scored(c, 4, f"a presumptive close ({_turns(pres)}).", pres[:2])
    interest = [h for h in s.interest if h.turn >= start]
    if interest:
        return _scored(c, 3, f"interest in the role or the work ({_turns(interest)}), but never "
                             "says they want this job.", interest[:2])
    return _scored(c, 1, f"never says they want the role (turns {start}-{s.turns}).")


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
        longer = (f"; at {r.words} words it could be tighter" if r.words > RECAP_RAMBLING_WORDS
                  else "")
        return _scored(c, 4, f"a recap at T{r.turn} ({size}) links a need the interviewer "
                             f"stated to the candidate's own experience, with interest{longer}.",
                       hits)
    if level == 3:
        half = ("a need matched to the candidate's experience, but no word of wanting the role"
                if r.need and r.experience and not r.interest else
                "interest or a fit claim tied to generic strengths, not to a need the "
                "interviewer stated")
        return _scored(c, 3, f"half a recap at T{r.turn} ({size}): {half}.", hits)
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
