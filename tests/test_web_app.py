"""The practice web app through Starlette's TestClient: routes, escaping, limits, resume,
keys never sent, sessions that do not block each other, eval run pages."""

from __future__ import annotations

import asyncio
import html
import json
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")

from starlette.testclient import TestClient  # noqa: E402

from roleplay.errors import ModelAPIError  # noqa: E402
from roleplay.evals import load_suite, run_suite  # noqa: E402
from roleplay.llm.base import ChatRequest  # noqa: E402
from roleplay.llm.openai import AsyncOpenAIChatModel  # noqa: E402
from roleplay.persona import load_persona  # noqa: E402
from roleplay.testing import (  # noqa: E402
    FunctionChatModel,
    OpenAICompatServer,
    as_chat_function,
    simulation_responder,
)
from roleplay.transcript import Transcript  # noqa: E402
from roleplay.web import Limits, create_app  # noqa: E402
from roleplay.web.runs import find_runs, load_run  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PERSONA = "warm-hr-screener"
OTHER = "terse-vp-final"
SCRIPT = "<script>alert('x')</script>"
ANSWERS = [
    f"{SCRIPT} I'm a support lead with six years in SaaS.",
    "At Acme our backlog doubled, so I set up a triage rota and a macros library; "
    "first-response time fell from 9 hours to 2 and CSAT rose 11 points.",
    "I'd start by listening to the team and the top ten ticket drivers.",
    "I want to help fix onboarding, which is the work I enjoy most.",
    "What would success look like in the first six months?",
    "What are the next steps, and when should I expect to hear back?",
]


def parse_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for block in text.strip().split("\n\n"):
        name = re.search(r"^event: (.*)$", block, re.M)
        data = re.search(r"^data: (.*)$", block, re.M)
        assert name and data, block
        out.append((name.group(1), json.loads(data.group(1))))
    return out


def start(client: TestClient, persona: str = PERSONA) -> str:
    response = client.post("/interviews", data={"persona": persona}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return str(response.headers["location"]).rsplit("/", 1)[1]


def follow(client: TestClient, sid: str, seen: list[str] | None = None) -> str:
    """Read the event stream to its end; returns the last status."""
    response = client.get(f"/i/{sid}/events")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    if seen is not None:
        seen.append(response.text)
    events = parse_events(response.text)
    assert events[0][0] == "reset"
    return str(events[-1][1]["status"])


def play(client: TestClient, sid: str, answers: list[str], seen: list[str] | None = None) -> str:
    status = follow(client, sid, seen)
    for text in answers:
        if status != "candidate":
            break
        response = client.post(f"/i/{sid}/answer", json={"text": text})
        assert response.status_code == 202, response.text
        if seen is not None:
            seen.append(response.text)
        status = follow(client, sid, seen)
    if status == "candidate":
        assert client.post(f"/i/{sid}/end").status_code == 202
        status = follow(client, sid, seen)
    return status


@pytest.fixture
def demo_app(tmp_path: Path) -> Any:
    return create_app(None, sessions_dir=tmp_path / "sessions", demo_pace=0)


def test_home_lists_personas_and_says_demo(demo_app: Any) -> None:
    with TestClient(demo_app) as client:
        page = client.get("/")
    assert page.status_code == 200
    persona = load_persona(PERSONA)
    assert persona.interviewer.name in page.text and persona.role.title in page.text
    assert "phone screen" in page.text or "hiring manager" in page.text
    assert "Demo mode" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")


def test_a_whole_demo_interview_streams_and_reports_evidence_at_its_turns(
    demo_app: Any, tmp_path: Path
) -> None:
    seen: list[str] = []
    with TestClient(demo_app) as client:
        sid = start(client)
        assert "Demo mode" in client.get(f"/i/{sid}").text
        assert play(client, sid, ANSWERS, seen) == "finished"
        report = client.get(f"/i/{sid}/report")
    assert report.status_code == 200
    stream = "".join(seen)
    assert "event: turn" in stream
    # The candidate's <script> travels as JSON text and is escaped on the report.
    assert SCRIPT in stream
    assert "<script>alert" not in report.text and "&lt;script&gt;alert" in report.text
    saved = Transcript.from_json((tmp_path / "sessions" / f"{sid}.json").read_bytes())
    assert saved.end_reason in ("interviewer_ended", "candidate_ended", "turn_limit")
    assert (tmp_path / "sessions" / f"{sid}.evaluation.json").is_file()
    evaluation = json.loads((tmp_path / "sessions" / f"{sid}.evaluation.json").read_text())
    cited = [(ev["turn"], ev["quote"]) for c in evaluation["criteria"] for ev in c["evidence"]
             if ev["verified"]]
    assert cited
    for turn, quote in cited:
        # Each quote is highlighted inside its own turn and listed beneath it.
        item = re.search(rf'<li id="t{turn}" class="turn candidate">.*?(?=<li id="t|</ol>)',
                         report.text, re.S)
        assert item is not None, turn
        assert "<mark" in item.group(0) and html.escape(quote) in item.group(0)
    assert "scripted keyword judge" in report.text


def test_the_interviewers_words_stream_before_the_turn_is_recorded(tmp_path: Path) -> None:
    reply = as_chat_function(simulation_responder([load_persona(PERSONA)]))
    gate = threading.Event()

    async def respond(request: ChatRequest) -> str:
        return reply(request)

    inner = FunctionChatModel(respond)

    class Gated:
        """Streams the first words, then holds the rest until the test has seen them."""

        model_name = "gpt-4o-mini"
        endpoint = "gated://"

        async def acomplete(self, request: ChatRequest, *, on_delta: Any = None) -> Any:
            response = await inner.acomplete(request)
            if on_delta is not None:
                on_delta(response.text[:40])
                while not gate.is_set():
                    await asyncio.sleep(0.005)
                on_delta(response.text[40:])
            return response

    app = create_app(Gated(), sessions_dir=tmp_path)
    streamed = ""
    with TestClient(app) as client:
        sid = start(client)
        with client.stream("GET", f"/i/{sid}/events") as response:
            for line in response.iter_lines():
                if line.startswith("data: ") and not gate.is_set():
                    data = json.loads(line[6:])
                    streamed += data.get("text", "")
                    if streamed and "speaker" not in data:
                        assert app.state.store.get(sid).turns == []  # still being spoken
                        gate.set()
        turns = app.state.store.get(sid).turns
    assert streamed and turns[0].text.startswith(streamed.strip())


def test_unknown_and_malformed_ids_are_404(demo_app: Any) -> None:
    with TestClient(demo_app) as client:
        for sid in ("x" * 43, "../../etc/passwd", "nope"):
            for path in ("", "/events", "/report"):
                assert client.get(f"/i/{sid}{path}").status_code == 404
            assert client.post(f"/i/{sid}/answer", json={"text": "hi"}).status_code == 404
            assert client.post(f"/i/{sid}/end").status_code == 404
        sid = start(client)
        assert sid not in client.get("/").text
        evil = {"Origin": "http://evil.example"}
        assert client.post("/interviews", data={"persona": PERSONA}, headers=evil,
                           follow_redirects=False).status_code == 403
        assert client.post(f"/i/{sid}/end", headers=evil).status_code == 403
        hidden = {"Origin": "null"}
        assert client.post(f"/i/{sid}/answer", json={"text": "hi"}, headers=hidden
                           ).status_code == 403


def test_only_the_served_host_names_are_answered(tmp_path: Path) -> None:
    app = create_app(None, sessions_dir=tmp_path, allowed_hosts=["127.0.0.1", "localhost"])
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        assert client.get("/").status_code == 200
        # A DNS-rebinding page arrives with its own name in Host.
        assert client.get("/", headers={"Host": "evil.example"}).status_code == 400


def test_input_limits(tmp_path: Path) -> None:
    app = create_app(None, sessions_dir=tmp_path, demo_pace=0,
                     limits=Limits(answer_chars=100, interview_chars=150))
    with TestClient(app) as client:
        sid = start(client)
        assert follow(client, sid) == "candidate"
        assert client.get(f"/i/{sid}/report").status_code == 409  # still going
        too_long = client.post(f"/i/{sid}/answer", json={"text": "a" * 101})
        assert too_long.status_code == 413 and "100 characters" in too_long.json()["error"]
        huge = client.post(f"/i/{sid}/answer", content=b'{"text": "' + b"a" * 10_000 + b'"}')
        assert huge.status_code == 413
        assert client.post(f"/i/{sid}/answer", json={"text": "   "}).status_code == 422
        assert client.post(f"/i/{sid}/answer", content=b"not json").status_code == 422
        assert client.post(f"/i/{sid}/answer", json={"text": "b" * 90}).status_code == 202
        assert follow(client, sid) == "candidate"
        over = client.post(f"/i/{sid}/answer", json={"text": "c" * 90})
        assert over.status_code == 413 and "limit of 150" in over.json()["error"]
        for name in ("../../etc/passwd", str(ROOT / "personas" / f"{PERSONA}.yaml"), ""):
            assert client.post("/interviews", data={"persona": name}).status_code == 422


def test_a_restarted_server_resumes_the_same_interview(tmp_path: Path) -> None:
    with TestClient(create_app(None, sessions_dir=tmp_path, demo_pace=0)) as client:
        sid = start(client)
        assert follow(client, sid) == "candidate"
        assert client.post(f"/i/{sid}/answer", json={"text": ANSWERS[0]}).status_code == 202
        assert follow(client, sid) == "candidate"
    saved = Transcript.from_json((tmp_path / f"{sid}.json").read_bytes())
    assert [t.speaker for t in saved.turns] == ["interviewer", "candidate", "interviewer"]
    assert saved.end_reason == "interrupted"  # under way: resumable by any tool
    with TestClient(create_app(None, sessions_dir=tmp_path, demo_pace=0)) as client:
        replay = parse_events(client.get(f"/i/{sid}/events").text)
        texts = [d["text"] for name, d in replay if name == "turn"]
        assert texts == [t.text for t in saved.turns]
        assert play(client, sid, ANSWERS[1:]) == "finished"
        assert client.get(f"/i/{sid}/report").status_code == 200
    final = Transcript.from_json((tmp_path / f"{sid}.json").read_bytes())
    assert final.id == saved.id and final.turns[:3] == saved.turns
    with TestClient(create_app(None, sessions_dir=tmp_path, demo_pace=0)) as client:
        # After another restart the report comes straight from the saved evaluation.
        report = client.get(f"/i/{sid}/report")
        assert report.status_code == 200 and final.turns[-1].text[:30] in html.unescape(
            report.text)


def test_a_model_failure_is_shown_and_a_reload_resumes(tmp_path: Path) -> None:
    reply = as_chat_function(simulation_responder([load_persona(PERSONA)]))
    calls: list[int] = []

    def respond(request: ChatRequest) -> str:
        calls.append(1)
        if len(calls) == 2:  # the interviewer's second turn
            raise ModelAPIError("http://internal:9/v1 said: key sk-...abcd is bad", status_code=503)
        return reply(request)

    app = create_app(FunctionChatModel(respond), sessions_dir=tmp_path)
    with TestClient(app) as client:
        sid = start(client)
        assert follow(client, sid) == "candidate"
        assert client.post(f"/i/{sid}/answer", json={"text": ANSWERS[0]}).status_code == 202
        events = parse_events(client.get(f"/i/{sid}/events").text)
        assert events[-1][1]["status"] == "error"
        message = events[-1][1]["message"]
        assert "HTTP 503" in message and "Reload" in message
        assert "internal" not in message and "sk-" not in message  # details stay in the log
        # The reload: the same interview, every turn kept, the interviewer asked again.
        assert client.get(f"/i/{sid}").status_code == 200
        assert follow(client, sid) == "candidate"
        turns = app.state.store.get(sid).turns
    assert [t.speaker for t in turns] == ["interviewer", "candidate", "interviewer"]
    assert turns[1].text == ANSWERS[0]


def test_the_key_never_reaches_the_browser(tmp_path: Path) -> None:
    key = "sk-test-web-SECRET-0123456789"
    persona = load_persona(PERSONA)
    with OpenAICompatServer(responder=simulation_responder([persona])) as server:
        model = AsyncOpenAIChatModel("gpt-4o-mini", base_url=server.base_url, api_key=key)
        app = create_app(model, sessions_dir=tmp_path)
        seen: list[str] = []
        with TestClient(app) as client:
            home = client.get("/")
            sid = start(client)
            seen += [home.text, client.get(f"/i/{sid}").text]
            assert play(client, sid, ANSWERS, seen) == "finished"
            seen.append(client.get(f"/i/{sid}/report").text)
            seen.append(client.get("/static/app.js").text)
        assert server.chat_requests, "the real client was used"
    assert "Demo mode" not in home.text and "gpt-4o-mini" in home.text
    assert all(key not in text for text in seen)
    assert all(key not in p.read_text() for p in tmp_path.iterdir())


def test_signals_only_is_said_plainly(tmp_path: Path) -> None:
    app = create_app(None, sessions_dir=tmp_path, demo_pace=0, signals_only=True)
    with TestClient(app) as client:
        sid = start(client)
        assert play(client, sid, ANSWERS) == "finished"
        report = client.get(f"/i/{sid}/report").text
    assert "Signals only." in report and "No judge model is configured" in report


def test_a_slow_interview_does_not_block_another(tmp_path: Path) -> None:
    personas = [load_persona(PERSONA), load_persona(OTHER)]
    reply = as_chat_function(simulation_responder(personas))
    gate = threading.Event()
    slow_name = personas[1].interviewer.name

    async def respond(request: ChatRequest) -> str:
        if request.messages[0].content.startswith(f"You are {slow_name},"):
            while not gate.is_set():
                await asyncio.sleep(0.005)
        return reply(request)

    app = create_app(FunctionChatModel(respond), sessions_dir=tmp_path)
    with TestClient(app) as client:
        slow = start(client, OTHER)
        fast = start(client, PERSONA)
        assert play(client, fast, ANSWERS) == "finished"
        assert client.get(f"/i/{fast}/report").status_code == 200
        waiting = app.state.store.get(slow)
        assert waiting.status == "interviewer" and not waiting.turns
        # Not the candidate's turn while the interviewer is still speaking.
        assert client.post(f"/i/{slow}/answer", json={"text": "hi"}).status_code == 409
        gate.set()
        assert follow(client, slow) == "candidate"


def test_import_roleplay_needs_no_starlette() -> None:
    code = ("import sys, roleplay, roleplay.cli; roleplay.cli.build_parser(); "
            "assert 'starlette' not in sys.modules and 'uvicorn' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_serve_without_the_extra_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.util

    from roleplay.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "starlette" else real(name, *a))
    assert main(["serve"]) == 2
    assert 'pip install "roleplay-interviews[web]"' in capsys.readouterr().err


def test_serve_builds_the_app_from_the_usual_model_options(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import uvicorn

    from roleplay.cli import main

    served: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(app=app, **kw))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert main(["serve", "--sessions", str(tmp_path)]) == 0
    assert (served["host"], served["port"]) == ("127.0.0.1", 8000)
    assert "scripted demo" in capsys.readouterr().err
    with TestClient(served["app"], base_url="http://127.0.0.1:8000") as client:
        assert "Demo mode" in client.get("/").text
        assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-serve-SECRET")
    assert main(["serve", "--sessions", str(tmp_path), "--model", "my-model"]) == 0
    with TestClient(served["app"], base_url="http://127.0.0.1:8000") as client:
        home = client.get("/").text
    assert "Demo mode" not in home and "my-model" in home and "SECRET" not in home


def test_serve_help_states_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    from roleplay.cli import main

    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "default 127.0.0.1" in out and ".roleplay-sessions" in out


def test_run_pages_show_agreement_flips_and_case_verdicts(tmp_path: Path) -> None:
    suites = tmp_path / "evals"
    gold = ROOT / "evals" / "gold"
    (suites / "mini" / "cases").mkdir(parents=True)
    for name in ("g01-swe-strong-closer", "g07-retail-begging"):
        for ext in ("yaml", "txt"):
            shutil.copy(gold / "cases" / f"{name}.{ext}", suites / "mini" / "cases")
    (suites / "mini" / "suite.yaml").write_text(
        "id: mini\ndescription: two gold cases\nrubric: interview-close\ncases: cases/*.yaml\n"
        "signals_only: {thresholds: {}, tolerance: {default: 0.0}}\n")
    suite = load_suite(suites / "mini")
    result = run_suite(suite, signals_only=True, runs_dir=tmp_path / "runs")
    # The page's numbers are the runner's own, recomputed from the saved records.
    (run,) = find_runs(tmp_path / "runs")
    assert find_runs(result.run_dir) == [run]  # --runs may name one run folder too
    loaded = load_run(run, suite).result
    assert (loaded.stats, loaded.overall, loaded.case_agreement, loaded.labels) == (
        result.stats, result.overall, result.case_agreement, result.labels)
    # A baseline with one verdict flipped, so the flip report has a row.
    from roleplay.evals import make_baseline, save_baseline

    baseline = make_baseline(result)
    case = baseline.cases["g01-swe-strong-closer"]
    first = next(iter(case))
    old = case[first]
    flipped = old.model_copy(update={"passed": not old.passed, "status": "scored",
                                     "score": 1 if old.passed else 5})
    cases = {**baseline.cases, "g01-swe-strong-closer": {**case, first: flipped}}
    save_baseline(suite.baseline_path("signals_only"), baseline.model_copy(update={"cases": cases}))
    app = create_app(None, sessions_dir=tmp_path / "s", runs_dir=tmp_path / "runs",
                     suites_dir=suites)
    with TestClient(app) as client:
        assert 'href="/runs"' in client.get("/").text
        index = client.get("/runs").text
        run_name = result.run_dir.name
        assert run_name in index
        page = client.get(f"/runs/{run_name}").text
        assert "Agreement per criterion" in page and "overall" in page
        assert f"{result.overall.accuracy:.2f}" in page
        assert "Flip report" in page and "g01-swe-strong-closer" in page and first in page
        detail = client.get(f"/runs/{run_name}/g07-retail-begging")
        assert detail.status_code == 200 and 'id="t1"' in detail.text
        assert client.get(f"/runs/{run_name}/../../etc").status_code == 404
        assert client.get("/runs/nope").status_code == 404


def test_every_turn_is_on_disk_before_it_is_the_persons_turn(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from roleplay.web import sessions

    real = sessions.atomic_write

    def slow_disk(path: Path, text: str) -> None:
        threading.Event().wait(0.3)  # a slow disk: the interview must not run ahead of it
        real(path, text)

    monkeypatch.setattr(sessions, "atomic_write", slow_disk)
    with TestClient(create_app(None, sessions_dir=tmp_path, demo_pace=0)) as client:
        sid = start(client)
        assert follow(client, sid) == "candidate"
        assert len(Transcript.from_json((tmp_path / f"{sid}.json").read_bytes()).turns) == 1
        assert client.post(f"/i/{sid}/answer", json={"text": ANSWERS[1]}).status_code == 202
        assert follow(client, sid) == "candidate"
        assert len(Transcript.from_json((tmp_path / f"{sid}.json").read_bytes()).turns) == 3
