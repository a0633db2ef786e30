"""Prompts for the interviewer and the simulated candidate, built by pure functions.

Nothing here calls a model. `build_interviewer_request` turns a persona, a scenario and the
turns so far into the `ChatRequest` for the interviewer's next move; `build_candidate_request`
does the same for an LLM playing the candidate. Both keep the request inside a token budget by
dropping the oldest middle turns and telling the model, in a code-made note, what was dropped.

The interviewer answers with an `InterviewerMove` (structured output). `UtteranceStream` turns
the raw JSON deltas of that reply into the deltas of its ``utterance`` string, so the words can
be shown live, and `best_utterance` recovers the words from a reply that never validated.

Untrusted text: the candidate's words only ever travel as ``user`` messages of the interviewer
request (and the interviewer's as ``user`` messages of the candidate request). No transcript text
is placed in a system prompt, except the short code-made list of omitted topics, which quotes the
interviewer's own earlier questions.

The package is split by idea: `_move` (phases and the `InterviewerMove` schema),
`_interviewer` and `_candidate` (the two requests), `_history` (trimming to the token budget)
and `_stream` (decoding the streamed reply); import from ``roleplay.prompts``.
"""

from roleplay.prompts._candidate import (
    InterviewBrief,
    build_candidate_request,
    candidate_system_prompt,
)
from roleplay.prompts._history import omitted_turns_note
from roleplay.prompts._interviewer import (
    build_interviewer_request,
    interviewer_system_prompt,
    wrap_up_window,
)
from roleplay.prompts._move import OPENING_CUE, PHASES, InterviewerMove
from roleplay.prompts._stream import FALLBACK_UTTERANCE, UtteranceStream, best_utterance

__all__ = [
    "FALLBACK_UTTERANCE",
    "OPENING_CUE",
    "PHASES",
    "InterviewBrief",
    "InterviewerMove",
    "UtteranceStream",
    "best_utterance",
    "build_candidate_request",
    "build_interviewer_request",
    "candidate_system_prompt",
    "interviewer_system_prompt",
    "omitted_turns_note",
    "wrap_up_window",
]
