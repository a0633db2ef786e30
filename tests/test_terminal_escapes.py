"""Escape sequences in transcript text never reach the terminal; saved data keeps them.

The hostile transcript retitles the window (OSC 0), recolours the screen (SGR 31), reverses
text with a bidi override, rings the bell and rewinds the line with a carriage return.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from roleplay._display import terminal_safe
from roleplay.cli import main
from roleplay.evals import progress
from roleplay.evaluate import Evaluator
from roleplay.importing import load_transcript
from roleplay.report import print_report, render
from roleplay.testing import Fault, OpenAICompatServer
from tests.test_cli_eval import MINI

TITLE = "\x1b]0;owned\x07"
RED = "\x1b[31m"
RESET = "\x1b[0m"
BIDI = "\u202e"
POP = "\u202c"
HOSTILE = (f"Interviewer: Welcome {TITLE}to the interview. What did you build last year?\n"
           f"Candidate: I {RED}led a migration{RESET} of our billing service to a new "
           f"queue, {BIDI}desrever{POP} cutting failed payments by a third.\r Done.\n"
           "Interviewer: Thank you. Next we will send a take-home task by Friday.\n")
RAW = ("\x1b", "\x07", BIDI, "\r")


def no_raw_controls(text: str) -> None:
    for char in RAW:
        assert char not in text, f"{char!r} reached the terminal"


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.txt"
    path.write_text(HOSTILE, encoding="utf-8", newline="")
    return path


def test_terminal_safe_shows_controls_and_keeps_newlines_and_tabs() -> None:
    assert terminal_safe(f"a{TITLE}b\tc\nd{BIDI}\x9b\x7f") == \
        "a\\x1b]0;owned\\x07b\tc\nd\\u202e\\x9b\\x7f"
    assert terminal_safe("Grüße, 你好 — naïve") == "Grüße, 你好 — naïve"


def test_import_preview_is_safe_and_the_saved_json_keeps_the_text(
        hostile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "t.json"
    assert main(["import", str(hostile), "--out", str(out)]) == 0
    shown = capsys.readouterr().out
    no_raw_controls(shown)
    assert "\\x1b]0;owned\\x07" in shown and "\\x1b[31m" in shown and "\\u202e" in shown
    saved = load_transcript(out)
    assert TITLE in saved.turns[0].text and RED in saved.turns[1].text
    assert BIDI in saved.turns[1].text


def test_text_report_and_terminal_report_are_safe(hostile: Path) -> None:
    transcript = load_transcript(hostile)
    evaluation = Evaluator(signals_only=True).evaluate(transcript)
    text = render(evaluation, "text", transcript=transcript)
    no_raw_controls(text)
    assert "\\x1b]0;owned\\x07" in text

    buffer = io.StringIO()
    # A real terminal: rich's own styling is ANSI, but nothing from the transcript is.
    print_report(evaluation, Console(file=buffer, force_terminal=True, width=120),
                 transcript=transcript)
    shown = buffer.getvalue()
    assert "\x1b[1m" in shown  # rich's bold
    assert "\x1b]" not in shown and "\x07" not in shown and BIDI not in shown
    assert f"{RED}led" not in shown and "\\x1b[31mled" in shown


def test_eval_report_shows_server_error_text_safely(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLEPLAY_CACHE_DIR", str(tmp_path / "cache"))
    suite = tmp_path / "mini"
    shutil.copytree(MINI, suite)
    with OpenAICompatServer() as server:
        server.add_faults(*[Fault.http_error(500, message=f"bad {TITLE}{RED}gateway",
                                             should_retry=False)] * 4)
        code = main(["eval", str(suite), "--base-url", server.base_url, "--api-key", "t",
                     "--no-progress", "--no-cache"])
    out = capsys.readouterr().out
    assert code == 1
    assert "Failed cases:" in out and "bad \\x1b]0;owned\\x07\\x1b[31mgateway" in out
    no_raw_controls(out)


def test_progress_bar_shows_labels_as_plain_safe_text(monkeypatch: pytest.MonkeyPatch) -> None:
    buffer = io.StringIO()

    class Terminal(Console):
        def __init__(self, **_: object) -> None:
            super().__init__(file=buffer, force_terminal=True, width=120)

    monkeypatch.setattr("rich.console.Console", Terminal)
    bar = progress.ProgressBar(f"eval [bold]x{TITLE}", 2, status=f"{RED}cost")
    with bar.context():
        bar.advance(f"case {BIDI}1")
    shown = buffer.getvalue()
    assert "[bold]x\\x1b]0;owned\\x07" in shown  # markup shown as text, escape made visible
    assert "\\u202e1" in shown
    assert "\x1b]0" not in shown and "\x07" not in shown and BIDI not in shown
    assert f"{RED}cost" not in shown
