"""Who is a speaker, and who is the candidate: the documented rules, in one place.

Speakers:

1. Structural labels are always speakers: WebVTT voice tags (``<v Dana>``) and header lines
   (``Dana Kessler  0:03``).
2. Names given by the caller (``interviewer=``, ``candidate=``, ``labels=``) are speakers;
   when both roles are given, they are the only ones.
3. When the text uses role labels (``Interviewer:`` with ``Candidate:``, ``Interviewee:`` or
   ``Applicant:``; ``Recruiter:``, ``Hiring manager:``, ``Panelist 2:`` count as interviewers),
   only role labels are speakers.
4. Otherwise a ``Name:`` prefix is a speaker when it looks like a name (capitalised, at most
   five words, not a content word such as ``Result:`` or a chat role such as ``System:``) and
   opens at least two lines or is a full name (``Raj Patel:``, every word capitalised); in a
   short transcript where fewer than two names qualify, every name-like label counts. So a
   panellist who speaks once under a first name only is read as text: name them with
   ``interviewer=``.

Any other ``Label:`` prefix is text of the current turn.

The candidate:

1. the ``candidate=`` name; else the one speaker not named in ``interviewer=``;
2. else the speaker with a candidate role label (``Candidate:``, ``Interviewee:``), or the one
   speaker without an interviewer role label;
3. else the speaker who answers the most questions in the first half of the turns, where the
   interview questions are (the candidate's own questions come at the end): who speaks right
   after another speaker's turn with a question mark or a prompt ("Tell me about ...", "Walk
   me through ..."). Who speaks first decides nothing: a candidate who opens with "Hi! Can you
   hear me okay?" asks one question and answers the interviewer's many. Ties go to the one
   who answers more over the whole interview, then to a speaker other than the first, then to
   the one who says more.

The evidence is *weak* when the candidate answers fewer than two questions more than the next
speaker, or fewer than twice as many, and does not also say half as much again; then
`RoleMap.doubt` says so, with the numbers and the flags that settle it (``--candidate NAME`` /
``--interviewer NAME``), and the import preview and the reports show it.

Every other speaker is an interviewer (a panel keeps each interviewer's name).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from roleplay.importing._utterances import Utterance, label_key
from roleplay.transcript import Speaker

__all__ = ["RoleMap", "SpeakerTurn", "assign_roles", "choose_speakers", "role_of"]

_CANDIDATE_ROLES = frozenset({"candidate", "interviewee", "applicant", "job seeker"})
_INTERVIEWER_ROLES = frozenset({"interviewer", "recruiter", "hiring manager", "panelist",
                                "panellist", "interviewer panel", "hr", "manager"})
# Labels that open a content line inside an answer ("Result: we cut costs 20%"), chat roles a
# pasted prompt may carry ("System: ..."), and header fields ("Date: ...") are never speakers.
_NOT_SPEAKERS = frozenset(
    "situation task action actions result results outcome lesson lessons note notes example "
    "context impact challenge approach goal problem solution update ps summary background "
    "step answer question questions system assistant user developer tool function ai bot model "
    "prompt instruction instructions human chatgpt gpt re subject fwd fw warning error todo "
    "tip edit quote source ref link url email phone date time location address title role "
    "company position agenda attendees participants transcript recording meeting duration "
    "first second third finally also honestly basically so well ok okay yes no key next steps "
    "fun fact takeaway".split()
)


def role_of(label: str) -> Speaker | None:
    """The role a role label names (``"Interviewer 2"`` -> interviewer), else ``None``."""
    key = label_key(label)
    words = key.split()
    if len(words) > 1 and words[-1].isdigit():
        key = " ".join(words[:-1])
    if key in _CANDIDATE_ROLES:
        return "candidate"
    if key in _INTERVIEWER_ROLES:
        return "interviewer"
    return None


def _name_like(label: str) -> bool:
    words = label.split()
    if not 0 < len(words) <= 5 or label_key(label) in _NOT_SPEAKERS:
        return False
    first = words[0][0]
    return first.isupper() or not first.islower()


def _full_name(label: str) -> bool:
    # "Raj Patel:" said once is a panellist's only turn; "Honestly:" said once is a word.
    words = label.split()
    return len(words) >= 2 and all(w[0].isupper() or not w[0].islower() for w in words) and \
        not any(label_key(w) in _NOT_SPEAKERS for w in words)


def choose_speakers(utterances: Sequence[Utterance], given: Mapping[str, Speaker], *,
                    only_given: bool) -> set[str]:
    """The label keys that open a turn (see the module docstring for the rules)."""
    strong = {label_key(u.label) for u in utterances if u.label and u.strong}
    forced = {label_key(k) for k in given} | strong
    if only_given:
        return forced
    weak = Counter(label_key(u.label) for u in utterances if u.label and not u.strong)
    shown = {label_key(u.label): u.label for u in utterances if u.label}
    roles = {k for k in weak if role_of(k)}
    found = {role_of(k) for k in roles}
    if "candidate" in found and "interviewer" in found:
        return roles | forced
    names = {k: n for k, n in weak.items() if _name_like(shown[k])}
    chosen = {k for k, n in names.items() if n >= 2 or _full_name(shown[k])}
    if len(chosen | forced) < 2:
        chosen = set(names)
    return chosen | forced | roles


@dataclass
class SpeakerTurn:
    """A turn before its role is known."""

    key: str
    name: str
    parts: list[str]
    line: int
    offset: float | None
    end: float | None = None
    """Where the turn's last cue ends, when the format gives cue end times."""

    @property
    def text(self) -> str:
        """Everything said in the turn so far."""
        return "\n".join(self.parts)


@dataclass(frozen=True)
class RoleMap:
    """The outcome: each speaker's role and the rule that decided the candidate."""

    roles: dict[str, Speaker]
    rule: str
    doubt: str = ""
    """Why the roles may be wrong and how to settle them; empty when the evidence is clear."""


def assign_roles(turns: Sequence[SpeakerTurn], *, interviewers: Sequence[str],
                 candidate: str | None, labels: Mapping[str, Speaker]) -> RoleMap:
    """Decide every speaker's role (see the module docstring for the rules).

    Raises:
        ValueError: a given name is not a speaker, or the candidate cannot be decided; the
            message says which flag fixes it.
    """
    order: dict[str, str] = {}
    for t in turns:
        order.setdefault(t.key, t.name)
    shown = ", ".join(repr(n) for n in order.values())

    def known(name: str) -> str:
        key = label_key(name)
        if key not in order:
            raise ValueError(f"no speaker {name!r} in the transcript (speakers: {shown})")
        return key

    if labels:
        roles = {k: labels[k] for k in order if k in labels}
        roles.update({k: "interviewer" for k in order if k not in roles})
        if "candidate" in roles.values():
            return RoleMap(roles, "given labels")
    wanted = [known(n) for n in interviewers]
    if candidate is not None:
        key = known(candidate)
        if key in wanted:
            raise ValueError(f"{candidate!r} is named both as interviewer and as candidate")
        return RoleMap({k: "candidate" if k == key else "interviewer" for k in order},
                        f"given: candidate {order[key]!r}")
    if wanted:
        rest = [k for k in order if k not in wanted]
        if len(rest) != 1:
            left = ", ".join(repr(order[k]) for k in rest) or "none"
            raise ValueError(f"cannot tell the candidate among the speakers not named as "
                             f"interviewers ({left}); pass --candidate NAME")
        return RoleMap({k: "candidate" if k == rest[0] else "interviewer" for k in order},
                        f"the one speaker not named as an interviewer: {order[rest[0]]!r}")
    by_role = {k: role_of(k) for k in order}
    labelled = [k for k, r in by_role.items() if r == "candidate"]
    unlabelled = [k for k, r in by_role.items() if r is None]
    if len(labelled) == 1 or (not labelled and len(unlabelled) == 1
                              and len(unlabelled) < len(order)):
        key = labelled[0] if labelled else unlabelled[0]
        return RoleMap({k: "candidate" if k == key else "interviewer" for k in order},
                        f"role labels ({order[key]!r} is the candidate)")
    if all(r == "interviewer" for r in by_role.values()):
        raise ValueError(f"no candidate: every speaker ({shown}) is labelled as an interviewer; "
                         "pass --candidate NAME")
    if len(order) < 2:
        raise ValueError(f"only one speaker ({shown}) found: an interview needs an interviewer "
                         "and a candidate")
    return _by_answers(turns, order)


# Interviewers often ask without a question mark: "Tell me about your background."
_PROMPT = re.compile(
    r"\b(?:tell|walk|talk|take)\s+(?:me|us)\s+(?:about|through)\b|\bgive\s+(?:me|us)\s+an?\s+"
    r"example\b|\b(?:describe|explain)\s+(?:a|an|the|your|how|what|why)\b|\bwhat\s+about\b",
    re.IGNORECASE)


def _asks(text: str) -> bool:
    return "?" in text or bool(_PROMPT.search(text))


def _answers(turns: Sequence[SpeakerTurn]) -> Counter[str]:
    """Per speaker, the turns that follow another speaker's question or prompt."""
    answers: Counter[str] = Counter()
    for before, turn in pairwise(turns):
        if before.key != turn.key and _asks(before.text):
            answers[turn.key] += 1
    return answers


def _by_answers(turns: Sequence[SpeakerTurn], order: Mapping[str, str]) -> RoleMap:
    # The interview questions come first and the candidate's own questions last, so the first
    # half of the turns shows who is interviewed (every labelled case in evals/ agrees).
    early = _answers(turns[: (len(turns) + 1) // 2])
    answers = _answers(turns)
    words: Counter[str] = Counter()
    for t in turns:
        words[t.key] += len(t.text.split())
    first = turns[0].key
    # Ties go to the speaker who answers more over the whole interview, then to one other than
    # the first (interviewers usually open), then to the one who says more; a tie is weak
    # evidence, and reported as such.
    ranked = sorted(order, key=lambda k: (early[k], answers[k], k != first, words[k]),
                    reverse=True)
    key, other = ranked[0], ranked[1]
    mine, theirs = early[key], early[other]
    roles: dict[str, Speaker] = {k: "candidate" if k == key else "interviewer" for k in order}
    name, other_name = order[key], order[other]
    rule = (f"{name!r} answers the most questions in the first half of the interview ({mine}; "
            f"{other_name!r} answers {theirs})")
    clear_questions = mine - theirs >= 2 and mine >= 2 * theirs
    says_more = mine > theirs and words[key] >= 1.5 * words[other]
    if clear_questions or says_more:
        return RoleMap(roles, rule)
    doubt = (f"weak evidence: in the first half {name!r} answers {mine} question(s) and "
             f"{other_name!r} {theirs}, and they say {words[key]} and {words[other]} words in "
             f"all; if {name!r} is not the candidate, pass --candidate NAME (or "
             "--interviewer NAME)")
    return RoleMap(roles, rule, doubt)
