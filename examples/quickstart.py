"""Simulate one interview: an interviewer persona against a simulated candidate profile.

The model comes from the environment, so the same script runs against OpenAI or any
OpenAI-compatible server (Ollama, vLLM, llama.cpp)::

    OPENAI_API_KEY=sk-... python examples/quickstart.py

    OPENAI_BASE_URL=http://127.0.0.1:11434/v1 OPENAI_API_KEY=local \\
        ROLEPLAY_MODEL=llama3.1:8b python examples/quickstart.py

The transcript is saved to ./transcripts/ as JSON.
"""

from __future__ import annotations

import sys
from pathlib import Path

from roleplay.candidates import LLMCandidate
from roleplay.errors import RoleplayError
from roleplay.llm.openai import OpenAIChatModel
from roleplay.persona import Scenario, load_candidate, load_persona
from roleplay.session import Interview
from roleplay.transcript import Turn

PERSONA = "warm-hr-screener"
CANDIDATE = "strong-closer"


def show(turn: Turn) -> None:
    print(f"[{turn.index}] {turn.speaker} ({turn.phase}): {turn.text}\n")


def main() -> None:
    persona = load_persona(PERSONA)
    profile = load_candidate(CANDIDATE)
    # Model name, base URL and key fall back to ROLEPLAY_MODEL, OPENAI_BASE_URL, OPENAI_API_KEY.
    with OpenAIChatModel() as model:
        interview = Interview(
            persona,
            LLMCandidate(profile, model),
            model,
            scenario=Scenario(max_turns=16),
            on_turn=show,
        )
        transcript = interview.run()
    path = transcript.save(Path("transcripts") / f"{PERSONA}-{CANDIDATE}-{transcript.id}.json")
    cost = "unknown" if transcript.cost_usd is None else f"${transcript.cost_usd:.4f}"
    print(f"Ended: {transcript.end_reason} after {len(transcript.turns)} turns")
    usage = transcript.usage
    print(f"Usage: {usage.total_tokens} tokens in {usage.calls} calls, cost {cost}")
    print(f"Saved: {path}")


if __name__ == "__main__":
    try:
        main()
    except RoleplayError as exc:
        # No key, an unreachable server, a bad persona: one paragraph, not a traceback.
        sys.exit(f"{Path(__file__).name}: {exc}")
