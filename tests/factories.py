"""Test data built in code: a small interviewer persona and judge checklists shared by tests."""

from __future__ import annotations

from roleplay.persona import (
    Behaviour,
    Company,
    HiddenFact,
    HiddenFacts,
    Interviewer,
    Persona,
    QuestionBank,
    Role,
    Style,
)
from roleplay.rubric import Criterion


def hidden(fact: str, marker: str) -> HiddenFact:
    """A hidden fact with one leak marker."""
    return HiddenFact(fact=fact, markers=[marker])


def helpdesk_persona(**overrides: object) -> Persona:
    """A support-lead phone screen at a help-desk company; fields overridable by keyword."""
    data: dict[str, object] = dict(
        interviewer=Interviewer(name="Ana Ruiz", title="Head of Support"),
        company=Company(name="Helpdeskly", what_it_does="Help-desk software."),
        role=Role(title="Support Lead", must_haves=["Led a team"], team_problems=["Backlog"]),
        stage="phone_screen",
        style=Style(warmth=4, verbosity=3, scepticism=2, pace="brisk"),
        questions=QuestionBank(behavioural=["Tell me about a backlog you cleared."]),
        behaviour=Behaviour(invites_questions=True),
        hidden_facts=HiddenFacts(
            next_steps=hidden("A call with the COO.", "call with the COO"),
            timeline=hidden("Decision within two weeks.", "two weeks"),
            decision_maker=hidden("The COO decides.", "the COO decides"),
            contact=hidden("Email ana@helpdeskly.example.", "ana@helpdeskly.example"),
        ),
    )
    data.update(overrides)
    return Persona.model_validate(data)


def met_checklist(criterion: Criterion) -> dict[str, bool]:
    """A judge's checklist that says every part the criterion requires was done."""
    return {item.id: True if item.pass_requires is None else item.pass_requires
            for item in criterion.checklist}
