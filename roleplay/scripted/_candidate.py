"""The scripted candidate: plays a `CandidateProfile` from its behaviour fields."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from roleplay.persona import CandidateProfile
from roleplay.scripted._interviewer import _omitted_interviewer_turns
from roleplay.scripted._wire import Responder, ServerReply, _messages, _rx, _system, _without_reask

_BRIEF: Final = re.compile(
    r"for the (?P<role>.+?) role at (?P<company>.+?) \((?P<summary>.+?)\)\. Your interviewer is",
    re.DOTALL)
_CLOSING_NOTE: Final = "The interviewer is closing the interview"
_FOLLOW_UP: Final = "<follow-up>"
_INVITE_RX: Final = _rx(r"\bquestions?\s+(?:do\s+you\s+have\s+)?for\s+(?:me|us)\b",
                        r"\bany\s+questions\b", r"\bwhat\s+questions\b",
                        r"\bwould\s+you\s+like\s+to\s+ask\b", r"\bover\s+to\s+you\b")
# An interviewer wrapping up without inviting questions: the moment to take the initiative.
_WRAP_UP_RX: Final = _rx(r"\bthat's\s+(?:everything|all)\s+I\s+(?:wanted\s+to\s+ask|have)\b",
                         r"\bthose\s+are\s+(?:all\s+)?my\s+questions\b")
_BEHAVIOURAL_RX: Final = _rx(
    r"\btell\s+(?:me|us)\s+about\s+(?:a|an|the|your)\b", r"\bdescribe\s+(?:a|an)\s+\w+",
    r"\bgive\s+(?:me\s+|us\s+)?(?:an?|one)\s+example\b", r"\ba\s+time\s+(?:when|you)\b",
    r"\bwalk\s+(?:me|us)\s+through\s+(?:a|an|the\s+biggest)\b")
_MOTIVE_RX: Final = _rx(r"\bwhy\b", r"\bwhat\s+(?:made|draws|drew|attracted)\s+you\b",
                        r"\blooking\s+for\s+in\s+your\s+next\b")
_OPEN_RX: Final = _rx(r"\btell\s+(?:me|us)\b", r"\bwhy\b", r"\bhow\b", r"\bwhat\b",
                      r"\bdescribe\b", r"\bwalk\s+(?:me|us)\b", r"\bexplain\b", r"^\W*go\W*$",
                      r"\bgo\.$")
_NEED: Final = re.compile(r"biggest challenge right now is this: ([^.?!\n]+)", re.IGNORECASE)
_PAST_VERBS: Final = frozenset(
    "built rebuilt led held ran cut set won made wrote rewrote took grew kept sold taught brought "
    "drove began became met shipped split spent fought caught bought drew knew overcame oversaw "
    "undertook".split())
_SITUATIONS: Final = (
    "the work had grown faster than our processes, and problems were reaching customers before "
    "anyone noticed them",
    "a deadline was slipping and two teams disagreed about what should come first",
    "there was a recurring problem that everyone worked around but nobody owned",
)
_ONE_LINERS: Final = ("Yeah, I've done that heaps.", "I just sorted it out.",
                      "Yeah, that was fine.", "Not much to say really, it went okay.",
                      "I just got on with it.")
_TANGENT: Final = (
    "Sorry, that needs a bit of background first, because the way the place was organised "
    "matters. We had three teams sharing one manager, and the manager sat in a different "
    "building, so most decisions happened in the kitchen over coffee rather than in meetings. "
    "There was a colleague, lovely person, who kept a spreadsheet of everything, and I mean "
    "everything, including who had borrowed which charger, and half the time that spreadsheet "
    "was more accurate than the official system. Which reminds me, the official system was "
    "being replaced at the time, or it was supposed to be, and the replacement kept slipping, "
    "so we were all running two tools side by side for about a year, which was its own story. "
    "Anyway, I'm getting ahead of myself. Before that there had been a reorganisation, and "
    "nobody was quite sure who owned what, so a lot of my week went on working out who to ask "
    "about things, and some weeks I spent more time in corridors than at my desk. I remember "
    "one particular Tuesday when the heating failed and we all worked in coats, which has "
    "nothing to do with this, but it sticks in my mind. Where was I? Right, so the actual "
    "situation. "
)


def _spoken_company(company: str) -> str:
    return re.sub(r"\s*\(.*?\)", "", company).strip()


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def _own_action(highlight: str) -> str:
    """A résumé highlight spoken in the first person."""
    text = highlight.strip().rstrip(".")
    first = text.split(" ", 1)[0].lower()
    if first.endswith("ed") or first in _PAST_VERBS:
        return "I " + text[0].lower() + text[1:]
    return "one result I'm proud of: " + text[0].lower() + text[1:]


@dataclass(frozen=True)
class _Brief:
    role: str
    company: str
    summary: str


def _brief(system: str) -> _Brief:
    found = _BRIEF.search(system)
    if not found:
        return _Brief("this", "your company", "the work you do")
    return _Brief(found.group("role"), found.group("company"),
                  found.group("summary").strip().rstrip("."))


class _Script:
    """What one candidate says, built from the profile (pure; the responder picks the line)."""

    def __init__(self, profile: CandidateProfile) -> None:
        self.profile = profile
        self.behaviour = profile.behaviour
        jobs = profile.resume.experience
        self.jobs = [(j.title, _spoken_company(j.company)) for j in jobs]
        self.highlights = [(j.title, _spoken_company(j.company), h)
                           for j in jobs for h in j.highlights] or [
            (jobs[0].title, _spoken_company(jobs[0].company), profile.resume.headline)]

    # -- answers ------------------------------------------------------------------------------

    def intro(self, brief: _Brief) -> str:
        p = self.profile
        title, company = self.jobs[0]
        _, _, first = self.highlights[0]
        parts = [f"Thanks for having me. I'm {p.name}. {p.summary.strip()}",
                 f"Right now I'm {title} at {company}, where {_own_action(first)}."]
        if len(self.jobs) > 1:
            title2, company2 = self.jobs[1]
            parts.append(f"Before that I was {title2} at {company2}.")
        parts.append("Across those roles the thread is the same: I like finding the point where "
                     "a process breaks, and fixing it so that it stays fixed.")
        if p.resume.skills:
            parts.append("Day to day I work with " + ", ".join(p.resume.skills[:4]) + ".")
        parts.append(f"I'm looking for a role where I can take that further, and from what I "
                     f"read about {brief.company} before today, the {brief.role} role looks like "
                     "a strong match for what I do best.")
        return " ".join(parts)

    def star(self, n: int) -> str:
        title, company, highlight = self.highlights[n % len(self.highlights)]
        situation = _SITUATIONS[n % len(_SITUATIONS)]
        return (
            f"Yes. One example comes from my time as {title} at {company}. The situation was "
            f"that {situation}. I took ownership of it. First I looked at the numbers to see "
            "where things were really going wrong, rather than guessing. Then I wrote a short "
            "plan, agreed it with my manager, and I set up a weekly check-in with the people "
            "doing the work, so we could adjust as we went. I kept everyone updated every week, "
            "so nobody was surprised, and I wrote the changes down so they would last after the "
            f"project ended. The result: {_own_action(highlight)}. What I learned is that small, "
            "measured changes that people can see working get adopted much faster than a big "
            "redesign.")

    def motive(self, brief: _Brief) -> str:
        title, company, highlight = self.highlights[0]
        return (
            f"What draws me to {brief.company} is the work itself: {_lower(brief.summary)}. I'm "
            f"genuinely excited about the {brief.role} role because it sits right where I do "
            f"my best work. As {title} at {company}, {_own_action(highlight)}, and I'd love to "
            "bring that to a team that cares about the same things. I've also looked at how "
            f"{brief.company} talks about its customers, and that is the kind of place I want "
            "to build the next few years of my career. Honestly, I'd rather help solve these "
            "problems from the inside than read about them afterwards, and that is why I "
            "applied for this role in particular rather than sending out a pile of applications.")

    def approach(self, n: int) -> str:
        title, company, highlight = self.highlights[(n + 1) % len(self.highlights)]
        return (
            "I'd start by getting the facts straight before changing anything: what is actually "
            "happening, how often, and who it affects. Then I'd talk to the people closest to "
            "the problem, because they usually know where it hurts, and agree one or two "
            "measures we can all watch. That's how I work now. As "
            f"{title} at {company}, {_own_action(highlight)}, and the way I got there was "
            "exactly that: look at the numbers, make one change at a time, and check the "
            "result before the next change. I also write down what we agreed, so the next "
            "person doesn't have to rediscover it. If it didn't move the number, I'd be honest "
            "about that and try the next option rather than defending the first plan.")

    def hypothetical(self) -> str:
        return (
            "I can't think of a specific one, but generally I would start by listening to "
            "everyone involved and making sure the problem is clear to me. Then I would look at "
            "the options with the team and agree a plan. I would keep people informed as things "
            "moved forward, and I would check in regularly to make sure the plan was working. If "
            "something was not working, I would adjust it and talk it through with my manager. "
            "I would also make sure that whatever we agreed was written down, so the team could "
            "refer back to it. In general I think communication is the most important part, so "
            "I would focus on keeping everyone aligned and on making sure nobody was surprised.")

    def general(self, brief: _Brief) -> str:
        return (
            "We generally try to keep things simple. In my team we look at what is coming in, "
            "we agree priorities together at the start of the week, and we check how things "
            "are going as we go. Communication is a big part of it: we keep everyone in the "
            "loop, and we try to make sure problems are raised early rather than late. It "
            "depends on the situation, of course, and every team is different, but that "
            f"general approach has worked well for us, and I think it would fit {brief.company} "
            "too. I'm really interested in this role because it seems like a good next step.")

    def answer(self, question: str, brief: _Brief, n: int) -> str:
        """The reply to an interviewer question; ``n`` counts the candidate's earlier replies."""
        style = self.behaviour.answer_style
        if style == "one_liner":
            if _MOTIVE_RX.search(question):
                return "It's closer to home."
            return _ONE_LINERS[n % len(_ONE_LINERS)]
        behavioural = bool(_BEHAVIOURAL_RX.search(question))
        if not behavioural and not _OPEN_RX.search(question):
            return "Yes, happy to. Thank you for having me."
        if n == 0 and not behavioural:
            body = self.intro(brief)
        elif behavioural:
            body = self.hypothetical() if style == "vague" else self.star(n)
        elif _MOTIVE_RX.search(question):
            body = self.motive(brief)
        else:
            body = self.general(brief) if style == "vague" else self.approach(n)
        if style == "rambling":
            interest = (f"Honestly, what excites me about {brief.company} is the work itself: "
                        f"{_lower(brief.summary)}, "
                        "and that's exactly the kind of problem I want to work on.")
            return f"{_TANGENT}{body} Sorry, I do go on. {interest}"
        return body

    # -- the close ----------------------------------------------------------------------------

    def questions(self, need: str | None, invited: bool) -> list[str]:
        kind = self.behaviour.questions
        if kind == "informed":
            first = (f"You mentioned that {_lower(need)}. What is getting in the way of fixing "
                     "that today?" if need else
                     "You mentioned the team's priorities earlier. Which one matters most to you "
                     "this quarter?")
            if not invited:
                first = "Before we finish, could I ask you two quick questions? " + first
            return [first, "What would success look like for this role in the first six "
                           "months?"]
        if kind == "salary_first":
            return ["What is the salary range for this role?",
                    "How is the bonus or commission paid, and how many days of holiday are "
                    "there?"]
        if kind == "generic":
            return ["What's the culture like?"]
        return ["No, I think you covered everything."] if invited else []

    def block(self, need: str | None) -> str:
        """Recap, the ask for the job and the next-steps question, as the profile does them."""
        parts: list[str] = []
        if self.behaviour.closing_recap:
            _, company, highlight = self.highlights[0]
            need_text = (f"you said the team's biggest challenge is that {_lower(need)}" if need
                         else
                         "you described what the team needs")
            parts.append(f"Before we finish, one thought: {need_text}. At {company}, "
                         f"{_own_action(highlight)}, which is exactly the kind of problem I'd "
                         "love to work on here, so I'm keen on this role.")
        if self.behaviour.asks_for_job == "confident":
            parts.append("I want this role. Is there anything in my background that gives you "
                         "pause?")
        elif self.behaviour.asks_for_job == "begs":
            parts.append("I really need this job, please. I've been out of work for months and "
                         "I'll take any position you have. Please give me a chance, I'll do "
                         "anything.")
        if self.behaviour.confirms_next_steps:
            parts.append("And what is the next step in the process, and when should I expect "
                         "to hear back?")
        return " ".join(parts)

    def follow_up(self, answered: bool) -> str:
        """Restating the next step (once the interviewer ``answered``) and agreeing a follow-up.

        The restatement is generic on purpose: repeating the interviewer's words would copy
        their channel and timing words into the candidate's turn.
        """
        parts: list[str] = []
        if self.behaviour.confirms_next_steps and answered:
            parts.append("So, just to confirm: the next step is the one you just described, "
                         "and I'll know the outcome by the date you gave.")
        if self.behaviour.follow_up:
            parts.append("I'll send you a thank-you email today. Is email the best way to "
                         "follow up if I haven't heard by then?")
        return " ".join(parts)

    def thanks(self) -> str:
        if self.behaviour.answer_style == "one_liner":
            return "Okay, thanks."
        if self.behaviour.asks_for_job == "never" and not self.behaviour.confirms_next_steps:
            return "Thank you for your time, it was good to meet you."
        return "Thank you, I appreciate your time."

    def closing_steps(self, need: str | None, invited: bool) -> list[str]:
        """The candidate's turns after the invitation (or in one last word), in order."""
        steps = list(self.questions(need, invited))
        if block := self.block(need):
            steps.append(block)
        if self.behaviour.confirms_next_steps or self.behaviour.follow_up:
            steps.append(_FOLLOW_UP)
        return steps


def candidate_responder(profile: CandidateProfile) -> Responder:
    """A scripted candidate playing ``profile`` from its ``behaviour`` fields (plain text).

    Before the interviewer's invitation it answers each question in the profile's
    ``answer_style`` (STAR stories built from the résumé's highlights; one-liners; long rambling
    answers; polished answers; hypothetical "I would ..." answers to behavioural prompts). After
    the invitation it takes one step per turn: its questions (``questions``), then a closing
    turn with the recap (``closing_recap``), the ask for the job (``asks_for_job``) and the
    next-steps question (``confirms_next_steps``), then a restatement of the answer and the
    follow-up (``follow_up``), then thanks. If the interviewer closes first, everything left is
    said in the last word. The free-text ``instructions`` are not read.
    """
    script = _Script(profile)

    def respond(body: dict[str, Any]) -> ServerReply:
        messages = _without_reask(_messages(body))
        system = _system(messages)
        convo = messages[1:] if system else messages
        brief = _brief(system)
        interviewer = [text for role, text in convo if role == "user"]
        question = interviewer[-1] if interviewer else ""
        needs = [m.group(1).strip() for t in interviewer if (m := _NEED.search(t))]
        need = needs[0] if needs else None
        invitation = next((i for i, (role, text) in enumerate(convo)
                           if role == "user" and _INVITE_RX.search(text)), None)
        wrap_up = next((i for i, (role, text) in enumerate(convo)
                        if role == "user" and _WRAP_UP_RX.search(text)), None)
        opened = invitation if invitation is not None else wrap_up
        mine = sum(role == "assistant" for role, _ in convo) + _omitted_candidate_turns(system)
        closing = _CLOSING_NOTE in system
        if opened is None and not closing:
            return script.answer(question, brief, mine)
        steps = script.closing_steps(need, invited=invitation is not None)
        done = 0 if opened is None else sum(role == "assistant" for role, _ in convo[opened + 1:])
        if not closing:
            if done >= len(steps):
                return script.thanks()
            step = steps[done]
            return script.follow_up(answered=True) if step == _FOLLOW_UP else step
        # The interviewer closed first: everything still to say goes into the last word. The
        # next step can be restated only if the interviewer's latest turn answered it.
        answered = 0 < done <= len(steps) and steps[done - 1] == script.block(need)
        said = [script.follow_up(answered) if step == _FOLLOW_UP else step
                for step in steps[done:]]
        if done > len(steps) and script.behaviour.answer_style != "one_liner":
            return "Thanks again, goodbye."
        return " ".join([*(s for s in said if s), script.thanks()])

    return respond


def _omitted_candidate_turns(system: str) -> int:
    # In the candidate's mirrored history the omitted span starts at an interviewer turn too.
    return _omitted_interviewer_turns(system)


