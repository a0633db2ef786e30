"""OpenAI's Files and Batch API behind `roleplay.llm.batch.BatchClient`.

Built by `roleplay.llm.openai` (the only module that imports the SDK) around its SDK client and
its error mapping; this module only calls the client's methods.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from roleplay.errors import ModelAPIError, UnsupportedFeatureError
from roleplay.llm._retry import RetryPolicy, SleepFunction, retrying
from roleplay.llm.batch import BatchStatus

__all__ = ["OpenAIBatchClient"]


class OpenAIBatchClient:
    """OpenAI's Files and Batch API for batch mode (`roleplay.llm.batch.BatchClient`).

    Every call goes through the same retry policy and error mapping as chat calls.
    """

    def __init__(self, client: Any, endpoint: str,
                 translate: Callable[[], AbstractContextManager[None]], policy: RetryPolicy,
                 sleep: SleepFunction | None = None) -> None:
        self._client = client
        self.endpoint = endpoint
        self._translate = translate
        self._policy = policy
        self._sleep = sleep

    def _call(self, fn: Callable[[], Any]) -> Any:
        def once() -> Any:
            with self._translate():
                return fn()
        return retrying(self._policy, sleep=self._sleep)(once)

    def upload(self, filename: str, data: bytes) -> str:
        """Upload a batch input file; returns its file id.

        Raises:
            UnsupportedFeatureError: the endpoint has no Files API (404 or 405), so no Batch API.
        """
        try:
            uploaded = self._call(lambda: self._client.files.create(file=(filename, data),
                                                                    purpose="batch"))
        except ModelAPIError as exc:
            # Local servers (llama.cpp, vLLM, Ollama) serve chat completions only.
            if exc.status_code in (404, 405):
                raise UnsupportedFeatureError(
                    f"{self.endpoint} has no Batch API (uploading the batch file answered HTTP "
                    f"{exc.status_code}); run the same command without --batch",
                    status_code=exc.status_code, request_id=exc.request_id,
                    code=exc.code) from exc
            raise
        return str(uploaded.id)

    def create(self, input_file_id: str, endpoint: str,
               metadata: dict[str, str] | None = None) -> BatchStatus:
        """Create a batch over an uploaded file (completion window 24 h)."""
        return _status(self._call(lambda: self._client.batches.create(
            input_file_id=input_file_id, endpoint=endpoint,
            completion_window="24h", metadata=metadata)))

    def retrieve(self, batch_id: str) -> BatchStatus:
        """The batch's current status and counts."""
        return _status(self._call(lambda: self._client.batches.retrieve(batch_id)))

    def cancel(self, batch_id: str) -> BatchStatus:
        """Ask the endpoint to cancel the batch."""
        return _status(self._call(lambda: self._client.batches.cancel(batch_id)))

    def content(self, file_id: str) -> str:
        """The text of an output or error file."""
        return str(self._call(lambda: self._client.files.content(file_id).text))

    def close(self) -> None:
        """Close the SDK client."""
        self._client.close()


def _status(batch: Any) -> BatchStatus:
    counts = batch.request_counts
    errors = [f"line {e.line}: {e.code}: {e.message}" if e.line else f"{e.code}: {e.message}"
              for e in ((batch.errors.data or []) if batch.errors else [])]
    return BatchStatus(id=batch.id, status=batch.status,
                       total=counts.total if counts else 0,
                       completed=counts.completed if counts else 0,
                       failed=counts.failed if counts else 0,
                       output_file_id=batch.output_file_id, error_file_id=batch.error_file_id,
                       errors=tuple(errors))
