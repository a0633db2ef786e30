"""What a mutation run would spend, before it spends anything.

Every simulation is assumed to run to the turn limit (an upper estimate: interviews that close
earlier cost less). Each step's prompt is built by the same prompt code the run uses, over
stand-in turns of typical length, and counted with the shipped tokenizer; the judge's prompt is
the evaluator's own request over a stand-in transcript of that length, counted as ``roleplay
eval --estimate`` counts it. Costs come from the same price table as every other estimate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from roleplay.evals.runner import DEFAULT_COMPLETION_TOKENS
from roleplay.evaluate import Evaluator
from roleplay.llm.base import Usage
from roleplay.persona import CandidateProfile, Persona, Scenario
from roleplay.prompts import InterviewBrief, build_candidate_request, build_interviewer_request
from roleplay.rubric import Rubric
from roleplay.tokens import PriceTable, TiktokenCounter, estimate_cost
from roleplay.transcript import Transcript, Turn

__all__ = ["MutationEstimate", "estimate_mutation"]

# Stand-in turn lengths: a question of a few sentences; a STAR answer of a short paragraph.
_QUESTION_WORDS = 45
_ANSWER_WORDS = 120
# The interviewer replies with a JSON move around its words.
_MOVE_OVERHEAD_TOKENS = 25


@dataclass(frozen=True)
class MutationEstimate:
    """The calls, tokens and cost of a mutation run (an upper estimate)."""

    simulations: int
    """Interviews to simulate (pairs x k)."""
    simulation_calls: int
    """Interviewer and candidate calls, every interview run to the turn limit."""
    judge_calls: int
    """Judge calls (one per transcript; none with signals only)."""
    simulation_usage: Usage
    """Expected tokens of the interviewer and candidate calls."""
    judge_usage: Usage
    """Expected tokens of the judge calls."""
    cost_usd: float | None
    """Expected cost; ``None`` when a model's price is unknown."""

    @property
    def calls(self) -> int:
        """Every model call."""
        return self.simulation_calls + self.judge_calls

    @property
    def tokens(self) -> int:
        """Every token, prompt and completion."""
        return self.simulation_usage.total_tokens + self.judge_usage.total_tokens

    def render(self) -> str:
        """The estimate as a few lines of text."""
        cost = "unknown (no price for the model)" if self.cost_usd is None \
            else f"${self.cost_usd:.4f}"
        return (f"Estimate: {self.simulations} simulated interview(s), each run to the turn "
                "limit (an upper estimate)\n"
                f"interviewer and candidate calls: {self.simulation_calls} "
                f"({self.simulation_usage.total_tokens} tokens)\n"
                f"judge calls: {self.judge_calls} ({self.judge_usage.total_tokens} tokens)\n"
                f"total: {self.calls} calls, {self.tokens} tokens, expected cost {cost}\n")


def _words(n: int, seed: str) -> str:
    return " ".join(f"{seed}{i % 10}" for i in range(n))


def _turn(index: int, speaker: str) -> Turn:
    question = speaker == "interviewer"
    text = _words(_QUESTION_WORDS if question else _ANSWER_WORDS, "word")
    return Turn(index=index, speaker="interviewer" if question else "candidate", text=text)


def _one_interview(persona: Persona, profile: CandidateProfile, scenario: Scenario,
                   counter: TiktokenCounter) -> tuple[int, Usage]:
    brief = InterviewBrief.from_persona(persona)
    turns: list[Turn] = []
    usage = Usage()
    for index in range(1, scenario.max_turns + 1):
        speaker = "interviewer" if index % 2 else "candidate"
        if speaker == "interviewer":
            request = build_interviewer_request(persona, scenario, turns, counter=counter)
        else:
            request = build_candidate_request(profile, brief, turns, counter=counter)
        turn = _turn(index, speaker)
        completion = counter.count_text(turn.text) + (
            _MOVE_OVERHEAD_TOKENS if speaker == "interviewer" else 0)
        usage = usage + Usage(prompt_tokens=counter.count_messages(request.messages),
                              completion_tokens=completion, calls=1)
        turns.append(turn)
    return scenario.max_turns, usage


def estimate_mutation(
    personas: Sequence[Persona],
    profiles: Sequence[CandidateProfile],
    k: int,
    *,
    scenario: Scenario,
    rubric: Rubric,
    model: str,
    judge_model: str | None,
    signals_only: bool,
    simulate: bool = True,
    transcripts: int = 0,
    prices: PriceTable | None = None,
) -> MutationEstimate:
    """The calls, tokens and cost of simulating every pair ``k`` times and judging each.

    With ``simulate=False`` (saved transcripts) only the ``transcripts`` judge calls count.
    """
    counter = TiktokenCounter(model)
    sim_calls, sim_usage = 0, Usage()
    runs = len(personas) * len(profiles) * k if simulate else 0
    if simulate:
        for persona in personas:
            for profile in profiles:
                calls, usage = _one_interview(persona, profile, scenario, counter)
                sim_calls += calls * k
                sim_usage = sim_usage + Usage(prompt_tokens=usage.prompt_tokens * k,
                                              completion_tokens=usage.completion_tokens * k,
                                              calls=usage.calls * k)
    judged = 0 if signals_only else (runs if simulate else transcripts)
    judge_usage = Usage()
    judge_name = judge_model or model
    if judged:
        stand_in = Transcript(turns=tuple(_turn(i, "interviewer" if i % 2 else "candidate")
                                          for i in range(1, scenario.max_turns + 1)))
        evaluator = Evaluator(rubric, None)
        prompt = evaluator.prompt_tokens(evaluator.judge_request(stand_in))
        judge_usage = Usage(prompt_tokens=prompt * judged,
                            completion_tokens=DEFAULT_COMPLETION_TOKENS * judged, calls=judged)
    costs = [estimate_cost(sim_usage, model, prices) if sim_calls else 0.0,
             estimate_cost(judge_usage, judge_name, prices) if judged else 0.0]
    total = None if any(c is None for c in costs) else sum(c or 0.0 for c in costs)
    return MutationEstimate(simulations=runs, simulation_calls=sim_calls, judge_calls=judged,
                            simulation_usage=sim_usage, judge_usage=judge_usage, cost_usd=total)
