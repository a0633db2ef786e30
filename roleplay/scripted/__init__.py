"""Deterministic responders: scripted stand-ins for the LLM at the chat-completions seam.

They live below both the testing kit (`roleplay.testing` re-exports them) and the web app's
keyless demo, which plays them as its interviewer and judge.

A responder turns the body of a chat-completions request (the JSON the OpenAI SDK sends) into a
reply, for ``OpenAICompatServer(responder=...)``; `as_chat_function` adapts one to the in-process
`FunctionChatModel`. Each reads only the request, so the same request always gets the same reply
(recordings replay), and each recognises the requests roleplay itself builds:

* `interviewer_responder`: valid `InterviewerMove` JSON following a fixed script driven by the
  persona: an opening, one question of each kind from its question bank, an invitation to ask
  questions (only if the persona invites them), answers from the persona's facts (a hidden fact
  only when the candidate's latest turn asks about its topic, so a well-behaved run never leaks),
  a close and a goodbye after the candidate's last word.
* `candidate_responder`: plays a `CandidateProfile` from its ``behaviour`` fields: the answer
  style (STAR stories built from the résumé, one-liners, rambling, polished, hypothetical), the
  kind of questions asked when invited, how the job is asked for (or begged for), and whether
  next steps, a recap and a follow-up are covered in the close.
* `judge_responder`: a verdict JSON for whatever rubric schema the request carries, scored with
  simple keyword rules over the transcript in the request; every quote is a verbatim sentence
  of a candidate turn, so it verifies.
* `draft_responder`: a persona draft built by rule from the posting in a drafting request
  (title, employer, must-haves and duties from its headings and bullets; invented hidden facts
  listed as practice facts).
* `simulation_responder`: routes each request to one of the three (one server can then play
  every role of a simulated and judged interview).

Be clear about what these are: scripted stand-ins. The interviews they produce are formulaic
and the verdicts are keyword rules; they test a pipeline's wiring (requests, parsing, phases,
evidence checks, caps, reports, recordings) offline, not an LLM's behaviour or judgement.

Example:
    >>> persona, profile = load_persona("warm-hr-screener"), load_candidate("strong-closer")
    >>> with OpenAICompatServer(responder=simulation_responder([persona], [profile])) as server:
    ...     model = OpenAIChatModel(base_url=server.base_url, api_key="test")
    ...     transcript = Interview(persona, LLMCandidate(profile, model), model).run()
"""

from __future__ import annotations

from roleplay.scripted._candidate import candidate_responder
from roleplay.scripted._draft import draft_responder
from roleplay.scripted._interviewer import interviewer_responder
from roleplay.scripted._judge import judge_responder
from roleplay.scripted._simulation import simulation_responder
from roleplay.scripted._wire import Responder, ServerReply, as_chat_function, request_body

__all__ = [
    "Responder",
    "ServerReply",
    "as_chat_function",
    "candidate_responder",
    "draft_responder",
    "interviewer_responder",
    "judge_responder",
    "request_body",
    "simulation_responder",
]

