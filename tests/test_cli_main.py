"""The command line as a whole: every sub-command is wired, and a missing key is one paragraph."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from roleplay.cli import main

GOLD_CASE = str(Path(__file__).resolve().parent.parent / "evals/gold/cases/g07-retail-begging.txt")


def test_every_command_is_registered(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("personas", "practice", "simulate", "evaluate", "eval", "mutate"):
        assert command in out


@pytest.mark.parametrize("argv", [
    ["simulate", "--persona", "warm-hr-screener", "--candidate", "beggar"],
    ["evaluate", GOLD_CASE],
])
def test_a_command_that_needs_the_model_explains_how_to_configure_one(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count("\n") == 1  # one paragraph
    assert "OPENAI_API_KEY" in err and "OPENAI_BASE_URL" in err


def test_signals_only_needs_no_model_and_no_key(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert main(["evaluate", GOLD_CASE, "--signals-only", "--format", "json"]) == 0
    assert '"criteria"' in capsys.readouterr().out


def test_python_dash_m_runs_the_same_command_line() -> None:
    done = subprocess.run([sys.executable, "-m", "roleplay", "personas", "--json"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "warm-hr-screener" in done.stdout
