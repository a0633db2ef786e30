"""overhead: roleplay's cost per interviewer turn against a bare ``openai`` SDK call.

What is measured, per interviewer turn of scripted interviews (24 turns, a scripted
candidate, the local server answering with a valid move):

* **engine turn**: everything `Interview.run` does for the interviewer's turn: the state
  machine decides and builds the request (system prompt, history, token counting for the
  trimming budget), `complete_structured` sends it through `OpenAIChatModel` (retry layer,
  error mapping, usage), validates the reply as an `InterviewerMove`, and the state records it.
* **adapter call**: `OpenAIChatModel.complete` with the same structured request, no validation.
* **bare SDK**: ``openai.OpenAI(...).chat.completions.create(**body)`` with the same body,
  then ``json.loads`` of the reply's content: the least a program using the SDK directly must
  do to act on the move.

Why the baseline is fair: all three send the same request body (the server records each one
and the benchmark stops if they ever differ) to the same local server and get the same reply
(the server picks it from the request alone); both clients keep one keep-alive connection and
use ``max_retries=0``; the three are interleaved turn by turn in a rotating order, so drift in
the machine's speed hits all of them alike. A warm-up interview (untimed) loads the tokenizer,
the schema and the connections first. ``ratio`` is the median engine turn over the median bare
SDK call (goal <= 1.10). The local server answers in a few milliseconds (it counts each
request's tokens for the usage it reports), so the ratio is a worst case: against a real
endpoint, at hundreds of milliseconds per reply, the same absolute overhead (``overhead_ms``)
is a far smaller fraction.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from itertools import permutations
from typing import Any

import openai

from benchmarks._common import (
    API_KEY,
    MODEL,
    PERSONA,
    BodyRecorder,
    Result,
    candidate_lines,
    interviewer_move,
    median_ms,
    r4,
)
from roleplay.candidates import ScriptedCandidate
from roleplay.llm.base import ChatRequest, ResponseFormat
from roleplay.llm.openai import OpenAIChatModel
from roleplay.llm.structured import FormatMemory, complete_structured, strict_schema
from roleplay.persona import Scenario, load_persona
from roleplay.prompts import InterviewerMove, build_interviewer_request
from roleplay.session import AskCandidate, AskInterviewer, Finished, InterviewState
from roleplay.testing import OpenAICompatServer

NAME = "overhead"
MAX_TURNS = 24
_ORDERS = tuple(permutations(("engine", "adapter", "sdk")))


def _structured(request: ChatRequest) -> ChatRequest:
    """``request`` as `complete_structured` sends it on the first (json_schema) step."""
    fmt = ResponseFormat(type="json_schema", name=InterviewerMove.__name__,
                         json_schema=strict_schema(InterviewerMove))
    return request.model_copy(update={"response_format": fmt})


def _sdk_body(request: ChatRequest) -> dict[str, Any]:
    """The chat-completions body of ``request`` (checked against what the server receives)."""
    fmt = request.response_format
    assert fmt is not None and fmt.json_schema is not None
    return {
        "model": MODEL,
        "messages": [{"role": m.role, "content": m.content} for m in request.messages],
        "response_format": {"type": "json_schema", "json_schema": {
            "name": fmt.name, "strict": True, "schema": fmt.json_schema}},
    }


def run(quick: bool = False) -> Result:
    """Time interviewer turns three ways: 204 of each after a warm-up (``quick``: 12, none)."""
    interviews = 1 if quick else 17  # 12 interviewer turns per interview
    persona = load_persona(PERSONA)
    scenario = Scenario(max_turns=MAX_TURNS)
    recorder = BodyRecorder(interviewer_move)
    times: dict[str, list[float]] = {"engine": [], "adapter": [], "sdk": []}
    turn_counter = 0
    # Its own memory of the working structured-output step: a port reused from an earlier
    # server in the same process must not inherit that server's fallback step.
    memory = FormatMemory()
    with OpenAICompatServer(responder=recorder) as server, \
            OpenAIChatModel(MODEL, base_url=server.base_url, api_key=API_KEY) as model, \
            openai.OpenAI(base_url=server.base_url, api_key=API_KEY, max_retries=0) as client:

        def interview(timed: bool) -> None:
            nonlocal turn_counter
            state = InterviewState(persona, scenario, interviewer_model=MODEL)
            candidate = ScriptedCandidate(candidate_lines(MAX_TURNS))

            def engine() -> float:
                # Exactly the engine's turn: decide and build the request, the structured
                # call, validation, recording.
                start = time.perf_counter()
                action = state.next_action()
                if not isinstance(action, AskInterviewer):
                    raise RuntimeError(f"expected the interviewer's turn, got {action!r}")
                result = complete_structured(model, action.request, InterviewerMove,
                                             memory=memory)
                state.record_interviewer(result.output, result.usage)
                return time.perf_counter() - start

            for _ in range(MAX_TURNS // 2):
                # The same request, built outside the timed regions for the other two.
                request = _structured(build_interviewer_request(
                    persona, scenario, state.turns, counter=state.counter))
                body = _sdk_body(request)

                def adapter(request: ChatRequest = request) -> float:
                    start = time.perf_counter()
                    model.complete(request)
                    return time.perf_counter() - start

                def sdk(body: dict[str, Any] = body) -> float:
                    start = time.perf_counter()
                    completion = client.chat.completions.create(**body)
                    json.loads(completion.choices[0].message.content or "{}")
                    return time.perf_counter() - start

                runs: dict[str, Callable[[], float]] = {
                    "engine": engine, "adapter": adapter, "sdk": sdk}
                sent: list[dict[str, Any]] = []
                for name in _ORDERS[turn_counter % len(_ORDERS)]:
                    elapsed = runs[name]()
                    sent.append(dict(recorder.last or {}))
                    if timed:
                        times[name].append(elapsed)
                if timed:
                    turn_counter += 1
                if any(b != sent[0] for b in sent):
                    raise RuntimeError("the three paths sent different request bodies")
                action = state.next_action()
                if not isinstance(action, AskCandidate):
                    raise RuntimeError(f"expected the candidate's turn, got {action!r}")
                state.record_candidate(candidate.reply(action.view))
            if not isinstance(state.next_action(), Finished):
                raise RuntimeError("the interview did not end at the turn limit")

        if not quick:
            interview(timed=False)  # warm-up: tokenizer, schema, connections
        for _ in range(interviews):
            interview(timed=True)
    return _result(times)


def _result(times: dict[str, list[float]]) -> Result:
    engine, adapter, sdk = (median_ms(times[k]) for k in ("engine", "adapter", "sdk"))
    ratio = engine / sdk
    data = {
        "turns": len(times["engine"]),
        "sdk_median_ms": r4(sdk),
        "adapter_median_ms": r4(adapter),
        "engine_median_ms": r4(engine),
        "overhead_ms": r4(engine - sdk),
        "adapter_ratio": r4(adapter / sdk),
        "goal": 1.10,
        "ratio": r4(ratio),
    }
    rows = [
        ["bare openai SDK call + json.loads", f"{sdk:.3f}", "1.00x"],
        ["OpenAIChatModel.complete (same request)", f"{adapter:.3f}", f"{adapter / sdk:.2f}x"],
        ["engine turn (build, call, validate, record)", f"{engine:.3f}", f"{ratio:.2f}x"],
    ]
    notes = [
        f"{len(times['engine'])} turns of each, interleaved in rotating order after a warm-up "
        f"interview; local server on 127.0.0.1. Engine overhead per turn: "
        f"{engine - sdk:+.3f} ms (goal: ratio <= 1.10).",
    ]
    return Result(NAME, "overhead: median time per interviewer turn",
                  ["path", "median ms", "vs SDK"], rows, data, notes)
