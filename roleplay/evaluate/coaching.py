"""Coaching lines: one per unmet criterion, templated by code and anchored to a turn.

Each line names the turn where the behaviour should have happened (the reply to the
interviewer's invitation, the last candidate turn, the longest answer ...) and gives a
sentence the candidate could have said. Criteria without a template get a line built from the
rubric's anchor at the pass threshold.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from roleplay.evaluate._balance import Lapse, lengths, talkative_lapses
from roleplay.evaluate.results import CriterionResult
from roleplay.evaluate.signals import Signals
from roleplay.rubric import Criterion
from roleplay.transcript import Transcript

__all__ = ["coaching_for", "snippet"]


def snippet(text: str, limit: int = 70) -> str:
    """The question in ``text``, on one line and at most ``limit`` characters.

    That is its last sentence ending in "?", else its last sentence.
    """
    sentences: list[str] = [s.strip() for s in re.findall(r"[^.!?]+[.!?]*", " ".join(text.split()))
                            if s.strip()]
    questions = [s for s in sentences if s.endswith("?")]
    one_line = (questions or sentences or [""])[-1]
    return one_line if len(one_line) <= limit else one_line[: limit - 1].rstrip() + "…"


def _last_candidate(t: Transcript) -> int:
    turns = t.candidate_turns()
    return turns[-1].index if turns else len(t.turns)


def _after_invitation(s: Signals, t: Transcript) -> str:
    inv = s.closing.invitation_turn
    if inv is None:
        return f"At turn {_last_candidate(t)}, before the interview ended,"
    reply = next((x.index for x in t.candidate_turns() if x.index > inv), inv)
    return f"At turn {reply}, after '{snippet(t.turn(inv).text)}' (turn {inv}),"


def _asked_questions(_c: Criterion, r: CriterionResult, s: Signals, t: Transcript) -> str:
    if "pay_perks_first" in r.applied_rules:
        return (f"{_after_invitation(s, t)} you could have led with questions about the role and "
                "kept pay and benefits for a later stage, e.g. 'What would success look like in "
                "the first six months?'")
    if s.closing.invitation_turn is None:
        return (f"At turn {_last_candidate(t)}, before the interview ended, you could have said: "
                "'Before we wrap up, may I ask a couple of questions?' and asked about the "
                "team's biggest challenge.")
    return (f"{_after_invitation(s, t)} you could have asked two or three questions that build "
            "on the conversation, e.g. 'You mentioned a challenge earlier: what is blocking it "
            "today?' or 'What would success look like in the first six months?'")


def _sar_answers(_c: Criterion, _r: CriterionResult, s: Signals, t: Transcript) -> str:
    answered = [b for b in s.behavioural_answers if b.turn is not None]
    pick = next((b for b in answered if b.hypothetical), None) or next(
        (b for b in answered if b.result_markers == 0), None) or (answered[0] if answered else None)
    if pick is None or pick.turn is None:
        return (f"At turn {_last_candidate(t)}, you could have backed a claim with one real "
                "story: the situation in a sentence, what you yourself did, and the result.")
    prompt = snippet(t.turn(pick.prompt_turn).text)
    return (f"At turn {pick.turn}, answering '{prompt}' (turn {pick.prompt_turn}), you could have "
            "told one real story: the situation in a sentence, what you yourself did ('I set "
            "up ...'), and a concrete result ('... which cut the backlog by 30%').")


def _answer_balance(_c: Criterion, _r: CriterionResult, s: Signals, t: Transcript) -> str:
    # Only answers to the interviewer's questions are coached; the candidate's own questions
    # never are, and a closed question's short answer is right. The advice is about proportion:
    # no word band is given as the target. The lapses are the provisional verdict's own, so the
    # line coaches an answer the reason names; a timed answer is spoken of in minutes.
    lapses = talkative_lapses(s)
    # A story on a fact question is the mildest lapse: coach any other first, else the longest.
    closed = [x for x in lapses if x.kind == "closed_long"]
    lapse = next((x for x in lapses if x.kind != "closed_long"), None) or (
        max(closed, key=lambda x: (x.length.seconds or 0.0, x.answer.words)) if closed else None)
    if lapse is not None:
        return _talkative_line(lapse, t)
    opens = s.open_answers()
    thin = [m for m in lengths(s) if m.answer in opens and (m.thin() or m.answer.vague())]
    if thin:
        m = thin[0]
        a = m.answer
        question = snippet(t.turn(a.question_turn).text)
        what = ("stayed general" if a.vague() else
                f"spoke for {m.spoken()}" if m.seconds is not None else f"gave {a.words} words")
        return (f"At turn {a.turn}, answering '{question}' (turn {a.question_turn}), you {what}; "
                "give the facts the question asks for: a real example, what you did and how it "
                "turned out, with a number or a name.")
    return (f"By turn {_last_candidate(t)}, match each answer to its question: a full, focused "
            "story where one is asked for, a sentence where a fact is, and no tangents.")


def _talkative_line(lapse: Lapse, t: Transcript) -> str:
    a, m = lapse.answer, lapse.length
    question = snippet(t.turn(a.question_turn).text)
    said = f"for {m.spoken()}" if m.seconds is not None else f"{a.words} words"
    ran = m.spoken() if m.seconds is not None else f"to {a.words} words"
    got = (f"an answer of {m.spoken()}" if m.seconds is not None else f"{a.words} words")
    if lapse.kind == "brief_cue":
        return (f"At turn {a.turn}, asked '{question}' (turn {a.question_turn}) for a short "
                f"answer, you spoke {said}; give the headline in two or three sentences and let "
                "the interviewer ask for more.")
    if lapse.kind == "moved_on":
        return (f"At turn {a.turn}, the interviewer cut in after your answer to '{question}' "
                f"(turn {a.question_turn}); that is the cue you ran past. Make the point, give "
                "one example, and stop so they can follow up.")
    if lapse.kind == "monologue":
        return (f"At turn {a.turn}, your answer to '{question}' (turn {a.question_turn}) ran "
                f"{ran}; make the point, give one example, and stop so the interviewer can ask "
                "for more.")
    if lapse.kind == "closed_long":
        return (f"At turn {a.turn}, '{question}' (turn {a.question_turn}) asked for a fact and "
                f"got {got}; a sentence or two is enough for a simple question.")
    return (f"At turn {a.turn}, your answer to '{question}' (turn {a.question_turn}) drifted "
            "into side stories; keep to the question and drop the asides.")


def _enthusiasm(_c: Criterion, _r: CriterionResult, _s: Signals, t: Transcript) -> str:
    return (f"At turn {_last_candidate(t)}, you could have tied your interest to something "
            "specific from the interview, e.g. 'The onboarding problem you described is exactly "
            "the kind of work I want to do next.'")


def _asked_for_job(_c: Criterion, _r: CriterionResult, s: Signals, t: Transcript) -> str:
    if s.begging:
        hit = s.begging[0]
        return (f"At turn {hit.turn}, instead of '{snippet(hit.quote)}', you could have said "
                "calmly: 'I'd really like this role. Is there anything that would stop us "
                "moving forward?'")
    return (f"At turn {_last_candidate(t)}, you could have said: 'I'd really like this role and "
            "would welcome the next round. Is there anything in my background that gives you "
            "pause?'")


def _next_steps(_c: Criterion, _r: CriterionResult, s: Signals, t: Transcript) -> str:
    if s.other_next_steps:
        hit = s.other_next_steps[0]
        return (f"At turn {hit.turn}, your question about next steps was about something other "
                "than the hiring process; before saying goodbye, also ask: 'What are the next "
                "steps in the process, and when should I expect to hear?'")
    if s.interviewer_next_steps:
        said = s.interviewer_next_steps[-1]
        reply = next((x.index for x in t.candidate_turns() if x.index > said), None)
        at = f"At turn {reply}" if reply is not None else f"After turn {said}"
        return (f"{at}, after the interviewer described what happens next (turn {said}), you "
                "could have confirmed it back: 'So the next step is ..., and I should hear by "
                "...?'")
    return (f"At turn {_last_candidate(t)}, before saying goodbye, you could have asked: 'What are "
            "the next steps, and when should I expect to hear from you?'")


def _closing_recap(_c: Criterion, _r: CriterionResult, s: Signals, t: Transcript) -> str:
    r = s.recap
    if r is not None and r.interest and not (r.need and (r.experience or r.strength)):
        return (f"At turn {r.turn}, you said you want the role; add the match: the need the "
                "interviewer stressed and the thing you did that meets it, in a sentence or two.")
    if r is not None and r.need and r.experience and not r.interest:
        return (f"At turn {r.turn}, you matched their need to your experience; finish the "
                "thought with why you want this role.")
    return (f"At turn {_last_candidate(t)}, you could have left one recap thought of under 80 "
            "words: the need the interviewer stressed, one achievement of yours that matches it, "
            "and your interest in the role.")


def _follow_up(_c: Criterion, _r: CriterionResult, s: Signals, t: Transcript) -> str:
    if s.follow_up_time:
        hit = s.follow_up_time[0]
        return (f"At turn {hit.turn}, you said when you would follow up but not how; ask: 'Is "
                "email the best way to reach you, or should I call?'")
    return (f"At turn {_last_candidate(t)}, you could have asked: 'If I haven't heard by next "
            "Friday, is email the best way to follow up with you?'")


_TEMPLATES: dict[str, Callable[[Criterion, CriterionResult, Signals, Transcript], str]] = {
    "asked_questions": _asked_questions,
    "sar_answers": _sar_answers,
    "answer_balance": _answer_balance,
    "enthusiasm": _enthusiasm,
    "asked_for_job": _asked_for_job,
    "next_steps": _next_steps,
    "closing_recap": _closing_recap,
    "follow_up": _follow_up,
}


def coaching_for(criterion: Criterion, result: CriterionResult, signals: Signals,
                 transcript: Transcript) -> str | None:
    """The coaching line for a scored, unmet criterion; None otherwise."""
    # Only a scored miss is known to be unmet; insufficient evidence is not a verdict.
    if result.status != "scored" or result.passed is not False or not transcript.turns:
        return None
    template = _TEMPLATES.get(criterion.id)
    if template is not None:
        return template(criterion, result, signals, transcript)
    target = criterion.levels[criterion.pass_threshold].strip()
    return (f"By turn {_last_candidate(transcript)}, to meet '{criterion.title}' (level "
            f"{criterion.pass_threshold}): {target}")
