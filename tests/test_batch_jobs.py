"""`roleplay.llm.batch` on its own: state files, result files, splitting, identities."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from roleplay.errors import ConfigError, ModelAPIError
from roleplay.evals.batch import identity
from roleplay.evaluate import Evaluator
from roleplay.importing import load_transcript
from roleplay.llm.base import ModelSettings
from roleplay.llm.batch import (
    BatchLine,
    BatchStatus,
    combined,
    download,
    load_state,
    submit_or_resume,
)
from roleplay.llm.openai import OpenAIChatModel
from roleplay.testing import OpenAICompatServer

ROOT = Path(__file__).resolve().parent.parent


class Files:
    """A BatchClient that only serves file contents."""

    def __init__(self, contents: dict[str, str]) -> None:
        self.contents = contents

    def upload(self, filename: str, data: bytes) -> str:
        raise AssertionError("no upload expected")

    def create(self, input_file_id: str, endpoint: str,
               metadata: dict[str, str] | None = None) -> BatchStatus:
        raise AssertionError("no batch expected")

    def retrieve(self, batch_id: str) -> BatchStatus:
        raise AssertionError("no poll expected")

    def content(self, file_id: str) -> str:
        return self.contents[file_id]


def test_an_unreadable_state_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "batch.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="batch state file") as caught:
        load_state(path)
    assert str(path) in str(caught.value)
    assert load_state(tmp_path / "missing.json") is None


def test_results_are_read_per_custom_id_and_missing_lines_never_ran() -> None:
    ok = {"id": "batch_req_1", "custom_id": "a", "error": None,
          "response": {"status_code": 200, "request_id": "req_1", "body": {"id": "x"}}}
    bad = {"id": "batch_req_2", "custom_id": "b", "error": None,
           "response": {"status_code": 500, "request_id": "req_2",
                        "body": {"error": {"message": "boom"}}}}
    expired = {"id": "batch_req_3", "custom_id": "c", "response": None,
               "error": {"code": "batch_expired", "message": "too late"}}
    client = Files({"out": json.dumps(ok) + "\n",
                    "err": json.dumps(bad) + "\n\n" + json.dumps(expired) + "\n"})
    status = BatchStatus(id="batch_x", status="expired", output_file_id="out",
                         error_file_id="err")
    results = download(client, [status], ["a", "b", "c", "d"])
    assert results["a"].ok and results["a"].request_id == "req_1"
    assert not results["b"].ok and results["b"].error == "HTTP 500: boom"
    assert results["c"].status_code is None and results["c"].error == "batch_expired: too late"
    assert results["d"].error is not None and results["d"].error.startswith("missing")


def test_a_result_file_that_is_not_jsonl_names_the_line() -> None:
    client = Files({"out": '{"custom_id": "a", "response": null}\nnot json\n'})
    status = BatchStatus(id="batch_x", status="completed", output_file_id="out")
    with pytest.raises(ModelAPIError, match="line 2 of the batch output file"):
        download(client, [status], ["a"])


def test_combined_status_is_the_least_advanced_part() -> None:
    parts = [BatchStatus(id="b1", status="completed", total=3, completed=3),
             BatchStatus(id="b2", status="in_progress", total=2, completed=1, failed=1)]
    status = combined(parts)
    assert (status.status, status.total, status.completed, status.failed) == (
        "in_progress", 5, 4, 1)


def test_custom_ids_must_be_unique(tmp_path: Path) -> None:
    lines = [BatchLine("x", {}, {}), BatchLine("x", {}, {})]
    with pytest.raises(ValueError, match="unique"):
        submit_or_resume(Files({}), lines, tmp_path / "batch.json", "http://e")


def test_the_identity_of_a_judge_request_ignores_its_delimiter_nonce() -> None:
    transcript = load_transcript(ROOT / "evals" / "gold" / "cases" / "g01-swe-strong-closer.txt")
    with OpenAICompatServer() as server:
        model = OpenAIChatModel(base_url=server.base_url, api_key="test")
        evaluator = Evaluator(judge_model=model)
        first = model.batch_body(evaluator.judge_request(transcript))
        second = model.batch_body(evaluator.judge_request(transcript))
        seeded = Evaluator(judge_model=model, settings=ModelSettings(seed=7), samples=2)
        sample0 = model.batch_body(seeded.judge_request(transcript, 0))
        sample1 = model.batch_body(seeded.judge_request(transcript, 1))
        model.close()
    assert first != second  # a fresh nonce per request ...
    assert identity(first) == identity(second)  # ... which the identity masks
    assert identity(sample0) != identity(sample1)  # samples differ by their seed
