"""``roleplay evaluate`` over many transcripts: folders and globs, CSV/JSONL, resumable results."""

from __future__ import annotations

import argparse
import csv
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from roleplay.cli import _common, _evaluate
from roleplay.errors import ConfigError
from roleplay.evaluate import Evaluation
from roleplay.llm.base import ChatRequest
from roleplay.rubric import load_rubric
from roleplay.testing import FunctionChatModel

ROOT = Path(__file__).parent.parent
GOLD = ROOT / "evals" / "gold" / "cases"
IMPORTS = Path(__file__).parent / "data" / "imports"
RUBRIC = load_rubric()


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="roleplay")
    sub = parser.add_subparsers(dest="command", required=True)
    _evaluate.register(sub)
    args = parser.parse_args(["evaluate", *argv])
    code: int = args.func(args)
    return code


@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ROLEPLAY_MODEL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A folder of stored interviews in mixed formats, as an app would keep them."""
    folder = tmp_path / "store"
    folder.mkdir()
    for case in sorted(GOLD.glob("*.txt"))[:6]:
        shutil.copy(case, folder / case.name)
    for name in ("zoom.vtt", "descript.srt", "panel.txt"):
        shutil.copy(IMPORTS / name, folder / name)
    (folder / "notes.md").write_text("not a transcript: folders are searched by suffix\n")
    return folder


def reply(request: ChatRequest) -> str:
    out: dict[str, Any] = {}
    for c in RUBRIC.criteria:
        p: dict[str, Any] = {"evidence": [], "reason": "Fine.", "applicable": True, "score": 3}
        if c.checklist:
            p = {"checklist": {item.id: False for item in c.checklist}, **p}
        out[c.id] = p
    return json.dumps(out)


def test_a_folder_becomes_one_csv_row_per_transcript(
        store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "verdicts.csv"
    assert run([str(store), "--signals-only", "--out", str(out)]) == 0  # format from suffix
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 9 and not any(r["file"].endswith("notes.md") for r in rows)
    assert {r["mode"] for r in rows} == {"signals_only"}
    assert all(r["next_steps_status"] for r in rows) and "asked_for_job" in rows[0]
    table = capsys.readouterr().out
    assert "9 transcripts" in table and "9 evaluated" in table and "zoom.vtt" in table


def test_a_quoted_glob_is_expanded_and_jsonl_goes_to_stdout(
        store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run([str(store / "*.txt"), "--signals-only", "--format", "jsonl"]) == 0
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert len(lines) == 7  # six gold cases and the panel
    evaluation = Evaluation.model_validate(lines[0]["evaluation"])
    assert evaluation.mode == "signals_only" and lines[0]["error"] is None
    assert "7 transcripts" in captured.err  # the table stays out of the data


def test_judged_bulk_saves_each_result_and_a_rerun_reuses_unchanged_files(
        store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = FunctionChatModel(reply)
    monkeypatch.setattr(_common, "make_model", lambda args: model)
    results = tmp_path / "results"
    argv = [str(store), "--out-dir", str(results), "--concurrency", "3", "--format", "csv",
            "--out", str(tmp_path / "v.csv")]
    assert run(argv) == 0
    assert model.calls == 9
    saved = sorted(p.name for p in results.glob("*.json"))
    assert len(saved) == 9 and "zoom.json" in saved
    record = json.loads((results / "zoom.json").read_text(encoding="utf-8"))
    assert record["evaluation"]["mode"] == "judge" and record["sha256"]

    assert run(argv) == 0
    assert model.calls == 9  # nothing changed: nothing judged again
    (store / "panel.txt").write_text((store / "panel.txt").read_text() + "Tom Becker: Bye.\n")
    assert run(argv) == 0
    assert model.calls == 10  # only the edited file
    assert run([*argv, "--no-resume"]) == 0
    assert model.calls == 10  # evaluated again, but every judge reply is in the judge cache
    assert run([*argv, "--no-resume", "--no-cache"]) == 0
    assert model.calls == 19


def test_a_bad_file_is_reported_and_the_rest_are_kept(
        store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (store / "broken.txt").write_text("no speakers in here at all\n")
    out = tmp_path / "v.jsonl"
    assert run([str(store), "--signals-only", "--out", str(out), "--out-dir",
                str(tmp_path / "r")]) == 1
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    broken = next(line for line in lines if line["file"].endswith("broken.txt"))
    assert broken["evaluation"] is None and "no speakers found" in broken["error"]
    assert sum(line["evaluation"] is not None for line in lines) == 9
    table = capsys.readouterr().out
    assert "1 failed" in table and "broken.txt" in table and "line 1" in table


def test_an_input_that_matches_nothing_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no transcript files match .*nothing-\\*.vtt"):
        run([str(tmp_path / "nothing-*.vtt"), "--signals-only"])


@pytest.mark.parametrize(("extra", "message"), [
    (["--format", "html"], "--format jsonl or csv"),
    (["--dry-run"], "pass one transcript"),
])
def test_one_report_options_are_refused_in_bulk(store: Path, extra: list[str],
                                                message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        run([str(store), *extra])
