"""``roleplay evaluate``, driven through its own register() on a fresh parser."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest
from factories import met_checklist

from roleplay.cli import _common, _evaluate
from roleplay.errors import ConfigError
from roleplay.llm.base import ChatRequest
from roleplay.rubric import load_rubric
from roleplay.testing import FunctionChatModel

DATA = Path(__file__).parent / "data"
STRONG = str(DATA / "transcripts" / "strong.txt")
RUBRIC = load_rubric()


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="roleplay")
    sub = parser.add_subparsers(dest="command", required=True)
    _evaluate.register(sub)
    return parser.parse_args(["evaluate", *argv])


def run(argv: list[str]) -> int:
    args = parse(argv)
    code: int = args.func(args)
    return code


@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ROLEPLAY_MODEL"):
        monkeypatch.delenv(name, raising=False)

    def refuse(args: argparse.Namespace) -> Any:
        raise AssertionError("this run must not build a model")

    monkeypatch.setattr(_common, "make_model", refuse)


def reply(request: ChatRequest) -> str:
    out: dict[str, Any] = {}
    for c in RUBRIC.criteria:
        p: dict[str, Any] = {"evidence": [{"turn": 8, "quote": "What are the next steps"}],
                             "reason": "Clear.", "applicable": True, "score": 4}
        if c.checklist:
            p = {"checklist": met_checklist(c), **p}
        out[c.id] = p
    return json.dumps(out)


def test_signals_only_json_needs_no_model_or_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert run([STRONG, "--signals-only", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["mode"] == "signals_only" and data["judge_calls"] == 0
    assert data["rubric"]["id"] == "interview-close"
    assert {c["id"]: c["status"] for c in data["criteria"]}["next_steps"] == "scored"


def test_dry_run_prints_the_exact_request_without_a_call(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert run([STRONG, "--dry-run", "--model", "gpt-4o"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["model"] == "gpt-4o"
    assert [m["role"] for m in data["messages"]] == ["system", "user"]
    assert "[T8][CANDIDATE] That sounds like exactly" in data["messages"][1]["content"]
    schema = data["response_format"]["schema"]
    assert data["response_format"]["type"] == "json_schema"
    assert schema["required"] == [c.id for c in RUBRIC.criteria]
    assert data["estimated_prompt_tokens"] > 1000


def test_judged_run_with_a_fake_model(monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    model = FunctionChatModel(reply)
    monkeypatch.setattr(_common, "make_model", lambda args: model)
    assert run([STRONG, "--format", "json", "--temperature", "0.2"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["mode"] == "judge" and data["judge_calls"] == 1 and model.calls == 1
    assert data["overall"] == 4.0 and data["passed"] is True
    assert model.requests[0].settings.temperature == 0.2
    evidence = data["criteria"][0]["evidence"][0]
    assert evidence == {"turn": 8, "quote": "What are the next steps", "verified": True,
                        "speaker": "candidate", "note": None}


def test_samples_and_text_report(monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    model = FunctionChatModel(reply)
    monkeypatch.setattr(_common, "make_model", lambda args: model)
    assert run([STRONG, "--samples", "2"]) == 0
    out = capsys.readouterr().out
    assert model.calls == 2
    assert "Interview evaluation: strong" in out and "4/5 (met)" in out


def test_out_file_takes_its_format_from_the_suffix(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "report.html"
    assert run([STRONG, "--signals-only", "--out", str(target)]) == 0
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and 'id="t8"' in page
    assert capsys.readouterr().out == ""
    md = tmp_path / "r.md"
    assert run([STRONG, "--signals-only", "--out", str(md), "--format", "md"]) == 0
    assert md.read_text(encoding="utf-8").startswith("# Interview evaluation: strong")


def test_json_transcripts_are_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from roleplay.importing import load_transcript

    path = tmp_path / "t.json"
    load_transcript(STRONG).save(path)
    assert run([str(path), "--signals-only", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["transcript_id"] == "strong"


def test_bad_inputs_raise_clear_errors(tmp_path: Path) -> None:
    bad = DATA / "rubrics_bad" / "missing_level.yaml"
    with pytest.raises(ConfigError, match="missing_level.yaml: criteria.0.levels"):
        run([STRONG, "--signals-only", "--rubric", str(bad)])
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ConfigError, match="empty"):
        run([str(empty), "--signals-only"])
    with pytest.raises(ConfigError, match="cannot be combined"):
        run([STRONG, "--signals-only", "--dry-run"])
    with pytest.raises(SystemExit):
        parse([STRONG, "--samples", "0"])


def test_the_command_is_wired_into_main(capsys: pytest.CaptureFixture[str]) -> None:
    from roleplay.cli import main

    assert main(["evaluate", STRONG, "--signals-only", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["mode"] == "signals_only"
    assert main(["evaluate", STRONG, "--signals-only", "--rubric", "no-such-rubric"]) == 2
    assert "no rubric 'no-such-rubric'" in capsys.readouterr().err
