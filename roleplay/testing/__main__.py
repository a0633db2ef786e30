"""``python -m roleplay.testing``: the local test server with scripted responders, until Ctrl-C.

A stand-in endpoint for recording cassettes or trying a persona offline: it plays the
interviewer of every persona given, every candidate profile given, and the judge, over real
HTTP on 127.0.0.1 in OpenAI's wire format. Its replies follow scripts, not a model: use it to
check plumbing and persona files, and a real endpoint to check behaviour.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from roleplay.errors import RoleplayError
from roleplay.persona import (
    CandidateProfile,
    Persona,
    list_candidates,
    list_personas,
    load_candidate,
    load_persona,
)
from roleplay.scripted import simulation_responder
from roleplay.testing.server import OpenAICompatServer


def _personas(paths: list[Path]) -> list[Persona]:
    found: list[Persona] = []
    for path in paths:
        found += list_personas(path) if path.is_dir() else [load_persona(path)]
    return found


def _candidates(paths: list[Path]) -> list[CandidateProfile]:
    found: list[CandidateProfile] = []
    for path in paths:
        found += list_candidates(path) if path.is_dir() else [load_candidate(path)]
    return found


def main(argv: list[str] | None = None) -> int:
    """Serve until interrupted; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m roleplay.testing",
        description="Serve scripted interviewers, candidates and a judge on 127.0.0.1 in "
        "OpenAI's wire format, for recording cassettes offline. Prints the base URL to use.")
    parser.add_argument("--personas", nargs="+", type=Path, default=[], metavar="PATH",
                        help="persona YAML files or folders (default: the shipped personas)")
    parser.add_argument("--candidates", nargs="+", type=Path, default=[], metavar="PATH",
                        help="candidate profile YAML files or folders (default: the shipped "
                        "profiles)")
    parser.add_argument("--port", type=int, default=0, metavar="N",
                        help="port on 127.0.0.1 (default: any free one; the URL is printed)")
    args = parser.parse_args(argv)
    try:
        personas = _personas(args.personas) if args.personas else list_personas()
        candidates = _candidates(args.candidates) if args.candidates else list_candidates()
    except RoleplayError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    server = OpenAICompatServer(responder=simulation_responder(personas, candidates),
                                port=args.port)
    try:
        server.start()
    except OSError as exc:
        print(f"error: cannot listen on 127.0.0.1:{args.port}: {exc.strerror}; pick another "
              "--port, or leave it out for any free one", file=sys.stderr)
        return 2
    with server:
        print(f"OPENAI_BASE_URL={server.base_url}", flush=True)
        print(f"serving {len(personas)} persona(s) and {len(candidates)} candidate profile(s); "
              "Ctrl-C stops", file=sys.stderr, flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
