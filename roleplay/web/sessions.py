"""Practice sessions: one `Interview.arun` task per person, resumable from its saved transcript.

A session is keyed by an unguessable id (``secrets.token_urlsafe``). Its transcript is saved
atomically to ``<sessions dir>/<id>.json`` after every turn, and its evaluation to
``<id>.evaluation.json``, so a reload, a dropped connection or a restarted server picks up the
same interview. The person's answers reach the running interview through `WebCandidate`, whose
``areply`` waits for the next answer; browsers follow along through `PracticeSession.subscribe`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from roleplay.candidates import CandidateInfo, CandidateReply, CandidateView, SpokenTimes
from roleplay.errors import ConfigError, RoleplayError, TranscriptError
from roleplay.evaluate import Evaluation, Evaluator
from roleplay.llm.base import AsyncChatModel
from roleplay.persona import ID_PATTERN, Persona, Scenario, load_persona
from roleplay.session import Interview
from roleplay.transcript import EndReason, Transcript, Turn, atomic_write
from roleplay.web.drafts import DRAFT_PREFIX, drafts_dir

__all__ = ["Event", "Limits", "PracticeSession", "SessionStore", "WebCandidate"]

log = logging.getLogger(__name__)

Status = Literal["interviewer", "candidate", "evaluating", "finished", "error"]
Event = tuple[str, dict[str, Any]]
"""A server-sent event: its name and JSON data."""

_ID = re.compile(r"[A-Za-z0-9_-]{32,64}")
# A saved snapshot of an interview still under way carries this end reason, so that any
# other tool (``roleplay practice --resume``) sees it as resumable too.
_UNDER_WAY: EndReason = "interrupted"
_monotonic = time.monotonic  # the sessions' clock (a test moves it as a person would take time)


@dataclass(frozen=True)
class Limits:
    """What one person may send: per answer, per interview, and how many turns."""

    answer_chars: int = 4000
    """Characters in one answer."""
    interview_chars: int = 40_000
    """Characters in all of one interview's answers."""
    max_turns: int = 24
    """Turns, both speakers counted."""


class WebCandidate:
    """The person in the browser: ``areply`` waits for the answer they post (or "end")."""

    def __init__(self, session: PracticeSession) -> None:
        self.session = session
        self.answers: asyncio.Queue[CandidateReply | None] = asyncio.Queue()

    @property
    def info(self) -> CandidateInfo:
        """Source ``human``."""
        return CandidateInfo(source="human")

    async def areply(self, view: CandidateView) -> CandidateReply:  # noqa: ARG002 - a person sees the page
        """Wait for the next answer; ``None`` (the end button) leaves the interview."""
        # Every turn so far is on disk before the person is asked: a reload or a restart from
        # here resumes at their turn.
        await self.session.flushed()
        self.session.set_status("candidate")
        reply = await self.answers.get()
        self.session.set_status("interviewer")
        return CandidateReply.leave() if reply is None else reply


class PracticeSession:
    """One person's interview: the running task, what has been said, and who is listening."""

    def __init__(self, store: SessionStore, session_id: str, persona: Persona,
                 resume: Transcript | None = None, *, cv: str | None = None) -> None:
        self.store = store
        self.id = session_id
        self.persona = persona
        self.turns: list[Turn] = list(resume.turns) if resume else []
        self.partial = ""
        """The interviewer's words streamed so far in the turn being generated."""
        self.status: Status = "interviewer"
        self.error: str | None = None
        self.evaluation: Evaluation | None = None
        self.transcript: Transcript | None = resume
        self.candidate = WebCandidate(self)
        # Seconds into the interview, continuing from the last time a resumed transcript holds
        # (a restart's downtime is in no turn).
        self._clock_zero = _monotonic() - max(
            (t.end if t.end is not None else t.offset or 0.0 for t in self.turns), default=0.0)
        self.take: tuple[str, SpokenTimes | None] | None = None
        """The latest transcribed recording waiting to be sent: its id and times (voice
        practice); an earlier one can no longer be sent."""
        self.speech: dict[int, bytes] = {}
        """Interviewer turns read aloud, by turn index (each is synthesised once)."""
        self.spoken_until: dict[int, float] = {}
        """When the reading aloud of an interviewer turn ends, on `clock`."""
        self._listeners: set[asyncio.Queue[Event]] = set()
        self._saves: asyncio.Queue[str | None] = asyncio.Queue()
        self.interview = Interview(
            persona, self.candidate, store.model,
            # A resumed interview keeps the CV it started with (saved in its scenario).
            scenario=Scenario(max_turns=store.limits.max_turns, candidate_cv=cv or (
                resume.scenario.get("candidate_cv") if resume is not None else None)),
            on_text=self._on_text, on_turn=self._on_turn, resume=resume,
            timeline=self.clock if store.timed else None,
        )
        self.task: asyncio.Task[None] | None = None

    def clock(self) -> float:
        """Seconds into the interview (voice practice times its turns with it)."""
        return round(_monotonic() - self._clock_zero, 3)

    @property
    def answered_chars(self) -> int:
        """Characters the person has sent so far."""
        return sum(len(t.text) for t in self.turns if t.speaker == "candidate")

    # -- events --------------------------------------------------------------------------------

    def _publish(self, name: str, data: dict[str, Any]) -> None:
        for queue in self._listeners:
            queue.put_nowait((name, data))

    def set_status(self, status: Status, message: str | None = None) -> None:
        """Move to ``status`` and tell every listener."""
        self.status = status
        self._publish("status", self.status_data(message))

    def status_data(self, message: str | None = None) -> dict[str, Any]:
        """The ``status`` event's data."""
        return {"status": self.status, "message": message or self.error,
                "answered_chars": self.answered_chars}

    def _on_text(self, text: str) -> None:
        self.partial += text
        self._publish("delta", {"text": text})

    def _on_turn(self, turn: Turn) -> None:
        self.turns.append(turn)
        self.partial = ""
        self._publish("turn", turn_data(turn))
        state = self.interview.state
        if state is not None:
            snapshot = state.transcript(None if state.finished else _UNDER_WAY)
            self._saves.put_nowait(snapshot.to_json())

    async def subscribe(self) -> AsyncIterator[Event]:
        """Everything said so far, then live events until the person must act or it is over."""
        queue: asyncio.Queue[Event] = asyncio.Queue()
        # Registered before the snapshot is taken, with no await in between: nothing is missed.
        self._listeners.add(queue)
        try:
            yield "reset", {}
            for turn in self.turns:
                yield "turn", turn_data(turn)
            if self.partial:
                yield "delta", {"text": self.partial}
            name, data = "status", self.status_data()
            while True:
                yield name, data
                if name == "status" and data["status"] in ("candidate", "finished", "error"):
                    return
                name, data = await queue.get()
        finally:
            self._listeners.discard(queue)

    # -- running -------------------------------------------------------------------------------

    @property
    def over(self) -> bool:
        """The interview has ended (its evaluation may still be under way)."""
        return self.transcript is not None and self.transcript.end_reason not in (
            _UNDER_WAY, "error")

    async def settled(self) -> None:
        """Wait for the evaluation of an interview that is over (at once otherwise)."""
        if self.over and self.task is not None:
            await asyncio.shield(self.task)

    def start(self) -> None:
        """Run (or resume) the interview, then evaluate it, in a background task."""
        if self.over:
            self.task = asyncio.get_running_loop().create_task(self._evaluate_only())
        else:
            self.task = asyncio.get_running_loop().create_task(self._run())

    async def _save_loop(self) -> None:
        # One writer, in order: the latest snapshot always wins, and the event loop never waits
        # for the disk.
        while (text := await self._saves.get()) is not None:
            try:
                await asyncio.to_thread(atomic_write, self.store.transcript_path(self.id), text)
            except OSError as exc:
                # The next snapshot holds every turn again; the interview goes on meanwhile.
                log.warning("could not save session %s: %s", self.id, exc)
            finally:
                self._saves.task_done()
        self._saves.task_done()

    async def flushed(self) -> None:
        """Wait until every snapshot handed to the writer is on disk."""
        await self._saves.join()

    async def _run(self) -> None:
        saver = asyncio.get_running_loop().create_task(self._save_loop())
        error = None
        try:
            self.transcript = await self.interview.arun()
            self._saves.put_nowait(self.transcript.to_json())
        except RoleplayError as exc:
            log.warning("session interview failed: %s", exc)
            error = _failure("The interviewer model failed", exc) + " Reload the page to try again."
        except Exception:
            # Not the person's business (and possibly holding details): logged, not shown.
            log.exception("session interview crashed")
            error = "Something went wrong on the server. Reload the page to try again."
        finally:
            self._saves.put_nowait(None)
            await saver
        if error is not None:
            # Only now: a reload resumes from the file, which holds every turn said.
            self.error = error
            self.set_status("error")
            return
        await self._evaluate_only()

    async def _evaluate_only(self) -> None:
        assert self.transcript is not None
        path = self.store.evaluation_path(self.id)
        if path.is_file():
            try:
                saved = await asyncio.to_thread(path.read_text, encoding="utf-8")
                self.evaluation = Evaluation.model_validate_json(saved)
            except (OSError, ValidationError) as exc:
                log.warning("evaluating again: cannot read %s: %s", path, exc)
            else:
                self.set_status("finished")
                return
        self.set_status("evaluating")
        try:
            self.evaluation = await self.store.evaluator.aevaluate(self.transcript)
        except TranscriptError:
            self.error = "Nothing to evaluate: no answer was given."
        except RoleplayError as exc:
            log.warning("session evaluation failed: %s", exc)
            self.error = _failure("The evaluation failed", exc)
        else:
            await asyncio.to_thread(atomic_write, path, self.evaluation.model_dump_json(indent=2))
        self.set_status("finished")

    async def answer(self, text: str, spoken: SpokenTimes | None = None) -> None:
        """Hand the person's answer to the interview (the caller checked turn and limits).

        ``spoken``: when it was said, for an answer recorded and transcribed.
        """
        # At once, so a second post or a listener arriving now sees that the answer is taken.
        self.set_status("interviewer")
        self.take = None
        await self.candidate.answers.put(CandidateReply(text=text, spoken=spoken))

    async def end(self) -> None:
        """The end button: leave the interview at the next candidate turn."""
        if self.status == "candidate":
            self.set_status("interviewer")
        await self.candidate.answers.put(None)


def _failure(what: str, exc: RoleplayError) -> str:
    # The full message goes to the server's log only: an endpoint's error text can quote part
    # of the key ("Incorrect API key provided: sk-...abcd") or name internal hosts.
    status = getattr(exc, "status_code", None)
    return f"{what}{f' (HTTP {status})' if status else ''}; the server's log says why."


def turn_data(turn: Turn) -> dict[str, Any]:
    """A turn as the browser receives it (text only, rendered with ``textContent``)."""
    return {"index": turn.index, "speaker": turn.speaker, "text": turn.text}


class SessionStore:
    """Every session of this server, in memory and in ``directory``.

    Args:
        directory: Where transcripts and evaluations are saved.
        model: The interviewer model (shared: each call is independent).
        evaluator: Evaluates finished interviews.
        limits: Input limits per answer and per interview.
        personas_dir: Where persona ids are looked up (default: the shipped personas).
        timed: Give turns times (seconds into the interview), for voice practice.
    """

    def __init__(self, directory: Path, model: AsyncChatModel, evaluator: Evaluator, *,
                 limits: Limits | None = None, personas_dir: Path | None = None,
                 timed: bool = False) -> None:
        self.directory = directory
        self.timed = timed
        self.model = model
        self.evaluator = evaluator
        self.limits = limits or Limits()
        self.personas_dir = personas_dir
        self._live: dict[str, PracticeSession] = {}

    def transcript_path(self, session_id: str) -> Path:
        """The saved transcript of a session."""
        return self.directory / f"{session_id}.json"

    def evaluation_path(self, session_id: str) -> Path:
        """The saved evaluation of a session."""
        return self.directory / f"{session_id}.evaluation.json"

    def create(self, persona: Persona, *, cv: str | None = None) -> PracticeSession:
        """Start a new interview with ``persona`` and the candidate's ``cv``, if any.

        Call it inside the event loop.
        """
        session = PracticeSession(self, secrets.token_urlsafe(32), persona, cv=cv)
        self._live[session.id] = session
        session.start()
        return session

    def get(self, session_id: str, *, retry: bool = False) -> PracticeSession | None:
        """The session with this id, reloaded from disk after a restart; None if unknown.

        With ``retry``, a session whose interviewer failed starts again from its saved turns.
        """
        if not _ID.fullmatch(session_id):
            return None  # never let a malformed id near the filesystem
        session = self._live.get(session_id)
        if session is not None and not (retry and session.status == "error"):
            return session
        # Unknown here (a restart), or failed: start again from the last saved turn.
        persona = session.persona if session is not None else None
        transcript = None
        path = self.transcript_path(session_id)
        if path.is_file():
            try:
                transcript = Transcript.from_json(path.read_bytes(), path=str(path))
                pid = transcript.persona_id or ""
                if not ID_PATTERN.fullmatch(pid):  # an id, never a path
                    raise ConfigError(f"not a persona id: {pid!r}")
                persona = load_persona(pid, folder=drafts_dir(self.directory)
                                       if pid.startswith(DRAFT_PREFIX) else self.personas_dir)
            except (OSError, ConfigError) as exc:
                log.warning("cannot resume session from %s: %s", path, exc)
                return None
        if persona is None:
            return None
        session = PracticeSession(self, session_id, persona, resume=transcript)
        self._live[session_id] = session
        session.start()
        return session

    async def aclose(self) -> None:
        """Stop every running interview (their transcripts are already saved)."""
        tasks = [s.task for s in self._live.values() if s.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
