"""The ``roleplay`` command line.

Each sub-command lives in its own ``_<name>.py`` module with a ``register(subparsers)``
function; errors from the library become a one-paragraph message and a non-zero exit code,
never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from roleplay._version import __version__
from roleplay.errors import ConfigError, MissingAPIKeyError, RoleplayError

__all__ = ["main"]

_LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
_COMMANDS = ("personas", "practice", "simulate", "import", "evaluate", "eval", "mutate",
             "serve")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="roleplay",
        description="Practise and judge job interviews with LLMs.",
    )
    parser.add_argument("--version", action="version", version=f"roleplay {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in _COMMANDS:
        module = importlib.import_module(f"roleplay.cli._{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 failure, 2 usage/config error)."""
    level = os.environ.get("ROLEPLAY_LOG", "").strip().lower()
    if level and level not in _LOG_LEVELS:
        print(f"roleplay: ROLEPLAY_LOG={os.environ['ROLEPLAY_LOG']!r} is not a log level; use "
              f"one of {', '.join(_LOG_LEVELS)}, or unset it", file=sys.stderr)
        return 2
    if level:
        logging.basicConfig(level=level.upper(), format="%(levelname)s %(name)s: %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except MissingAPIKeyError:
        print(f"roleplay: {MissingAPIKeyError(command_line=True)}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"roleplay: {exc}", file=sys.stderr)
        return 2
    except RoleplayError as exc:
        print(f"roleplay: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("roleplay: interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
