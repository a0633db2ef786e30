"""``roleplay eval``: exit codes, baselines, formats, estimates, and a judge over real HTTP."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from roleplay.cli import main
from roleplay.importing import load_transcript
from roleplay.rubric import load_rubric
from roleplay.testing import OpenAICompatServer

ROOT = Path(__file__).resolve().parent.parent
MINI = Path(__file__).parent / "data" / "suites" / "mini"


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Keep the judge cache and run folders out of the working tree.
    folder = tmp_path / "cache"
    monkeypatch.setenv("ROLEPLAY_CACHE_DIR", str(folder))
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ROLEPLAY_MODEL"):
        monkeypatch.delenv(name, raising=False)
    return folder


@pytest.fixture
def suite_dir(tmp_path: Path) -> Path:
    target = tmp_path / "mini"
    shutil.copytree(MINI, target)
    return target


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["eval", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_signals_only_run_writes_then_matches_its_baseline(
    suite_dir: Path, capsys: pytest.CaptureFixture[str], cache_dir: Path
) -> None:
    code, out, _ = run(capsys, str(suite_dir), "--signals-only", "--no-progress",
                       "--update-baseline")
    assert code == 0, out
    assert f"Baseline written: {suite_dir / 'baseline.signals.json'}" in out
    baseline = json.loads((suite_dir / "baseline.signals.json").read_text())
    assert baseline["mode"] == "signals_only" and baseline["judge_model"] is None
    assert sorted(baseline["cases"]) == ["c1-strong", "c2-no-close", "c3-no-invite",
                                         "c4-injection"]
    assert (cache_dir / "runs").is_dir()  # ROLEPLAY_CACHE_DIR moved the run folders

    code, out, _ = run(capsys, str(suite_dir / "suite.yaml"), "--signals-only", "--no-progress")
    assert code == 0, out
    assert "Flips: none" in out and "Statistic changes: none" in out and "Result: PASS" in out


def test_a_label_change_that_lowers_agreement_is_a_regression(
    suite_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, str(suite_dir), "--signals-only", "--update-baseline")[0] == 0
    case = suite_dir / "cases" / "c2-no-close.yaml"
    data = yaml.safe_load(case.read_text())
    data["labels"]["next_steps"] = {"score": 4, "rationale": "Pretend T6 confirmed both."}
    case.write_text(yaml.safe_dump(data))
    code, out, _ = run(capsys, str(suite_dir), "--signals-only")
    assert code == 1
    assert "Flips: none" in out  # the verdicts did not move, the labels did
    assert "regression: next_steps accuracy 1.000 -> 0.750 (tolerance 0)" in out


def test_a_missed_threshold_exits_1(suite_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = yaml.safe_load((suite_dir / "suite.yaml").read_text())
    data["signals_only"]["thresholds"] = {"criteria": {"answer_balance": {"min_accuracy": 0.9}}}
    (suite_dir / "suite.yaml").write_text(yaml.safe_dump(data))
    code, out, _ = run(capsys, str(suite_dir), "--signals-only")
    assert code == 1
    assert "threshold missed: answer_balance accuracy" in out and "Result: FAIL" in out


def test_json_and_markdown_reports(suite_dir: Path, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "report.json"
    code, out, _ = run(capsys, str(suite_dir), "--signals-only", "--format", "json",
                       "--out", str(out_file))
    assert code == 0 and out.strip() == f"PASS: report written to {out_file}"
    report = json.loads(out_file.read_text())
    assert report["suite"] == "mini" and report["mode"] == "signals_only"
    assert set(report["statistics"]) >= {"next_steps", "follow_up"}
    assert report["baseline"] is None and report["exit_code"] == 0

    code, out, _ = run(capsys, str(suite_dir), "--signals-only", "--format", "md")
    assert code == 0 and out.startswith("### Eval `mini`: **PASS**")
    assert "| criterion | n | pairs |" in out


def test_configuration_errors_exit_2_naming_the_file(suite_dir: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    case = suite_dir / "cases" / "c1-strong.yaml"
    data = yaml.safe_load(case.read_text())
    data["labels"]["follow_up"]["rationale"] = "Confirms email in T42."
    case.write_text(yaml.safe_dump(data))
    code, out, err = run(capsys, str(suite_dir), "--signals-only")
    assert code == 2 and out == ""
    assert str(case) in err and "labels.follow_up.rationale" in err and "cites T42" in err

    code, _, err = run(capsys, str(suite_dir / "nowhere"))
    assert code == 2 and "no suite" in err
    with pytest.raises(SystemExit) as usage:
        run(capsys, str(suite_dir), "--concurrency", "0")
    err = capsys.readouterr().err
    assert usage.value.code == 2 and "--concurrency: must be at least 1, got 0" in err
    code, _, err = run(capsys)
    assert code == 2 and "name a suite" in err


def test_a_suite_by_name_under_evals(suite_dir: Path, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "evals").mkdir()
    shutil.move(str(suite_dir), tmp_path / "evals" / "mini")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "mini", "--signals-only")
    assert code == 0 and "Suite mini (signals only)" in out


def test_schema_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--schema", "case")
    assert code == 0 and json.loads(out)["title"].startswith("roleplay eval case")
    assert out == (ROOT / "evals" / "schema" / "case.schema.json").read_text()


def test_estimate_needs_no_key_and_calls_nothing(suite_dir: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(suite_dir), "--estimate")
    assert code == 0
    assert "gpt-4o-mini" in out and "judge calls: 4 (cached: 0)" in out
    assert "expected cost: $" in out
    code, out, _ = run(capsys, str(suite_dir), "--estimate", "--model", "my-local-llama",
                       "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["judge_model"] == "my-local-llama" and data["cost_usd"] is None


def judge_responder(suite_dir: Path) -> Any:
    """Answers judge requests over HTTP with each case's human labels."""
    rubric = load_rubric("interview-close")
    cases = []
    for path in sorted((suite_dir / "cases").glob("*.yaml")):
        spec = yaml.safe_load(path.read_text())
        cases.append((load_transcript(path.parent / spec["transcript"]), spec["labels"]))

    def respond(body: dict[str, Any]) -> dict[str, Any]:
        user = body["messages"][1]["content"]
        transcript, labels = next(
            (t, lab) for t, lab in cases if f"[T1][INTERVIEWER] {t.turns[0].text}" in user)
        first = transcript.candidate_turns()[0]
        out: dict[str, Any] = {}
        for criterion in rubric.criteria:
            score = labels[criterion.id]["score"]
            part: dict[str, Any] = {
                "evidence": [{"turn": first.index, "quote": first.text[:40]}],
                "reason": "From the labels.", "applicable": score != "na",
                "score": None if score == "na" else score,
            }
            if criterion.checklist:
                part["checklist"] = {item.id: True for item in criterion.checklist}
            out[criterion.id] = part
        return out

    return respond


def test_a_judge_run_over_http_resumes_and_respects_the_budget(
    suite_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with OpenAICompatServer(responder=judge_responder(suite_dir)) as server:
        endpoint = ["--base-url", server.base_url, "--api-key", "test", "--no-progress"]
        code, out, _ = run(capsys, str(suite_dir), *endpoint, "--update-baseline")
        assert code == 0, out
        assert len(server.requests) == 4
        assert "4 evaluated now, 0 resumed" in out and "judge calls 4" in out
        assert (suite_dir / "baseline.json").is_file()

        code, out, _ = run(capsys, str(suite_dir), *endpoint)
        assert code == 0 and len(server.requests) == 4  # resumed, nothing re-judged
        assert "0 evaluated now, 4 resumed" in out and "Flips: none" in out

        code, out, _ = run(capsys, str(suite_dir), *endpoint, "--no-cache", "--max-cost", "0")
        assert code == 1 and len(server.requests) == 4
        assert "4 case(s) not run (budget)" in out

        code, out, _ = run(capsys, str(suite_dir), *endpoint, "--no-cache")
        assert code == 0 and len(server.requests) == 8


@pytest.mark.parametrize("suite", ["gold", "holdout"])
def test_the_committed_suites_match_their_signals_only_baselines(
    capsys: pytest.CaptureFixture[str], suite: str
) -> None:
    # A change to the signals shows up here as flips; regenerate the baseline on purpose.
    code, out, _ = run(capsys, str(ROOT / "evals" / suite), "--signals-only", "--no-progress")
    assert code == 0, out
    assert "Flips: none" in out


def test_a_batch_run_over_http_matches_the_live_one_and_resumes(
    suite_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with OpenAICompatServer(responder=judge_responder(suite_dir)) as server:
        endpoint = ["--base-url", server.base_url, "--api-key", "test", "--no-progress",
                    "--no-cache", "--format", "json"]
        code, live, _ = run(capsys, str(suite_dir), *endpoint, "--cache-dir",
                            str(tmp_path / "live"))
        assert code == 0 and len(server.chat_requests) == 4
        code, batched, err = run(capsys, str(suite_dir), *endpoint, "--batch",
                                 "--poll-interval", "0.01", "--cache-dir",
                                 str(tmp_path / "batch"))
        assert code == 0, err
        assert len(server.chat_requests) == 4  # no new live call: the batch answered
        assert "lines answered; 0 live judge call(s)" in err and "(created, completed)" in err
        assert "concurrency: limit 8" in err

        assert json.loads(batched)["verdicts"] == json.loads(live)["verdicts"]
        assert len(json.loads(live)["verdicts"]) == 4
        code, _, err = run(capsys, str(suite_dir), "--batch", "--signals-only")
        assert code == 2 and "--batch" in err
