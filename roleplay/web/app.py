"""The routes: pick a persona, practise with streamed interviewer words, read the report.

=====================================  =====================================================
``GET  /``                             the interviewers (id, role, stage, style)
``POST /interviews``                   start one (form field ``persona``) -> 303 to its page
``GET  /i/{id}``                       the interview page
``GET  /i/{id}/events``                server-sent events: what was said, streamed words,
                                       status; ends when it is the person's turn or over
``POST /i/{id}/answer``                ``{"text": ..., "take": ...}`` (413 too long, 422
                                       empty, 409 not your turn); ``take`` names a recording
                                       transcribed for it, whose times the turn keeps
``POST /i/{id}/transcribe``, ``GET /i/{id}/speech/{n}``  voice practice, see `voice`
``POST /i/{id}/end``                   the end button
``GET  /i/{id}/report``                the evaluation with evidence at its turns
``GET/POST /draft...``                 paste a job posting, review the drafted interviewer,
                                       start; see `drafts`
``GET  /runs...``                      eval run folders (with ``runs_dir``), see `runs`
=====================================  =====================================================

Unknown or malformed session ids are a plain 404; ids appear in no listing.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from roleplay.evaluate import Evaluator
from roleplay.llm.base import AsyncChatModel
from roleplay.persona import Persona, list_personas
from roleplay.web import drafts, runs, views, voice
from roleplay.web.demo import DemoChatModel
from roleplay.web.drafts import drafts_dir
from roleplay.web.sessions import Limits, PracticeSession, SessionStore

__all__ = ["create_app"]

_STATIC = Path(__file__).parent / "static"
_HEADERS = {
    # Nothing from elsewhere, no inline script, no framing: escaped text stays text.
    # Questions read aloud play from blob: URLs made from same-origin responses.
    "Content-Security-Policy": "default-src 'self'; media-src 'self' blob:; object-src 'none'; "
                               "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    # Session ids are in URLs: never hand them to other sites (same-origin, not no-referrer,
    # so that our own form posts still carry an Origin to check).
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


_BRACKETED = re.compile(r"\[([0-9a-f:.]+)\](?::[0-9]+)?")


class _TooLarge(Exception):
    pass


def host_name(host_header: str) -> str:
    """The host name of a ``Host`` header, without its port; IPv6 literals lose their brackets.

    ``"[::1]:8000"`` -> ``"::1"``, ``"localhost:8000"`` -> ``"localhost"``.
    """
    host = host_header.strip().lower()
    bracketed = _BRACKETED.fullmatch(host)
    if bracketed is not None:
        return bracketed.group(1)
    if host.startswith("["):
        return ""  # "[::1].evil.example" and other near misses name no host we serve
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class _AllowedHosts:
    """Answer 400 to requests whose ``Host`` names no allowed host (DNS rebinding).

    Starlette's ``TrustedHostMiddleware`` cuts the header at the first colon, so it can never
    match an IPv6 literal such as ``[::1]:8000``; this one parses the brackets.
    """

    def __init__(self, app: ASGIApp, allowed_hosts: Sequence[str]) -> None:
        self.app = app
        self.allowed = {host_name(h) for h in allowed_hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            headers = dict(scope["headers"])
            host = host_name(headers.get(b"host", b"").decode("latin-1"))
            if host not in self.allowed:
                await PlainTextResponse("Invalid host header", status_code=400)(
                    scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(
    model: AsyncChatModel | None = None,
    *,
    sessions_dir: Path,
    judge: AsyncChatModel | None = None,
    signals_only: bool = False,
    limits: Limits | None = None,
    personas_dir: Path | None = None,
    runs_dir: Path | None = None,
    suites_dir: Path | None = None,
    demo_pace: float = 0.02,
    allowed_hosts: Sequence[str] | None = None,
    voice_endpoint: voice.VoiceEndpoint | None = None,
) -> Starlette:
    """The practice web app.

    Args:
        model: The interviewer; ``None`` for the scripted demo (labelled on every page). The
            app closes it (and ``judge``) when it shuts down.
        sessions_dir: Where each session's transcript and evaluation are saved.
        judge: The judge model (default: ``model``; the demo's scripted judge in demo mode).
        signals_only: Report signals only, calling no judge (said plainly on the report).
        limits: Characters per answer and per interview, turns per interview.
        personas_dir: Persona folder (default: the shipped personas).
        runs_dir: A folder of eval run folders (or one run folder) to browse under ``/runs``.
        suites_dir: Where the runs' suites are found when a run folder does not say (default:
            ``./evals``, or an ``evals`` folder beside the runs folder).
        demo_pace: Seconds between the demo interviewer's streamed words.
        allowed_hosts: Answer only requests for these host names (the ``Host`` header), which
            stops a DNS-rebinding page from reading a local server; ``None`` allows any.
        voice_endpoint: Transcribes spoken answers and reads questions aloud (voice practice;
            the app closes it, if it has ``close``, when it shuts down); ``None``: answers are
            typed, and the page says why.
    """
    personas = list_personas(personas_dir)
    by_id = {p.id: p for p in personas}
    demo = model is None
    drafted = drafts_dir(sessions_dir)
    interviewer: AsyncChatModel = model or DemoChatModel(
        # Personas drafted in an earlier run, so their saved interviews resume in the demo.
        personas + (list_personas(drafted) if drafted.is_dir() else []), pace=demo_pace)
    evaluator = Evaluator(judge_model=judge or interviewer, signals_only=signals_only)
    store = SessionStore(sessions_dir, interviewer, evaluator, limits=limits,
                         personas_dir=personas_dir, timed=voice_endpoint is not None)
    no_voice = None if voice_endpoint is not None else (
        "Voice answers need a model endpoint with audio transcription; this is the scripted "
        "demo (no API key is set), so type your answers." if demo else
        "Voice answers are off on this server; type your answers.")
    limit = store.limits

    def html(text: str, status: int = 200) -> HTMLResponse:
        return HTMLResponse(text, status_code=status, headers=_HEADERS)

    def not_found() -> HTMLResponse:
        return html(views.message_page("Not found", "There is no such interview.", demo=demo),
                    404)

    def session_of(request: Request, *, retry: bool = False) -> PracticeSession | None:
        return store.get(str(request.path_params["sid"]), retry=retry)

    async def home(request: Request) -> Response:  # noqa: ARG001 - Starlette's signature
        return html(views.personas_page(personas, demo=demo, model=interviewer.model_name,
                                        runs=runs_dir is not None))

    async def start(request: Request) -> Response:
        if not _same_origin(request):
            return _error(403, "Cross-site request refused.")
        try:
            form = parse_qs((await _body(request, 2000)).decode("utf-8", "replace"))
        except _TooLarge:
            form = {}
        # Only a listed id: a posted name is never read as a path.
        persona = by_id.get(form.get("persona", [""])[0])
        if persona is None:
            return html(views.message_page("Unknown interviewer", "Choose one from the list.",
                                           demo=demo), 422)
        session = store.create(persona)
        return RedirectResponse(f"/i/{session.id}", status_code=303, headers=_HEADERS)

    def start_drafted(persona: Persona, cv: str | None = None) -> str:
        if isinstance(interviewer, DemoChatModel):
            interviewer.add_persona(persona)
        return f"/i/{store.create(persona, cv=cv).id}"

    async def interview(request: Request) -> Response:
        session = session_of(request, retry=True)  # a reload is how a person tries again
        if session is None:
            return not_found()
        return html(views.interview_page(session.id, session.persona, demo=demo,
                                         answer_chars=limit.answer_chars, no_voice=no_voice))

    async def events(request: Request) -> Response:
        session = session_of(request)
        if session is None:
            return not_found()

        async def stream() -> AsyncIterator[str]:
            async for name, data in session.subscribe():
                yield f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={**_HEADERS, "X-Accel-Buffering": "no"})

    async def answer(request: Request) -> Response:
        session = session_of(request)
        if session is None:
            return _error(404, "There is no such interview.")
        if not _same_origin(request):
            return _error(403, "Cross-site request refused.")
        try:
            data: Any = json.loads(await _body(request, limit.answer_chars * 4 + 200))
        except _TooLarge:
            return _error(413, f"An answer may be at most {limit.answer_chars} characters.")
        except RecursionError:
            # A few kilobytes of "[[[[..." exhaust the parser's stack: the client's mistake.
            return _error(400, 'The JSON is nested too deeply; send {"text": "your answer"}.')
        except ValueError:
            return _error(422, 'Send JSON: {"text": "your answer"}.')
        text = data.get("text") if isinstance(data, dict) else None
        if not isinstance(text, str) or not text.strip():
            return _error(422, "The answer is empty.")
        text = text.strip()
        if len(text) > limit.answer_chars:
            return _error(413, f"An answer may be at most {limit.answer_chars} characters; "
                          f"this one has {len(text)}.")
        if session.answered_chars + len(text) > limit.interview_chars:
            return _error(413, f"This interview has reached its limit of "
                          f"{limit.interview_chars} characters of answers. End it to see your "
                          "report.")
        if session.status != "candidate":
            return _error(409, "It is not your turn yet: wait for the interviewer.")
        take = data.get("take")
        await session.answer(text, voice.spoken_answer(session, take)
                             if isinstance(take, str) else None)
        return JSONResponse({"ok": True}, status_code=202, headers=_HEADERS)

    async def end(request: Request) -> Response:
        session = session_of(request)
        if session is None:
            return _error(404, "There is no such interview.")
        if not _same_origin(request):
            return _error(403, "Cross-site request refused.")
        if session.status in ("interviewer", "candidate"):
            await session.end()
        return JSONResponse({"ok": True}, status_code=202, headers=_HEADERS)

    async def report(request: Request) -> Response:
        session = session_of(request)
        if session is None:
            return not_found()
        await session.settled()
        if session.status != "finished":
            return html(views.message_page("Not finished", "The interview is still going; "
                                           "its report comes when it ends.", demo=demo), 409)
        if session.evaluation is None:
            return html(views.message_page("No report", session.error or "No evaluation.",
                                           demo=demo))
        return html(views.report_page(session.evaluation, session.turns, session.persona,
                                      demo=demo))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:  # noqa: ARG001
        yield
        await store.aclose()
        # The SDK clients belong to the loop they were used on: close them with it.
        for owned in [interviewer, *([judge] if judge not in (None, interviewer) else [])]:
            close = getattr(owned, "aclose", None)
            if callable(close):
                await close()
        close_voice = getattr(voice_endpoint, "close", None)
        if callable(close_voice):
            close_voice()

    routes: list[Route | Mount] = [
        Route("/", home),
        Route("/interviews", start, methods=["POST"]),
        Route("/i/{sid}", interview),
        Route("/i/{sid}/events", events),
        Route("/i/{sid}/answer", answer, methods=["POST"]),
        Route("/i/{sid}/end", end, methods=["POST"]),
        Route("/i/{sid}/report", report),
        Route("/favicon.ico", _favicon),
        Mount("/static", StaticFiles(directory=_STATIC), name="static"),
    ]
    routes += drafts.routes(interviewer, sessions_dir, demo=demo, headers=_HEADERS,
                            same_origin=_same_origin, read_form=_form, start=start_drafted)
    if voice_endpoint is not None:
        routes += voice.routes(store, voice_endpoint, headers=_HEADERS, same_origin=_same_origin,
                               read_body=_body_or_none)
    if runs_dir is not None:
        routes += runs.routes(runs_dir, suites_dir, demo=demo, headers=_HEADERS)
    middleware = [Middleware(_AllowedHosts, allowed_hosts=list(allowed_hosts))
                  ] if allowed_hosts is not None else []
    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
    app.state.store = store
    return app


async def _favicon(request: Request) -> Response:  # noqa: ARG001 - a Starlette endpoint
    # Browsers ask for /favicon.ico on every page; an SVG answers it in every current browser.
    return Response((_STATIC / "favicon.svg").read_bytes(), media_type="image/svg+xml",
                    headers={**_HEADERS, "Cache-Control": "max-age=86400"})


def _same_origin(request: Request) -> bool:
    # Browsers send Origin on cross-site POSTs ("null" from a page hiding its origin): another
    # site may not start interviews on your model from your browser.
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("host")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=_HEADERS)


async def _body(request: Request, limit: int) -> bytes:
    """The request body, refusing more than ``limit`` bytes without reading it all."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    body = bytearray()  # a recording arrives in many chunks: no copy per chunk
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _TooLarge
    return bytes(body)


async def _body_or_none(request: Request, limit: int) -> bytes | None:
    """The request body, or None when it is over ``limit`` bytes."""
    try:
        return await _body(request, limit)
    except _TooLarge:
        return None


async def _form(request: Request, limit: int) -> dict[str, list[str]] | None:
    """The request's urlencoded form, or None when the body is over ``limit`` bytes."""
    try:
        return parse_qs((await _body(request, limit)).decode("utf-8", "replace"))
    except _TooLarge:
        return None
