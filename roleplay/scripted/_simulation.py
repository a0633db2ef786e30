"""One responder for every role, routing each request to the scripted responder it is for."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final

from roleplay.persona import CandidateProfile, Persona
from roleplay.prompts import OPENING_CUE
from roleplay.scripted._candidate import candidate_responder
from roleplay.scripted._draft import draft_responder, is_draft_request
from roleplay.scripted._interviewer import interviewer_responder
from roleplay.scripted._judge import judge_responder
from roleplay.scripted._wire import (
    _TRANSCRIPT_BLOCK,
    Responder,
    ServerReply,
    _messages,
    _requested_schema,
    _system,
)

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
    persona-drafting requests (a ``<posting-...>`` block) to `draft_responder`;
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
    drafter = draft_responder()

    def respond(body: dict[str, Any]) -> ServerReply:
        messages = _messages(body)
        system = _system(messages)
        if any(_TRANSCRIPT_BLOCK.search(text) for _, text in messages):
            if the_judge is None:
                raise ValueError("a judge request, but this responder has no judge")
            return the_judge(body)
        if is_draft_request(body):
            return drafter(body)
        schema = _requested_schema(body, system)
        # The opening cue ends the first user message (after the CV block, when there is one).
        is_interviewer = (schema is not None and "utterance" in (schema.get("properties") or {})
                          ) or any(text.endswith(OPENING_CUE)
                                   for role, text in messages if role == "user")
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
