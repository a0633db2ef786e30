"""The interview engine: a sans-I/O state machine and two short drivers.

`InterviewState` makes every decision: whose turn it is, the interviewer's request (prompt,
trimming, wrap-up near the turn limit), phases, when the interview ends and why, usage and cost.
It never calls a model or reads input. `Interview.run` and `Interview.arun` are the only code
that does, each a short loop over `InterviewState.next_action`::

    state = InterviewState(persona, scenario, interviewer_model="gpt-4o-mini")
    while not isinstance(action := state.next_action(), Finished):
        if isinstance(action, AskInterviewer):
            state.record_interviewer(move, usage)       # from the model's structured reply
        else:
            state.record_candidate(reply)                # from the candidate
    transcript = action.transcript

How an interview ends (``Transcript.end_reason``):

* ``interviewer_ended``: the interviewer's move set ``end_interview``. The candidate then gets a
  last word and the interviewer a short goodbye reply, so a candidate who takes the initiative
  at the close (asks about next steps, recaps, agrees a follow-up) is answered.
* ``turn_limit``: ``scenario.max_turns`` turns were recorded. Near the limit the interviewer is
  told to wrap up, and on its last turn to close.
* ``token_budget``: the optional total token budget would be exceeded. Nothing is raised.
* ``candidate_ended`` / ``interrupted``: the candidate left (end of input, ``/end``, Ctrl-C).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from roleplay.candidates import (
    AsyncCandidate,
    Candidate,
    CandidateInfo,
    CandidateReply,
    CandidateView,
)
from roleplay.errors import StructuredOutputError
from roleplay.llm.base import (
    AsyncChatModel,
    ChatModel,
    ChatRequest,
    ChatResponse,
    DeltaCallback,
    ModelSettings,
    Usage,
)
from roleplay.llm.structured import acomplete_structured, complete_structured
from roleplay.llm.wrapper import WrapperModel
from roleplay.persona import Persona, Scenario
from roleplay.prompts import (
    PHASES,
    InterviewBrief,
    InterviewerMove,
    UtteranceStream,
    best_utterance,
    build_interviewer_request,
)
from roleplay.tokens import PriceTable, TiktokenCounter, TokenCounter, estimate_cost
from roleplay.transcript import EndReason, Phase, Transcript, Turn, now_utc

__all__ = [
    "Action",
    "AskCandidate",
    "AskInterviewer",
    "Finished",
    "Interview",
    "InterviewState",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AskInterviewer:
    """Send ``request`` to the interviewer model; record its `InterviewerMove`."""

    request: ChatRequest
    """The complete request (system prompt, trimmed history, settings)."""


@dataclass(frozen=True)
class AskCandidate:
    """Ask the candidate to reply to ``view``; record its `CandidateReply`."""

    view: CandidateView
    """What the candidate can see."""


@dataclass(frozen=True)
class Finished:
    """The interview is over."""

    transcript: Transcript
    """The complete transcript, with ``end_reason`` set."""


Action = AskInterviewer | AskCandidate | Finished
"""What the driver must do next."""


def _later(a: Phase, b: Phase) -> Phase:
    return a if PHASES.index(a) >= PHASES.index(b) else b


class InterviewState:
    """Everything an interview decides, without I/O.

    Args:
        persona: The interviewer.
        scenario: Turn limit, history budget, candidate name, notes (default `Scenario()`).
        interviewer_model: The interviewer model's name (for token counting and cost).
        interviewer_settings: Generation settings sent with every interviewer request.
        candidate: How the candidate is described (source, profile id, model).
        counter: Token counter (default: tiktoken for ``interviewer_model``).
        token_budget: Total tokens (prompt + completion, all calls) the interview may spend;
            ``None`` for no limit. When the next interviewer request would exceed it the
            interview ends with ``token_budget``.
        prices: Price table for the cost estimate (default `roleplay.tokens.DEFAULT_PRICES`).
        last_word: After the interviewer's ``end_interview``, let the candidate reply once and
            the interviewer say goodbye (default). ``False`` ends at the signal.
        clock: Returns the current UTC time (turn timestamps, start and end).
        timeline: Returns seconds into the interview, for interviews held aloud (voice
            practice): interviewer turns then carry ``offset`` (when their words began) and
            ``end`` (when they were all out), so delivery can be measured in time. ``None``
            (default) records no turn times.
        transcript_id: The transcript id (default: random).
        resume: Continue this transcript (one saved by an interrupted run, or an imported
            recording): its turns, id, start time and usage carry over, and whoever did not
            speak last speaks next. An interview the interviewer ended cannot be resumed.
    """

    def __init__(
        self,
        persona: Persona,
        scenario: Scenario | None = None,
        *,
        interviewer_model: str = "unknown",
        interviewer_settings: ModelSettings | None = None,
        candidate: CandidateInfo | None = None,
        counter: TokenCounter | None = None,
        token_budget: int | None = None,
        prices: PriceTable | None = None,
        last_word: bool = True,
        clock: Callable[[], datetime] = now_utc,
        timeline: Callable[[], float] | None = None,
        transcript_id: str | None = None,
        resume: Transcript | None = None,
    ) -> None:
        if token_budget is not None and token_budget < 1:
            raise ValueError(f"token_budget must be positive, got {token_budget}")
        if resume is not None and resume.end_reason == "interviewer_ended":
            raise ValueError(f"transcript {resume.id} ended with the interviewer's goodbye; "
                             "there is nothing to resume (start a new interview)")
        self.persona = persona
        self.scenario = scenario or Scenario()
        self.brief = InterviewBrief.from_persona(persona)
        self.interviewer_model = interviewer_model
        self.interviewer_settings = interviewer_settings or ModelSettings()
        self.candidate = candidate or CandidateInfo(source="scripted")
        self.counter = counter or TiktokenCounter(interviewer_model)
        self.token_budget = token_budget
        self.prices = prices
        self.last_word = last_word
        self.clock = clock
        self.timeline = timeline
        self.transcript_id = transcript_id or uuid.uuid4().hex[:12]
        """The id every snapshot of this interview's transcript carries."""
        self.started_at = clock()
        self.ended_at: datetime | None = None
        self.turns: list[Turn] = []
        """Every turn so far."""
        self.phase: Phase = "opening"
        """The current phase; it only moves forward."""
        self.interviewer_usage = Usage()
        """Usage of every interviewer call, failed structured attempts included."""
        self.candidate_usage = Usage()
        """Usage of the candidate's model calls (zero for people and scripts)."""
        self.end_reason: EndReason | None = None
        """Why the interview ended; ``None`` while it runs."""
        self.closed_at: int | None = None
        """Index of the interviewer turn that signalled the end, if any."""
        self._expect: Literal["interviewer", "candidate"] = "interviewer"
        self._pending: Action | None = None
        if resume is not None and resume.turns:
            self._resume(resume)
        elif persona.opening:
            # A fixed opening line needs no model call; it is out the moment the interview is.
            now = timeline() if timeline is not None else None
            self._append("interviewer", persona.opening.strip(), "opening", offset=now, end=now)
            self._expect = "candidate"

    def _resume(self, transcript: Transcript) -> None:
        self.transcript_id = transcript.id
        self.started_at = transcript.started_at or self.started_at
        # A transcript keeps one usage total; for a person's practice it is all interviewer.
        self.interviewer_usage = transcript.usage
        # Renumbered from 1: an imported recording's turns are kept as they are otherwise.
        self.turns = [t.model_copy(update={"index": i})
                      for i, t in enumerate(transcript.turns, start=1)]
        for turn in self.turns:
            if turn.phase is not None:
                self.phase = _later(self.phase, turn.phase)
        self._expect = "candidate" if self.turns[-1].speaker == "interviewer" else "interviewer"

    # -- queries ------------------------------------------------------------------------------

    @property
    def usage(self) -> Usage:
        """Usage summed over interviewer and candidate calls."""
        return self.interviewer_usage + self.candidate_usage

    @property
    def finished(self) -> bool:
        """Whether the interview has ended."""
        return self.end_reason is not None

    def cost_usd(self) -> float | None:
        """Estimated cost of all calls; ``None`` when a used model's price is unknown."""
        parts: list[tuple[Usage, str | None]] = [(self.interviewer_usage, self.interviewer_model)]
        if self.candidate_usage.calls or self.candidate_usage.total_tokens:
            parts.append((self.candidate_usage, self.candidate.model))
        total = 0.0
        for usage, model in parts:
            cost = estimate_cost(usage, model, self.prices) if model else None
            if cost is None:
                return None
            total += cost
        return total

    def next_action(self) -> Action:
        """What the driver must do next (the same answer until something is recorded)."""
        if self._pending is None:
            self._pending = self._decide()
        return self._pending

    def _decide(self) -> Action:
        if self.end_reason is not None:
            return Finished(self.transcript())
        if len(self.turns) >= self.scenario.max_turns:
            return self._finish("interviewer_ended" if self.closed_at else "turn_limit")
        if self.token_budget is not None and self.usage.total_tokens >= self.token_budget:
            return self._finish("token_budget")
        if self._expect == "candidate":
            return AskCandidate(
                CandidateView(
                    brief=self.brief,
                    turns=tuple(self.turns),
                    phase=self.phase,
                    closing=self.closed_at is not None,
                    turns_left=self.scenario.max_turns - len(self.turns),
                )
            )
        request = build_interviewer_request(
            self.persona, self.scenario, self.turns, counter=self.counter,
            settings=self.interviewer_settings, goodbye=self.closed_at is not None,
            closed_at=self.closed_at,
        )
        if self.token_budget is not None:
            estimate = self.counter.count_messages(request.messages)
            if self.usage.total_tokens + estimate > self.token_budget:
                return self._finish("token_budget")
        return AskInterviewer(request)

    # -- transitions --------------------------------------------------------------------------

    def _append(
        self, speaker: Literal["interviewer", "candidate"], text: str, phase: Phase, *,
        offset: float | None = None, end: float | None = None,
    ) -> Turn:
        turn = Turn(
            index=len(self.turns) + 1,
            speaker=speaker,
            text=text,
            phase=phase,
            tokens=self.counter.count_text(text),
            at=self.clock(),
            offset=offset,
            end=end if offset is not None and end is not None and end >= offset else offset,
        )
        self.turns.append(turn)
        self._pending = None
        return turn

    def _check_turn(self, expected: Literal["interviewer", "candidate"]) -> None:
        if self.end_reason is not None:
            raise RuntimeError(f"the interview has ended ({self.end_reason}); nothing to record")
        if self._expect != expected:
            raise RuntimeError(f"it is the {self._expect}'s turn, not the {expected}'s")

    def record_interviewer(self, move: InterviewerMove, usage: Usage | None = None, *,
                           began: float | None = None) -> Turn:
        """Record the interviewer's move and the usage of the call(s) that produced it.

        With a ``timeline``, the turn runs from ``began`` (when its first words were out;
        default now) to now.
        """
        self._check_turn("interviewer")
        self.interviewer_usage = self.interviewer_usage + (usage or Usage())
        goodbye = self.closed_at is not None
        if move.end_interview or goodbye:
            self.phase = "close"
        else:
            self.phase = _later(self.phase, move.phase)
        now = self.timeline() if self.timeline is not None else None
        turn = self._append("interviewer", move.utterance, self.phase,
                            offset=began if began is not None and now is not None else now,
                            end=now)
        self._expect = "candidate"
        if goodbye:
            self._finish("interviewer_ended")
        elif move.end_interview:
            self.closed_at = turn.index
            if not self.last_word:
                self._finish("interviewer_ended")
        return turn

    def record_interviewer_error(
        self, error: StructuredOutputError, usage: Usage | None = None, *,
        began: float | None = None,
    ) -> Turn:
        """Recover from a move that never validated: keep going with the reply's best words.

        The words come from `roleplay.prompts.best_utterance` (the JSON ``utterance`` field,
        else the prose, else a neutral line); the phase stays and the interview does not end
        on this turn (the turn limit still bounds it).
        """
        text = best_utterance(error.raw)
        log.warning(
            "interviewer turn %d: the model's move did not validate after %d attempt(s) (%s); "
            "continuing with its best utterance",
            len(self.turns) + 1, error.attempts, error.errors[-1] if error.errors else error,
        )
        move = InterviewerMove(utterance=text, phase=self.phase, end_interview=False)
        return self.record_interviewer(move, usage, began=began)

    def record_candidate(self, reply: CandidateReply | str) -> Turn | None:
        """Record the candidate's reply; a reply with ``text=None`` ends the interview."""
        self._check_turn("candidate")
        if isinstance(reply, str):
            reply = CandidateReply(text=reply)
        self.candidate_usage = self.candidate_usage + reply.usage
        if reply.text is None:
            self._finish(reply.end_reason)
            return None
        spoken = reply.spoken
        if spoken is not None and spoken.question_end is not None and self.turns \
                and self.turns[-1].speaker == "interviewer":
            # The question was read aloud after its text was out: it ended when the voice did.
            asked = self.turns[-1]
            if asked.offset is not None and spoken.question_end > (asked.end or asked.offset):
                self.turns[-1] = asked.model_copy(update={"end": spoken.question_end})
        turn = self._append("candidate", reply.text, self.phase,
                            offset=spoken.start if spoken else None,
                            end=spoken.end if spoken else None)
        self._expect = "interviewer"
        return turn

    def interrupt(self) -> Transcript:
        """End now (Ctrl-C); the transcript so far is kept."""
        if self.end_reason is None:
            self._finish("interrupted")
        return self.transcript()

    def _finish(self, reason: EndReason) -> Finished:
        if self.end_reason is None:
            self.end_reason = reason
            self.ended_at = self.clock()
        self._pending = None
        return Finished(self.transcript())

    # -- output -------------------------------------------------------------------------------

    def model_settings(self) -> dict[str, object]:
        """Model names and settings for the transcript (never keys or endpoints)."""
        out: dict[str, object] = {
            "interviewer": {
                "model": self.interviewer_model,
                "settings": self.interviewer_settings.model_dump(exclude_none=True),
            }
        }
        if self.candidate.model:
            out["candidate"] = {"model": self.candidate.model, "settings": self.candidate.settings}
        return out

    def transcript(self, end_reason: EndReason | None = None) -> Transcript:
        """The transcript so far; ``end_reason`` defaults to the actual one, else ``error``."""
        return Transcript(
            id=self.transcript_id,
            persona_id=self.persona.id or None,
            candidate_id=self.candidate.candidate_id,
            source=self.candidate.source,
            scenario=self.scenario.model_dump(mode="json"),
            model_settings=self.model_settings(),
            started_at=self.started_at,
            ended_at=self.ended_at or self.clock(),
            turns=tuple(self.turns),
            usage=self.usage,
            cost_usd=self.cost_usd(),
            end_reason=end_reason or self.end_reason or "error",
        )


# ---------------------------------------------------------------------------------------------
# Drivers


class _Meter(WrapperModel):
    """Wraps the interviewer model to sum the usage of every call, failed attempts included."""

    def __init__(self, model: ChatModel | AsyncChatModel) -> None:
        super().__init__(model)
        self.usage = Usage()

    def take(self) -> Usage:
        usage, self.usage = self.usage, Usage()
        return usage

    def complete(
        self, request: ChatRequest, *, on_delta: DeltaCallback | None = None
    ) -> ChatResponse:
        response = super().complete(request, on_delta=on_delta)
        self.usage = self.usage + response.usage
        return response

    async def acomplete(
        self, request: ChatRequest, *, on_delta: DeltaCallback | None = None
    ) -> ChatResponse:
        response = await super().acomplete(request, on_delta=on_delta)
        self.usage = self.usage + response.usage
        return response


TextCallback = Callable[[str], None]
TurnCallback = Callable[[Turn], None]


class _Display:
    """Feeds ``on_text`` and ``on_turn`` so each turn is shown exactly once.

    Interviewer words stream through an `UtteranceStream` while the model replies; a turn that
    did not stream (a fixed opening, a recovered reply) is sent whole when it is recorded, the
    unstreamed rest of a cut-off stream is sent after it, and a re-asked reply whose words differ
    from what streamed is sent again on a new line. Every interviewer turn ends with a newline.
    """

    def __init__(self, on_text: TextCallback | None, on_turn: TurnCallback | None,
                 timeline: Callable[[], float] | None = None) -> None:
        self.on_text = on_text
        self.on_turn = on_turn
        self.timeline = timeline
        self.shown = 0
        self.stream: UtteranceStream | None = None
        self.began: float | None = None
        """When the streaming turn's first words were out (with a timeline)."""

    def new_stream(self) -> DeltaCallback | None:
        self.began = None
        if self.on_text is None:
            return None
        self.stream = UtteranceStream(self._out)
        return self.stream.feed

    def _out(self, text: str) -> None:
        if self.began is None and self.timeline is not None and text.strip():
            self.began = self.timeline()
        assert self.on_text is not None
        self.on_text(text)

    def catch_up(self, turns: Sequence[Turn]) -> None:
        for turn in turns[self.shown :]:
            if turn.speaker == "interviewer" and self.on_text is not None:
                streamed = self.stream.emitted.strip() if self.stream else ""
                if not streamed:
                    self.on_text(turn.text)
                elif turn.text.startswith(streamed):
                    if rest := turn.text[len(streamed) :]:
                        self.on_text(rest)
                else:
                    self.on_text("\n" + turn.text)
                self.on_text("\n")
                self.stream = None
            if self.on_turn is not None:
                self.on_turn(turn)
        self.shown = len(turns)


class Interview:
    """Runs one interview between an interviewer model and a candidate.

    Args:
        persona: The interviewer persona.
        candidate: A `Candidate` for `run`, an `AsyncCandidate` for `arun` (the shipped
            candidates are both).
        interviewer_model: A `ChatModel` for `run`, an `AsyncChatModel` for `arun`.
        scenario: Turn limit, history budget, candidate name, notes.
        on_text: Called with the interviewer's words as they stream; each turn is sent once and
            ends with a newline.
        on_turn: Called with every turn once it is recorded (both speakers).
        settings: Generation settings for the interviewer's requests.
        token_budget: Total token budget; see `InterviewState`.
        counter: Token counter (default: tiktoken for the interviewer model's name).
        prices: Price table for the cost estimate.
        last_word: See `InterviewState`.
        resume: A transcript to continue (see `InterviewState`); every run starts from it.
        timeline: Seconds into the interview, for interviews held aloud (see
            `InterviewState`); interviewer turns start when their first words stream out.

    Example:
        >>> transcript = Interview(persona, ScriptedCandidate(lines), model).run()
    """

    def __init__(
        self,
        persona: Persona,
        candidate: Candidate | AsyncCandidate,
        interviewer_model: ChatModel | AsyncChatModel,
        *,
        scenario: Scenario | None = None,
        on_text: TextCallback | None = None,
        on_turn: TurnCallback | None = None,
        settings: ModelSettings | None = None,
        token_budget: int | None = None,
        counter: TokenCounter | None = None,
        prices: PriceTable | None = None,
        last_word: bool = True,
        resume: Transcript | None = None,
        timeline: Callable[[], float] | None = None,
    ) -> None:
        self.persona = persona
        self.candidate = candidate
        self.interviewer_model = interviewer_model
        self.scenario = scenario or Scenario()
        self.on_text = on_text
        self.on_turn = on_turn
        self.settings = settings
        self.token_budget = token_budget
        self.counter = counter
        self.prices = prices
        self.last_word = last_word
        self.resume = resume
        self.timeline = timeline
        self.state: InterviewState | None = None
        """The state of the latest run (inspect it after an error)."""

    def new_state(self) -> InterviewState:
        """A fresh `InterviewState` configured like this interview."""
        return InterviewState(
            self.persona, self.scenario,
            interviewer_model=self.interviewer_model.model_name,
            interviewer_settings=self.settings, candidate=self.candidate.info,
            counter=self.counter, token_budget=self.token_budget, prices=self.prices,
            last_word=self.last_word, resume=self.resume, timeline=self.timeline,
        )

    @property
    def transcript(self) -> Transcript | None:
        """The latest run's transcript so far (``end_reason="error"`` if it did not finish).

        After `run` or `arun` raised (for example a `ModelAPIError` that outlived its retries),
        this still holds every turn recorded before the failure, ready to save.
        """
        return None if self.state is None else self.state.transcript()

    def run(self) -> Transcript:
        """Run the interview with the sync model and candidate; returns the transcript.

        Raises:
            ModelAPIError: the endpoint failed after its retries (see `transcript`).
            TypeError: the model or candidate has no sync interface.
        """
        if not isinstance(self.interviewer_model, ChatModel):
            raise TypeError("Interview.run needs a ChatModel; use arun() with an async model")
        if not isinstance(self.candidate, Candidate):
            raise TypeError("Interview.run needs a Candidate with reply(); use arun()")
        state, model, display = self._start()
        try:
            while not isinstance(action := state.next_action(), Finished):
                display.catch_up(state.turns)
                if isinstance(action, AskInterviewer):
                    try:
                        result = complete_structured(
                            model, action.request, InterviewerMove, on_delta=display.new_stream()
                        )
                        state.record_interviewer(result.output, model.take(),
                                                 began=display.began)
                    except StructuredOutputError as exc:
                        state.record_interviewer_error(exc, model.take(), began=display.began)
                else:
                    state.record_candidate(self.candidate.reply(action.view))
        except KeyboardInterrupt:
            state.interrupt()
        display.catch_up(state.turns)
        return state.transcript()

    async def arun(self) -> Transcript:
        """Async twin of `run`: the same decisions, awaiting the model and the candidate."""
        if not isinstance(self.interviewer_model, AsyncChatModel):
            raise TypeError("Interview.arun needs an AsyncChatModel; use run() with a sync model")
        if not isinstance(self.candidate, AsyncCandidate):
            raise TypeError("Interview.arun needs an AsyncCandidate with areply(); use run()")
        state, model, display = self._start()
        try:
            while not isinstance(action := state.next_action(), Finished):
                display.catch_up(state.turns)
                if isinstance(action, AskInterviewer):
                    try:
                        result = await acomplete_structured(
                            model, action.request, InterviewerMove, on_delta=display.new_stream()
                        )
                        state.record_interviewer(result.output, model.take(),
                                                 began=display.began)
                    except StructuredOutputError as exc:
                        state.record_interviewer_error(exc, model.take(), began=display.began)
                else:
                    state.record_candidate(await self.candidate.areply(action.view))
        except KeyboardInterrupt:
            state.interrupt()
        display.catch_up(state.turns)
        return state.transcript()

    def _start(self) -> tuple[InterviewState, _Meter, _Display]:
        self.state = self.new_state()
        display = _Display(self.on_text, self.on_turn, self.timeline)
        # Resumed turns were shown and reported by the run that recorded them.
        display.shown = len(self.state.turns) if self.resume is not None else 0
        return self.state, _Meter(self.interviewer_model), display
