"""The scripted persona drafter: a plausible rule-based persona from the posting's own words.

It reads the posting between the request's ``<posting-...>`` delimiters and the recruiter's
choices above it, then builds the persona by rule: the title from the first line, the employer
from "About X" or "at X", must-haves and nice-to-haves from the bullets under the matching
headings, team problems from the duties, questions from those, shareable facts from the lines
about place, hours, pay-free benefits and team. Hidden facts it cannot find are invented from
fixed lists (names, an ``.example`` address) and listed in ``drafted``. Instructions inside the
posting are words like any other: they never change the shape of the reply.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Final

from roleplay.drafting import STYLE_PRESETS, PersonaDraft
from roleplay.scripted._wire import Responder, ServerReply, _messages, _without_reask

_BLOCK: Final = re.compile(r"<(posting-[0-9A-Za-z]+)>\n(.*?)\n</\1>", re.DOTALL)
_STAGE: Final = re.compile(r"^- Stage: (phone_screen|hiring_manager|panel|final)\.", re.M)
_STYLE: Final = re.compile(r"^- Style: ([a-z]+) \(", re.M)
_NAME: Final = re.compile(r"^- Interviewer's name: (.+?) \(not a practice fact\)\.", re.M)
_BULLET: Final = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+(.*\S)")
_SALARY: Final = re.compile(
    r"(?:[$\u00a3\u20ac]\s?\d[\d,.]*\s*[kK]?(?:\s*(?:-|\u2013|to)\s*[$\u00a3\u20ac]?\s?\d[\d,.]*"
    r"\s*[kK]?)?(?:\s*(?:per|an|a|/)\s*(?:hour|year|annum|yr|hr))?)")
_HEADINGS: Final[dict[str, re.Pattern[str]]] = {
    "nice": re.compile(r"nice|bonus|preferred|desirable|plus|ideally", re.I),
    "must": re.compile(r"require|qualif|must|you have|you bring|what we.re looking|essential|"
                       r"about you|who you are|skills|experience", re.I),
    "duties": re.compile(r"responsib|you will|you.ll|what you.ll do|duties|the role|day to day|"
                         r"day-to-day|what you do", re.I),
    "benefits": re.compile(r"benefit|perks|we offer|what we offer|why join|pay|compensation|"
                           r"salary", re.I),
    "about": re.compile(r"^(?:#+\s*)?about\b", re.I),
}
_FIRST: Final = ("Maya", "Daniel", "Priya", "Tomasz", "Grace", "Luis", "Aisha", "Owen")
_LAST: Final = ("Castellano", "Okafor", "Lindqvist", "Barrow", "Nakamura", "Delacroix",
                "Whitfield", "Ferreira")
_DECIDERS: Final = ("Rowan Achterberg", "Imogen Valdez", "Felix Marchetti", "Nadia Holloway")
_COMPANY_AT: Final = re.compile(r"\b(?:at|join|About) +([A-Z][\w&'-]*(?: +[A-Z][\w&'-]*){0,3})")


def _block(body: dict[str, Any]) -> tuple[str, str] | None:
    for role, text in _without_reask(_messages(body)):
        found = _BLOCK.search(text) if role == "user" else None
        if found:
            return text, found.group(2)
    return None


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(re.sub(r"\*\*|__|`", "", text).split()).rstrip(".;:")
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0]


def _is_heading(line: str) -> bool:
    return line.startswith("#") or (len(line) <= 60 and not line.endswith((".", ",", ";")))


def _sections(lines: list[str]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Bullets, and sentences of the paragraphs, by the kind of heading above them."""
    bullets: dict[str, list[str]] = {k: [] for k in (*_HEADINGS, "other")}
    prose: dict[str, list[str]] = {k: [] for k in (*_HEADINGS, "other")}
    current = "other"
    paragraph: list[str] = []

    def flush() -> None:
        text = " ".join(paragraph)
        prose[current].extend(_short(s, 200) for s in re.split(r"(?<=[.!?])\s+", text)
                              if len(s.split()) >= 5)
        paragraph.clear()

    for line in lines[1:]:
        bullet = _BULLET.match(line)
        if bullet:
            flush()
            bullets[current].append(_short(bullet.group(1)))
        elif _is_heading(line):
            flush()
            current = next((k for k, p in _HEADINGS.items() if p.search(line)), "other")
        else:
            paragraph.append(line)
    flush()
    return bullets, prose


def _pick(seed: str, options: tuple[str, ...]) -> str:
    digest = int(hashlib.sha256(seed.encode()).hexdigest(), 16)
    return options[digest % len(options)]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:30] or "employer"


def _title(lines: list[str]) -> str:
    for line in lines[:6]:
        found = re.match(r"(?:job title|position|role)\s*:\s*(.+)", line, re.I)
        if found:
            return _short(found.group(1), 80)
    first = re.sub(r"^#+\s*|^(?:we.re hiring|now hiring|hiring)\s*[:!-]\s*", "", lines[0],
                   flags=re.I)
    return _short(re.split(r"\s+(?:at|\u2013|-|\|)\s+", first)[0], 80) or "Team member"


def _company(lines: list[str], text: str) -> str:
    for line in lines[:12]:
        found = re.match(r"(?:company|employer|organi[sz]ation)\s*:\s*(.+)", line, re.I)
        if found:
            return _short(found.group(1), 60)
    found = _COMPANY_AT.search(text)
    return _short(found.group(1), 60) if found else "the employer"


def draft_reply(posting: str, choices: str) -> dict[str, Any]:
    """The persona draft (as JSON data) this responder gives for ``posting``."""
    lines = [line.strip() for line in posting.split("\n") if line.strip()]
    title, company = _title(lines), _company(lines, posting)
    sections, prose = _sections(lines)
    musts = sections["must"] or sections["other"][:3] or [f"Experience relevant to {title}"]
    nice = sections["nice"][:3]
    duties = sections["duties"] or sections["other"][3:6] or musts
    salary = next((m.group(0).strip() for line in lines if (m := _SALARY.search(line))), None)
    stage = (m.group(1) if (m := _STAGE.search(choices)) else "phone_screen")
    style_name = (m.group(1) if (m := _STYLE.search(choices)) else "neutral")
    style = STYLE_PRESETS.get(style_name, STYLE_PRESETS["neutral"]).model_dump()
    named = _NAME.search(choices)
    interviewer = named.group(1) if named else (
        f"{_pick(posting, _FIRST)} {_pick(posting[::-1], _LAST)}")
    decider = _pick(title, _DECIDERS)
    email = f"{interviewer.split()[0].lower()}.hiring@{_slug(company)}.example"
    hidden: dict[str, Any] = {
        "next_steps": {"fact": "After this conversation comes a second-round meeting with "
                       "the team, usually on site.", "markers": ["second-round meeting"]},
        "timeline": {"fact": "We aim to let everyone know within eight working days.",
                     "markers": ["eight working days"]},
        "decision_maker": {"fact": f"{decider}, who leads the department, makes the final "
                           "decision.", "markers": [decider]},
        "contact": {"fact": f"You can e-mail me at {email} with any follow-up questions.",
                    "markers": [email]},
        "other": [],
    }
    if salary:
        hidden["other"].append({"topic": "salary_range", "fact": f"The posted pay is {salary}.",
                                "markers": [salary]})
    markers = [m.lower() for key in ("next_steps", "timeline", "decision_maker", "contact")
               for m in hidden[key]["markers"]] + ([salary.lower()] if salary else [])

    def clean(items: list[str]) -> list[str]:
        # A shareable line that says a marker would give a hidden fact away: leave it out.
        return [i for i in items if not any(m in i.lower() for m in markers)]

    musts, nice, duties = clean(musts) or [f"Experience relevant to {title}"], clean(nice), \
        clean(duties) or [f"Doing the {title} work well"]
    facts = clean([s for s in sections["benefits"] + sections["other"] + prose["duties"]
                   + prose["other"] + prose["benefits"]
                   if re.search(r"\b(?:team|shift|hours|based|office|site|location|remote|"
                                r"hybrid|benefit|leave|pension|ward|warehouse|school|"
                                r"territory|stack|tools?)\b", s, re.I)])[:4]
    about = clean(prose["about"])
    what = _short(about[0], 200) if about else f"{company} is hiring a {title}."
    persona = {
        "interviewer": {"name": interviewer, "title": "Hiring Manager",
                        "background": f"Has hired for the {title} role before."},
        "company": {"name": company, "what_it_does": what},
        "role": {"title": title, "must_haves": musts[:5], "nice_to_haves": nice,
                 "team_problems": duties[:3]},
        "stage": stage,
        "style": style,
        "questions": {
            "behavioural": [f"Tell me about a time your experience with {m[0].lower()}{m[1:]} "
                            "made a difference." for m in musts[:2]],
            "technical": [f"How would you approach this part of the job: "
                          f"{d[0].lower()}{d[1:]}?" for d in duties[:1]],
            "motivational": [f"What draws you to this {title} role at {company}?"],
        },
        "behaviour": {"interrupts_rambling": False, "probes_for_results": True,
                      "invites_questions": True,
                      "notes": ["Ties each question back to the posting's requirements."]},
        "facts": facts,
        "hidden_facts": hidden,
        "opening": None,
        "drafted": ["hidden_facts.next_steps", "hidden_facts.timeline",
                    "hidden_facts.decision_maker", "hidden_facts.contact",
                    *([] if named else ["interviewer"])],
    }
    PersonaDraft.model_validate(persona)  # the scripted drafter never sends an invalid draft
    return persona


def draft_responder() -> Responder:
    """A responder for drafting requests (``<posting-...>`` block): a rule-based persona.

    Raises ``ValueError`` (an HTTP 500 from the local server) for any other request.
    """

    def respond(body: dict[str, Any]) -> ServerReply:
        found = _block(body)
        if found is None:
            raise ValueError("not a drafting request: no <posting-...> block")
        user, posting = found
        return json.dumps(draft_reply(posting, user.split("<posting-", 1)[0]),
                          ensure_ascii=False)

    return respond


def is_draft_request(body: dict[str, Any]) -> bool:
    """Whether ``body`` is a persona-drafting request."""
    return _block(body) is not None
