"""Speech to text (and text to speech) through an OpenAI-compatible ``/v1/audio`` endpoint.

`OpenAITranscriber` uploads a recording to ``/v1/audio/transcriptions`` with the official SDK and
returns its text with times, in the richest format the model offers:

* a diarizing model (a name with ``diarize``, e.g. ``gpt-4o-transcribe-diarize``):
  ``diarized_json`` with ``chunking_strategy="auto"`` (required past 30 seconds), so segments
  carry times and speaker labels (``A``, ``B`` ...);
* ``gpt-4o-transcribe`` / ``gpt-4o-mini-transcribe``: ``json``, text only (these models offer
  no timestamps);
* any other model (``whisper-1``; Whisper served by vLLM, faster-whisper servers, LocalAI ...):
  ``verbose_json`` with segment timestamps; a server that rejects ``verbose_json`` is asked
  again for plain ``json``.

As with chat, the SDK client runs with ``max_retries=0`` and the project's retry policy
(`roleplay.llm._retry`) owns retries; SDK errors become `roleplay.errors` types.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import openai

from roleplay.errors import MissingAPIKeyError, UnsupportedFeatureError
from roleplay.llm._openai_wire import _clean_url, _timeout, _translate
from roleplay.llm._retry import RetryPolicy, SleepFunction, retrying
from roleplay.llm.audio_types import TimedText, Transcription
from roleplay.llm.config import ModelConfig, read_config

__all__ = ["DEFAULT_SPEECH_MODEL", "DEFAULT_TRANSCRIBE_MODEL", "OpenAITranscriber", "TimedText",
           "Transcription"]

DEFAULT_SPEECH_MODEL = "gpt-4o-mini-tts"
"""OpenAI's text-to-speech model (``roleplay.cli`` keeps a copy of the name)."""
DEFAULT_TRANSCRIBE_MODEL = "gpt-4o-transcribe-diarize"
"""OpenAI's transcription model with speaker labels and times (``roleplay.cli`` keeps a copy
of the name)."""


class OpenAITranscriber:
    """Transcribes recordings through an OpenAI-compatible endpoint (see the module docstring).

    Args:
        model: The transcription model (default `DEFAULT_TRANSCRIBE_MODEL`).
        base_url: The endpoint (default: ``$OPENAI_BASE_URL``, else OpenAI).
        api_key: The key (default: ``$OPENAI_API_KEY``).
        client: An SDK client to use instead (copied with ``max_retries=0``).
        timeout: Seconds one upload may take (a long recording takes a while).
        retry: The retry policy (default: the project's).
        sleep: How to wait between attempts (tests pass a fake).
        language: An ISO-639-1 hint, when known.
        speech_model: The model `speech` reads text aloud with.
        voice: The voice `speech` uses.

    Raises:
        MissingAPIKeyError: no key was given or found.
    """

    def __init__(self, model: str = DEFAULT_TRANSCRIBE_MODEL, *, base_url: str | None = None,
                 api_key: str | None = None, client: openai.OpenAI | None = None,
                 timeout: float = 600.0, retry: RetryPolicy | None = None,
                 sleep: SleepFunction | None = None, language: str | None = None,
                 speech_model: str = DEFAULT_SPEECH_MODEL, voice: str = "alloy") -> None:
        self.model = model
        self.speech_model = speech_model
        self.voice = voice
        self.policy = retry or RetryPolicy()
        self._sleep = sleep
        self.language = language
        if client is None:
            config = read_config(ModelConfig(base_url=base_url, api_key=api_key))
            if not config.api_key:
                raise MissingAPIKeyError()
            client = openai.OpenAI(api_key=config.api_key, base_url=config.url, max_retries=0,
                                   timeout=_timeout(timeout))
        else:
            client = client.with_options(max_retries=0, timeout=_timeout(timeout))
        self._client = client
        self.endpoint = _clean_url(str(client.base_url))

    def _call(self, **params: Any) -> Any:
        def once() -> Any:
            with _translate(self.endpoint, self.model):
                return self._client.audio.transcriptions.create(model=self.model, **params)
        return retrying(self.policy, sleep=self._sleep)(once)

    def transcribe(self, filename: str, data: bytes) -> Transcription:
        """Transcribe one file (within the endpoint's upload limit); retried per the policy.

        Raises:
            ModelAPIError: the endpoint refused or kept failing (after the retries).
        """
        extra: dict[str, Any] = {"language": self.language} if self.language else {}
        upload = (filename, data)
        if "diarize" in self.model:
            result = self._call(file=upload, response_format="diarized_json",
                                chunking_strategy="auto", **extra)
            return Transcription(text=str(result.text), segments=_segments(result.segments, True),
                                 duration=result.duration, diarized=True,
                                 response_format="diarized_json")
        if self.model.startswith("gpt-4o"):
            return self._plain(upload, extra)
        try:
            result = self._call(file=upload, response_format="verbose_json",
                                timestamp_granularities=["segment"], **extra)
        except UnsupportedFeatureError:
            # A compatible server without verbose_json: text without times is still text.
            return self._plain(upload, extra)
        return Transcription(text=str(result.text),
                             segments=_segments(result.segments or (), False),
                             duration=result.duration, diarized=False,
                             response_format="verbose_json")

    def _plain(self, upload: tuple[str, bytes], extra: dict[str, Any]) -> Transcription:
        result = self._call(file=upload, response_format="json", **extra)
        return Transcription(text=str(result.text), segments=(), duration=None, diarized=False,
                             response_format="json")

    def speech(self, text: str, *, voice: str | None = None, model: str | None = None,
               response_format: str = "wav") -> bytes:
        """Speak ``text`` through ``/v1/audio/speech``; returns the audio file's bytes.

        ``voice`` and ``model`` default to the ones this transcriber was made with.
        """
        voice = voice or self.voice
        model = model or self.speech_model

        def once() -> bytes:
            with _translate(self.endpoint, model):
                reply = self._client.audio.speech.create(
                    input=text, model=model, voice=voice,
                    response_format=response_format)  # type: ignore[arg-type]
                return bytes(reply.content)
        return retrying(self.policy, sleep=self._sleep)(once)

    def close(self) -> None:
        """Close the SDK client."""
        self._client.close()

    def __enter__(self) -> OpenAITranscriber:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _segments(items: Iterable[Any], diarized: bool) -> tuple[TimedText, ...]:
    return tuple(TimedText(start=float(s.start), end=float(s.end), text=str(s.text).strip(),
                           speaker=str(s.speaker) if diarized else None) for s in items)
