"""`simulate`: one interview between a persona and a candidate, in a line of a test."""

from __future__ import annotations

import os
from collections.abc import Sequence

from roleplay.candidates import AsyncCandidate, Candidate, LLMCandidate, ScriptedCandidate
from roleplay.llm.base import AsyncChatModel, ChatModel, ModelSettings
from roleplay.persona import CandidateProfile, Persona, Scenario, load_candidate, load_persona
from roleplay.session import Interview
from roleplay.transcript import Transcript

__all__ = ["asimulate", "simulate"]

PersonaRef = Persona | str | os.PathLike[str]
CandidateRef = (CandidateProfile | Candidate | AsyncCandidate | Sequence[str] | str
                | os.PathLike[str])


def _candidate(candidate: CandidateRef, model: ChatModel | AsyncChatModel,
               settings: ModelSettings) -> Candidate | AsyncCandidate:
    if isinstance(candidate, (Candidate, AsyncCandidate)):
        return candidate
    if isinstance(candidate, CandidateProfile):
        return LLMCandidate(candidate, model, settings=settings)
    if isinstance(candidate, (str, os.PathLike)):
        return LLMCandidate(load_candidate(candidate), model, settings=settings)
    return ScriptedCandidate(list(candidate))


def _interview(persona: PersonaRef, candidate: CandidateRef, model: ChatModel | AsyncChatModel,
               candidate_model: ChatModel | AsyncChatModel | None, scenario: Scenario | None,
               seed: int | None, settings: ModelSettings | None) -> Interview:
    chosen = (settings or ModelSettings()).merge(
        ModelSettings(seed=seed) if seed is not None else None)
    return Interview(
        persona if isinstance(persona, Persona) else load_persona(persona),
        _candidate(candidate, candidate_model or model, chosen),
        model, scenario=scenario, settings=chosen,
    )


def simulate(
    persona: PersonaRef,
    candidate: CandidateRef,
    *,
    model: ChatModel,
    candidate_model: ChatModel | None = None,
    scenario: Scenario | None = None,
    seed: int | None = None,
    settings: ModelSettings | None = None,
) -> Transcript:
    """Run one interview and return its transcript.

    Args:
        persona: A `Persona`, a shipped persona id or a YAML path.
        candidate: A candidate profile (object, id or YAML path: an LLM plays it), a list of
            lines (a `ScriptedCandidate` says them in order), or any `Candidate`.
        model: The interviewer's model (and the candidate's, unless ``candidate_model``).
        candidate_model: A different model for an LLM candidate.
        scenario: Turn limit and other scenario settings.
        seed: Sampling seed for both sides; vary it across pass^k trials.
        settings: Generation settings for both sides (``seed`` overrides theirs).

    Example:
        >>> transcript = simulate("personas/support-lead.yaml", "strong-closer", model=model)
    """
    return _interview(persona, candidate, model, candidate_model, scenario, seed,
                      settings).run()


async def asimulate(
    persona: PersonaRef,
    candidate: CandidateRef,
    *,
    model: AsyncChatModel,
    candidate_model: AsyncChatModel | None = None,
    scenario: Scenario | None = None,
    seed: int | None = None,
    settings: ModelSettings | None = None,
) -> Transcript:
    """Async twin of `simulate` (`Interview.arun`)."""
    return await _interview(persona, candidate, model, candidate_model, scenario, seed,
                            settings).arun()
