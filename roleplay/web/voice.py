"""Voice practice: answers spoken into the browser, questions read aloud.

=====================================  =====================================================
``POST /i/{id}/transcribe``            the recording of one answer as the request body
                                       (``audio/webm``, ``audio/ogg``, ``audio/mp4``,
                                       ``audio/wav``, ``audio/mpeg``; ``?ms=`` its length as
                                       the browser measured it) -> ``{"text", "take",
                                       "seconds"}``; the person checks the text, then sends it
                                       with the take (``POST /i/{id}/answer``)
``GET  /i/{id}/speech/{turn}``         an interviewer turn read aloud (``audio/wav``)
=====================================  =====================================================

Both go through the configured endpoint (`VoiceEndpoint`: ``/v1/audio/transcriptions`` and
``/v1/audio/speech``). An endpoint without them answers 404; the page is then told, with a
501, that this endpoint has no audio, and typing carries on.

**Times.** A voice session keeps one clock, seconds into the interview (the server's, so no
browser clock is trusted): interviewer turns run from their first streamed word to their last,
or, when read aloud, to when the reading ends (the speech's length from when it was served). A
recording ends when its upload arrives and started its length before that; the transcription's
segment times place the speech inside it (the silence before the first word is part of the
pause before answering, the silence after the last is not speaking time). Time spent correcting
the text is in no turn.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from roleplay.audio import UPLOAD_LIMIT, wav_seconds
from roleplay.candidates import SpokenTimes
from roleplay.errors import ModelAPIError, RoleplayError, UnsupportedFeatureError
from roleplay.llm.audio_types import Transcription
from roleplay.web.sessions import PracticeSession, SessionStore

__all__ = ["NO_AUDIO", "VoiceEndpoint", "routes", "spoken_answer", "take_times"]

log = logging.getLogger(__name__)

NO_AUDIO = ("The model endpoint offers no audio here ({status}: no such route or model), so "
            "spoken answers cannot be transcribed nor questions read aloud; type your answers "
            "instead.")
"""What the page says when the endpoint refuses audio."""
_SUFFIX = {"audio/webm": "webm", "video/webm": "webm", "audio/ogg": "ogg", "audio/mp4": "m4a",
           "audio/x-m4a": "m4a", "audio/wav": "wav", "audio/x-wav": "wav", "audio/wave": "wav",
           "audio/mpeg": "mp3", "audio/flac": "flac"}
_MAX_MS = 60 * 60 * 1000
_NO_AUDIO_STATUS = (404, 405, 501)


class VoiceEndpoint(Protocol):
    """Speech to text and back through an OpenAI-compatible endpoint.

    `roleplay.llm.openai_audio.OpenAITranscriber` is one.
    """

    def transcribe(self, filename: str, data: bytes) -> Transcription:
        """What one recording says, with segment times where the model gives them."""
        ...

    def speech(self, text: str) -> bytes:
        """``text`` read aloud, as a WAV file's bytes."""
        ...


def take_times(arrived: float, result: Transcription,
               recorded: float | None) -> SpokenTimes | None:
    """When a recording's speech was said, on the session clock.

    Args:
        arrived: When the upload arrived (the recording had just stopped).
        result: Its transcription (duration and segment times, where the model gives them).
        recorded: Its length as the browser measured it, in seconds.

    Returns:
        The speech's start and end; ``None`` when the recording's length is unknown.
    """
    length = result.duration or recorded or (result.segments[-1].end if result.segments
                                             else None)
    if not length or length <= 0:
        return None
    began = max(0.0, arrived - length)
    if result.segments:
        first = min(s.start for s in result.segments)
        last = max(s.end for s in result.segments)
        start, end = began + max(0.0, first), began + min(length, max(first, last))
    else:
        start, end = began, arrived
    return SpokenTimes(start=round(start, 3), end=round(max(start, min(end, arrived)), 3))


def routes(
    store: SessionStore,
    endpoint: VoiceEndpoint,
    *,
    headers: dict[str, str],
    same_origin: Callable[[Request], bool],
    read_body: Callable[[Request, int], Awaitable[bytes | None]],
) -> list[Route]:
    """The voice routes of the practice app (see the module docstring)."""

    def error(status: int, message: str, **extra: object) -> JSONResponse:
        return JSONResponse({"error": message, **extra}, status_code=status, headers=headers)

    def refusal(exc: RoleplayError, what: str) -> JSONResponse:
        status = getattr(exc, "status_code", None)
        if isinstance(exc, UnsupportedFeatureError) or status in _NO_AUDIO_STATUS:
            return error(501, NO_AUDIO.format(status=f"HTTP {status}" if status else
                                              "not supported"), voice=False)
        # The endpoint's own text stays in the server's log: it can quote part of a key.
        log.warning("%s failed: %s", what, exc)
        return error(502, f"The {what} failed{f' (HTTP {status})' if status else ''}; "
                          "try again, or type your answer.")

    async def transcribe(request: Request) -> Response:
        session = store.get(str(request.path_params["sid"]))
        if session is None:
            return error(404, "There is no such interview.")
        if not same_origin(request):
            return error(403, "Cross-site request refused.")
        arrived = session.clock()
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        suffix = _SUFFIX.get(kind)
        if suffix is None:
            return error(415, f"Send the recording as audio (webm, ogg, mp4, wav or mp3), "
                              f"not {kind or 'no content type'}.")
        if session.status != "candidate":
            return error(409, "It is not your turn yet: wait for the interviewer.")
        data = await read_body(request, UPLOAD_LIMIT)
        if data is None:
            return error(413, f"A recording may be at most {UPLOAD_LIMIT // (1024 * 1024)} MB.")
        if not data:
            return error(422, "The recording is empty: nothing reached the microphone.")
        ms = request.query_params.get("ms", "")
        recorded = int(ms) / 1000 if ms.isdigit() and 0 < int(ms) <= _MAX_MS else None
        try:
            result = await asyncio.to_thread(endpoint.transcribe, f"answer.{suffix}", data)
        except ModelAPIError as exc:
            return refusal(exc, "transcription")
        text = result.text.strip()
        if not text:
            return error(422, "No words were heard in the recording; try again closer to the "
                              "microphone, or type your answer.")
        times = take_times(arrived, result, recorded)
        take = secrets.token_urlsafe(12)
        session.take = (take, times)
        return JSONResponse({"text": text, "take": take,
                             "seconds": None if times is None else round(times.end - times.start,
                                                                         1)},
                            headers=headers)

    async def speech(request: Request) -> Response:
        session = store.get(str(request.path_params["sid"]))
        if session is None:
            return error(404, "There is no such interview.")
        index = int(request.path_params["turn"])
        turn = next((t for t in session.turns if t.index == index), None)
        if turn is None or turn.speaker != "interviewer":
            return error(404, f"Turn {index} is no interviewer turn of this interview.")
        audio = session.speech.get(index)
        if audio is None:
            try:
                audio = await asyncio.to_thread(endpoint.speech, turn.text)
            except ModelAPIError as exc:
                return refusal(exc, "speech")
            session.speech[index] = audio
        seconds = wav_seconds(audio)
        if seconds is not None:
            # Read aloud from now: the question is out when the voice is.
            session.spoken_until[index] = session.clock() + seconds
        return Response(audio, media_type="audio/wav", headers=headers)

    return [
        Route("/i/{sid}/transcribe", transcribe, methods=["POST"]),
        Route("/i/{sid}/speech/{turn:int}", speech),
    ]


def spoken_answer(session: PracticeSession, take: str) -> SpokenTimes | None:
    """The times of a transcribed take, with when its question ended if it was read aloud."""
    if session.take is None or session.take[0] != take:
        return None
    found = session.take[1]
    session.take = None
    if found is None:
        return None
    asked = next((t.index for t in reversed(session.turns) if t.speaker == "interviewer"), None)
    until = session.spoken_until.get(asked) if asked is not None else None
    return found.model_copy(update={"question_end": until}) if until else found
