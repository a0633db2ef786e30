"""``python -m benchmarks [NAME ...] [--quick] [--json-only]``: run the benchmarks.

Each benchmark prints a table and then one JSON line ``{"benchmark": NAME, ..., "ratio": X}``;
with ``--json-only`` only the JSON lines are printed. Exit status 0 when every benchmark ran
(the ratios are reported, never asserted), 1 when one failed.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from collections.abc import Sequence
from typing import TextIO

from benchmarks import BENCHMARKS
from benchmarks._common import print_result


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmark roleplay against baselines measured in the same run, using "
        "only the local OpenAI-compatible test server on 127.0.0.1.",
    )
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"benchmarks to run (default: all): {', '.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes (seconds, for the smoke test and CI); the numbers "
                        "are not meaningful")
    parser.add_argument("--json-only", action="store_true",
                        help="print only the JSON line of each benchmark")
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the selected benchmarks; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r} (choose from {', '.join(BENCHMARKS)})")
    out = out or sys.stdout
    names: list[str] = list(dict.fromkeys(args.names)) or list(BENCHMARKS)
    status = 0
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        start = time.perf_counter()
        try:
            result = module.run(quick=args.quick)
        except Exception as exc:  # report it and go on with the other benchmarks
            traceback.print_exc()
            print(f"benchmark {name} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            status = 1
            continue
        print_result(result, out, json_only=args.json_only)
        if not args.json_only:
            out.write(f"({name} took {time.perf_counter() - start:.1f} s)\n\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
