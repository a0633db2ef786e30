"""The local test server's audio endpoints: ``/v1/audio/transcriptions`` and ``/v1/audio/speech``.

Transcriptions take a multipart upload as OpenAI's API does (fields ``file``, ``model``,
``response_format``, ``timestamp_granularities[]``, ``chunking_strategy`` ...) and answer in
its wire format: ``json`` (``{"text", "usage"}``), ``text``, ``srt``, ``vtt``, ``verbose_json``
(``duration``, ``language``, ``segments`` with ``id, seek, start, end, text, tokens,
temperature, avg_logprob, compression_ratio, no_speech_prob``, and ``words`` when asked) and,
for diarizing models (a name with ``diarize``), ``diarized_json`` (segments of type
``transcript.text.segment`` with ``speaker``). As the API does, it refuses uploads over the
size limit (413), files of an unsupported type, ``verbose_json`` from the gpt-4o models,
``diarized_json`` from a model that does not diarize, and diarization of more than 30 seconds
without ``chunking_strategy``.

What a recording "says" is scripted: a test registers timed segments for a file name
(`AudioScript.register`), or a responder computes them from the upload (a WAV's duration is
measured with the standard library's wave module, so a responder can cover a chunk whole).
Speech answers with a WAV or raw PCM of silence (or silent MP3 frames) as long as the words
would take to say.
"""

from __future__ import annotations

import email.parser
import email.policy
import io
import json
import math
import threading
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from roleplay.audio import wav_seconds

__all__ = ["AudioScript", "AudioSegment", "AudioUpload", "answer_speech",
           "answer_transcription", "parse_multipart", "silent_mp3", "silent_wav", "wav_seconds"]

UPLOAD_LIMIT = 25 * 1024 * 1024
"""OpenAI's upload limit for transcription (25 MB)."""
AUDIO_SUFFIXES = ("flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm")
"""The file types the transcription endpoint accepts."""
_WORDS_PER_SECOND = 2.5  # speech: about 150 words a minute
_DIARIZE_LIMIT = 30.0


@dataclass(frozen=True)
class AudioSegment:
    """One scripted stretch of speech."""

    start: float
    """Seconds into the file."""
    end: float
    """Seconds into the file."""
    text: str
    """What is said."""
    speaker: str | None = None
    """Who says it, as a diarizing model labels speakers (``A``, ``B`` ... or a known name)."""


@dataclass(frozen=True)
class AudioUpload:
    """One transcription request as the server received it."""

    filename: str
    """The uploaded file's name."""
    data: bytes
    """The uploaded file's bytes."""
    fields: dict[str, list[str]]
    """The other form fields (``model``, ``response_format``, ``timestamp_granularities[]``)."""
    seconds: float | None
    """The file's duration, when it is a WAV (measured), else ``None``."""

    def field(self, name: str, default: str | None = None) -> str | None:
        """The first value of form field ``name``."""
        values = self.fields.get(name)
        return values[0] if values else default


TranscriptionResponder = Callable[[AudioUpload], Sequence[AudioSegment]]
"""Computes what an uploaded recording says."""


@dataclass
class AudioScript:
    """What the server's recordings say: segments per file name, else a responder."""

    by_name: dict[str, list[AudioSegment]] = field(default_factory=dict)
    """Segments registered per file name."""
    responder: TranscriptionResponder | None = None
    """Computes segments for files not registered by name."""
    upload_limit: int = UPLOAD_LIMIT
    """Uploads larger than this are refused with 413, as the API refuses files over 25 MB."""
    uploads: list[AudioUpload] = field(default_factory=list)
    """Every transcription upload received, in order."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def register(self, filename: str, segments: Sequence[AudioSegment | tuple[Any, ...]]) -> None:
        """Script what the file ``filename`` says; tuples are ``(start, end, text[, speaker])``."""
        self.by_name[filename] = [s if isinstance(s, AudioSegment) else AudioSegment(*s)
                                  for s in segments]

    def segments(self, upload: AudioUpload) -> list[AudioSegment] | None:
        """The scripted segments of ``upload``, or ``None`` when nothing says what it holds."""
        if upload.filename in self.by_name:
            return self.by_name[upload.filename]
        return list(self.responder(upload)) if self.responder is not None else None


def silent_wav(seconds: float, *, rate: int = 16000) -> bytes:
    """A mono 16-bit WAV of silence lasting ``seconds``."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\0\0" * int(seconds * rate))
    return buf.getvalue()


# MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, joint stereo: 417-byte frames of 1152 samples each; a
# frame with zeroed side information and data decodes as silence.
_MP3_HEADER = bytes([0xFF, 0xFB, 0x90, 0x64])
_MP3_FRAME_BYTES = 417
_MP3_FRAME_SECONDS = 1152 / 44100


def silent_mp3(seconds: float) -> bytes:
    """An MP3 stream of silent frames lasting about ``seconds``."""
    frames = max(1, math.ceil(seconds / _MP3_FRAME_SECONDS))
    return (_MP3_HEADER + bytes(_MP3_FRAME_BYTES - 4)) * frames


def parse_multipart(content_type: str, raw: bytes) -> tuple[dict[str, list[str]],
                                                             tuple[str, bytes] | None]:
    """The text fields and the ``file`` part (name, bytes) of a multipart/form-data body."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw)
    fields: dict[str, list[str]] = {}
    upload: tuple[str, bytes] | None = None
    if not message.is_multipart():
        return fields, None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if name == "file":
            upload = (str(part.get_filename() or "upload"), data)
        elif isinstance(name, str):
            fields.setdefault(name, []).append(data.decode("utf-8", "replace"))
    return fields, upload


def _error(status: int, message: str, param: str | None = None,
           code: str | None = None) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"message": message, "type": "invalid_request_error",
                              "param": param, "code": code}}


def _clock(seconds: float, sep: str) -> str:
    ms = round(seconds * 1000)
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{sep}{ms:03d}"


def _captions(segments: Sequence[AudioSegment], vtt: bool) -> str:
    out = ["WEBVTT", ""] if vtt else []
    for n, s in enumerate(segments, start=1):
        if not vtt:
            out.append(str(n))
        sep = "." if vtt else ","
        out += [f"{_clock(s.start, sep)} --> {_clock(s.end, sep)}", s.text.strip(), ""]
    return "\n".join(out)


def _words(segments: Sequence[AudioSegment]) -> list[dict[str, Any]]:
    words: list[dict[str, Any]] = []
    for s in segments:
        tokens = s.text.split()
        step = (s.end - s.start) / len(tokens) if tokens else 0.0
        for i, token in enumerate(tokens):
            words.append({"word": token.strip(".,!?;:"), "start": round(s.start + i * step, 2),
                          "end": round(s.start + (i + 1) * step, 2)})
    return words


def answer_transcription(script: AudioScript, content_type: str,
                         raw: bytes) -> tuple[int, Any, str]:
    """The status, body and content type answering one transcription request.

    The body is a dict (sent as JSON) or a string (``text``, ``srt``, ``vtt``).
    """
    if len(raw) > script.upload_limit:
        return (*_error(413, f"Maximum content size limit ({script.upload_limit}) exceeded "
                        f"({len(raw)} bytes read)"), "application/json")
    if not content_type.startswith("multipart/form-data"):
        return (*_error(400, "Expected a multipart/form-data body with a file"),
                "application/json")
    fields, upload = parse_multipart(content_type, raw)
    if upload is None:
        return (*_error(400, "you must provide a file", param="file"), "application/json")
    name, data = upload
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in AUDIO_SUFFIXES:
        return (*_error(400, f"Invalid file format. Supported formats: {list(AUDIO_SUFFIXES)}",
                        param="file", code="invalid_value"), "application/json")
    model = (fields.get("model") or [""])[0]
    if not model:
        return (*_error(400, "you must provide a model parameter", param="model"),
                "application/json")
    received = AudioUpload(name, data, fields, wav_seconds(data) if suffix == "wav" else None)
    with script._lock:
        script.uploads.append(received)
    fmt = received.field("response_format", "json") or "json"
    diarizes = "diarize" in model
    if fmt == "diarized_json" and not diarizes:
        return (*_error(400, f"response_format 'diarized_json' is not compatible with model "
                        f"'{model}'; use gpt-4o-transcribe-diarize", param="response_format"),
                "application/json")
    if fmt == "verbose_json" and (diarizes or model.startswith("gpt-4o")):
        return (*_error(400, f"response_format 'verbose_json' is not compatible with model "
                        f"'{model}'. Use 'json' or 'text' instead.", param="response_format"),
                "application/json")
    if fmt not in ("json", "text", "srt", "vtt", "verbose_json", "diarized_json"):
        return (*_error(400, f"Invalid response_format {fmt!r}", param="response_format"),
                "application/json")
    segments = script.segments(received)
    if segments is None:
        return 500, {"error": {
            "message": f"OpenAICompatServer has no scripted transcription for {name!r}; "
                       "register one (server.audio.register) or set server.audio.responder",
            "type": "server_error", "param": None, "code": "no_scripted_reply"}}, \
            "application/json"
    ends = [s.end for s in segments]
    seconds = received.seconds if received.seconds is not None else max(ends, default=0.0)
    if diarizes and seconds > _DIARIZE_LIMIT and not any(k.startswith("chunking_strategy")
                                                          for k in fields):
        return (*_error(400, "chunking_strategy is required for diarization models when the "
                        "input is longer than 30 seconds", param="chunking_strategy"),
                "application/json")
    text = " ".join(s.text.strip() for s in segments)
    usage = {"type": "duration", "seconds": math.ceil(seconds)}
    if fmt == "text":
        return 200, text + "\n", "text/plain; charset=utf-8"
    if fmt in ("srt", "vtt"):
        return 200, _captions(segments, fmt == "vtt"), "text/plain; charset=utf-8"
    if fmt == "json":
        return 200, {"text": text, "usage": usage}, "application/json"
    if fmt == "diarized_json":
        return 200, {
            "task": "transcribe", "duration": seconds, "text": text,
            "segments": [{"type": "transcript.text.segment", "id": f"seg_{n:03d}",
                          "start": s.start, "end": s.end, "text": s.text,
                          "speaker": s.speaker or "A"} for n, s in enumerate(segments)],
            "usage": usage,
        }, "application/json"
    granularities = fields.get("timestamp_granularities[]") or ["segment"]
    verbose: dict[str, Any] = {"task": "transcribe", "language": "english",
                               "duration": seconds, "text": text, "usage": usage}
    if "segment" in granularities:
        verbose["segments"] = [
            {"id": n, "seek": int(s.start * 100), "start": s.start, "end": s.end,
             "text": " " + s.text.strip(),
             "tokens": list(range(50364, 50364 + len(s.text.split()))),
             "temperature": 0.0, "avg_logprob": -0.2, "compression_ratio": 1.3,
             "no_speech_prob": 0.01}
            for n, s in enumerate(segments)]
    if "word" in granularities:
        verbose["words"] = _words(segments)
    return 200, verbose, "application/json"


def answer_speech(body: Any) -> tuple[int, bytes | dict[str, Any], str]:
    """The status, body and content type answering one ``/v1/audio/speech`` request."""
    if not isinstance(body, dict) or not isinstance(body.get("input"), str):
        return (*_error(400, "'input' is a required property", param="input"),
                "application/json")
    for name in ("model", "voice"):
        if not body.get(name):
            return (*_error(400, f"'{name}' is a required property", param=name),
                    "application/json")
    if len(body["input"]) > 4096:
        return (*_error(400, "input is longer than 4096 characters", param="input",
                        code="string_above_max_length"), "application/json")
    speed = float(body.get("speed") or 1.0)
    seconds = max(0.2, len(body["input"].split()) / _WORDS_PER_SECOND / speed)
    fmt = body.get("response_format") or "mp3"
    if fmt == "wav":
        return 200, silent_wav(seconds, rate=24000), "audio/wav"
    if fmt == "pcm":  # raw 24 kHz 16-bit mono, as the API sends it
        return 200, b"\0\0" * int(seconds * 24000), "audio/pcm"
    if fmt == "mp3":
        return 200, silent_mp3(seconds), "audio/mpeg"
    return (*_error(400, f"the local test server makes mp3, wav and pcm speech only, not "
                    f"{fmt!r}", param="response_format"), "application/json")


def dumps(body: Any) -> bytes:
    """A response body's bytes: JSON for dicts, UTF-8 for text, bytes as they are."""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body).encode()
