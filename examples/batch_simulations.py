"""Several simulated interviews at once, with `Interview.arun` and a concurrency limit.

Each pair of interviewer persona and candidate profile runs as its own task; a semaphore keeps
at most ``CONCURRENCY`` interviews talking to the endpoint at a time, so rate limits are not hit
all at once. Set OPENAI_BASE_URL / OPENAI_API_KEY / ROLEPLAY_MODEL as for ``quickstart.py``.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from roleplay.candidates import LLMCandidate
from roleplay.errors import RoleplayError
from roleplay.llm.openai import AsyncOpenAIChatModel
from roleplay.persona import Scenario, load_candidate, load_persona
from roleplay.session import Interview
from roleplay.transcript import Transcript

PAIRS = [
    ("warm-hr-screener", "strong-closer"),
    ("warm-hr-screener", "salary-first"),
    ("sceptical-eng-manager", "nervous-rambler"),
    ("terse-vp-final", "polished-never-closes"),
]
CONCURRENCY = 2


async def simulate(
    model: AsyncOpenAIChatModel, persona_id: str, candidate_id: str, limit: asyncio.Semaphore
) -> Transcript:
    persona = load_persona(persona_id)
    profile = load_candidate(candidate_id)
    async with limit:
        return await Interview(
            persona, LLMCandidate(profile, model), model, scenario=Scenario(max_turns=12)
        ).arun()


async def run_all() -> list[Transcript]:
    limit = asyncio.Semaphore(CONCURRENCY)
    async with AsyncOpenAIChatModel() as model:
        return await asyncio.gather(
            *(simulate(model, persona, candidate, limit) for persona, candidate in PAIRS)
        )


def main() -> None:
    transcripts = asyncio.run(run_all())
    out = Path("transcripts")
    for transcript in transcripts:
        path = transcript.save(out / f"{transcript.persona_id}-{transcript.candidate_id}.json")
        print(
            f"{transcript.persona_id!s:>24} x {transcript.candidate_id!s:<22} "
            f"{len(transcript.turns):>3} turns  {transcript.end_reason:<18} "
            f"{transcript.usage.total_tokens:>7} tokens  -> {path}"
        )


if __name__ == "__main__":
    try:
        main()
    except RoleplayError as exc:
        # No key, an unreachable server, a bad persona: one paragraph, not a traceback.
        sys.exit(f"{Path(__file__).name}: {exc}")
