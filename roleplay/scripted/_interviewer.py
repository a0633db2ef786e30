"""The scripted interviewer: `InterviewerMove` JSON following a persona-driven script."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Final

from roleplay.leaks import asked_topics, topic_patterns
from roleplay.persona import Persona
from roleplay.prompts import OPENING_CUE
from roleplay.scripted._wire import Responder, ServerReply, _messages, _system, _without_reask

_STAGE_ORDER: Final[dict[str, tuple[str, ...]]] = {
    "phone_screen": ("motivational", "behavioural", "technical"),
    "hiring_manager": ("behavioural", "technical", "motivational"),
    "panel": ("technical", "behavioural", "motivational"),
    "final": ("behavioural", "motivational", "technical"),
}
_OMITTED: Final = re.compile(r"\[\d+ earlier turns \((\d+)(?:-(\d+))? omitted")
_GOODBYE_NOTE: Final = "You have closed the interview and the candidate has had a last word."
_TIME_UP_NOTE: Final = "Time is up. This is your last turn"
_WRAP_UP_NOTE: Final = "Time is nearly up"
_INVITATION: Final = ("Thank you, that's everything I wanted to ask. What questions do you have "
                      "for me?")
# A persona that never invites questions wraps up without an invitation: the candidate may take
# the initiative (phase close, the interview not ended yet).
_WRAP_UP: Final = "Thank you, that's everything I wanted to ask."
_CLOSE: Final = ("That's everything I wanted to cover today. Thank you for your time, it was good "
                 "to talk to you.")
_GOODBYE: Final = "Thank you again for your time today. Goodbye."


_CV_BLOCK: Final = re.compile(r"<(cv-[0-9A-Za-z]+)>\n(.*?)\n</\1>", re.DOTALL)
_BULLET: Final = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+(.+)$")
_WORD: Final = re.compile(r"[a-z0-9+#]+")
_STOP: Final = frozenset(
    "a an and are as at be by can for from has have how in into is it more of on or our the "
    "their they this to under with you your years year experience strong good able work "
    "working".split())


def _cv_of(messages: list[tuple[str, str]]) -> str:
    """The CV block of the request's opening message, or ""."""
    for role, text in messages:
        if role == "user":
            found = _CV_BLOCK.search(text) if text.endswith(OPENING_CUE) else None
            return found.group(2) if found else ""
    return ""


def _cv_items(cv: str, count: int = 2) -> list[str]:
    """The CV's most concrete bullet lines (those with a number first), in CV order."""
    bullets = [m.group(1).replace("**", "").replace("`", "").strip()
               for line in cv.splitlines() if (m := _BULLET.match(line))]
    bullets = [b for b in bullets if len(b.split()) >= 4]
    ranked = sorted(range(len(bullets)), key=lambda i: (not any(c.isdigit() for c in bullets[i]),
                                                        i))
    return [bullets[i] for i in sorted(ranked[:count])]


def _cv_gap(cv: str, persona: Persona) -> str | None:
    """The first must-have the CV shows little sign of (by word overlap), if any."""
    seen = set(_WORD.findall(cv.lower()))
    for need in persona.role.must_haves:
        words = {w for w in _WORD.findall(need.lower()) if w not in _STOP and len(w) > 2}
        if words and len(words & seen) / len(words) < 0.34:
            return need
    return None


def _cv_questions(cv: str, persona: Persona) -> list[str]:
    """Questions about two specific CV lines (a short cue, not the line read back) and a gap."""
    questions = []
    for item in _cv_items(cv):
        words = item.split()
        cue = " ".join(words[:7]).rstrip(".,;:") + (" ..." if len(words) > 7 else "")
        questions.append(f'On your CV I see "{cue}". Walk me through that: what did you '
                         "personally do, and what came of it?")
    gap = _cv_gap(cv, persona)
    if gap is not None:
        questions.append(f'One of our must-haves is "{gap.rstrip(". ")}". I don\'t see that '
                         "on your CV: where have you done it?")
    return questions


def _question_plan(persona: Persona, count: int) -> list[str]:
    """Bank questions in the stage's order, one kind at a time (so every kind is asked)."""
    bank = {"behavioural": persona.questions.behavioural,
            "technical": persona.questions.technical,
            "motivational": persona.questions.motivational}
    order = _STAGE_ORDER.get(persona.stage, ("behavioural", "technical", "motivational"))
    plan: list[str] = []
    depth = 0
    while len(plan) < count and depth < max(len(v) for v in bank.values()):
        for kind in order:
            if depth < len(bank[kind]) and len(plan) < count:
                plan.append(bank[kind][depth])
        depth += 1
    return plan


@dataclass(frozen=True)
class _Move:
    utterance: str
    phase: str
    end: bool


def _parse_move(text: str) -> _Move:
    try:
        data = json.loads(text)
    except ValueError:
        return _Move(text, "interviewer_questions", False)
    if not isinstance(data, dict):
        return _Move(text, "interviewer_questions", False)
    return _Move(str(data.get("utterance", "")), str(data.get("phase", "interviewer_questions")),
                 bool(data.get("end_interview", False)))


def _omitted_interviewer_turns(system: str) -> int:
    """Interviewer turns dropped by history trimming (the span always starts at one)."""
    found = _OMITTED.search(system)
    if not found:
        return 0
    first = int(found.group(1))
    last = int(found.group(2) or first)
    return (last - first) // 2 + 1


def _move(utterance: str, phase: str, end: bool = False) -> dict[str, Any]:
    return {"utterance": utterance, "phase": phase, "end_interview": end}


def interviewer_responder(persona: Persona, *, questions: int = 3,
                          max_answers: int = 4) -> Responder:
    """A scripted interviewer for ``persona`` that answers with `InterviewerMove` JSON.

    The script: an opening (unless the persona has a fixed one) asking the candidate to
    introduce themselves; ``questions`` bank questions in the stage's order, one kind at a time,
    the first prefaced by the team's main problem (so candidates have something to build on);
    the invitation to ask questions, or for a persona that never invites them a wrap-up line
    without one (phase close, not yet ending, so the candidate may take the initiative); an
    answer to each candidate turn that asks something, up to ``max_answers`` (the last answer
    also closes); a close when the candidate asks nothing; and, after the candidate's last word,
    a goodbye that answers anything asked in it. It follows the session's notes (wrap up near
    the turn limit, close on the last turn) and history trimming. When the request carries the
    candidate's CV (a ``<cv-...>`` block before the opening cue), the bank questions are
    preceded by a question on each of two specific CV lines (those with numbers first) and one
    on the first must-have the CV shows no sign of.

    Answers come from the persona: the hidden fact of each topic the candidate's latest turn
    asks about (detected as `roleplay.leaks` does), otherwise the next shared fact not yet said.
    No hidden fact is ever volunteered.
    """
    base_plan = _question_plan(persona, questions)
    patterns = topic_patterns(persona)
    hidden = dict(persona.hidden_facts.items())
    problem = persona.role.team_problems[0].rstrip(". ")
    context = ("Some context first: the team's biggest challenge right now is this: "
               f"{problem[:1].lower() + problem[1:]}.")

    def answer(asked: str, said: str) -> str:
        topics = asked_topics(asked, patterns)
        facts = [hidden[t].fact.strip() for t, _ in persona.hidden_facts.items()
                 if t in topics and hidden[t].fact.strip() not in said]
        if facts:
            return "Good question. " + " ".join(facts)
        for fact in persona.facts:
            if fact not in said:
                return "Good question. " + fact
        return "Good question. That hasn't been decided yet, but I'll find out and get back to you."

    def respond(body: dict[str, Any]) -> ServerReply:
        messages = _without_reask(_messages(body))
        system = _system(messages)
        convo = messages[1:] if system else messages
        moves = [_parse_move(text) for role, text in convo if role == "assistant"]
        candidate = [text for role, text in convo
                     if role == "user" and not text.endswith(OPENING_CUE)]
        last = candidate[-1] if convo and convo[-1][0] == "user" and candidate else ""
        said = " ".join(m.utterance for m in moves)
        if _GOODBYE_NOTE in system:
            reply = answer(last, said) + " " + _GOODBYE if "?" in last else _GOODBYE
            return _move(reply, "close", True)
        if not moves and not _omitted_interviewer_turns(system):
            who = persona.interviewer
            return _move(f"Hi, I'm {who.name}, {who.title} at {persona.company.name}. Thanks "
                         "for making the time today. To start, could you tell me a little "
                         "about yourself?", "opening")
        if _TIME_UP_NOTE in system:
            return _move(_CLOSE, "close", True)
        phase = moves[-1].phase if moves else "interviewer_questions"
        if phase in ("opening", "interviewer_questions"):
            # With a CV, its questions come first: two of its lines, then a must-have gap.
            cv = _cv_of(convo)
            plan = _cv_questions(cv, persona) + base_plan if cv else base_plan
            asked = (sum(m.phase == "interviewer_questions" for m in moves)
                     + _omitted_interviewer_turns(system))
            if asked < len(plan) and _WRAP_UP_NOTE not in system:
                lead = "Thank you." if asked else f"Thank you. {context}"
                return _move(f"{lead} {plan[asked]}", "interviewer_questions")
            if persona.behaviour.invites_questions:
                return _move(_INVITATION, "candidate_questions")
            return _move(_WRAP_UP, "close")
        # After the invitation (or the wrap-up): answer what the candidate asks, then close.
        opened = [i for i, m in enumerate(moves) if m.utterance in (_INVITATION, _WRAP_UP)]
        answered = len(moves) - opened[-1] - 1 if opened else len(moves)
        if "?" not in last:
            return _move(_CLOSE, "close", True)
        if answered + 1 >= max_answers or _WRAP_UP_NOTE in system:
            return _move(f"{answer(last, said)} {_CLOSE}", "close", True)
        return _move(answer(last, said), phase)

    return respond


