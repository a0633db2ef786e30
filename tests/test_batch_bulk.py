"""``roleplay evaluate FILES... --batch`` against the local server's Batch API."""

from __future__ import annotations

import csv
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from roleplay.cli import main
from roleplay.cli._bulk import expand_inputs, run_bulk
from roleplay.evals import RunOptions
from roleplay.evals.batch import STATE_FILE, BatchOptions
from roleplay.evaluate import Evaluator
from roleplay.importing import load_transcript
from roleplay.llm.batch import BatchStatus
from roleplay.llm.openai import OpenAIChatModel
from roleplay.rubric import load_rubric
from roleplay.testing import OpenAICompatServer, judge_responder

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "evals" / "gold" / "cases"


@pytest.fixture
def store(tmp_path: Path) -> Path:
    folder = tmp_path / "store"
    folder.mkdir()
    for case in sorted(GOLD.glob("*.txt"))[:8]:
        shutil.copy(case, folder / case.name)
    return folder


@pytest.fixture
def server() -> Iterator[OpenAICompatServer]:
    with OpenAICompatServer(responder=judge_responder()) as srv:
        yield srv


def _rows(path: Path) -> list[dict[str, str]]:
    # Token counts (and so cost) vary with the random delimiter; verdicts must not.
    with path.open(encoding="utf-8") as handle:
        return [{k: v for k, v in row.items() if k not in ("cost_usd", "cached_tokens")}
                for row in csv.DictReader(handle)]


def test_bulk_batch_verdicts_equal_the_live_ones(store: Path, server: OpenAICompatServer,
                                                 tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    common = [str(store), "--base-url", server.base_url, "--api-key", "test", "--format", "csv"]
    assert main(["evaluate", *common, "--out", str(tmp_path / "live.csv")]) == 0
    assert len(server.chat_requests) == 8
    # --no-cache: the judge cache holds the live run's replies, which would leave no batch.
    code = main(["evaluate", *common, "--out", str(tmp_path / "batch.csv"), "--batch",
                 "--poll-interval", "0.01", "--out-dir", str(tmp_path / "results"), "--no-cache"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert len(server.chat_requests) == 8  # the batch answered every judge call
    assert "8 of 8 lines answered; 0 live judge call(s)" in err
    assert _rows(tmp_path / "batch.csv") == _rows(tmp_path / "live.csv")
    state = json.loads((tmp_path / "results" / STATE_FILE).read_text())
    assert state["consumed"] is True and len(state["lines"]) == 8


def test_a_killed_bulk_batch_resumes_and_retries_expired_lines_live(
        store: Path, server: OpenAICompatServer, tmp_path: Path) -> None:
    server.batch_script.polls = 2
    server.batch_script.expire_after = 5
    files = expand_inputs([str(store)])
    out = tmp_path / "results"

    def evaluator() -> Evaluator:
        model = OpenAIChatModel(base_url=server.base_url, api_key="test")
        return Evaluator(load_rubric(), model)

    def kill(status: BatchStatus) -> None:
        if status.status == "in_progress":
            raise KeyboardInterrupt

    caught: list[BaseException] = []

    def first() -> None:
        try:
            run_bulk(files, evaluator(), load_transcript, RunOptions(
                concurrency=2, batch=BatchOptions(sleep=lambda _s: None, on_poll=kill)),
                out_dir=out)
        except BaseException as exc:  # noqa: BLE001 - the interrupt is the point
            caught.append(exc)

    thread = threading.Thread(target=first)
    thread.start()
    thread.join()
    assert len(caught) == 1 and isinstance(caught[0], KeyboardInterrupt)
    saved = json.loads((out / STATE_FILE).read_text())
    assert saved["consumed"] is False and not list(out.glob("g*.json"))

    run = run_bulk(files, evaluator(), load_transcript,
                   RunOptions(concurrency=2, batch=BatchOptions(sleep=lambda _s: None)),
                   out_dir=out)
    items = run.items
    uploads = [r for r in server.requests if r.method == "POST" and r.path == "/v1/files"]
    assert len(uploads) == 1  # the resumed run polled the saved batch
    assert run.batch is not None and run.batch.batch_id == saved["parts"][0]["batch_id"]
    assert run.batch.resumed and run.batch.status == "expired"
    assert (run.batch.answered, run.batch.never_ran) == (5, 3)
    assert len(server.chat_requests) == 3 and run.batch.live_calls == 3
    assert "3 never ran, retried live" in run.batch.summary()
    assert all(item.evaluation is not None and item.error is None for item in items)
