"""A persona built in code, interviewed by a model, answered by a fixed script.

Handy for trying out a persona before writing its YAML file, and for checking that the
interviewer keeps its hidden facts to itself: the script below never asks about next steps,
so `find_leaks` should report nothing. Set OPENAI_BASE_URL / OPENAI_API_KEY / ROLEPLAY_MODEL
as for ``quickstart.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from roleplay.candidates import ScriptedCandidate
from roleplay.errors import RoleplayError
from roleplay.leaks import find_leaks
from roleplay.llm.openai import OpenAIChatModel
from roleplay.persona import (
    Behaviour,
    Company,
    HiddenFact,
    HiddenFacts,
    Interviewer,
    Persona,
    QuestionBank,
    Role,
    Scenario,
    Style,
)
from roleplay.session import Interview

PERSONA = Persona(
    id="bakery-ops-lead",
    interviewer=Interviewer(
        name="Marta Kowalczyk",
        title="Operations Lead",
        background="Ran the night shift for six years before moving into operations.",
    ),
    company=Company(
        name="Crumb & Co",
        what_it_does="A wholesale bakery supplying bread and pastries to 140 cafés in the region.",
    ),
    role=Role(
        title="Shift Supervisor",
        must_haves=["Has led a team of five or more", "Comfortable with food-safety records"],
        nice_to_haves=["Forklift licence"],
        team_problems=["Deliveries leave late twice a week", "New starters quit within a month"],
    ),
    stage="hiring_manager",
    style=Style(warmth=4, verbosity=2, scepticism=3, pace="brisk"),
    questions=QuestionBank(
        behavioural=[
            "Tell me about a shift that went wrong and what you did about it.",
            "Tell me about a time you helped a new starter settle in.",
        ],
        motivational=["Why do you want to work nights?"],
    ),
    behaviour=Behaviour(probes_for_results=True, invites_questions=False),
    facts=[
        "The night shift runs 10pm to 6am, four nights on, four off.",
        "Twelve bakers work each shift.",
    ],
    hidden_facts=HiddenFacts(
        next_steps=HiddenFact(
            fact="The next step is a paid trial shift on a Thursday night.",
            markers=["trial shift"],
        ),
        timeline=HiddenFact(
            fact="Marta will decide within a week of the trial shift.",
            markers=["within a week"],
        ),
        decision_maker=HiddenFact(
            fact="Marta decides, with sign-off from the owner, Dev Patel.",
            markers=["Dev Patel"],
        ),
        contact=HiddenFact(
            fact="Candidates can email jobs@crumbandco.example.",
            markers=["jobs@crumbandco.example"],
        ),
    ),
)

ANSWERS = [
    "Thanks for having me. I've supervised the early shift at a supermarket bakery for three "
    "years.",
    "One night the main oven failed at 2am. I moved the sourdough to the deck ovens, called the "
    "engineer, and re-ordered the run so the café orders went first. We shipped 95% on time.",
    "I paired each new starter with a buddy for their first two weeks; in a year none of the "
    "six new starters left, against four the year before.",
    "I like the quiet and the responsibility, and nights suit my family.",
    "Thank you, I'd really like this job. It was good to hear about the late deliveries; that "
    "is exactly the kind of thing I fixed with the oven schedule.",
]


def main() -> None:
    with OpenAIChatModel() as model:
        transcript = Interview(
            PERSONA, ScriptedCandidate(ANSWERS), model, scenario=Scenario(max_turns=12)
        ).run()
    for turn in transcript.turns:
        print(f"[{turn.index}] {turn.speaker}: {turn.text}\n")
    print(f"Ended: {transcript.end_reason} after {len(transcript.turns)} turns")
    leaks = find_leaks(transcript, PERSONA)
    if leaks:
        for leak in leaks:
            print(f"Leak: turn {leak.turn} revealed {leak.topic} ({leak.marker!r}): {leak.excerpt}")
    else:
        print("No hidden facts leaked.")


if __name__ == "__main__":
    try:
        main()
    except RoleplayError as exc:
        # No key, an unreachable server, a bad persona: one paragraph, not a traceback.
        sys.exit(f"{Path(__file__).name}: {exc}")
