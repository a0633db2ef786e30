"""The bad-input table, part 2: flags and environment variables.

Every number and path flag is checked when the command line is read, so a refused value costs
nothing: each row asserts that no model call was made (see `bad_input_kit`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bad_input_kit import GOOD, Row, copy_suite, run_row, server

from roleplay.testing import OpenAICompatServer

# Slow: `pytest -m "not slow"` leaves this file out of the inner loop; CI runs it.
pytestmark = pytest.mark.slow

__all__ = ["server"]

T = {"t.txt": GOOD}
EVAL = ("evaluate", "t.txt")
SUITE = ("eval", "suite", "--no-progress")
MODEL_FLAGS = [  # (flag, value, what the message says)
    ("--timeout", "inf", "expected a finite number"),
    ("--timeout", "nan", "expected a finite number"),
    ("--timeout", "0", "must be positive"),
    ("--timeout", "-5", "must be positive"),
    ("--timeout", "1e9", "at most 86400 seconds"),
    ("--timeout", "soon", "expected a number of seconds"),
    ("--temperature", "nan", "expected a finite number"),
    ("--temperature", "5", "must be between 0 and 2"),
    ("--temperature", "-0.5", "must be between 0 and 2"),
    ("--seed", "1.5", "expected a whole number"),
    ("--seed", str(2**70), "must be between"),
]


def _flag_rows() -> list[Row]:
    rows = [Row(f"evaluate {flag} {value}", (*EVAL, flag, value), 2, (f"{flag}", says), files=T)
            for flag, value, says in MODEL_FLAGS]
    # The same checks guard every command that builds a model.
    rows += [
        Row("practice --timeout inf", ("practice", "--persona", "warm-hr-screener", "--timeout",
                                       "inf"), 2, ("--timeout", "finite")),
        Row("eval --timeout nan", (*SUITE, "--timeout", "nan"), 2, ("--timeout", "finite"),
            setup=copy_suite()),
        Row("mutate --temperature nan", ("mutate", "--temperature", "nan"), 2,
            ("--temperature", "finite")),
        Row("simulate --seed x", ("simulate", "--persona", "warm-hr-screener", "--candidate",
                                  "strong-closer", "--seed", "x"), 2, ("--seed",)),
        Row("serve --timeout 0", ("serve", "--demo", "--timeout", "0"), 2,
            ("--timeout", "must be positive")),
    ]
    return rows


COST_ROWS = [
    Row("eval --max-cost nan", (*SUITE, "--max-cost", "nan"), 2, ("--max-cost", "finite"),
        setup=copy_suite()),
    Row("eval --max-cost -1", (*SUITE, "--max-cost", "-1"), 2, ("--max-cost", "not be negative"),
        setup=copy_suite()),
    Row("eval --max-cost inf", (*SUITE, "--max-cost", "inf"), 2, ("--max-cost", "finite"),
        setup=copy_suite()),
    Row("eval --max-cost free", (*SUITE, "--max-cost", "free"), 2, ("--max-cost", "USD"),
        setup=copy_suite()),
    Row("mutate --max-cost -3", ("mutate", "--max-cost", "-3"), 2, ("--max-cost",)),
    Row("mutate -k 0", ("mutate", "-k", "0", "--signals-only"), 2, ("-k", "at least 1")),
    Row("mutate -k many", ("mutate", "-k", "many"), 2, ("-k", "whole number")),
]

LIMIT_ROWS = [
    Row("eval --concurrency 0", (*SUITE, "--concurrency", "0"), 2,
        ("--concurrency", "at least 1"), setup=copy_suite()),
    Row("eval --concurrency 10^12", (*SUITE, "--concurrency", "1000000000000"), 2,
        ("--concurrency", "at most 1024"), setup=copy_suite()),
    Row("eval --concurrency 64 --max-concurrency 4",
        (*SUITE, "--concurrency", "64", "--max-concurrency", "4"), 2,
        ("--concurrency 64 is above --max-concurrency 4",), setup=copy_suite()),
    Row("evaluate bulk --concurrency 64 --max-concurrency 4",
        ("evaluate", "calls", "--signals-only", "--concurrency", "64", "--max-concurrency", "4"),
        2, ("--concurrency 64 is above --max-concurrency 4",), files={"calls/a.txt": GOOD}),
    Row("evaluate --max-concurrency 0", (*EVAL, "--max-concurrency", "0"), 2,
        ("--max-concurrency", "at least 1"), files=T),
    Row("mutate --concurrency 0", ("mutate", "--concurrency", "0"), 2,
        ("--concurrency", "at least 1")),
    Row("mutate --concurrency huge", ("mutate", "--concurrency", "99999"), 2,
        ("--concurrency", "at most 1024")),
    Row("eval --poll-interval 0", (*SUITE, "--poll-interval", "0"), 2,
        ("--poll-interval", "must be positive"), setup=copy_suite()),
    Row("eval --poll-interval inf", (*SUITE, "--poll-interval", "inf"), 2,
        ("--poll-interval", "finite"), setup=copy_suite()),
    Row("evaluate --samples 100000", (*EVAL, "--samples", "100000"), 2,
        ("--samples", "100000 judge calls for every transcript", "at most 25"), files=T),
    Row("evaluate --samples 0", (*EVAL, "--samples", "0"), 2, ("--samples", "at least 1"),
        files=T),
    Row("eval --samples 100000", (*SUITE, "--samples", "100000"), 2,
        ("--samples", "at most 25"), setup=copy_suite()),
    Row("eval --samples 0", (*SUITE, "--samples", "0"), 2, ("--samples", "at least 1"),
        setup=copy_suite()),
    Row("eval --samples two", (*SUITE, "--samples", "two"), 2, ("--samples", "whole number"),
        setup=copy_suite()),
    Row("evaluate --max-prompt-tokens 0", (*EVAL, "--max-prompt-tokens", "0"), 2,
        ("--max-prompt-tokens", "at least 1"), files=T),
    Row("practice --max-turns 1", ("practice", "--persona", "warm-hr-screener", "--max-turns",
                                   "1"), 2, ("--max-turns", "between 2 and 400")),
    Row("practice --max-turns 10000", ("practice", "--persona", "warm-hr-screener",
                                       "--max-turns", "10000"), 2, ("--max-turns",)),
    Row("serve --port 99999", ("serve", "--demo", "--port", "99999"), 2,
        ("--port", "between 1 and 65535")),
    Row("serve --port 0", ("serve", "--demo", "--port", "0"), 2, ("--port",)),
    Row("serve --port http", ("serve", "--demo", "--port", "http"), 2,
        ("--port", "whole number")),
    Row("serve --answer-chars 0", ("serve", "--demo", "--answer-chars", "0"), 2,
        ("--answer-chars",)),
    Row("--max-size 0", (*EVAL, "--signals-only", "--max-size", "0"), 2,
        ("--max-size", "more than 0"), files=T),
    Row("--max-size nan", (*EVAL, "--signals-only", "--max-size", "nan"), 2,
        ("--max-size", "finite"), files=T),
    Row("evaluate --format pdf", (*EVAL, "--format", "pdf"), 2, ("--format", "invalid choice"),
        files=T),
    Row("evaluate --signals-only --dry-run", (*EVAL, "--signals-only", "--dry-run"), 2,
        ("--signals-only and --dry-run",), files=T),
    Row("evaluate --batch --signals-only", (*EVAL, "--batch", "--signals-only"), 2,
        ("--batch", "--signals-only"), files=T),
    Row("unknown command", ("grade", "t.txt"), 2, ("invalid choice: 'grade'",)),
    Row("unknown flag", (*EVAL, "--colour", "red"), 2, ("unrecognized arguments: --colour",),
        files=T),
    Row("practice without --persona", ("practice",), 2, ("--persona",)),
]

PATH_ROWS = [
    Row("evaluate FILE --out EXISTING_DIR (before the judge call)",
        (*EVAL, "--out", "reports"), 2, ("--out", "reports is a folder"),
        files={**T, "reports/keep.md": "kept"}),
    Row("evaluate DIR --out-dir EXISTING_FILE", ("evaluate", "calls", "--out-dir", "out.txt"), 2,
        ("--out-dir", "out.txt is a file"), files={"calls/a.txt": GOOD, "out.txt": "kept"}),
    Row("evaluate --out under a file", (*EVAL, "--out", "notes.txt/report.md"), 2,
        ("--out", "notes.txt is a file, not a folder"), files={**T, "notes.txt": "kept"}),
    Row("evaluate --out-dir under a file", ("evaluate", "calls", "--out-dir", "notes.txt/x"), 2,
        ("--out-dir", "notes.txt is a file"), files={"calls/a.txt": GOOD, "notes.txt": "kept"}),
    Row("eval --out EXISTING_DIR", (*SUITE, "--signals-only", "--out", "reports"), 2,
        ("--out", "reports is a folder"), files={"reports/": ""}, setup=copy_suite()),
    Row("eval --cache-dir EXISTING_FILE", (*SUITE, "--cache-dir", "cache.db"), 2,
        ("--cache-dir", "cache.db is a file"), files={"cache.db": "kept"}, setup=copy_suite()),
    Row("practice --out EXISTING_DIR", ("practice", "--persona", "warm-hr-screener", "--out",
                                        "transcripts"), 2, ("--out", "transcripts is a folder"),
        files={"transcripts/": ""}),
    Row("simulate --out EXISTING_DIR", ("simulate", "--persona", "warm-hr-screener",
                                        "--candidate", "strong-closer", "--out", "d"), 2,
        ("--out", "d is a folder"), files={"d/": ""}),
    Row("import --out EXISTING_DIR", ("import", "t.txt", "--out", "d"), 2,
        ("--out", "d is a folder"), files={**T, "d/": ""}),
    Row("mutate --out EXISTING_DIR", ("mutate", "--out", "d"), 2, ("--out", "d is a folder"),
        files={"d/": ""}),
    Row("mutate --save-transcripts EXISTING_FILE", ("mutate", "--save-transcripts", "t.txt"), 2,
        ("--save-transcripts", "t.txt is a file"), files=T),
    Row("mutate --transcripts missing", ("mutate", "--transcripts", "gone"), 2,
        ("--transcripts", "gone is missing")),
    Row("serve --sessions EXISTING_FILE", ("serve", "--demo", "--sessions", "t.txt"), 2,
        ("--sessions", "t.txt is a file"), files=T),
    Row("serve --runs missing", ("serve", "--demo", "--runs", "gone"), 2,
        ("--runs", "gone is missing")),
    Row("personas --dir a file", ("personas", "--dir", "t.txt"), 2,
        ("--dir", "t.txt is a file"), files=T),
]

ENV_ROWS = [
    Row("ROLEPLAY_LOG=verbose", (*EVAL, "--signals-only"), 2,
        ("ROLEPLAY_LOG='verbose' is not a log level", "debug, info"), files=T,
        env={"ROLEPLAY_LOG": "verbose"}),
    Row("ROLEPLAY_LOG=10", (*EVAL, "--signals-only"), 2, ("ROLEPLAY_LOG='10'",), files=T,
        env={"ROLEPLAY_LOG": "10"}),
    Row("no API key for the judge", EVAL, 2, ("OPENAI_API_KEY",), files=T,
        env={"OPENAI_API_KEY": None}),
    Row("OPENAI_BASE_URL with nothing listening", EVAL, 1,
        ("Could not reach http://127.0.0.1:9/v1: nothing is listening on port 9",), files=T,
        env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}),
    Row("OPENAI_BASE_URL without a scheme", EVAL, 2, ("not an http(s) URL",), files=T,
        env={"OPENAI_BASE_URL": "localhost:8080/v1"}),
    Row("--base-url with a bad port", (*EVAL, "--base-url", "http://127.0.0.1:99999/v1"), 2,
        ("invalid port",), files=T),
    Row("ROLEPLAY_CACHE_DIR is a file", ("eval", "suite", "--no-progress"), 2,
        ("cache.db",), files={"cache.db": "kept"}, setup=copy_suite(),
        env={"ROLEPLAY_CACHE_DIR": "{tmp}/cache.db"}),
]


@pytest.mark.parametrize("row", _flag_rows() + COST_ROWS + LIMIT_ROWS + PATH_ROWS + ENV_ROWS,
                         ids=lambda r: r.id)
def test_bad_flag_or_environment(row: Row, tmp_path: Path, server: OpenAICompatServer,
                                 monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    run_row(row, tmp_path, server, monkeypatch, capsys)
