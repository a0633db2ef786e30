"""``roleplay serve``: the practice web app (needs ``pip install "roleplay-interviews[web]"``).

Binds to 127.0.0.1 unless ``--host`` says otherwise. Without a key the interviewer is the
scripted demo, labelled as such on every page.
"""

from __future__ import annotations

import argparse
import errno
import importlib.util
import socket
import sys
from pathlib import Path

from roleplay.cli._args import in_dir_arg, out_dir_arg, port_arg
from roleplay.cli._common import add_model_args, make_async_model, positive_int_arg
from roleplay.cli._practice import max_turns_arg
from roleplay.cli._recordings import DEFAULT_TRANSCRIBE_MODEL
from roleplay.errors import MissingAPIKeyError

__all__ = ["register"]

DEFAULT_SESSIONS = Path(".roleplay-sessions")
DEFAULT_SPEECH_MODEL = "gpt-4o-mini-tts"
"""The default text-to-speech model (kept equal to the adapter's, whose module loads the SDK)."""
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``serve`` sub-command."""
    parser = subparsers.add_parser(
        "serve",
        help="practise interviews in the browser (a local web app)",
        description="Serve the practice web app: pick an interviewer, answer in the browser "
        "while the interviewer's words stream in, then read the evaluation with its evidence "
        "at each turn. Without an API key the interviewer and judge are scripted demo "
        "stand-ins. Needs the web extra: pip install \"roleplay-interviews[web]\".",
    )
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=port_arg, default=8000, help="port (default 8000)")
    parser.add_argument("--sessions", type=out_dir_arg, default=DEFAULT_SESSIONS, metavar="DIR",
                        help="where each interview's transcript and evaluation are saved, so a "
                        f"reload or restart resumes it (default ./{DEFAULT_SESSIONS})")
    parser.add_argument("--runs", type=in_dir_arg, default=None, metavar="DIR",
                        help="also browse eval run folders in DIR under /runs (e.g. "
                        ".roleplay-cache/runs)")
    parser.add_argument("--suites", type=in_dir_arg, default=None, metavar="DIR",
                        help="where the runs' suites are, for run folders that do not record "
                        "it (default: ./evals, or an evals folder beside the runs folder)")
    parser.add_argument("--personas", type=in_dir_arg, default=None, metavar="DIR",
                        help="persona folder (default: the shipped personas)")
    parser.add_argument("--demo", action="store_true",
                        help="use the scripted demo interviewer even when a key is set")
    parser.add_argument("--signals-only", action="store_true",
                        help="report deterministic signals only: no judge model is called")
    parser.add_argument("--max-turns", type=max_turns_arg, default=24, metavar="N",
                        help="turns per interview, both speakers counted (default 24)")
    parser.add_argument("--answer-chars", type=positive_int_arg, default=4000, metavar="N",
                        help="characters per answer (default 4000)")
    parser.add_argument("--interview-chars", type=positive_int_arg, default=40_000,
                        metavar="N", help="characters of answers per interview (default 40000)")
    voice = parser.add_argument_group(
        "voice", "Spoken answers are transcribed, and questions read aloud, through the same "
        "endpoint's /v1/audio routes (OpenAI; vLLM and other servers that serve Whisper).")
    voice.add_argument("--transcribe-model", default=DEFAULT_TRANSCRIBE_MODEL, metavar="NAME",
                       help=f"transcription model for spoken answers (default "
                       f"{DEFAULT_TRANSCRIBE_MODEL}; e.g. whisper-1 elsewhere)")
    voice.add_argument("--speech-model", default=DEFAULT_SPEECH_MODEL, metavar="NAME",
                       help=f"text-to-speech model for reading questions aloud (default "
                       f"{DEFAULT_SPEECH_MODEL})")
    voice.add_argument("--voice", default="alloy", metavar="NAME",
                       help="the voice questions are read in (default alloy)")
    voice.add_argument("--no-voice", action="store_true",
                       help="typed answers only: no recording, no reading aloud")
    add_model_args(parser)
    parser.set_defaults(func=run)


def _port_busy(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be bound (in use, no such address), else None.

    Checked before saying "serving at", which the server would otherwise follow with its own
    errno.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return f"the host name does not resolve ({exc.strerror})"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # As the server will: a port left in TIME_WAIT by a stopped server is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return "the port is busy (another server is using it)"
            return exc.strerror or str(exc)
    return None


def run(args: argparse.Namespace) -> int:
    """Build the app and serve it until Ctrl-C."""
    if importlib.util.find_spec("starlette") is None or importlib.util.find_spec("uvicorn") is None:
        print("roleplay: `roleplay serve` needs the web extra: "
              'pip install "roleplay-interviews[web]"',
              file=sys.stderr)
        return 2
    import uvicorn

    from roleplay.web import Limits, create_app, server_options

    model = None
    if not args.demo:
        try:
            model = make_async_model(args)
        except MissingAPIKeyError:
            print("roleplay: no API key (OPENAI_API_KEY or --api-key), so the interviewer is the "
                  "scripted demo", file=sys.stderr)
    endpoint = None
    if model is not None and not args.no_voice:
        from roleplay.llm.openai_audio import OpenAITranscriber

        endpoint = OpenAITranscriber(args.transcribe_model, base_url=args.base_url,
                                     api_key=args.api_key, speech_model=args.speech_model,
                                     voice=args.voice)
    app = create_app(
        model, sessions_dir=args.sessions, signals_only=args.signals_only,
        voice_endpoint=endpoint,
        limits=Limits(answer_chars=args.answer_chars, interview_chars=args.interview_chars,
                      max_turns=args.max_turns),
        personas_dir=args.personas, runs_dir=args.runs, suites_dir=args.suites,
        allowed_hosts=_LOOPBACK if args.host in _LOOPBACK else None,
    )
    if args.host not in _LOOPBACK:
        print(f"roleplay: warning: serving on {args.host}: the app has no login, so anyone who "
              "can reach this address can start interviews on your model", file=sys.stderr)
    busy = _port_busy(args.host, args.port)
    if busy:
        print(f"roleplay: cannot serve on {args.host}:{args.port}: {busy}; pass another "
              f"--port (e.g. --port {args.port + 1 if args.port < 65535 else 8000})",
              file=sys.stderr)
        return 2
    where = f"http://{args.host}:{args.port}/"
    print(f"roleplay: serving {'the demo' if model is None else model.model_name} at {where} "
          f"(sessions in {args.sessions}{'; runs at ' + where + 'runs' if args.runs else ''})",
          file=sys.stderr)
    # A deadline for each request's headers and body: half-open sockets are not held.
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", **server_options())
    return 0
