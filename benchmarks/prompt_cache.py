"""prompt_cache: how much of each judge prompt a provider can serve from its prompt cache.

What is measured: the judge request `roleplay.evaluate.Evaluator` builds for every judged gold
transcript (exactly what ``roleplay evaluate --dry-run`` prints: a fresh random delimiter per
request), in suite order. Each request is read as the token stream the endpoint sees first to
last: the reply schema (OpenAI serves a structured-output schema as a prefix of the system
message), then the system message, then the user message. The shared prefix of a request is
the longest run of leading tokens it has in common with the request before it.

OpenAI caches a prompt prefix once it is at least 1,024 tokens long, in steps of 128 tokens, and
bills cached input at the model's cached rate; vLLM's and llama.cpp's prefix caches reuse the
same shared prefix. The first request of a run writes the cache and pays in full.

Reported: the share of all prompt tokens that lies in a shared prefix of at least 1,024 tokens
(goal: at least 60 %), and the cost at list prices (`roleplay.tokens.DEFAULT_PRICES`) with the
cache against the same requests billed without it (the baseline, measured in the same run),
for the suite's judge model and two others with other cached rates. ``ratio`` is the cost with
caching over the cost without it, for the suite's model. Completion tokens are the runner's
planning figure per call (`roleplay.evals.runner.DEFAULT_COMPLETION_TOKENS`), the same on both
sides. Token counts are offline estimates (the schema and the messages encoded separately,
with the chat-format overhead of `roleplay.tokens.count_messages`), not a provider's bill.
"""

from __future__ import annotations

import json

from benchmarks._common import MODEL, Result, load_gold, r4
from roleplay.evals.runner import DEFAULT_COMPLETION_TOKENS
from roleplay.evaluate import Evaluator, compute_signals
from roleplay.llm.base import ChatRequest, Usage
from roleplay.rubric import load_rubric
from roleplay.tokens import encoding_for_model, estimate_cost

NAME = "prompt_cache"
MIN_PREFIX = 1024
"""OpenAI's minimum cacheable prefix."""
STEP = 128
"""OpenAI caches longer prefixes in steps of this many tokens."""
OTHER_MODELS = ("gpt-4.1-mini", "gpt-5-mini")
"""More list prices, with cached rates of 25 % and 10 % (the suite's gpt-4o-mini: 50 %)."""


def _stream(request: ChatRequest, model: str) -> list[int]:
    encoding = encoding_for_model(model)
    tokens: list[int] = []
    fmt = request.response_format
    if fmt is not None and fmt.json_schema:
        tokens += encoding.encode(json.dumps(fmt.json_schema), disallowed_special=())
    for message in request.messages:
        tokens += encoding.encode(f"{message.role}\n{message.content}", disallowed_special=())
    return tokens


def _common(a: list[int], b: list[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def cacheable(prefix: int) -> int:
    """Tokens OpenAI would serve from its cache for a shared prefix of ``prefix`` tokens."""
    if prefix < MIN_PREFIX:
        return 0
    return MIN_PREFIX + (prefix - MIN_PREFIX) // STEP * STEP


def run(quick: bool = False) -> Result:
    """Build the gold set's judge requests (the first 4 cases with ``quick``) and measure."""
    suite = load_gold(4 if quick else None)
    rubric = load_rubric(suite.rubric_ref())
    judge = suite.config.judge
    model = judge.model if judge else MODEL
    evaluator = Evaluator(rubric, None, settings=judge.settings if judge else None)
    requests = [evaluator.judge_request(c.transcript) for c in suite.cases
                if compute_signals(c.transcript).substantive]
    streams = [_stream(r, model) for r in requests]
    prompts = [evaluator.prompt_tokens(r) for r in requests]
    shared = [0] * len(requests)
    for i in range(1, len(requests)):
        common = _common(streams[i], streams[i - 1])
        shared[i] = common
        shared[i - 1] = max(shared[i - 1], common)
    shared = [min(s, p) for s, p in zip(shared, prompts, strict=True)]
    # The first request writes the cache; every later one reads what it shares with the last.
    cached = [0] + [cacheable(min(_common(streams[i], streams[i - 1]), prompts[i]))
                    for i in range(1, len(requests))]
    prompt_total = sum(prompts)
    in_prefix = sum(s for s in shared if s >= MIN_PREFIX)
    cached_total = sum(cached)
    completion_total = DEFAULT_COMPLETION_TOKENS * len(requests)
    without = Usage(prompt_tokens=prompt_total, completion_tokens=completion_total,
                    calls=len(requests))
    with_cache = without.model_copy(update={"cached_tokens": cached_total})

    rows: list[list[str]] = []
    costs: dict[str, tuple[float, float]] = {}
    for name in (model, *OTHER_MODELS):
        full, cheap = estimate_cost(without, name), estimate_cost(with_cache, name)
        if full is None or cheap is None:
            continue
        costs[name] = (full, cheap)
        input_full = estimate_cost(without.model_copy(update={"completion_tokens": 0}), name)
        input_cheap = estimate_cost(with_cache.model_copy(update={"completion_tokens": 0}), name)
        rows.append([name, f"${full:.4f}", f"${cheap:.4f}", f"{cheap / full:.2f}x",
                     f"{(input_cheap or 0) / (input_full or 1):.2f}x"])
    full, cheap = costs[model]
    share = in_prefix / prompt_total if prompt_total else 0.0
    smallest = min((s for s in shared if s), default=0)
    data = {
        "requests": len(requests),
        "prompt_tokens": prompt_total,
        "shared_prefix_tokens_min": smallest,
        "shared_prefix_share": r4(share),
        "cached_tokens": cached_total,
        "goal_share": 0.6,
        "model": model,
        "cost_without_cache_usd": round(full, 6),
        "cost_with_cache_usd": round(cheap, 6),
        "ratio": r4(cheap / full) if full else 0.0,
    }
    notes = [
        f"{len(requests)} judged transcripts, {prompt_total:,} prompt tokens; every request "
        f"shares at least {smallest:,} leading tokens with its neighbour (reply schema + "
        f"system message + the user message's fixed first line).",
        f"{share:.1%} of prompt tokens lie in a shared prefix of at least {MIN_PREFIX:,} tokens "
        f"(goal 60 %); {cached_total:,} would be billed as cached "
        f"({cached_total / prompt_total:.1%}, OpenAI's 128-token steps, the first request "
        "paying in full).",
        f"Completion tokens: {DEFAULT_COMPLETION_TOKENS} per call on both sides (a planning "
        "figure, not a measurement).",
    ]
    return Result(NAME, "prompt_cache: judge prompt tokens a provider can serve from its cache",
                  ["list price of", "without cache", "with cache", "cost ratio",
                   "input cost ratio"], rows, data, notes)
