"""judge_economy: model calls and tokens the judge spends per transcript, against a floor.

What is measured: every gold transcript is evaluated by `roleplay.evaluate.Evaluator` with the
real OpenAI adapter pointed at the local server, which answers as the judge (a valid verdict
built from the transcript's signals, so every quote verifies and no re-ask is needed). The
server counts the calls; prompt and completion tokens are the usage the server reports (it
counts the request's messages with tiktoken, as OpenAI bills them; the reply schema sent in
``response_format`` is billed by OpenAI too, and is shown separately).

The floor is the cheapest judge imaginable: one call whose prompt is the transcript as plain
``Interviewer:`` / ``Candidate:`` lines plus the rubric text the judge must read (titles,
descriptions, anchors, exemplars, N/A rules, checklists), with no rules, no computed facts, no
turn markers, no delimiters and no output format. It is counted with `roleplay.tokens` over the
same transcripts, so ``ratio`` (library prompt tokens / floor) is what the library's additions
cost. For context, the DeepEval-style per-criterion baseline is computed the same way: one
ConversationalGEval-like metric per criterion, two calls each, both with the transcript and
that criterion's text.

The completion tokens are those of the fake judge's reply (short reasons), not of a real
model, and are reported for completeness only. Degenerate transcripts (no substantive
candidate content) are scored by code without a call; calls per transcript count them, the
token ratios compare the judged transcripts only.
"""

from __future__ import annotations

import json

from benchmarks._common import (
    API_KEY,
    MODEL,
    Result,
    SignalsJudge,
    criterion_text,
    load_gold,
    plain_transcript,
    r4,
    rubric_text,
)
from roleplay.evaluate import Evaluator, reply_model
from roleplay.llm.base import ModelSettings
from roleplay.llm.openai import OpenAIChatModel
from roleplay.llm.structured import strict_schema
from roleplay.rubric import load_rubric
from roleplay.testing import OpenAICompatServer
from roleplay.tokens import count_messages, count_text

NAME = "judge_economy"


def _messages(system: str, user: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def run(quick: bool = False) -> Result:
    """Evaluate the gold set (the first 3 cases with ``quick``) and compare with the floors."""
    suite = load_gold(3 if quick else None)
    rubric = load_rubric(suite.rubric_ref())
    judge_config = suite.config.judge
    model_name = judge_config.model if judge_config else MODEL
    settings = judge_config.settings if judge_config else ModelSettings()
    n_criteria = len(rubric.criteria)
    rubric_plain = rubric_text(rubric)
    criteria_plain = [criterion_text(c) for c in rubric.criteria]
    schema_tokens = count_text(json.dumps(strict_schema(reply_model(rubric))), model_name)

    calls: list[int] = []
    prompt = completion = floor = per_criterion = per_criterion_min = 0
    judged = 0
    with OpenAICompatServer(responder=SignalsJudge(rubric)) as server, \
            OpenAIChatModel(model_name, base_url=server.base_url, api_key=API_KEY) as model:
        evaluator = Evaluator(rubric, model, settings=settings)
        for case in suite.cases:
            before = len(server.chat_requests)
            evaluation = evaluator.evaluate(case.transcript)
            made = len(server.chat_requests) - before
            if made != evaluation.judge_calls:
                raise RuntimeError(f"{case.id}: the server saw {made} calls, the evaluator "
                                   f"counted {evaluation.judge_calls}")
            errors = [r.id for r in evaluation.criteria if r.status == "judge_error"]
            if errors:
                raise RuntimeError(f"{case.id}: the fake judge's verdict was rejected for "
                                   f"{', '.join(errors)}")
            calls.append(made)
            if not made:
                continue
            judged += 1
            prompt += evaluation.usage.prompt_tokens
            completion += evaluation.usage.completion_tokens
            text = plain_transcript(case.transcript)
            floor += count_messages(_messages(rubric_plain, text), model_name)
            for criterion in criteria_plain:
                with_transcript = count_messages(_messages(criterion, text), model_name)
                per_criterion += 2 * with_transcript
                # DeepEval's step-generation call needs only the criterion.
                per_criterion_min += with_transcript + count_messages(
                    _messages(criterion, ""), model_name)

    n = len(calls)
    total_calls = sum(calls)
    per = max(judged, 1)
    ratio = prompt / floor if floor else 0.0
    data = {
        "transcripts": n,
        "judged_transcripts": judged,
        "calls": total_calls,
        "calls_per_transcript": r4(total_calls / n),
        "calls_per_judged_transcript": r4(total_calls / per),
        "max_calls_per_transcript": max(calls),
        "prompt_tokens_per_transcript": round(prompt / per),
        "completion_tokens_per_transcript": round(completion / per),
        "schema_tokens_per_call": schema_tokens,
        "floor_prompt_tokens_per_transcript": round(floor / per),
        "per_criterion_calls_per_transcript": 2 * n_criteria,
        "per_criterion_prompt_tokens_per_transcript": round(per_criterion / per),
        "per_criterion_ratio": r4(per_criterion / floor) if floor else 0.0,
        "ratio_with_schema": r4((prompt + schema_tokens * total_calls) / floor) if floor else 0.0,
        "ratio": r4(ratio),
    }
    def vs_floor(tokens: float) -> str:
        return f"{tokens / floor:.2f}x" if floor else "n/a"

    rows = [
        ["roleplay judge (measured)", f"{total_calls / per:.2f}", f"{prompt / per:,.0f}",
         f"{completion / per:,.0f}", vs_floor(prompt)],
        ["  + reply schema (billed as input)", "", f"{prompt / per + schema_tokens:,.0f}", "",
         vs_floor(prompt + schema_tokens * total_calls)],
        ["floor: 1 call, transcript + rubric", "1.00", f"{floor / per:,.0f}", "n/a",
         vs_floor(floor)],
        [f"per-criterion: {n_criteria} criteria x 2 calls", f"{2 * n_criteria}",
         f"{per_criterion / per:,.0f}", "n/a", vs_floor(per_criterion)],
        ["  steps call without transcript", f"{2 * n_criteria}",
         f"{per_criterion_min / per:,.0f}", "n/a", vs_floor(per_criterion_min)],
    ]
    notes = [
        f"{n} transcripts, {judged} judged ({n - judged} degenerate: scored by code, no call); "
        f"calls per transcript over all {n}: {total_calls / n:.3f} (goal 1.0), "
        f"max {max(calls)}.",
        "Tokens are per judged transcript. Completion tokens are the fake judge's reply, not a "
        "real model's.",
    ]
    return Result(NAME, "judge_economy: judge calls and tokens per judged transcript",
                  ["approach", "calls", "prompt tokens", "completion tokens", "vs floor"],
                  rows, data, notes)
