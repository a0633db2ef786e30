"""The reply a drafting call asks for: the persona schema in a form every endpoint accepts.

`PersonaDraft` is `Persona` with two changes for the wire: no ``id`` (the file name gives it),
and ``hidden_facts.other`` as a list of ``{topic, fact, markers}`` rather than a mapping (strict
structured output accepts no free-form keys). It reuses the persona's own parts (`Interviewer`,
`Role`, `HiddenFact` ...), so a field added there is asked for here too. Validating a reply also
runs `persona_problems`, so a reply whose markers would blind the leak check is re-asked with
the reason, like any schema error.

While a drafting call runs, `steering` holds the caller's choices (stage, style, interviewer
name) and the posting; validation applies the choices over whatever the model wrote and checks
that any e-mail address the posting does not state uses the reserved ``.example`` domain.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, Field, model_validator

from roleplay.drafting._checks import persona_problems
from roleplay.persona import (
    Behaviour,
    Company,
    HiddenFact,
    Interviewer,
    Persona,
    QuestionBank,
    Role,
    Stage,
    Style,
)

__all__ = ["STYLE_PRESETS", "DraftHiddenFacts", "PersonaDraft", "Steering", "TopicFact",
           "steering"]

STYLE_PRESETS: Final[dict[str, Style]] = {
    "warm": Style(warmth=5, verbosity=3, scepticism=2, pace="steady"),
    "neutral": Style(warmth=3, verbosity=3, scepticism=3, pace="steady"),
    "sceptical": Style(warmth=2, verbosity=2, scepticism=5, pace="steady"),
    "brisk": Style(warmth=2, verbosity=1, scepticism=3, pace="brisk"),
}
"""The ``--style`` choices and the style each sets."""

_CORE: Final = ("next_steps", "timeline", "decision_maker", "contact")
_EMAIL: Final = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


class _Wire(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class TopicFact(_Wire):
    """A further hidden fact, under its topic."""

    topic: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    """The topic in snake_case, e.g. ``salary_range`` or ``start_date``."""
    fact: str = Field(min_length=1)
    """The fact, as the interviewer would say it."""
    markers: list[Annotated[str, Field(min_length=2, pattern=r"\S")]] = Field(
        min_length=1, max_length=4)
    """Two to four distinctive phrases from the fact that appear nowhere else in the persona."""


class DraftHiddenFacts(_Wire):
    """What happens after the interview; told only when the candidate asks."""

    next_steps: HiddenFact
    """The next stage(s) of the process."""
    timeline: HiddenFact
    """When the candidate will hear, when a decision is made."""
    decision_maker: HiddenFact
    """Who decides."""
    contact: HiddenFact
    """Who the candidate may contact and how (phone or e-mail)."""
    other: list[TopicFact]
    """More hidden facts: the salary range if the posting states one, and the like."""


class PersonaDraft(_Wire):
    """An interviewer persona drafted from a job posting."""

    interviewer: Interviewer
    """Who is interviewing."""
    company: Company
    """The employer."""
    role: Role
    """The job, with must-haves and nice-to-haves read from the posting."""
    stage: Stage
    """Interview stage: phone_screen, hiring_manager, panel or final."""
    style: Style
    """Tone and pace."""
    questions: QuestionBank
    """The question bank, in the order this stage asks it."""
    behaviour: Behaviour
    """Conversation habits."""
    facts: list[str]
    """Facts the interviewer may share freely, from the posting."""
    hidden_facts: DraftHiddenFacts
    """Facts revealed only when asked."""
    opening: str | None
    """A fixed opening line, or null to let the interviewer greet in character."""
    drafted: list[str]
    """Dotted paths of every value the posting does not state and you invented as a plausible
    practice fact, e.g. ``hidden_facts.timeline`` or ``interviewer``."""

    @model_validator(mode="before")
    @classmethod
    def _apply_steering(cls, data: Any) -> Any:
        steer = steering.get()
        if steer is None or not isinstance(data, dict):
            return data
        data = dict(data)
        if steer.stage is not None:
            data["stage"] = steer.stage
        if steer.style is not None:
            data["style"] = STYLE_PRESETS[steer.style].model_dump()
        if steer.interviewer_name is not None and isinstance(data.get("interviewer"), dict):
            data["interviewer"] = {**data["interviewer"], "name": steer.interviewer_name}
        return data

    @model_validator(mode="after")
    def _check(self) -> PersonaDraft:
        topics = [item.topic for item in self.hidden_facts.other]
        repeated = sorted({t for t in topics if topics.count(t) > 1 or t in _CORE})
        if repeated:
            raise ValueError(f"hidden_facts.other: each topic once, and none of {_CORE}: "
                             f"{repeated}")
        problems = persona_problems(self.to_persona())
        steer = steering.get()
        if steer is not None:
            posting = steer.posting.lower()
            for topic, hidden in self.to_persona().hidden_facts.items():
                for address in _EMAIL.findall(hidden.fact):
                    if address.lower() not in posting and not address.lower().endswith(
                            ".example"):
                        problems.append(
                            f"hidden_facts.{topic}.fact: {address!r} is not in the posting; an "
                            "invented address must use the reserved .example domain")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def to_persona(self, *, drafted: list[str] | None = None) -> Persona:
        """The `Persona` this draft describes (``drafted`` replaces the draft's own list)."""
        data = self.model_dump()
        data["hidden_facts"]["other"] = {
            item["topic"]: {"fact": item["fact"], "markers": item["markers"]}
            for item in data["hidden_facts"]["other"]}
        if drafted is not None:
            data["drafted"] = drafted
        return Persona.model_validate(data)


@dataclass(frozen=True)
class Steering:
    """The caller's choices for one drafting call, and the posting it reads."""

    posting: str
    """The cleaned posting text."""
    stage: Stage | None = None
    """Force this stage."""
    style: str | None = None
    """Force this `STYLE_PRESETS` style."""
    interviewer_name: str | None = None
    """Force this interviewer name."""


steering: ContextVar[Steering | None] = ContextVar("roleplay_draft_steering", default=None)
"""The steering of the drafting call under way in this context (``None`` outside one)."""
