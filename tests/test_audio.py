"""Recordings in: the audio endpoints, transcription, splitting, retries and delivery."""

from __future__ import annotations

import array
import io
import json
import math
import shutil
import wave
from pathlib import Path
from typing import Any

import openai
import pytest

from roleplay.audio import audio_kind, is_audio, split_audio, transcribe_file
from roleplay.errors import TranscriptError
from roleplay.evaluate.signals import compute_signals
from roleplay.importing import load_transcript
from roleplay.llm._retry import RetryPolicy
from roleplay.llm.openai_audio import OpenAITranscriber
from roleplay.testing import OpenAICompatServer
from roleplay.testing._audio import AudioSegment, AudioUpload, silent_mp3, silent_wav
from roleplay.testing._faults import Fault

CASSETTE_GROUP = "audio"

RATE = 8000

# A short interview: who says what, when (seconds). Diarizing models label speakers A, B.
SCRIPT = [
    (0.0, 4.0, "Thanks for coming in. Tell me about a project you led?", "A"),
    (5.5, 35.5, "Um, sure. So last year I led the migration of our billing system, you know, "
                "to a new platform. I planned the rollout, like, in three phases and we cut "
                "costs by twenty percent.", "B"),
    (36.0, 40.0, "How did you handle the risks in that?", "A"),
    (41.0, 61.0, "I wrote a rollback plan and we tested it twice before each phase. It went "
                 "well, but uh one phase slipped a week.", "B"),
]

# The same interview as a call tool's captions: the same figures must come out of it.
VTT = """WEBVTT

00:00:00.000 --> 00:00:04.000
<v Dana>Thanks for coming in. Tell me about a project you led?

00:00:05.500 --> 00:00:35.500
<v Sam>Um, sure. So last year I led the migration of our billing system, you know, to a new \
platform. I planned the rollout, like, in three phases and we cut costs by twenty percent.

00:00:36.000 --> 00:00:40.000
<v Dana>How did you handle the risks in that?

00:00:41.000 --> 00:01:01.000
<v Sam>I wrote a rollback plan and we tested it twice before each phase. It went well, but \
uh one phase slipped a week.
"""


def tone_wav(pattern: list[tuple[float, bool]], *, rate: int = RATE) -> bytes:
    """A mono 16-bit WAV of tone (True) and silence (False) stretches, in seconds."""
    samples = array.array("h")
    for seconds, loud in pattern:
        n = int(seconds * rate)
        samples.extend(int(8000 * math.sin(2 * math.pi * 440 * i / rate)) if loud else 0
                       for i in range(n))
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return buf.getvalue()


def transcriber(server: OpenAICompatServer, model: str = "gpt-4o-transcribe-diarize",
                attempts: int = 3) -> OpenAITranscriber:
    return OpenAITranscriber(model, base_url=server.base_url, api_key="test",
                             retry=RetryPolicy(max_attempts=attempts), sleep=lambda _s: None)


def client(server: OpenAICompatServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0)


# -- the server's wire format, through the official SDK ----------------------------------------

def test_transcriptions_json_text_and_verbose_json_in_openai_wire_format() -> None:
    with OpenAICompatServer() as server:
        server.audio.register("talk.wav", [s[:3] for s in SCRIPT])
        sdk = client(server)
        audio = ("talk.wav", silent_wav(61.0, rate=RATE))
        plain = sdk.audio.transcriptions.create(file=audio, model="whisper-1")
        assert plain.text.startswith("Thanks for coming in.") and "slipped a week." in plain.text
        assert plain.usage is not None and plain.usage.type == "duration"
        text = sdk.audio.transcriptions.create(file=audio, model="whisper-1",
                                               response_format="text")
        assert isinstance(text, str) and text.strip() == plain.text
        verbose = sdk.audio.transcriptions.create(
            file=audio, model="whisper-1", response_format="verbose_json",
            timestamp_granularities=["segment", "word"])
        assert verbose.duration == pytest.approx(61.0)
        assert verbose.segments is not None and len(verbose.segments) == 4
        seg = verbose.segments[1]
        assert (seg.id, seg.start, seg.end) == (1, 5.5, 35.5)
        assert seg.text.strip().startswith("Um, sure.")
        assert verbose.words is not None and verbose.words[0].word == "Thanks"
        assert verbose.words[0].start == 0.0 and verbose.words[-1].end == pytest.approx(61.0)
        words_only = sdk.audio.transcriptions.create(
            file=audio, model="whisper-1", response_format="verbose_json",
            timestamp_granularities=["word"])
        assert words_only.segments is None and words_only.words
        # The multipart upload arrived whole, with its fields.
        upload = server.audio.uploads[2]
        assert upload.filename == "talk.wav" and upload.seconds == pytest.approx(61.0)
        assert upload.fields["timestamp_granularities[]"] == ["segment", "word"]
        assert all("authorization" not in r.headers for r in server.audio_requests)


def test_diarized_json_carries_speakers_and_needs_a_chunking_strategy_past_30_s() -> None:
    with OpenAICompatServer() as server:
        server.audio.register("talk.wav", SCRIPT)
        sdk = client(server)
        audio = ("talk.wav", silent_wav(61.0, rate=RATE))
        result = sdk.audio.transcriptions.create(
            file=audio, model="gpt-4o-transcribe-diarize", response_format="diarized_json",
            chunking_strategy="auto")
        assert [s.speaker for s in result.segments] == ["A", "B", "A", "B"]
        assert result.segments[0].type == "transcript.text.segment"
        assert result.duration == pytest.approx(61.0)
        with pytest.raises(openai.BadRequestError, match="chunking_strategy"):
            sdk.audio.transcriptions.create(file=audio, model="gpt-4o-transcribe-diarize",
                                            response_format="diarized_json")
        with pytest.raises(openai.BadRequestError, match="diarized_json"):
            sdk.audio.transcriptions.create(file=audio, model="whisper-1",
                                            response_format="diarized_json")
        with pytest.raises(openai.BadRequestError, match="verbose_json"):
            sdk.audio.transcriptions.create(file=audio, model="gpt-4o-transcribe",
                                            response_format="verbose_json")
        with pytest.raises(openai.BadRequestError, match="Invalid file format"):
            sdk.audio.transcriptions.create(file=("talk.txt", b"hello"), model="whisper-1")


def test_upload_over_the_limit_is_refused_with_413() -> None:
    with OpenAICompatServer() as server:
        server.audio.upload_limit = 50_000
        server.audio.register("big.wav", [(0, 1, "hi")])
        with pytest.raises(openai.APIStatusError, match="Maximum content size") as err:
            client(server).audio.transcriptions.create(
                file=("big.wav", silent_wav(5.0, rate=RATE)), model="whisper-1")
        assert err.value.status_code == 413


def test_speech_answers_audio_as_long_as_the_words() -> None:
    with OpenAICompatServer() as server:
        sdk = client(server)
        wav_bytes = sdk.audio.speech.create(model="gpt-4o-mini-tts", voice="alloy",
                                            input="one two three four five six seven eight "
                                            "nine ten", response_format="wav").content
        with wave.open(io.BytesIO(wav_bytes)) as w:
            assert w.getnframes() / w.getframerate() == pytest.approx(4.0, abs=0.05)
        mp3 = sdk.audio.speech.create(model="tts-1", voice="nova", input="hello there")
        assert mp3.content[:2] == b"\xff\xfb"
        with pytest.raises(openai.BadRequestError, match="voice"):
            sdk.audio.speech.create(model="tts-1", voice="", input="hi")  # type: ignore[arg-type]
        spoken = OpenAITranscriber("whisper-1", base_url=server.base_url,
                                   api_key="test").speech("Hi there", response_format="pcm")
        assert len(spoken) == int(2 / 2.5 * 24000) * 2


# -- recordings in ---------------------------------------------------------------------------

def test_diarized_recording_imports_with_turn_times_and_speaker_rules(tmp_path: Path) -> None:
    path = tmp_path / "talk.wav"
    path.write_bytes(silent_wav(61.0, rate=RATE))
    with OpenAICompatServer() as server:
        server.audio.register("talk.wav", SCRIPT)
        transcript = transcribe_file(path, transcriber(server))
        upload = server.audio.uploads[0]
    assert upload.field("response_format") == "diarized_json"
    assert upload.field("chunking_strategy") == "auto"
    assert [(t.speaker, t.name, t.offset, t.end) for t in transcript.turns] == [
        ("interviewer", "A", 0.0, 4.0), ("candidate", "B", 5.5, 35.5),
        ("interviewer", "A", 36.0, 40.0), ("candidate", "B", 41.0, 61.0)]
    assert transcript.imported is not None and transcript.imported.format == "audio"
    assert transcript.id == "talk"


def test_candidate_flag_names_a_speaker_label(tmp_path: Path) -> None:
    path = tmp_path / "talk.wav"
    path.write_bytes(silent_wav(61.0, rate=RATE))
    with OpenAICompatServer() as server:
        server.audio.register("talk.wav", SCRIPT)
        transcript = transcribe_file(path, transcriber(server), candidate="A")
    assert [t.speaker for t in transcript.turns][:2] == ["candidate", "interviewer"]


def test_whisper_segments_go_through_the_importers_speaker_rules(tmp_path: Path) -> None:
    path = tmp_path / "talk.wav"
    path.write_bytes(silent_wav(10.0, rate=RATE))
    with OpenAICompatServer() as server:
        server.audio.register("talk.wav", [
            (0.0, 2.0, "Interviewer: Why this role?"), (2.5, 6.0, "Candidate: I like the team."),
            (6.0, 7.5, "and the product."), (8.0, 10.0, "Interviewer: Thanks.")])
        transcript = transcribe_file(path, transcriber(server, "whisper-1"))
        assert server.audio.uploads[0].field("response_format") == "verbose_json"
    assert [(t.speaker, t.text, t.offset, t.end) for t in transcript.turns] == [
        ("interviewer", "Why this role?", 0.0, 2.0),
        ("candidate", "I like the team. and the product.", 2.5, 7.5),
        ("interviewer", "Thanks.", 8.0, 10.0)]


def test_unlabelled_transcription_is_refused_naming_the_file_and_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "talk.wav"
    path.write_bytes(silent_wav(4.0, rate=RATE))
    with OpenAICompatServer() as server:
        server.audio.register("talk.wav", [(0, 2, "Why this role?"), (2, 4, "The team.")])
        with pytest.raises(TranscriptError, match="no speaker labels") as err:
            transcribe_file(path, transcriber(server, "whisper-1"))
    assert "talk.wav" in str(err.value) and "diarize" in str(err.value)


def _pieces_responder(upload: AudioUpload) -> list[AudioSegment]:
    # Each piece: the interviewer asks in its first second, the candidate answers the rest.
    assert upload.seconds is not None
    asked = AudioSegment(0.0, min(1.0, upload.seconds), "So what happened next?", "A")
    if upload.seconds <= 1.0:
        return [asked]
    return [asked, AudioSegment(1.0, upload.seconds, "I fixed the build and we shipped.", "B")]


def test_large_wav_is_split_under_the_limit_at_quiet_moments(tmp_path: Path) -> None:
    # 3 s of tone, then 1 s of silence, twelve times: the cuts must land in the silences.
    pattern = [(3.0, True), (1.0, False)] * 12
    path = tmp_path / "long.wav"
    path.write_bytes(tone_wav(pattern))
    limit = 200_000  # ~12 s of 8 kHz 16-bit audio per piece
    pieces = split_audio(path, limit=limit)
    assert len(pieces) >= 4
    assert all(len(p.data) <= limit for p in pieces)
    assert sum(p.seconds or 0 for p in pieces) == pytest.approx(48.0, abs=1e-3)
    for p in pieces[1:]:
        assert p.start % 4.0 >= 3.0, f"cut at {p.start:.2f} s is inside a tone"
    with OpenAICompatServer() as server:
        server.audio.upload_limit = limit
        server.audio.responder = _pieces_responder
        transcript = transcribe_file(path, transcriber(server), limit=limit)
        assert [u.filename for u in server.audio.uploads] == [p.filename for p in pieces]
    starts = [t.offset for t in transcript.turns if t.speaker == "interviewer"]
    assert starts == pytest.approx([p.start for p in pieces])
    assert transcript.turns[-1].end == pytest.approx(48.0)


def test_a_failed_piece_is_retried_and_one_that_keeps_failing_stops_the_import(
        tmp_path: Path) -> None:
    path = tmp_path / "long.wav"
    path.write_bytes(tone_wav([(3.0, True), (1.0, False)] * 12))
    limit = 200_000
    n = len(split_audio(path, limit=limit))
    with OpenAICompatServer() as server:
        server.audio.upload_limit = limit
        server.audio.responder = _pieces_responder
        server.add_audio_faults(Fault.server_error(503), Fault.reset())
        transcript = transcribe_file(path, transcriber(server), limit=limit)
        assert len(server.audio_requests) == n + 2
        assert sum(t.speaker == "interviewer" for t in transcript.turns) == n
        server.clear()
        server.audio.uploads.clear()
        # The second piece fails on every attempt: the import stops and says which piece.
        server.audio.responder = _pieces_responder
        first_ok = [Fault.server_error(500)] * 2
        server.add_audio_faults(*first_ok)
        with pytest.raises(TranscriptError, match=rf"piece 1 of {n} \(0:00-") as err:
            transcribe_file(path, transcriber(server, attempts=2), limit=limit)
    assert "long.wav" in str(err.value)


def test_small_mp3_uploads_as_is_and_is_recognised_by_its_bytes(tmp_path: Path) -> None:
    path = tmp_path / "call.mp3"
    path.write_bytes(silent_mp3(61.0))
    odd = tmp_path / "call-recording"  # no suffix: the first bytes say what it is
    odd.write_bytes(silent_mp3(2.0))
    assert audio_kind(path) == "mp3" and is_audio(odd) and audio_kind(odd) == "mp3"
    utf16 = tmp_path / "notes.txt"
    utf16.write_bytes("Interviewer: hi".encode("utf-16"))
    assert not is_audio(utf16)
    with OpenAICompatServer() as server:
        server.audio.register("call.mp3", SCRIPT)
        transcript = transcribe_file(path, transcriber(server))
        assert server.audio.uploads[0].data == path.read_bytes()
    assert [t.offset for t in transcript.turns] == [0.0, 5.5, 36.0, 41.0]


@pytest.mark.parametrize("suffix", [".m4a", ".webm"])
def test_large_compressed_recording_without_ffmpeg_is_refused_clearly(
        tmp_path: Path, suffix: str) -> None:
    if shutil.which("ffmpeg"):
        pytest.skip("ffmpeg is installed: the file would be converted, not refused")
    path = tmp_path / f"interview{suffix}"
    path.write_bytes(b"\0\0\0\x20ftypM4A " + bytes(300_000))
    with pytest.raises(TranscriptError, match="needs ffmpeg") as err:
        split_audio(path, limit=200_000)
    assert f"interview{suffix}" in str(err.value)


def test_compressed_recordings_convert_and_split_with_ffmpeg(tmp_path: Path) -> None:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("ffmpeg is not installed: mp3/m4a/webm splitting needs it")
    import subprocess

    wav = tmp_path / "src.wav"
    wav.write_bytes(tone_wav([(3.0, True), (1.0, False)] * 12, rate=16000))
    for suffix in (".mp3", ".m4a", ".webm"):
        out = tmp_path / f"talk{suffix}"
        subprocess.run([ffmpeg, "-nostdin", "-loglevel", "error", "-i", str(wav), str(out)],
                       check=True, timeout=120)
        # Under the file's own size, so it must be converted and cut (compressed, it is small).
        limit = out.stat().st_size // 2
        pieces = split_audio(out, limit=max(limit, 100_000))
        assert len(pieces) > 1, suffix
        assert all(len(p.data) <= max(limit, 100_000) for p in pieces)
        assert sum(p.seconds or 0 for p in pieces) == pytest.approx(48.0, abs=0.2)


# -- delivery in time --------------------------------------------------------------------------

def test_a_recording_and_the_same_vtt_give_the_same_delivery_figures(tmp_path: Path) -> None:
    path = tmp_path / "talk.wav"
    path.write_bytes(silent_wav(61.0, rate=RATE))
    with OpenAICompatServer() as server:
        server.audio.register("talk.wav", SCRIPT)
        recorded = transcribe_file(path, transcriber(server))
    vtt = tmp_path / "talk.vtt"
    vtt.write_text(VTT, encoding="utf-8")
    captions = load_transcript(vtt)
    a, b = compute_signals(recorded).delivery, compute_signals(captions).delivery
    assert a is not None and b is not None
    assert a == b
    assert a.talk_time_share == pytest.approx(50 / 58, abs=1e-4)
    assert [(x.span(), x.seconds, x.pause, x.fillers) for x in a.answers] == [
        ("T2", 30.0, 1.5, 3), ("T4", 20.0, 1.0, 1)]
    assert a.answers[0].wpm == pytest.approx(a.answers[0].words * 2)
    assert a.answers[0].fillers_per_minute == 6.0


def test_cli_import_then_evaluate_shows_delivery(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from roleplay.cli import main

    path = tmp_path / "talk.wav"
    path.write_bytes(silent_wav(61.0, rate=RATE))
    out = tmp_path / "t.json"
    with OpenAICompatServer() as server:
        server.audio.register("talk.wav", SCRIPT)
        code = main(["import", str(path), "--out", str(out), "--base-url", server.base_url,
                     "--api-key", "test"])
        assert code == 0
        preview = capsys.readouterr().out
        assert "T2 0:05 B: Um, sure." in preview
        # evaluate reads the recording itself too, through the same endpoint flags.
        assert main(["evaluate", str(path), "--signals-only", "--format", "json",
                     "--base-url", server.base_url, "--api-key", "test"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["delivery"]["answers"][0]["turns"] == [2]
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert [(t["offset"], t["end"]) for t in saved["turns"]] == [
        (0.0, 4.0), (5.5, 35.5), (36.0, 40.0), (41.0, 61.0)]
    md = tmp_path / "r.md"
    assert main(["evaluate", str(out), "--signals-only", "--out", str(md)]) == 0
    text = md.read_text(encoding="utf-8")
    assert "## Delivery" in text and "| T2 | T1 | 0:30 |" in text


def test_cli_import_without_a_key_names_the_need(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from roleplay.cli import main

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    path = tmp_path / "talk.wav"
    path.write_bytes(silent_wav(1.0, rate=RATE))
    code = main(["import", str(path)])
    assert code != 0
    assert "OPENAI_API_KEY" in capsys.readouterr().err


# -- cassettes: audio calls recorded without keys --------------------------------------------

@pytest.mark.vcr
def test_transcription_cassette_records_the_multipart_body_without_keys(
        cassette_target: Any, openai_server: OpenAICompatServer) -> None:
    cassette = (Path(__file__).parent / "cassettes" / CASSETTE_GROUP /
                "test_transcription_cassette_records_the_multipart_body_without_keys.yaml")
    replaying = cassette.exists()
    if not replaying and not cassette_target.live:
        openai_server.audio.register("hello.wav", [(0.0, 0.5, "Candidate: Hello.")])
    t = OpenAITranscriber("whisper-1", base_url=cassette_target.base_url,
                          api_key=cassette_target.api_key, retry=RetryPolicy(max_attempts=1))
    result = t.transcribe("hello.wav", silent_wav(0.5, rate=RATE))
    assert result.text.strip() == "Candidate: Hello."
    assert result.segments[0].end == 0.5
    if not replaying:
        return  # recording now: the cassette is written when the test ends
    # The upload (a new random multipart boundary each time) was answered from the cassette.
    assert openai_server.audio_requests == []
    text = cassette.read_text(encoding="utf-8")
    assert "multipart/form-data" in text
    assert cassette_target.api_key not in text and "authorization" not in text.lower()
