"""`draft_persona` and `adraft_persona`: one structured call from a posting to a `Persona`."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import get_args

from roleplay.drafting._posting import clean_posting
from roleplay.drafting._prompt import build_draft_request
from roleplay.drafting._schema import STYLE_PRESETS, PersonaDraft, Steering, steering
from roleplay.errors import ConfigError
from roleplay.llm.base import AsyncChatModel, ChatModel, ChatRequest, ModelSettings
from roleplay.llm.structured import acomplete_structured, complete_structured
from roleplay.persona import Persona, Stage

__all__ = ["adraft_persona", "draft_persona", "unstated_fields"]

_NAME = re.compile(r"[^\W\d_][\w .'\-]{0,79}")


def _says(text: str, phrase: str) -> bool:
    body = r"\s+".join(re.escape(part) for part in phrase.split())
    return re.search(rf"(?<!\w){body}(?!\w)", text, re.IGNORECASE) is not None


def unstated_fields(persona: Persona, posting: str, *, named: bool = False) -> list[str]:
    """The fields of ``persona`` whose values ``posting`` does not state.

    A hidden fact is stated when one of its markers is in the posting; the interviewer when
    their name is (or ``named``: the caller chose it); the company when its name is. Code
    decides this, so a fact the model invented is marked even if the model forgot to say so.
    """
    out: list[str] = []
    if not named and not _says(posting, persona.interviewer.name):
        out.append("interviewer")
    if not _says(posting, persona.company.name):
        out.append("company")
    core = ("next_steps", "timeline", "decision_maker", "contact")
    for topic, hidden in persona.hidden_facts.items():
        if not any(_says(posting, m) for m in hidden.markers):
            out.append(f"hidden_facts.{topic}" if topic in core else f"hidden_facts.other.{topic}")
    return out


def _prepare(posting_text: str, stage: Stage | None, style: str | None,
             interviewer_name: str | None, settings: ModelSettings | None,
             source: str) -> tuple[Steering, ChatRequest]:
    if stage is not None and stage not in get_args(Stage):
        raise ConfigError(f"unknown stage {stage!r}; choose one of {', '.join(get_args(Stage))}")
    if style is not None and style not in STYLE_PRESETS:
        raise ConfigError(f"unknown style {style!r}; choose one of {', '.join(STYLE_PRESETS)}")
    if interviewer_name is not None:
        interviewer_name = " ".join(interviewer_name.split())
        if not _NAME.fullmatch(interviewer_name):
            raise ConfigError(f"the interviewer's name {interviewer_name!r} must be a name: "
                              "letters, spaces, hyphens and apostrophes, at most 80 characters")
    posting = clean_posting(posting_text, source=source)
    steer = Steering(posting=posting, stage=stage, style=style,
                     interviewer_name=interviewer_name)
    request = build_draft_request(posting, nonce=secrets.token_hex(8), stage=stage, style=style,
                                  interviewer_name=interviewer_name, settings=settings)
    return steer, request


@contextmanager
def _steered(steer: Steering) -> Iterator[None]:
    token = steering.set(steer)
    try:
        yield
    finally:
        steering.reset(token)


def _finish(draft: PersonaDraft, steer: Steering) -> Persona:
    persona = draft.to_persona()
    marked = list(dict.fromkeys(
        [*draft.drafted,
         *unstated_fields(persona, steer.posting, named=steer.interviewer_name is not None)]))
    if steer.interviewer_name is not None and "interviewer" in marked:
        marked.remove("interviewer")  # the caller's choice, not a practice fact
    return draft.to_persona(drafted=marked)


def draft_persona(
    posting_text: str,
    model: ChatModel,
    *,
    stage: Stage | None = None,
    style: str | None = None,
    interviewer_name: str | None = None,
    settings: ModelSettings | None = None,
    source: str = "the posting",
) -> Persona:
    """Draft an interviewer persona from a job posting with one structured call.

    The posting (text, Markdown or HTML) is cleaned, checked to be a posting, and sent as
    delimited data; the reply is validated as the persona schema (``json_schema`` ->
    ``json_object`` -> text fallbacks, one re-ask on a validation error) and checked like a
    hand-written persona (distinctive hidden-fact markers). Fields the posting does not state
    are listed in ``drafted`` as practice facts for a recruiter to replace.

    Args:
        posting_text: The job posting.
        model: The model that drafts.
        stage: Force the interview stage.
        style: Force a style: ``warm``, ``neutral``, ``sceptical`` or ``brisk``.
        interviewer_name: Force the interviewer's name.
        settings: Generation settings for the call.
        source: What to call the posting in error messages (e.g. its file name).

    Returns:
        The persona, with an empty ``id`` (the file it is saved as names it).

    Raises:
        ConfigError: the posting is empty or not a posting, or a choice is unknown.
        StructuredOutputError: the model's reply was still invalid after the re-ask.
    """
    steer, request = _prepare(posting_text, stage, style, interviewer_name, settings, source)
    with _steered(steer):
        result = complete_structured(model, request, PersonaDraft)
    return _finish(result.output, steer)


async def adraft_persona(
    posting_text: str,
    model: AsyncChatModel,
    *,
    stage: Stage | None = None,
    style: str | None = None,
    interviewer_name: str | None = None,
    settings: ModelSettings | None = None,
    source: str = "the posting",
) -> Persona:
    """Async twin of `draft_persona`."""
    steer, request = _prepare(posting_text, stage, style, interviewer_name, settings, source)
    with _steered(steer):
        result = await acomplete_structured(model, request, PersonaDraft)
    return _finish(result.output, steer)
