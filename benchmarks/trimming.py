"""trimming: prompt tokens of a long interview with and without history trimming.

What is measured: the same 40-turn interview is run twice through `roleplay.session.Interview`
(interviewer persona on `OpenAIChatModel` against the local server, a scripted candidate
giving the same answers both times): once with a small history budget
(``Scenario.max_prompt_tokens`` = 3000, so older middle turns are dropped and summarised in a
code-made note) and once with a budget no request reaches (1,000,000). The total is the prompt
tokens the server reports for every interviewer call (it counts each request's messages with
tiktoken, as OpenAI bills them).

Why the baseline is fair: both runs send the same persona, the same answers and get the same
interviewer replies (the server picks a reply from the candidate's latest answer alone), so
they differ only in trimming. ``ratio`` = trimmed / untrimmed total prompt tokens. The largest
single request of each run is shown too (counted offline with `roleplay.tokens` from the
bodies the server received): trimming bounds it, untrimmed it grows with every turn.
"""

from __future__ import annotations

from benchmarks._common import (
    API_KEY,
    MODEL,
    PERSONA,
    Result,
    candidate_lines,
    interviewer_move,
    r4,
)
from roleplay.candidates import ScriptedCandidate
from roleplay.llm.openai import OpenAIChatModel
from roleplay.persona import Scenario, load_persona
from roleplay.session import Interview
from roleplay.testing import OpenAICompatServer
from roleplay.tokens import count_messages

NAME = "trimming"
SMALL = 3000
HUGE = 1_000_000


def _interview(turns: int, budget: int) -> tuple[int, int, int]:
    """(total prompt tokens reported, interviewer calls, largest request) of one interview."""
    persona = load_persona(PERSONA)
    with OpenAICompatServer(responder=interviewer_move) as server, \
            OpenAIChatModel(MODEL, base_url=server.base_url, api_key=API_KEY) as model:
        transcript = Interview(
            persona, ScriptedCandidate(candidate_lines(turns)), model,
            scenario=Scenario(max_turns=turns, max_prompt_tokens=budget),
        ).run()
        bodies = [r.body for r in server.chat_requests]
    if len(transcript.turns) != turns or transcript.end_reason != "turn_limit":
        raise RuntimeError(f"the interview ended after {len(transcript.turns)} turns "
                           f"({transcript.end_reason}), not at the {turns}-turn limit")
    largest = max(count_messages(b["messages"], MODEL) for b in bodies)
    return transcript.usage.prompt_tokens, transcript.usage.calls, largest


def run(quick: bool = False) -> Result:
    """Run the interview (12 turns and a 2200-token budget with ``quick``) both ways."""
    turns = 12 if quick else 40
    small = 2200 if quick else SMALL
    trimmed, calls, trimmed_max = _interview(turns, small)
    untrimmed, calls_untrimmed, untrimmed_max = _interview(turns, HUGE)
    if calls != calls_untrimmed:
        raise RuntimeError(f"the runs made {calls} and {calls_untrimmed} interviewer calls")
    ratio = trimmed / untrimmed
    data = {
        "turns": turns,
        "interviewer_calls": calls,
        "budget_small": small,
        "budget_huge": HUGE,
        "trimmed_prompt_tokens": trimmed,
        "untrimmed_prompt_tokens": untrimmed,
        "trimmed_largest_request": trimmed_max,
        "untrimmed_largest_request": untrimmed_max,
        "ratio": r4(ratio),
    }
    rows = [
        [f"untrimmed (max_prompt_tokens={HUGE:,})", f"{untrimmed:,}", f"{untrimmed_max:,}",
         "1.00x"],
        [f"trimmed (max_prompt_tokens={small:,})", f"{trimmed:,}", f"{trimmed_max:,}",
         f"{ratio:.2f}x"],
    ]
    notes = [f"{turns}-turn interview, {calls} interviewer calls each; prompt tokens as "
             "reported by the server."]
    return Result(NAME, "trimming: total prompt tokens of one interview",
                  ["run", "prompt tokens", "largest request", "vs untrimmed"], rows, data,
                  notes)
