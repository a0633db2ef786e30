"""Deterministic responders: scripted stand-ins for the LLM at the chat-completions seam.

A responder turns the body of a chat-completions request (the JSON the OpenAI SDK sends) into a
reply, for ``OpenAICompatServer(responder=...)``; `as_chat_function` adapts one to the in-process
`FunctionChatModel`. Each reads only the request, so the same request always gets the same reply
(recordings replay), and each recognises the requests roleplay itself builds:

* `interviewer_responder`: valid `InterviewerMove` JSON following a fixed script driven by the
  persona: an opening, one question of each kind from its question bank, an invitation to ask
  questions (only if the persona invites them), answers from the persona's facts (a hidden fact
  only when the candidate's latest turn asks about its topic, so a well-behaved run never leaks),
  a close and a goodbye after the candidate's last word.
* `candidate_responder`: plays a `CandidateProfile` from its ``behaviour`` fields: the answer
  style (STAR stories built from the résumé, one-liners, rambling, polished, hypothetical), the
  kind of questions asked when invited, how the job is asked for (or begged for), and whether
  next steps, a recap and a follow-up are covered in the close.
* `judge_responder`: a verdict JSON for whatever rubric schema the request carries, scored with
  simple keyword rules over the transcript in the request; every quote is a verbatim sentence
  of a candidate turn, so it verifies.
* `simulation_responder`: routes each request to one of the three (one server can then play
  every role of a simulated and judged interview).

Be clear about what these are: scripted stand-ins. The interviews they produce are formulaic
and the verdicts are keyword rules; they test a pipeline's wiring (requests, parsing, phases,
evidence checks, caps, reports, recordings) offline, not an LLM's behaviour or judgement.

Example:
    >>> persona, profile = load_persona("warm-hr-screener"), load_candidate("strong-closer")
    >>> with OpenAICompatServer(responder=simulation_responder([persona], [profile])) as server:
    ...     model = OpenAIChatModel(base_url=server.base_url, api_key="test")
    ...     transcript = Interview(persona, LLMCandidate(profile, model), model).run()
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from roleplay.leaks import asked_topics, topic_patterns
from roleplay.llm.base import ChatRequest
from roleplay.persona import CandidateProfile, Persona
from roleplay.prompts import OPENING_CUE
from roleplay.testing.server import Responder, ServerReply

__all__ = [
    "as_chat_function",
    "candidate_responder",
    "interviewer_responder",
    "judge_responder",
    "request_body",
    "simulation_responder",
]

# ---------------------------------------------------------------------------------------------
# Reading a request body

_REASK_START: Final = "That reply did not validate against the required schema."
_SCHEMA_MARKER: Final = "validates against this JSON Schema:\n"
_TRANSCRIPT_BLOCK: Final = re.compile(r"<(transcript-[0-9A-Za-z]+)>\n(.*?)\n</\1>", re.DOTALL)
_LINE: Final = re.compile(r"^\[T(\d+)\]\[(INTERVIEWER|CANDIDATE)\] ?(.*)$")
_SENTENCE: Final = re.compile(r"[^.!?\n]+(?:[.!?]+|$)", re.MULTILINE)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _messages(body: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for message in body.get("messages") or []:
        if isinstance(message, dict):
            out.append((str(message.get("role", "")), _text(message.get("content"))))
    return out


def _without_reask(messages: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The conversation without a trailing re-ask (the failed reply and the correction)."""
    if (len(messages) >= 2 and messages[-1][0] == "user"
            and messages[-1][1].startswith(_REASK_START) and messages[-2][0] == "assistant"):
        return messages[:-2]
    return messages


def _system(messages: Sequence[tuple[str, str]]) -> str:
    return messages[0][1] if messages and messages[0][0] == "system" else ""


def _requested_schema(body: dict[str, Any], system: str) -> dict[str, Any] | None:
    """The JSON Schema the request asks for: in ``response_format``, or appended to the prompt."""
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        spec = fmt.get("json_schema") or {}
        schema = spec.get("schema") if isinstance(spec, dict) else None
        if isinstance(schema, dict):
            return schema
    at = system.rfind(_SCHEMA_MARKER)
    if at >= 0:
        try:
            schema = json.loads(system[at + len(_SCHEMA_MARKER):].strip())
        except ValueError:
            return None
        return schema if isinstance(schema, dict) else None
    return None


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def _words(text: str) -> int:
    return len(re.findall(r"[^\W_]+(?:'[^\W_]+)*", text))


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def request_body(request: ChatRequest) -> dict[str, Any]:
    """The chat-completions body a `ChatRequest` becomes on the wire (messages and format).

    Lets a responder serve in-process fakes exactly as it serves the local server.
    """
    body: dict[str, Any] = {
        "messages": [{"role": m.role, "content": m.content} for m in request.messages],
    }
    fmt = request.response_format
    if fmt is not None and fmt.type == "json_schema":
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": fmt.name or "output", "strict": True,
                            "schema": fmt.json_schema},
        }
    elif fmt is not None:
        body["response_format"] = {"type": fmt.type}
    return body


def as_chat_function(responder: Responder) -> Callable[[ChatRequest], str]:
    """Adapt ``responder`` for `FunctionChatModel`: ``FunctionChatModel(as_chat_function(r))``."""

    def reply(request: ChatRequest) -> str:
        out = responder(request_body(request))
        return out if isinstance(out, str) else json.dumps(out, ensure_ascii=False)

    return reply


# ---------------------------------------------------------------------------------------------
# Interviewer

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
    the turn limit, close on the last turn) and history trimming.

    Answers come from the persona: the hidden fact of each topic the candidate's latest turn
    asks about (detected as `roleplay.leaks` does), otherwise the next shared fact not yet said.
    No hidden fact is ever volunteered.
    """
    plan = _question_plan(persona, questions)
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
        candidate = [text for role, text in convo if role == "user" and text != OPENING_CUE]
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


# ---------------------------------------------------------------------------------------------
# Candidate

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


# ---------------------------------------------------------------------------------------------
# Judge

_PAY_RX: Final = _rx(r"\bsalar(?:y|ies)\b", r"\bpay\b", r"\bcompensation\b", r"\bbenefits?\b",
                     r"\bholidays?\b", r"\bvacation\b", r"\bbonus\b", r"\bcommission\b",
                     r"\bremote\b", r"\bwork\s+from\s+home\b", r"\btime\s+off\b", r"\bperks?\b")
_LOGISTICS_RX: Final = _rx(r"\bnext\s+(?:step|stage|round)s?\b", r"\bprocess\b",
                           r"\bhear\s+back\b", r"\bwhen\s+(?:will|should|would|can)\s+i\b",
                           r"\btimeline\b", r"\bfollow\s+up\b", r"\be-?mail\b", r"\bcontact\b",
                           r"\bgives\s+you\s+pause\b", r"\bconcerns?\b", r"\bstart\b",
                           r"\bdecision\b", r"\bquick\s+questions\b")
_GENERIC_RX: Final = _rx(r"\bculture\b", r"\btypical\s+day\b", r"\bday[- ]to[- ]day\b")
_BUILDS_RX: Final = _rx(r"\byou\s+(?:mentioned|said|described|talked\s+about|raised)\b",
                        r"\bearlier\s+you\b", r"\bgoing\s+back\s+to\b")
_INSIGHT_RX: Final = _rx(r"\bsuccess\b", r"\bsix\s+months\b", r"\bfirst\s+(?:90|ninety)\s+days\b",
                         r"\bbiggest\s+(?:challenge|problem)\b", r"\bgetting\s+in\s+the\s+way\b")
_DECLINE_RX: Final = _rx(r"\bcovered\s+everything\b", r"\bno\s+questions\b",
                         r"\bdon't\s+have\s+any\s+questions\b")
_HYPO_RX: Final = _rx(r"\bI\s+would\b", r"\bI'd\b")
_I_DID_RX: Final = re.compile(
    r"\bI\s+(?:\w+ly\s+|then\s+|also\s+|first\s+)?(?:[a-z]+ed|built|led|ran|set|took|wrote|made|"
    r"cut|got|found|kept|held|drove|won|brought|sent|told|spoke|met|put|went|did)\b")
_NUMBER_RX: Final = re.compile(r"\d|\b(?:half|doubled|halved|percent)\b", re.IGNORECASE)
_LESSON_RX: Final = _rx(r"\bI\s+learn(?:ed|t)\b", r"\bthe\s+lesson\b", r"\bwhat\s+I\s+learned\b")
_INTEREST_RX: Final = _rx(r"\bexcit(?:ed|ing|es)\b", r"\bkeen\b", r"\b(?:would|'d)\s+love\s+to\b",
                          r"\bdraws?\s+me\b", r"\bgenuinely\s+interested\b", r"\bpassionate\b",
                          r"\bI\s+want\s+(?:this|the)\s+(?:role|job)\b", r"\benthusiastic\b")
_BEG_RX: Final = _rx(r"\bneed\s+this\s+job\b", r"\bgive\s+me\s+a\s+chance\b",
                     r"\bI(?:'ll|\s+will)\s+do\s+anything\b", r"\btake\s+any\s+(?:job|position)\b",
                     r"\bdesperate\b", r"\bbegging\b")
_WANT_RX: Final = _rx(r"\bI\s+(?:really\s+)?want\s+(?:this|the)\s+(?:role|job|position)\b",
                      r"\bI(?:'d|\s+would)\s+(?:really\s+)?(?:love|like)\s+(?:to\s+join|the\s+"
                      r"(?:role|job|opportunity))\b",
                      r"\bI(?:'m|\s+am)\s+(?:very\s+|really\s+)?keen\s+on\s+(?:this|the)\s+"
                      r"(?:role|job)\b")
_FORWARD_RX: Final = _rx(r"\bgives?\s+you\s+pause\b", r"\bany\s+(?:concerns|reservations)\b",
                         r"\bmove\s+forward\b", r"\bnext\s+round\b",
                         r"\banything\s+(?:that\s+)?(?:would|might)\s+(?:stop|prevent)\b")
_PROCESS_RX: Final = _rx(r"\bnext\s+(?:step|stage|round)s?\b", r"\bthe\s+process\b",
                         r"\bwhat\s+happens\s+next\b", r"\bwhat(?:'s|\s+is)\s+next\b")
_TIMELINE_RX: Final = _rx(r"\bwhen\b[^.?!\n]{0,40}\b(?:hear|decision|decide|know)\b",
                          r"\btimeline\b", r"\bhear\s+back\b", r"\bby\s+when\b")
_RESTATE_RX: Final = _rx(r"^\W*so\b", r"\bjust\s+to\s+confirm\b", r"\bto\s+confirm\b")
_CHANNEL_RX: Final = _rx(r"\be-?mail\b", r"\bphone\b", r"\bcall\b")
_TIME_RX: Final = _rx(r"\btoday\b", r"\btomorrow\b", r"\bif\s+I\s+haven't\s+heard\b",
                      r"\bby\s+(?:then|friday|monday|the\s+end|next)\b", r"\bnext\s+week\b",
                      r"\bthis\s+(?:week|afternoon)\b")
_PERSON_RX: Final = _rx(r"\bwho\s+should\s+I\b", r"\bemail\s+you\s+directly\b",
                        r"\bshould\s+I\s+(?:email|contact|reach)\s+\w+\s+or\b")
_VAGUE_RX: Final = _rx(r"\bbe\s+in\s+touch\b", r"\bhope\s+to\s+hear\b", r"\bspeak\s+soon\b")
_RECAP_INTEREST_RX: Final = _rx(r"\bexcit(?:ed|ing)\b", r"\bkeen\b",
                                r"\b(?:would|'d)\s+love\s+to\b", r"\binterested\b")
_FOLLOW_VERB_RX: Final = _rx(r"\bfollow(?:ing)?[- ]?up\b", r"\bthank[- ]you\s+(?:e-?mail|note)\b",
                             r"\breach\s+out\b", r"\bcontact\b", r"\bget\s+in\s+touch\b",
                             r"\bcheck\s+in\b", r"\b(?:e-?mail|call|phone)\s+you\b")
_FIT_RX: Final = _rx(r"\byou\s+(?:said|mentioned|described)\b", r"\bexactly\s+the\s+kind\b",
                     r"\bmatch(?:es)?\b", r"\bfit\b", r"\bsimilar\s+to\b")
_INVITE_JUDGE_RX: Final = _rx(r"\bquestions?\s+for\s+(?:me|us)\b", r"\bany\s+questions\b",
                              r"\bwhat\s+questions\b", r"\bwould\s+you\s+like\s+to\s+ask\b",
                              r"\bover\s+to\s+you\b", r"\banything\s+you'd\s+like\s+to\s+know\b")
_CLOSE_RX: Final = _rx(r"\bthank\s+you\s+for\s+(?:your\s+time|coming)\b", r"\bbe\s+in\s+touch\b",
                       r"\bthat's\s+(?:all|everything)\b", r"\bwe're\s+out\s+of\s+time\b",
                       r"\bthose\s+are\s+(?:all\s+)?my\s+questions\b")


@dataclass(frozen=True)
class _Turn:
    index: int
    speaker: str
    text: str


def _parse_transcript(text: str) -> list[_Turn]:
    turns: list[_Turn] = []
    for line in text.split("\n"):
        found = _LINE.match(line)
        if not found:
            continue
        index, speaker, words = int(found.group(1)), found.group(2).lower(), found.group(3)
        if turns and turns[-1].index == index:
            last = turns[-1]
            turns[-1] = _Turn(index, speaker, last.text + "\n" + words)
        else:
            turns.append(_Turn(index, speaker, words))
    return turns


@dataclass
class _Verdict:
    score: int | None
    reason: str
    quotes: list[tuple[int, str]]
    checklist: dict[str, bool]


class _Reading:
    """The stand-in judge's reading of one transcript: turns, the close, candidate sentences."""

    def __init__(self, turns: list[_Turn]) -> None:
        self.turns = turns
        self.candidate = [t for t in turns if t.speaker == "candidate"]
        invites = [t.index for t in turns if t.speaker == "interviewer"
                   and _INVITE_JUDGE_RX.search(t.text)]
        late = [i for i in invites if i > 0.4 * len(turns)]
        self.invitation = late[0] if late else (invites[-1] if invites else None)
        closes = [t.index for t in turns if t.speaker == "interviewer" and _CLOSE_RX.search(t.text)
                  and t.index > 0.4 * len(turns)]
        fallback = max(1, int(len(turns) * 0.8))
        self.close_start = self.invitation or (closes[0] if closes else fallback)
        self.close = [t for t in self.candidate if t.index > self.close_start
                      or (self.invitation is None and t.index >= self.close_start)]

    @staticmethod
    def find(turns: Iterable[_Turn], pattern: re.Pattern[str],
             question: bool = False) -> list[tuple[int, str]]:
        out = []
        for turn in turns:
            for sentence in _sentences(turn.text):
                if pattern.search(sentence) and (not question or sentence.endswith("?")):
                    out.append((turn.index, sentence))
        return out

    def answers(self) -> list[tuple[_Turn, _Turn]]:
        """(interviewer question, candidate answer) pairs before the close."""
        pairs = []
        for pos, turn in enumerate(self.turns):
            if turn.speaker != "candidate" or turn.index > self.close_start:
                continue
            before = next((t for t in reversed(self.turns[:pos]) if t.speaker == "interviewer"),
                          None)
            if before is not None and ("?" in before.text or _OPEN_RX.search(before.text)):
                pairs.append((before, turn))
        return pairs


def _asked_questions(r: _Reading) -> _Verdict:
    qs = r.find(r.close, re.compile(r"\S"), question=True)
    role = [(i, q) for i, q in qs if not _PAY_RX.search(q) and not _LOGISTICS_RX.search(q)
            and not _GENERIC_RX.search(q)]
    if not qs:
        if r.invitation is None:
            return _Verdict(None, "The interviewer never invited questions and the candidate "
                            "asked none.", [], {})
        declined = r.find(r.close, _DECLINE_RX)
        return _Verdict(1, f"Invited at T{r.invitation}, the candidate asked nothing.",
                        declined[:1], {})
    if _PAY_RX.search(qs[0][1]):
        score = 1 if all(_PAY_RX.search(q) for _, q in qs) else 2
        return _Verdict(score, f"The first question (T{qs[0][0]}) is about pay or perks.",
                        qs[:2], {})
    if len(role) >= 2:
        # "You mentioned X. What ...?": the reference is often the sentence before the question.
        texts = {t.index: t.text for t in r.close}
        builds = any(_BUILDS_RX.search(texts.get(i, q)) for i, q in role)
        insight = any(_INSIGHT_RX.search(q) for _, q in role)
        score = 5 if builds and insight else 4 if builds else 3
        return _Verdict(score, f"{len(role)} questions about the role"
                        + (", one building on what the interviewer said" if builds else "")
                        + (", with insight into success or challenges" if insight else "") + ".",
                        role[:3], {})
    return _Verdict(2, "A single role question or a generic one.", (role or qs)[:1], {})


def _sar_answers(r: _Reading) -> _Verdict:
    prompts = [t for t in r.turns if t.speaker == "interviewer" and _BEHAVIOURAL_RX.search(t.text)
               and t.index < r.close_start]
    if not prompts:
        return _Verdict(None, "No behavioural question was asked.", [], {})
    scores: list[int] = []
    quotes: list[tuple[int, str]] = []
    for prompt in prompts:
        reply = next((t for t in r.candidate if t.index > prompt.index), None)
        if reply is None:
            continue
        acted = r.find([reply], _I_DID_RX)
        results = r.find([reply], _NUMBER_RX)
        if _words(reply.text) < 25 or (not acted and _HYPO_RX.search(reply.text)):
            scores.append(1)
            continue
        if acted and results:
            scores.append(5 if _LESSON_RX.search(reply.text) else 4)
            quotes.extend([acted[0], results[0]])
        elif acted:
            scores.append(3)
            quotes.append(acted[0])
        else:
            scores.append(2)
            quotes.extend(r.find([reply], re.compile(r"\S"))[:1])
    if not scores:
        return _Verdict(1, "No answer followed the behavioural questions.", [], {})
    score = int(statistics.median_low(scores))
    return _Verdict(score, f"Behavioural answers scored {scores} by own actions, results and "
                    "lessons.", quotes[:4] if score >= 2 else [], {})


def _answer_balance(r: _Reading) -> _Verdict:
    pairs = r.answers()
    if not pairs:
        return _Verdict(1, "No answers to the interviewer's questions.", [], {})
    words = [_words(a.text) for _, a in pairs]
    n = len(words)
    extreme = sum(w < 25 or w > 450 for w in words)
    outside = sum(w < 40 or w > 400 for w in words)
    ideal = sum(130 <= w <= 300 for w in words)
    if extreme * 2 > n:
        score = 1
    elif outside * 3 >= n:
        score = 2
    elif ideal * 2 >= n:
        score = 4
    else:
        score = 3
    first = r.find([pairs[0][1]], re.compile(r"\S"))[:1]
    return _Verdict(score, f"Answer lengths in words: {words}.", first if score >= 2 else [], {})


def _enthusiasm(r: _Reading) -> _Verdict:
    interest = r.find(r.candidate, _INTEREST_RX)
    if r.find(r.candidate, _BEG_RX):
        return _Verdict(2, "Interest comes across as need rather than specific interest.",
                        (interest or r.find(r.candidate, _BEG_RX))[:1], {})
    if not interest:
        return _Verdict(1, "No interest in the role or the company is stated.", [], {})
    specific = [q for q in interest if re.search(r"\b(?:role|team|problem|company|work)\b", q[1],
                                                 re.IGNORECASE)]
    if specific:
        return _Verdict(4, "Interest tied to the role or the team's work.", specific[:2], {})
    return _Verdict(3, "Interest stated in general terms.", interest[:1], {})


def _asked_for_job(r: _Reading) -> _Verdict:
    begging = r.find(r.candidate, _BEG_RX)
    if begging:
        return _Verdict(1, "The candidate begs from need instead of asking.", [], {})
    want = r.find(r.close, _WANT_RX)
    forward = r.find(r.close, _FORWARD_RX)
    if want and forward:
        score = 5 if any("pause" in q.lower() for _, q in forward) else 4
        return _Verdict(score, "States wanting the role and moves the process forward.",
                        [want[0], forward[0]], {})
    if want:
        return _Verdict(3, "A clear statement of wanting the role, no forward ask.", want[:1], {})
    return _Verdict(1, "The candidate never says they want the role.", [], {})


def _next_steps(r: _Reading) -> _Verdict:
    process = r.find(r.close, _PROCESS_RX)
    timeline = r.find(r.close, _TIMELINE_RX)
    asked_process = any(q.endswith("?") or _RESTATE_RX.search(q) for _, q in process)
    asked_timeline = any(q.endswith("?") or _RESTATE_RX.search(q) for _, q in timeline)
    restated = [q for q in r.find(r.close, _RESTATE_RX) if not q[1].endswith("?")]
    checklist = {"asked_process": asked_process, "asked_timeline": asked_timeline,
                 "restated_step": bool(restated)}
    quotes = [q for q in (*process[:1], *timeline[:1])]
    if asked_process and asked_timeline:
        score = 5 if restated else 4
        return _Verdict(score, "Asks about the process and the timeline"
                        + (" and restates the agreed step." if restated else "."),
                        quotes + restated[:1], checklist)
    if asked_process or asked_timeline:
        return _Verdict(3, "Asks about the process or the timeline, not both.", quotes, checklist)
    return _Verdict(1, "No question about what happens next.", [], checklist)


def _closing_recap(r: _Reading) -> _Verdict:
    last = [t for t in r.candidate[-3:] if t in r.close] or r.candidate[-1:]
    interest = [q for q in r.find(last, _RECAP_INTEREST_RX) if not q[1].endswith("?")]
    fit = [q for q in r.find(last, _FIT_RX) if not q[1].endswith("?")]
    both = [q for q in interest if q in fit or any(f[0] == q[0] for f in fit)]
    checklist = {"stated_interest": bool(interest), "linked_need": bool(fit), "brief": False}
    if both:
        turn = next(t for t in last if t.index == both[0][0])
        recap = [s for s in _sentences(turn.text) if not s.endswith("?")
                 and (_FIT_RX.search(s) or _RECAP_INTEREST_RX.search(s))]
        words = sum(_words(s) for s in recap)
        checklist["brief"] = words <= 80
        linked = [q for q in fit if q[0] == turn.index]
        concrete = any(_NUMBER_RX.search(s) for s in recap)
        score = (5 if concrete else 4) if words <= 80 else (3 if words <= 120 else 2)
        return _Verdict(score, f"A closing recap of about {words} words at T{turn.index}.",
                        [*linked[:1], both[0]], checklist)
    if interest:
        return _Verdict(3, "Interest near the end, without a link to the team's needs.",
                        interest[:1], checklist)
    return _Verdict(1, "No closing summary.", [], checklist)


def _follow_up(r: _Reading) -> _Verdict:
    channel = [q for q in r.find(r.close, _CHANNEL_RX) if _FOLLOW_VERB_RX.search(q[1])]
    time = [q for q in r.find(r.close, _TIME_RX) if _CHANNEL_RX.search(q[1])
            or _FOLLOW_VERB_RX.search(q[1])]
    person = r.find(r.close, _PERSON_RX)
    checklist = {"channel": bool(channel), "time": bool(time), "contact_person": bool(person)}
    if channel and time:
        score = 5 if person else 4
        return _Verdict(score, "Names a channel and a time for following up.",
                        [channel[0], time[0]], checklist)
    if channel or time or person:
        return _Verdict(3, "One element of a follow-up plan.", (channel or time or person)[:1],
                        checklist)
    vague = r.find(r.close, _VAGUE_RX)
    if vague:
        return _Verdict(2, "Only a vague follow-up.", vague[:1], checklist)
    return _Verdict(1, "No mention of follow-up.", [], checklist)


_RULES: Final[dict[str, Callable[[_Reading], _Verdict]]] = {
    "asked_questions": _asked_questions,
    "sar_answers": _sar_answers,
    "answer_balance": _answer_balance,
    "enthusiasm": _enthusiasm,
    "asked_for_job": _asked_for_job,
    "next_steps": _next_steps,
    "closing_recap": _closing_recap,
    "follow_up": _follow_up,
}


def _resolve(schema: dict[str, Any], node: Any) -> dict[str, Any]:
    if isinstance(node, dict) and "$ref" in node:
        name = str(node["$ref"]).rsplit("/", 1)[-1]
        found = (schema.get("$defs") or {}).get(name, {})
        return found if isinstance(found, dict) else {}
    return node if isinstance(node, dict) else {}


def _default_verdict(r: _Reading) -> _Verdict:
    longest = max(r.candidate, key=lambda t: _words(t.text), default=None)
    quotes = r.find([longest], re.compile(r"\S"))[:1] if longest else []
    return _Verdict(3 if quotes else 1, "The stand-in judge has no rule for this criterion; it "
                    "gives the middle level.", quotes, {})


def judge_responder() -> Responder:
    """A scripted judge: a verdict JSON for the rubric schema in the request.

    It reads the transcript between the request's ``<transcript-...>`` delimiters and scores
    each criterion of the requested schema with keyword rules (for the shipped
    ``interview-close`` rubric; other criteria get the middle level). Every quote is a verbatim
    sentence of a candidate turn. These verdicts exercise the evaluator's wiring (parsing,
    evidence verification, caps, N/A rules, reports); they are not an assessment of the
    interview.
    """

    def respond(body: dict[str, Any]) -> ServerReply:
        messages = _without_reask(_messages(body))
        system = _system(messages)
        schema = _requested_schema(body, system)
        block = next((m for _, text in messages if (m := _TRANSCRIPT_BLOCK.search(text))), None)
        if schema is None or block is None:
            raise ValueError("not a judge request: no reply schema or no delimited transcript")
        reading = _Reading(_parse_transcript(block.group(2)))
        reply: dict[str, Any] = {}
        for criterion, node in (schema.get("properties") or {}).items():
            part = _resolve(schema, node)
            rule = _RULES.get(criterion, _default_verdict)
            verdict = rule(reading)
            fields = part.get("properties") or {}
            out: dict[str, Any] = {}
            if "checklist" in fields:
                items = _resolve(schema, fields["checklist"]).get("properties") or {}
                out["checklist"] = {item: bool(verdict.checklist.get(item, False))
                                    for item in items}
            out["evidence"] = [{"turn": turn, "quote": quote}
                               for turn, quote in _unique(verdict.quotes)]
            out["reason"] = "Stand-in judge (keyword rules): " + verdict.reason
            out["applicable"] = verdict.score is not None
            out["score"] = verdict.score
            reply[criterion] = out
        return reply

    return respond


def _unique(quotes: Iterable[tuple[int, str]]) -> list[tuple[int, str]]:
    seen: set[tuple[int, str]] = set()
    out = []
    for quote in quotes:
        if quote not in seen:
            seen.add(quote)
            out.append(quote)
    return out


# ---------------------------------------------------------------------------------------------
# Routing

_CANDIDATE_SYSTEM: Final = re.compile(r"^You are (.+?), a job candidate\.")


def simulation_responder(
    personas: Iterable[Persona] = (),
    candidates: Iterable[CandidateProfile] = (),
    *,
    judge: bool = True,
    questions: int = 3,
    max_answers: int = 4,
) -> Responder:
    """One responder for every role: routes each request to the right scripted responder.

    Judge requests (a ``<transcript-...>`` block) go to `judge_responder` (when ``judge``);
    interviewer requests (an ``InterviewerMove`` schema or the opening cue) to the
    `interviewer_responder` of the persona whose system prompt it is; candidate requests to the
    `candidate_responder` of the profile named in the system prompt. Anything else raises
    ``ValueError``, which the local server turns into an HTTP 500 naming the problem.
    """
    interviewers = [(f"You are {p.interviewer.name}, {p.interviewer.title} at "
                     f"{p.company.name}.", interviewer_responder(
                         p, questions=questions, max_answers=max_answers))
                    for p in personas]
    players = {c.name: candidate_responder(c) for c in candidates}
    the_judge = judge_responder() if judge else None

    def respond(body: dict[str, Any]) -> ServerReply:
        messages = _messages(body)
        system = _system(messages)
        if any(_TRANSCRIPT_BLOCK.search(text) for _, text in messages):
            if the_judge is None:
                raise ValueError("a judge request, but this responder has no judge")
            return the_judge(body)
        schema = _requested_schema(body, system)
        is_interviewer = (schema is not None and "utterance" in (schema.get("properties") or {})
                          ) or any(text == OPENING_CUE for role, text in messages if role == "user")
        if is_interviewer:
            for prefix, responder in interviewers:
                if system.startswith(prefix):
                    return responder(body)
            raise ValueError(f"an interviewer request for a persona this responder does not "
                             f"know: {system[:80]!r}")
        found = _CANDIDATE_SYSTEM.match(system)
        if found and found.group(1) in players:
            return players[found.group(1)](body)
        raise ValueError(f"no scripted responder for this request: {system[:80]!r}")

    return respond
