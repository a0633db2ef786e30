"""llama-cpp-python's server: a real OpenAI-compatible server that we did not write.

Observed with llama-cpp-python 0.3.36 serving gemma-3-270m (Q4_K_M) on CPU:

- ``response_format: json_schema`` is answered with HTTP **500** (a request-validation error
  reported as ``internal_server_error``), not 400; ``json_object`` is accepted.
- Streams never carry a usage chunk, even with ``stream_options.include_usage``.
- The tiny base model often answers with empty content.
- A prompt longer than ``--n_ctx`` gets a 400 ("maximum context length"); the judge prompt is
  about 6k tokens, so the server needs ``--n_ctx`` well above llama.cpp's usual 4096.
- Reading a 6k-token prompt takes one to two minutes on two CPU cores, past the default
  120 s per-call timeout (hence ``--timeout``).

The first tests reproduce those quirks offline through the local test server and run by
default. The ``llamacpp``-marked tests talk to a real server and are skipped unless
``ROLEPLAY_LLAMACPP_BASE_URL`` is set: run them with ``scripts/llamacpp-e2e``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pydantic import BaseModel

from roleplay.cli import _common, build_parser, main
from roleplay.errors import UnsupportedFeatureError
from roleplay.importing import load_transcript
from roleplay.llm.base import ChatRequest, Message, ModelSettings, ResponseFormat
from roleplay.llm.openai import OpenAIChatModel
from roleplay.llm.structured import _DEFAULT_MEMORY, FormatMemory, complete_structured
from roleplay.rubric import load_rubric
from roleplay.testing import Fault, OpenAICompatServer

DATA = Path(__file__).parent / "data" / "transcripts"
CRITERIA = [c.id for c in load_rubric().criteria]
STATUSES = {"scored", "not_applicable", "insufficient_evidence", "judge_error"}

# The error body llama-cpp-python 0.3.36 sends for a json_schema response_format (HTTP 500).
LLAMA_JSON_SCHEMA_500 = (
    "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), "
    "'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema', 'ctx': "
    "{'expected': \"'text' or 'json_object'\"}}\n\n  File \"llama_cpp/server/app.py\", line 376, "
    "in create_chat_completion\n    POST /v1/chat/completions"
)


def rejects_json_schema() -> Fault:
    """llama-cpp-python's answer to ``response_format: json_schema``."""
    return Fault.http_error(500, message=LLAMA_JSON_SCHEMA_500, type="internal_server_error")


class Answer(BaseModel):
    answer: str


def ask(text: str = "Reply with JSON.") -> ChatRequest:
    return ChatRequest(messages=(Message(role="system", content="You answer in JSON."),
                                 Message(role="user", content=text)))


# --- offline: the quirks, reproduced on the local test server --------------------------------


def test_a_500_naming_response_format_is_an_unsupported_feature_and_never_retried() -> None:
    waits: list[float] = []
    with OpenAICompatServer() as server, \
            OpenAIChatModel(base_url=server.base_url, api_key="local",
                            sleep=waits.append) as model:
        server.add_faults(rejects_json_schema())
        with pytest.raises(UnsupportedFeatureError, match="HTTP 500") as info:
            model.complete(ask().model_copy(update={"response_format": ResponseFormat(
                type="json_schema", name="Answer", json_schema={"type": "object"})}))
        assert len(server.chat_requests) == 1
    assert info.value.status_code == 500
    assert waits == []


def test_the_structured_chain_falls_back_from_the_500_to_json_object_and_remembers() -> None:
    memory = FormatMemory()
    with OpenAICompatServer([{"answer": "yes"}, {"answer": "again"}]) as server, \
            OpenAIChatModel(base_url=server.base_url, api_key="local",
                            sleep=lambda _: None) as model:
        server.add_faults(rejects_json_schema())
        first = complete_structured(model, ask(), Answer, memory=memory)
        second = complete_structured(model, ask("Again."), Answer, memory=memory)
        formats = [r.body["response_format"]["type"] for r in server.chat_requests]
    assert (first.output.answer, second.output.answer) == ("yes", "again")
    assert first.format == second.format == "json_object"
    assert formats == ["json_schema", "json_object", "json_object"]
    assert memory.get(model.endpoint, model.model_name) == "json_object"


def test_evaluate_survives_a_judge_that_only_ever_answers_empty(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "evaluation.json"
    with OpenAICompatServer(responder=lambda body: "") as server:
        server.add_faults(rejects_json_schema())
        monkeypatch.setenv("OPENAI_API_KEY", "local")
        code = main(["evaluate", str(DATA / "strong.txt"), "--format", "json", "--out", str(out),
                     "--base-url", server.base_url])
        formats = [(r.body.get("response_format") or {}).get("type")
                   for r in server.chat_requests]
    assert code == 0
    report = json.loads(out.read_text())
    assert [c["id"] for c in report["criteria"]] == CRITERIA
    assert {c["status"] for c in report["criteria"]} == {"judge_error"}
    assert report["overall"] is None
    # Rejected json_schema once, then the JSON-mode reply and its one re-ask.
    assert formats == ["json_schema", "json_object", "json_object"]


def test_simulate_with_an_empty_candidate_reply_stops_cleanly_and_keeps_the_transcript(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    # Empty interviewer moves are recovered (a neutral line); an empty simulated candidate is a
    # clear error, with what was said saved as a partial transcript.
    out = tmp_path / "interview.json"
    with OpenAICompatServer(responder=lambda body: "") as server:
        server.add_faults(rejects_json_schema())
        monkeypatch.setenv("OPENAI_API_KEY", "local")
        code = main(["simulate", "--persona", "warm-hr-screener", "--candidate",
                     "strong-closer", "--max-turns", "6", "--out", str(out),
                     "--base-url", server.base_url, "--quiet"])
    err = capsys.readouterr().err
    assert code == 1
    assert "returned an empty reply" in err and "Traceback" not in err
    transcript = load_transcript(out)
    assert transcript.end_reason == "error"
    assert [t.speaker for t in transcript.turns] == ["interviewer"]
    assert transcript.turns[0].text.strip()


@pytest.mark.parametrize("command", ["simulate", "evaluate", "practice"])
def test_timeout_flag_reaches_the_adapter_for_slow_servers(
        command: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "local")
    required = {"simulate": ["--persona", "p", "--candidate", "c"],
                "evaluate": ["transcript.txt"], "practice": ["--persona", "p"]}[command]
    args = build_parser().parse_args([command, *required, "--timeout", "900"])
    with _common.make_model(args) as model:
        assert model.timeout == 900
    with _common.make_model(build_parser().parse_args([command, *required])) as model:
        assert model.timeout == 120
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args([command, *required, "--timeout", "0"])
    assert info.value.code == 2 and "must be positive" in capsys.readouterr().err


# --- opt-in: a real llama-cpp-python server --------------------------------------------------

BASE_URL = os.environ.get("ROLEPLAY_LLAMACPP_BASE_URL", "")
SERVER_LOG = os.environ.get("ROLEPLAY_LLAMACPP_LOG", "")
MODEL = os.environ.get("ROLEPLAY_LLAMACPP_MODEL", "gemma-3-270m")
TIMEOUT = os.environ.get("ROLEPLAY_LLAMACPP_TIMEOUT", "900")
needs_server = pytest.mark.skipif(
    not BASE_URL, reason="needs a llama-cpp-python server: run scripts/llamacpp-e2e (or set "
    "ROLEPLAY_LLAMACPP_BASE_URL to its /v1 URL)")


@pytest.fixture
def llama_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", BASE_URL)
    monkeypatch.setenv("OPENAI_API_KEY", "local-placeholder")
    monkeypatch.delenv("ROLEPLAY_MODEL", raising=False)


@pytest.mark.llamacpp
@needs_server
@pytest.mark.usefixtures("llama_env")
def test_simulate_then_evaluate_end_to_end(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    transcript_path = tmp_path / "interview.json"
    code = main(["simulate", "--persona", "warm-hr-screener", "--candidate", "strong-closer",
                 "--max-turns", "6", "--out", str(transcript_path), "--model", MODEL,
                 "--timeout", TIMEOUT, "--quiet"])
    err = capsys.readouterr().err
    # The base model may fall silent as the candidate: that ends the run with a clear error
    # and a partial transcript, never a traceback.
    assert code == 0 or (code == 1 and "returned an empty reply" in err), err
    assert "Traceback" not in err
    data = json.loads(transcript_path.read_text(encoding="utf-8"))
    transcript = load_transcript(transcript_path)
    assert data["schema_version"] == 1 and transcript.source == "simulated"
    assert transcript.turns and transcript.turns[0].speaker == "interviewer"
    if code:
        assert transcript.end_reason == "error"
    else:
        assert transcript.end_reason in ("interviewer_ended", "turn_limit")

    # The interviewer's structured call was refused as json_schema and fell back for good.
    with OpenAIChatModel(MODEL, api_key="local-placeholder") as probe:
        endpoint = probe.endpoint
    assert _DEFAULT_MEMORY.get(endpoint, MODEL) == "json_object"

    target = transcript_path
    if not transcript.candidate_turns():
        assert main(["evaluate", str(transcript_path), "--model", MODEL]) == 2
        assert "no candidate turn" in capsys.readouterr().err
        target = DATA / "strong.txt"
    report_path = tmp_path / "evaluation.json"
    code = main(["evaluate", str(target), "--format", "json", "--out", str(report_path),
                 "--model", MODEL, "--timeout", TIMEOUT])
    err = capsys.readouterr().err
    assert code == 0, err
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["mode"] == "judge" and report["judge_calls"] >= 1
    assert [c["id"] for c in report["criteria"]] == CRITERIA
    assert all(c["status"] in STATUSES for c in report["criteria"])
    assert all(c["reason"] for c in report["criteria"])

    if SERVER_LOG:
        log = Path(SERVER_LOG).read_text(encoding="utf-8", errors="replace")
        assert "Input should be 'text' or 'json_object'" in log
        # One rejected json_schema call in the whole run: not retried, and remembered.
        assert log.count('" 500 Internal Server Error') == 1


@pytest.mark.llamacpp
@needs_server
def test_streaming_without_a_usage_chunk_still_counts_usage() -> None:
    request = ChatRequest(
        messages=(Message(role="user", content="Write one sentence about the sea."),),
        settings=ModelSettings(max_tokens=40, temperature=0.8, seed=3),
    )
    deltas: list[str] = []
    with OpenAIChatModel(MODEL, base_url=BASE_URL, api_key="local-placeholder",
                         timeout=float(TIMEOUT)) as model:
        streamed = model.complete(request, on_delta=deltas.append)
    assert "".join(deltas) == streamed.text
    assert streamed.finish_reason in ("stop", "length")
    # llama-cpp-python 0.3.36 sends no usage chunk, so the counts are local estimates.
    assert streamed.usage.calls == 1 and streamed.usage.prompt_tokens > 0
    assert (streamed.usage.completion_tokens > 0) == bool(streamed.text)
