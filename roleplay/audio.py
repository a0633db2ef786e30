"""Recordings in: transcribe an interview's audio file into a transcript with turn times.

`transcribe_file` reads a recording (WAV, MP3, M4A/MP4, WebM, Ogg, FLAC; detected from the
name and the file's first bytes), uploads it to an OpenAI-compatible transcription endpoint
(`roleplay.llm.openai_audio.OpenAITranscriber`) and builds a `Transcript` whose turns keep
their start and end times (``Turn.offset``, ``Turn.end``):

* **Speakers.** With a diarizing model each segment carries a speaker label (``A``, ``B`` ...),
  and the labels go through the importer's speaker rules (`roleplay.importing`): the candidate
  is the one who answers the questions, unless ``candidate=`` / ``interviewer=`` name a label.
  Without diarization the segments' text is read with the same rules (``Interviewer: ...``
  lines); a transcription with no labels at all is refused with a message saying what to use.
* **Size.** Endpoints take at most 25 MB per upload. A larger recording is cut into pieces
  under the limit: a WAV with the standard library's wave module, each cut placed at the
  quietest moment in the last tenth of the piece (a pause between words, not mid-word); other
  containers are first converted to 16 kHz mono WAV with ``ffmpeg``, and without ``ffmpeg`` a
  large non-WAV file is refused with a message naming the file and the need. Each piece's times
  are shifted by where it starts.
* **Failures.** Each piece is retried under the project's retry policy; a piece that still
  fails stops the import with an error naming the file, the piece and its time span: no piece
  is ever skipped, so no stretch of the interview is silently lost.
"""

from __future__ import annotations

import array
import io
import os
import shutil
import subprocess
import sys
import tempfile
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from roleplay.errors import ModelAPIError, TranscriptError
from roleplay.importing import Utterance, split_label, transcript_from_utterances
from roleplay.llm.audio_types import TimedText, Transcription
from roleplay.transcript import Transcript

__all__ = ["AUDIO_SUFFIXES", "UPLOAD_LIMIT", "AudioPiece", "Transcriber", "audio_kind",
           "is_audio", "split_audio", "transcribe_file", "wav_seconds"]

UPLOAD_LIMIT = 25 * 1024 * 1024
"""The largest upload transcription endpoints take (OpenAI: 25 MB)."""
AUDIO_SUFFIXES = (".wav", ".mp3", ".m4a", ".mp4", ".webm", ".ogg", ".oga", ".flac", ".mpga",
                  ".mpeg")
"""File name suffixes read as recordings."""
_QUIET_WINDOW = 0.05  # seconds per loudness measurement when looking for a pause
_SEARCH_SHARE = 0.1  # the share of a piece, at its end, searched for the quietest moment
_FFMPEG_TIMEOUT = 600


class Transcriber(Protocol):
    """Anything that transcribes one upload (`OpenAITranscriber` is the real one)."""

    def transcribe(self, filename: str, data: bytes) -> Transcription:
        """Transcribe one file within the upload limit."""
        ...


@dataclass(frozen=True)
class AudioPiece:
    """One upload: a whole small file, or a piece of a large one."""

    filename: str
    """The name it is uploaded under (its suffix tells the endpoint the container)."""
    data: bytes
    """The bytes uploaded."""
    start: float
    """Seconds into the recording where the piece starts."""
    seconds: float | None
    """The piece's length, when known (WAV)."""


def audio_kind(path: str | os.PathLike[str]) -> str | None:
    """The container of a recording (``wav``, ``mp3``, ``m4a``, ``webm``, ``ogg``, ``flac``).

    Read from the file's first bytes, else from its suffix; ``None`` when it is no recording.
    """
    p = Path(path)
    try:
        with p.open("rb") as fh:
            head = fh.read(12)
    except OSError:
        head = b""
    suffix = p.suffix.lower()
    return _magic(head) or (suffix[1:] if suffix in AUDIO_SUFFIXES else None)


def _magic(head: bytes) -> str | None:
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    # An MPEG audio frame sync with layer III; a UTF-16 byte order mark (FF FE) is not one.
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE6 == 0xE2):
        return "mp3"
    if head[4:8] == b"ftyp":
        return "m4a"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:4] == b"fLaC":
        return "flac"
    return None


def wav_seconds(data: bytes) -> float | None:
    """The duration of a WAV file's bytes, or ``None`` when they are not a readable WAV."""
    try:
        with wave.open(io.BytesIO(data)) as w:
            return float(w.getnframes() / w.getframerate())
    except (wave.Error, EOFError, ZeroDivisionError):
        return None


def is_audio(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a recording: an audio suffix, or a recording's first bytes."""
    p = Path(path)
    if p.suffix.lower() in AUDIO_SUFFIXES:
        return True
    try:
        with p.open("rb") as fh:
            return _magic(fh.read(12)) is not None
    except OSError:
        return False


def _quietest(frames: bytes, width: int, channels: int, rate: int) -> int:
    """The frame offset of the quietest window in ``frames`` (16-bit PCM; else the end)."""
    n = len(frames) // (width * channels)
    if width != 2 or n == 0:
        return n
    samples = array.array("h")
    samples.frombytes(frames[: n * width * channels])
    if sys.byteorder == "big":
        samples.byteswap()  # WAV data is little-endian
    step = max(1, int(_QUIET_WINDOW * rate)) * channels
    best, best_energy = n, None
    for start in range(0, len(samples) - step + 1, step):
        energy = sum(abs(v) for v in samples[start:start + step])
        if best_energy is None or energy < best_energy:
            best, best_energy = (start + step // 2) // channels, energy
    return best


def _split_wav(data: bytes, name: str, limit: int) -> list[AudioPiece]:
    with wave.open(io.BytesIO(data)) as w:
        channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
        frames = w.readframes(w.getnframes())
    frame_bytes = channels * width
    # Room for the 44-byte header and the multipart envelope around the file.
    per_piece = max(rate, (limit - 4096) // frame_bytes)
    total = len(frames) // frame_bytes
    stem = Path(name).stem
    pieces: list[AudioPiece] = []
    at = 0
    while at < total:
        end = min(total, at + per_piece)
        if end < total:
            search_from = end - int((end - at) * _SEARCH_SHARE)
            window = frames[search_from * frame_bytes:end * frame_bytes]
            end = search_from + _quietest(window, width, channels, rate)
            end = max(end, at + 1)
        buf = io.BytesIO()
        with wave.open(buf, "wb") as out:
            out.setnchannels(channels)
            out.setsampwidth(width)
            out.setframerate(rate)
            out.writeframes(frames[at * frame_bytes:end * frame_bytes])
        pieces.append(AudioPiece(f"{stem}.part{len(pieces) + 1}.wav", buf.getvalue(),
                                 at / rate, (end - at) / rate))
        at = end
    return pieces


def _to_wav(path: Path) -> bytes:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise TranscriptError(
            f"the recording is over the {UPLOAD_LIMIT // (1024 * 1024)} MB upload limit and is "
            "not a WAV file; splitting it needs ffmpeg, which was not found on PATH: install "
            "ffmpeg, or convert the file to WAV (which is split without it)", path=str(path))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "audio.wav"
        try:
            subprocess.run([ffmpeg, "-nostdin", "-loglevel", "error", "-i", str(path), "-ac", "1",
                            "-ar", "16000", "-c:a", "pcm_s16le", str(out)], check=True,
                           capture_output=True, timeout=_FFMPEG_TIMEOUT)
        except subprocess.CalledProcessError as exc:
            detail = exc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise TranscriptError(f"ffmpeg could not read the recording: "
                                  f"{detail[-1] if detail else exc}", path=str(path)) from exc
        except subprocess.TimeoutExpired as exc:
            raise TranscriptError("ffmpeg took too long converting the recording",
                                  path=str(path)) from exc
        return out.read_bytes()


def split_audio(path: str | os.PathLike[str], *, limit: int = UPLOAD_LIMIT) -> list[AudioPiece]:
    """The uploads for recording ``path``: the file itself when within ``limit``, else pieces.

    Raises:
        TranscriptError: unreadable, not a recording, or too large to split here; names the file.
    """
    p = Path(path)
    kind = audio_kind(p)
    if kind is None:
        raise TranscriptError("not a recording this tool reads (wav, mp3, m4a, webm, ogg, flac)",
                              path=str(p))
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise TranscriptError(f"cannot read the recording: {exc.strerror}", path=str(p)) from exc
    if not data:
        raise TranscriptError("the recording is empty", path=str(p))
    seconds: float | None = None
    if kind == "wav":
        try:
            with wave.open(io.BytesIO(data)) as w:
                seconds = w.getnframes() / w.getframerate()
        except (wave.Error, EOFError) as exc:
            raise TranscriptError(f"not a readable WAV file ({exc}); only PCM WAV is read",
                                  path=str(p)) from exc
    name = p.name if p.suffix.lower() in AUDIO_SUFFIXES else f"{p.stem}.{kind}"
    if len(data) <= limit - 4096:
        return [AudioPiece(name, data, 0.0, seconds)]
    return _split_wav(data if kind == "wav" else _to_wav(p), name, limit)


def _utterances(pieces: Sequence[tuple[AudioPiece, Transcription]]) -> list[Utterance]:
    out: list[Utterance] = []
    line = 0
    for piece, result in pieces:
        segments: Sequence[TimedText] = result.segments or (
            (TimedText(0.0, piece.seconds or 0.0, result.text),) if result.text.strip() else ())
        for s in segments:
            line += 1
            start = piece.start + s.start
            end = max(start, piece.start + s.end)
            if result.diarized:
                out.append(Utterance(s.speaker, s.text, s.text, line, start, end, strong=True))
            else:
                label, body = split_label(s.text)
                out.append(Utterance(label, body, s.text, line, start, end))
    return out


def transcribe_file(
    path: str | os.PathLike[str],
    transcriber: Transcriber,
    *,
    interviewer: str | Sequence[str] | None = None,
    candidate: str | None = None,
    limit: int = UPLOAD_LIMIT,
) -> Transcript:
    """Transcribe recording ``path`` into a transcript with turn times (see the module docstring).

    Args:
        path: The recording.
        transcriber: The endpoint (`roleplay.llm.openai_audio.OpenAITranscriber`).
        interviewer: The interviewer's speaker label(s), as the model labels them (``A``).
        candidate: The candidate's speaker label.
        limit: The endpoint's upload limit in bytes.

    Raises:
        TranscriptError: the file cannot be read or split, a piece kept failing (naming it and
            its time span), or the transcription has no speakers; names the file.
    """
    p = Path(path)
    pieces = split_audio(p, limit=limit)
    done: list[tuple[AudioPiece, Transcription]] = []
    for n, piece in enumerate(pieces, start=1):
        try:
            done.append((piece, transcriber.transcribe(piece.filename, piece.data)))
        except ModelAPIError as exc:
            span = "" if piece.seconds is None else \
                f" ({_clock(piece.start)}-{_clock(piece.start + piece.seconds)})"
            which = f"piece {n} of {len(pieces)}{span}" if len(pieces) > 1 else "the recording"
            raise TranscriptError(f"transcribing {which} failed after retries, so the import "
                                  f"stopped rather than leave a gap: {exc}", path=str(p)) from exc
    utterances = _utterances(done)
    if not utterances:
        raise TranscriptError("the transcription is empty: no speech was recognised",
                              path=str(p))
    diarized = any(result.diarized for _, result in done)
    if not diarized and not any(u.label for u in utterances):
        raise TranscriptError(
            "the transcription has no speaker labels, so who is the candidate cannot be told: "
            "use a model that labels speakers (--transcribe-model gpt-4o-transcribe-diarize on "
            "OpenAI), or import a transcript with speaker names instead", path=str(p))
    transcript = transcript_from_utterances(
        utterances, "audio", interviewer=interviewer, candidate=candidate, path=str(p),
        transcript_id=p.stem)
    return transcript


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
