"""The scripted judge: keyword rules over the transcript in the request, quotes that verify."""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

from roleplay.scripted._candidate import _BEHAVIOURAL_RX, _OPEN_RX
from roleplay.scripted._facts import Facts, read_facts
from roleplay.scripted._wire import (
    _LINE,
    _TRANSCRIPT_BLOCK,
    Responder,
    ServerReply,
    _messages,
    _requested_schema,
    _rx,
    _sentences,
    _system,
    _without_reask,
    _words,
)

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
                          r"\bI\s+want\s+(?:this|the)\s+(?:role|job)\b", r"\benthusiastic\b",
                          r"\binterested\s+in\s+(?:this|the|your)\s+(?:role|job|position|team|"
                          r"company|work)\b")
_BEG_RX: Final = _rx(r"\bneed\s+this\s+job\b", r"\bgive\s+me\s+a\s+chance\b",
                     r"\bI(?:'ll|\s+will)\s+do\s+anything\b", r"\btake\s+any\s+(?:job|position)\b",
                     r"\bdesperate\b", r"\bbegging\b")
# Wanting the role, in the ways people say it ("I'd really like this role", "I'd love to join").
_ROLE_WORD: Final = r"(?:role|job|position|opportunity|offer)"
_WANT_RX: Final = _rx(
    rf"\bI\s+(?:really\s+|truly\s+|definitely\s+|do\s+)?want\s+(?:this|the|that)\s+{_ROLE_WORD}\b",
    r"\bI(?:'d|\s+would)\s+(?:really\s+|very\s+much\s+|truly\s+|genuinely\s+|definitely\s+)?"
    rf"(?:love|like|welcome)\s+(?:(?:this|the|that)\s+(?:{_ROLE_WORD}|chance)|to\s+(?:join|be\s+"
    rf"part\s+of|take\s+(?:this|the)\s+{_ROLE_WORD}|work\s+(?:here|with\s+you|for\s+you)|move\s+"
    r"forward))\b",
    r"\bI(?:'m|\s+am)\s+(?:very\s+|really\s+|genuinely\s+|definitely\s+)?(?:keen\s+on|"
    rf"interested\s+in|excited\s+about)\s+(?:this|the)\s+{_ROLE_WORD}\b",
)
_ROLE_MENTION_RX: Final = _rx(rf"\b{_ROLE_WORD}\b", r"\bjoin\b", r"\bwork\s+here\b")
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

    def __init__(self, turns: list[_Turn], facts: Facts | None = None) -> None:
        self.turns = turns
        self.facts = facts or Facts()
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

    def in_turns(self, indices: Iterable[int], pattern: re.Pattern[str],
                 question: bool = False) -> list[tuple[int, str]]:
        """Sentences matching ``pattern`` in the candidate turns the signals point at."""
        wanted = set(indices)
        return self.find([t for t in self.candidate if t.index in wanted], pattern, question)

    def wants_role(self) -> list[tuple[int, str]]:
        """Statements of wanting the role: the keyword rules', else the turns the signals name."""
        found = self.find(self.candidate, _WANT_RX)
        if found:
            return found
        named = self.in_turns(self.facts.want_statements, _ROLE_MENTION_RX)
        return named or self.in_turns(self.facts.want_statements, re.compile(r"\S"))[:1]

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
    any_text = re.compile(r"\S")
    qs = r.find(r.close, any_text, question=True) or \
        r.in_turns(r.facts.closing_questions or (), any_text, question=True)
    role = [(i, q) for i, q in qs if not _PAY_RX.search(q) and not _LOGISTICS_RX.search(q)
            and not _GENERIC_RX.search(q)]
    if not qs:
        invitation = r.invitation or r.facts.invitation
        if invitation is None and not r.facts.closing_questions:
            return _Verdict(None, "The interviewer never invited questions and the candidate "
                            "asked none in the close.", [], {})
        declined = r.find(r.close, _DECLINE_RX)
        when = f"Invited at T{invitation}" if invitation else "In the close"
        return _Verdict(1, f"{when}, the candidate asked no question of their own.",
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
        # The signals may see a prompt the keyword rules miss; and situation-action-result
        # applies wherever the candidate describes what they did.
        named = set(r.facts.behavioural_prompts or ())
        prompts = [t for t in r.turns if t.index in named]
    if not prompts:
        prompts = [q for q, a in r.answers() if r.find([a], _I_DID_RX)]
    if not prompts:
        return _Verdict(None, "The candidate never described their experience.", [], {})
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
    interest = sorted(set(r.find(r.candidate, _INTEREST_RX)) | set(r.wants_role()))
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
    want = r.find(r.close, _WANT_RX) or r.wants_role()
    checklist = {"wants_job": bool(want), "begged_or_hinted": bool(begging)}
    if begging:
        return _Verdict(1, "The candidate begs from need instead of asking.", [], checklist)
    forward = r.find(r.close, _FORWARD_RX)
    if want and forward:
        score = 5 if any("pause" in q.lower() for _, q in forward) else 4
        return _Verdict(score, f"States wanting the role (T{want[0][0]}) and moves the process "
                        "forward.", [want[0], forward[0]], checklist)
    if want:
        return _Verdict(4, f"Says plainly that they want the role (T{want[0][0]}).", want[:1],
                        checklist)
    return _Verdict(1, "The candidate never says they want the role.", [], checklist)


def _next_steps(r: _Reading) -> _Verdict:
    process = r.find(r.close, _PROCESS_RX)
    timeline = r.find(r.close, _TIMELINE_RX)
    asked_process = any(q.endswith("?") or _RESTATE_RX.search(q) for _, q in process)
    asked_timeline = any(q.endswith("?") or _RESTATE_RX.search(q) for _, q in timeline)
    restated = [q for q in r.find(r.close, _RESTATE_RX) if not q[1].endswith("?")]
    checklist = {"hiring_steps": asked_process or asked_timeline,
                 "restated_step": bool(restated)}
    quotes = [q for q in (*process[:1], *timeline[:1])]
    if asked_process and asked_timeline:
        score = 5 if restated else 4
        return _Verdict(score, "Asks about the process and the timeline"
                        + (" and restates the agreed step." if restated else "."),
                        quotes + restated[:1], checklist)
    if asked_process or asked_timeline:
        return _Verdict(4, "Asks about or confirms the process or the timeline.", quotes,
                        checklist)
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
        score = 5 if concrete and words <= 80 else 4
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
    if channel:
        score = 5 if time and person else 4
        return _Verdict(score, "Names a channel for following up"
                        + (", a time and whom to contact." if score == 5 else "."),
                        [channel[0], *time[:1]], checklist)
    if time or person:
        return _Verdict(3, "Says when or whom, but no channel.", (time or person)[:1],
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
        reading = _Reading(_parse_transcript(block.group(2)),
                           read_facts(text for _, text in messages))
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


