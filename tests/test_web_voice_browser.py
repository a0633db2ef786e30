"""A whole spoken practice interview in a real Chromium: its microphone is a speech WAV made
with ``espeak-ng`` (Chromium's fake media stream), the page records each answer with
MediaRecorder, the app transcribes it through the real OpenAI client against the local test
server, the person corrects and sends it, questions are read aloud, and the report shows
delivery per answer.

Needs what `tests/test_web_browser.py` needs, and ``espeak-ng`` (CI installs it).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
sync_api = pytest.importorskip("playwright.sync_api")

from roleplay.audio import audio_kind, transcribe_file, wav_seconds  # noqa: E402
from roleplay.llm.openai import AsyncOpenAIChatModel  # noqa: E402
from roleplay.llm.openai_audio import OpenAITranscriber  # noqa: E402
from roleplay.persona import load_persona  # noqa: E402
from roleplay.testing import OpenAICompatServer, simulation_responder  # noqa: E402
from roleplay.testing._audio import AudioSegment, AudioUpload  # noqa: E402
from roleplay.transcript import Transcript  # noqa: E402
from roleplay.web import create_app  # noqa: E402
from tests.test_web_browser import _chromium, artifacts, under_uvicorn  # noqa: E402, F401

pytestmark = pytest.mark.slow

PERSONA = "warm-hr-screener"
SPOKEN = "I lead a support team of six, and um, we cut our response time from nine hours to two."
# What the transcription model "hears" in each recording, in order (the server cannot decode
# speech; the recording itself is real and checked).
HEARD = [
    "Um, I lead a support team of six people at a software company.",
    "At Acme our backlog doubled, so I set up a triage rota and, like, a macros library, and "
    "first response time fell from nine hours to two.",
    "What would success look like in the first six months, and what are the next steps?",
]
WEBM = b"\x1a\x45\xdf\xa3"


@pytest.fixture(scope="module")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        pytest.skip("espeak-ng is not installed (apt install espeak-ng): no speech to feed")
    out = tmp_path_factory.mktemp("voice") / "answer.wav"
    subprocess.run([espeak, "-w", str(out), SPOKEN], check=True, timeout=60,
                   capture_output=True)
    assert (wav_seconds(out.read_bytes()) or 0) > 2
    return out


@pytest.fixture(scope="module")
def browser(speech_wav: Path) -> Iterator[Any]:
    path = _chromium()
    if path is None:
        pytest.skip("no Chromium found: set ROLEPLAY_CHROMIUM or put chromium on the PATH")
    with sync_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=path, args=[
            "--no-sandbox",
            "--use-fake-ui-for-media-stream",  # allow the microphone without asking
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={speech_wav}",
            "--autoplay-policy=no-user-gesture-required",
        ])
        yield instance
        instance.close()


def heard(upload: AudioUpload) -> list[AudioSegment]:
    text = HEARD[min(len(heard.seen), len(HEARD) - 1)]  # type: ignore[attr-defined]
    heard.seen.append(upload)  # type: ignore[attr-defined]
    return [AudioSegment(0.2, 1.4, text)]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path, OpenAICompatServer]]:
    persona = load_persona(PERSONA)
    heard.seen = []  # type: ignore[attr-defined]
    with OpenAICompatServer(responder=simulation_responder([persona]), chunk_delay=0.005) as llm:
        llm.audio.responder = heard
        model = AsyncOpenAIChatModel("gpt-4o-mini", base_url=llm.base_url, api_key="test-key")
        voice = OpenAITranscriber("whisper-1", base_url=llm.base_url, api_key="test-key")
        sessions = tmp_path / "sessions"
        app = create_app(model, sessions_dir=sessions, signals_only=True, voice_endpoint=voice)
        with under_uvicorn(app) as base:  # the app closes its voice endpoint when it stops
            yield base, sessions, llm


def _my_turn(page: Any) -> bool:
    page.wait_for_function(
        "() => location.pathname.endsWith('/report') || "
        "(document.getElementById('record') && !document.getElementById('record').disabled "
        "&& !document.getElementById('send').disabled)")
    return not page.url.endswith("/report")


def test_a_spoken_interview_in_chromium(browser: Any, served: tuple[str, Path, Any],
                                        artifacts: Path) -> None:  # noqa: F811 - the fixture
    base, sessions, llm = served
    page = browser.new_page()
    page.goto(base + "/")
    page.locator(f"form:has(input[value='{PERSONA}']) button").click()
    page.check("#speak")  # questions read aloud from the next one on
    assert _my_turn(page)
    for n, text in enumerate(HEARD):
        page.click("#record")
        page.wait_for_selector("#record.recording")
        page.wait_for_timeout(1500)  # let the fake microphone speak for a while
        page.click("#record")
        page.wait_for_function("(t) => document.getElementById('answer').value === t", arg=text)
        assert "check the text" in page.locator("#voice-status").inner_text()
        if n == 0:
            page.fill("#answer", text.replace("software company", "SaaS company"))  # corrected
            page.screenshot(path=str(artifacts / "voice-answer.png"), full_page=True)
        page.click("#send")
        if not _my_turn(page):
            break
    else:
        page.click("#end")
        page.wait_for_url("**/report")
    page.wait_for_selector("#delivery")
    page.screenshot(path=str(artifacts / "voice-report.png"), full_page=True)

    uploads = heard.seen  # type: ignore[attr-defined]
    assert len(uploads) == len(HEARD)
    for upload in uploads:  # real recordings from the browser's microphone
        assert upload.filename == "answer.webm" and upload.data[:4] == WEBM
        assert len(upload.data) > 2000
    assert any(r.path.endswith("/audio/speech") for r in llm.audio_requests)

    sid = page.url.rsplit("/", 2)[-2]
    transcript = Transcript.from_json((sessions / f"{sid}.json").read_bytes())
    answers = [t for t in transcript.turns if t.speaker == "candidate"]
    assert answers[0].text.endswith("at a SaaS company.")
    assert all(t.offset is not None and t.end is not None for t in transcript.turns)
    for turn in answers:
        assert turn.end - turn.offset == pytest.approx(1.2, abs=0.01)  # type: ignore[operator]
    for turn in answers[:2]:  # the answers to questions (the third asks one)
        row = page.locator(f"#delivery ~ table tr:has(a[href='#t{turn.index}'])")
        assert row.count() == 1
        cells = row.locator("td").all_inner_texts()
        assert cells[2] == "0:01"  # speaking time
        assert cells[3].isdigit()  # words per minute
        assert cells[5] != "—"  # fillers per minute: the transcript keeps fillers
    page.close()

    # The browser's own webm recording imports as a recording file too (its container is
    # recognised by its bytes, and a small one is uploaded as it is).
    take = sessions / "take"
    take.write_bytes(uploads[0].data)
    assert audio_kind(take) == "webm"
    llm.audio.register("take.webm", [(0.1, 1.0, "Tell me about yourself.", "A"),
                                      (1.2, 2.4, "Um, I lead a support team of six.", "B")])
    renamed = take.rename(take.with_suffix(".webm"))
    with OpenAITranscriber(base_url=llm.base_url, api_key="test-key") as diarize:
        imported = transcribe_file(renamed, diarize)
    assert llm.audio.uploads[-1].data == uploads[0].data
    assert [(t.speaker, t.offset, t.end) for t in imported.turns] == [
        ("interviewer", 0.1, 1.0), ("candidate", 1.2, 2.4)]
