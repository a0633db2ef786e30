"""Voice practice in the web app: spoken answers transcribed through the endpoint's
``/v1/audio/transcriptions`` (the local test server, real HTTP, the real SDK), corrected and
sent with their times; questions read aloud through ``/v1/audio/speech``; delivery in the
report; a page without audio says so and keeps typing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")

from starlette.testclient import TestClient  # noqa: E402

from roleplay.audio import wav_seconds  # noqa: E402
from roleplay.llm._retry import RetryPolicy  # noqa: E402
from roleplay.llm.audio_types import TimedText, Transcription  # noqa: E402
from roleplay.llm.openai import AsyncOpenAIChatModel  # noqa: E402
from roleplay.llm.openai_audio import OpenAITranscriber  # noqa: E402
from roleplay.persona import load_persona  # noqa: E402
from roleplay.testing import OpenAICompatServer, simulation_responder  # noqa: E402
from roleplay.testing._audio import AudioSegment, AudioUpload, silent_wav  # noqa: E402
from roleplay.testing._faults import Fault  # noqa: E402
from roleplay.transcript import Transcript  # noqa: E402
from roleplay.web import create_app, sessions  # noqa: E402
from roleplay.web.voice import take_times  # noqa: E402
from tests.test_web_app import follow, start  # noqa: E402

PERSONA = "warm-hr-screener"
SPOKEN = [
    "Um, I'm a support lead with six years in SaaS, mostly B2B tooling.",
    "So at Acme our backlog doubled in a quarter. I set up a triage rota and, like, a macros "
    "library, and first-response time fell from nine hours to two.",
    "What would success look like in the first six months, and what are the next steps?",
]
LEAD = 0.4  # seconds of silence before the first word in every scripted recording


def said(texts: list[str]) -> Any:
    """A responder: the n-th upload says the n-th text, starting LEAD s in."""
    def respond(upload: AudioUpload) -> list[AudioSegment]:
        text = texts[min(len(respond.seen), len(texts) - 1)]  # type: ignore[attr-defined]
        respond.seen.append(upload)  # type: ignore[attr-defined]
        return [AudioSegment(LEAD, LEAD + len(text.split()) / 2.5, text)]
    respond.seen = []  # type: ignore[attr-defined]
    return respond


def recording(text: str) -> bytes:
    return silent_wav(LEAD + len(text.split()) / 2.5 + 0.6, rate=8000)


class Clock:
    """The sessions' clock, moved by the test as a person takes time to listen and speak."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(sessions, "_monotonic", fake)
    return fake


def voice_app(tmp_path: Path, server: OpenAICompatServer, **kw: Any) -> Any:
    model = AsyncOpenAIChatModel("gpt-4o-mini", base_url=server.base_url, api_key="test")
    endpoint = OpenAITranscriber("whisper-1", base_url=server.base_url, api_key="test",
                                 retry=RetryPolicy(max_attempts=2), sleep=lambda _s: None)
    return create_app(model, sessions_dir=tmp_path, signals_only=True,
                      voice_endpoint=endpoint, **kw)


def transcribe(client: TestClient, sid: str, body: bytes, kind: str = "audio/wav",
               **params: str) -> Any:
    return client.post(f"/i/{sid}/transcribe", content=body, params=params,
                       headers={"Content-Type": kind})


def saved(tmp_path: Path, sid: str) -> Transcript:
    return Transcript.from_json((tmp_path / f"{sid}.json").read_bytes())


def test_a_spoken_interview_keeps_turn_times_and_reports_delivery(tmp_path: Path,
                                                                  clock: Clock) -> None:
    persona = load_persona(PERSONA)
    with OpenAICompatServer(responder=simulation_responder([persona])) as server:
        server.audio.responder = said(SPOKEN)
        with TestClient(voice_app(tmp_path, server)) as client:
            sid = start(client)
            page = client.get(f"/i/{sid}").text
            assert 'id="record"' in page and 'id="speak"' in page
            assert follow(client, sid) == "candidate"
            for n, text in enumerate(SPOKEN):
                asked = [t for t in client.app.state.store.get(sid).turns  # type: ignore[attr-defined]
                         if t.speaker == "interviewer"][-1]
                if n == 0:  # the first question is read aloud
                    speech = client.get(f"/i/{sid}/speech/{asked.index}")
                    assert speech.status_code == 200, speech.text
                    assert speech.headers["content-type"] == "audio/wav"
                    spoken_for = wav_seconds(speech.content)
                    assert spoken_for is not None and spoken_for > 1
                    clock.now += spoken_for  # listening
                clock.now += 1.5 + len(text.split()) / 2.5 + 1.0  # thinking, then speaking
                got = transcribe(client, sid, recording(text), ms="9000")
                assert got.status_code == 200, got.text
                body = got.json()
                assert body["text"] == text and body["take"]
                assert body["seconds"] == pytest.approx(len(text.split()) / 2.5, abs=0.01)
                # The person corrects the transcription before sending it.
                fixed = body["text"].replace("B2B", "business")
                sent = client.post(f"/i/{sid}/answer", json={"text": fixed, "take": body["take"]})
                assert sent.status_code == 202, sent.text
                if follow(client, sid) != "candidate":
                    break
            else:
                assert client.post(f"/i/{sid}/end").status_code == 202
                assert follow(client, sid) == "finished"
            report = client.get(f"/i/{sid}/report").text
        uploads = server.audio.uploads
    assert [u.filename for u in uploads] == ["answer.wav"] * len(SPOKEN)
    assert all(u.field("model") == "whisper-1" for u in uploads)
    assert all(u.field("response_format") == "verbose_json" for u in uploads)

    transcript = saved(tmp_path, sid)
    answers = [t for t in transcript.turns if t.speaker == "candidate"]
    assert answers[0].text.endswith("mostly business tooling.")  # the correction was kept
    for turn, text in zip(answers, SPOKEN, strict=True):
        assert turn.offset is not None and turn.end is not None
        # Speaking time is the speech inside the recording, not its silences.
        assert turn.end - turn.offset == pytest.approx(len(text.split()) / 2.5, abs=0.01)
    first_question = transcript.turns[0]
    assert first_question.offset is not None and first_question.end is not None
    # Read aloud: the question lasts until its voice ends, not when its text was out.
    assert first_question.end - first_question.offset >= spoken_for - 0.01
    offsets = [t.offset for t in transcript.turns]
    assert all(o is not None for o in offsets) and offsets == sorted(offsets)  # type: ignore
    # The pause before the first answer: 1.5 s before recording, LEAD s into it.
    assert answers[0].offset - first_question.end == pytest.approx(1.5 + LEAD, abs=0.01)

    assert "<h2 id=\"delivery\">Delivery</h2>" in report
    for turn in answers:
        assert f'<a href="#t{turn.index}">T{turn.index}</a>' in report
    assert "filler words in the candidate" in report  # "Um", ", like," were kept


def test_typed_answers_in_a_voice_session_have_no_delivery(tmp_path: Path) -> None:
    persona = load_persona(PERSONA)
    with OpenAICompatServer(responder=simulation_responder([persona])) as server:
        with TestClient(voice_app(tmp_path, server)) as client:
            sid = start(client)
            assert follow(client, sid) == "candidate"
            client.post(f"/i/{sid}/answer", json={"text": SPOKEN[1], "take": "no-such-take"})
            assert follow(client, sid) == "candidate"
            client.post(f"/i/{sid}/end")
            assert follow(client, sid) == "finished"
            report = client.get(f"/i/{sid}/report").text
    transcript = saved(tmp_path, sid)
    assert transcript.turns[0].offset is not None  # the interviewer's turns are timed
    assert all(t.offset is None for t in transcript.turns if t.speaker == "candidate")
    assert "Delivery" not in report


def test_without_an_endpoint_the_page_says_voice_needs_one_and_offers_typing(
        tmp_path: Path) -> None:
    app = create_app(None, sessions_dir=tmp_path, demo_pace=0)
    with TestClient(app) as client:
        sid = start(client)
        page = client.get(f"/i/{sid}").text
        assert 'id="record"' not in page and 'id="answer"' in page
        assert "Voice answers need a model endpoint with audio transcription" in page
        assert transcribe(client, sid, recording("hello")).status_code in (404, 405)
    with OpenAICompatServer() as server:
        model = AsyncOpenAIChatModel("gpt-4o-mini", base_url=server.base_url, api_key="test")
        with TestClient(create_app(model, sessions_dir=tmp_path / "off")) as client:
            page = client.get(f"/i/{start(client)}").text
    assert "Voice answers are off on this server; type your answers." in page


def test_an_endpoint_without_audio_is_said_plainly(tmp_path: Path) -> None:
    persona = load_persona(PERSONA)
    with OpenAICompatServer(responder=simulation_responder([persona])) as server:
        with TestClient(voice_app(tmp_path, server)) as client:
            sid = start(client)
            assert follow(client, sid) == "candidate"
            server.add_audio_faults(Fault.http_error(404, message="Not Found"))
            got = transcribe(client, sid, recording("hello there"))
            assert got.status_code == 501
            assert got.json()["voice"] is False
            assert "offers no audio here (HTTP 404" in got.json()["error"]
            server.add_audio_faults(Fault.http_error(404, message="Not Found"))
            spoken = client.get(f"/i/{sid}/speech/1")
            assert spoken.status_code == 501 and spoken.json()["voice"] is False
            # Typing still works.
            assert client.post(f"/i/{sid}/answer", json={"text": "Hello."}).status_code == 202


def test_a_failing_transcription_says_try_again_and_keeps_nothing_half_done(
        tmp_path: Path) -> None:
    persona = load_persona(PERSONA)
    with OpenAICompatServer(responder=simulation_responder([persona])) as server:
        server.audio.responder = said(SPOKEN)
        with TestClient(voice_app(tmp_path, server)) as client:
            sid = start(client)
            assert follow(client, sid) == "candidate"
            server.add_audio_faults(Fault.server_error(500), Fault.server_error(500))
            got = transcribe(client, sid, recording(SPOKEN[0]))
            assert got.status_code == 502
            assert "try again" in got.json()["error"] and "sk-" not in got.text
            assert len(server.audio_requests) == 2  # retried under the policy
            assert client.app.state.store.get(sid).take is None  # type: ignore[attr-defined]
            again = transcribe(client, sid, recording(SPOKEN[0]))  # the same recording again
            assert again.status_code == 200 and again.json()["text"] == SPOKEN[0]


def test_bad_recordings_are_refused_with_the_reason(tmp_path: Path) -> None:
    persona = load_persona(PERSONA)
    with OpenAICompatServer(responder=simulation_responder([persona])) as server:
        server.audio.responder = lambda _u: []
        with TestClient(voice_app(tmp_path, server)) as client:
            sid = start(client)
            assert follow(client, sid) == "candidate"
            wrong = transcribe(client, sid, b"hello", kind="text/plain")
            assert wrong.status_code == 415 and "text/plain" in wrong.json()["error"]
            assert transcribe(client, sid, b"").status_code == 422
            silent = transcribe(client, sid, recording("nothing at all"))
            assert silent.status_code == 422 and "No words" in silent.json()["error"]
            foreign = client.post(f"/i/{sid}/transcribe", content=recording("hi"),
                                  headers={"Content-Type": "audio/wav",
                                           "Origin": "http://evil.example"})
            assert foreign.status_code == 403
            huge = client.post(f"/i/{sid}/transcribe", content=b"x",
                               headers={"Content-Type": "audio/wav",
                                        "Content-Length": str(26 * 1024 * 1024)})
            assert huge.status_code == 413
            assert client.get(f"/i/{sid}/speech/2").status_code == 404  # no such turn yet
    assert server.audio.uploads and len(server.audio.uploads) == 1


# -- where a recording's speech sits on the session clock ------------------------------------

def result(duration: float | None, *spans: tuple[float, float]) -> Transcription:
    return Transcription(text="words", segments=tuple(TimedText(a, b, "w") for a, b in spans),
                         duration=duration, diarized=False, response_format="verbose_json")


def test_take_times_place_the_speech_inside_the_recording() -> None:
    # A 10 s recording arriving at 100 s started at 90 s; speech from 1.5 s to 8 s into it.
    times = take_times(100.0, result(10.0, (1.5, 4.0), (4.2, 8.0)), recorded=12.0)
    assert times is not None and (times.start, times.end) == (91.5, 98.0)
    # No duration from the endpoint: the browser's measure of the recording.
    times = take_times(100.0, result(None, (1.0, 5.0)), recorded=8.0)
    assert times is not None and (times.start, times.end) == (93.0, 97.0)
    # No segment times (a json-only model): the whole recording.
    times = take_times(100.0, result(None), recorded=6.0)
    assert times is not None and (times.start, times.end) == (94.0, 100.0)
    # Nothing says how long it was: no times, rather than made-up ones.
    assert take_times(100.0, result(None), recorded=None) is None
    # Never before the interview began.
    times = take_times(2.0, result(10.0, (0.5, 9.0)), recorded=None)
    assert times is not None and times.start == 0.5 and times.end <= 2.0


def test_the_page_lets_questions_play_and_adds_text_only_as_text(tmp_path: Path) -> None:
    app = create_app(None, sessions_dir=tmp_path, demo_pace=0)
    with TestClient(app) as client:
        script = client.get("/static/voice.js").text
        page = client.get(f"/i/{start(client)}")
    # Questions read aloud play from blob: URLs; scripts still come only from this origin.
    policy = page.headers["content-security-policy"]
    assert "media-src 'self' blob:" in policy and "script-src" not in policy
    assert "default-src 'self'" in policy
    assert '<script src="/static/voice.js" defer></script>' in page.text
    assert "innerHTML" not in script  # transcribed words reach the page as text only


def test_serve_turns_voice_on_with_a_key_and_passes_the_models(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import uvicorn

    from roleplay.cli import main

    served: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(app=app, **kw))
    persona = load_persona(PERSONA)
    with OpenAICompatServer(responder=simulation_responder([persona])) as server:
        server.audio.responder = said(SPOKEN)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-voice-SECRET")
        assert main(["serve", "--sessions", str(tmp_path), "--base-url", server.base_url,
                     "--transcribe-model", "whisper-1", "--speech-model", "tts-1",
                     "--voice", "nova"]) == 0
        with TestClient(served["app"], base_url="http://127.0.0.1:8000") as client:
            sid = start(client)
            assert 'id="record"' in client.get(f"/i/{sid}").text
            assert follow(client, sid) == "candidate"
            assert transcribe(client, sid, recording(SPOKEN[0])).status_code == 200
            assert client.get(f"/i/{sid}/speech/1").status_code == 200
        speech = [r.body for r in server.audio_requests
                  if r.path.endswith("/audio/speech")]
        assert server.audio.uploads[-1].field("model") == "whisper-1"
        assert speech and (speech[0]["model"], speech[0]["voice"]) == ("tts-1", "nova")
        assert main(["serve", "--sessions", str(tmp_path), "--base-url", server.base_url,
                     "--no-voice"]) == 0
        with TestClient(served["app"], base_url="http://127.0.0.1:8000") as client:
            page = client.get(f"/i/{start(client)}").text
    assert 'id="record"' not in page and "Voice answers are off on this server" in page


def test_the_cli_keeps_the_adapters_default_model_names() -> None:
    # The CLI keeps copies so that its help does not load the SDK; they must not drift.
    from roleplay.cli._recordings import DEFAULT_TRANSCRIBE_MODEL as cli_transcribe
    from roleplay.cli._serve import DEFAULT_SPEECH_MODEL as cli_speech
    from roleplay.llm.openai_audio import DEFAULT_SPEECH_MODEL, DEFAULT_TRANSCRIBE_MODEL

    assert (cli_transcribe, cli_speech) == (DEFAULT_TRANSCRIBE_MODEL, DEFAULT_SPEECH_MODEL)
