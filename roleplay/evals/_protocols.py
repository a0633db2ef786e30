"""The slice of the evaluator's API the eval runner relies on, as structural types.

The runner is written against these protocols rather than the concrete classes, so any
evaluator with the same surface (a stand-in in a test, a wrapped evaluator) can be measured.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from roleplay.evaluate import JudgeCache
from roleplay.llm.base import AsyncChatModel, ChatRequest, ModelSettings, Usage
from roleplay.transcript import Transcript

__all__ = [
    "CriterionResultLike",
    "EvaluationLike",
    "EvaluatorFactory",
    "EvaluatorLike",
    "JudgeCache",
]


class CriterionResultLike(Protocol):
    """One criterion's outcome, as the runner reads it."""

    @property
    def id(self) -> str:
        """Criterion id."""
        ...

    @property
    def status(self) -> str:
        """``scored``, ``not_applicable``, ``insufficient_evidence`` or ``judge_error``."""
        ...

    @property
    def score(self) -> int | None:
        """1-5, when scored."""
        ...

    @property
    def passed(self) -> bool | None:
        """Pass/fail, when decided."""
        ...

    @property
    def sample_scores(self) -> Sequence[int | None]:
        """One score per judge sample."""
        ...


class EvaluationLike(Protocol):
    """One transcript's evaluation, as the runner reads it."""

    @property
    def criteria(self) -> Sequence[CriterionResultLike]:
        """Per-criterion results."""
        ...

    @property
    def usage(self) -> Usage:
        """Judge token usage (zero for cache hits)."""
        ...

    @property
    def cost_usd(self) -> float | None:
        """Judge cost; ``None`` when the price is unknown."""
        ...

    @property
    def judge_calls(self) -> int:
        """Model calls made."""
        ...

    @property
    def cache_hits(self) -> int:
        """Judge replies served from the cache."""
        ...


class EvaluatorLike(Protocol):
    """What the runner needs from an evaluator."""

    @property
    def fingerprint(self) -> str:
        """Identity of the rubric, judge template, model and settings."""
        ...

    def judge_request(self, transcript: Transcript, sample: int = 0) -> ChatRequest:
        """The judge request for ``transcript`` (pure; used for estimates)."""
        ...

    def cache_key(self, transcript: Transcript, sample: int = 0) -> str:
        """The judge-cache key of ``transcript``'s sample."""
        ...

    async def aevaluate(self, transcript: Transcript) -> Any:
        """Evaluate ``transcript``; returns an `EvaluationLike`."""
        ...


class EvaluatorFactory(Protocol):
    """Builds an evaluator; `roleplay.evaluate.Evaluator` itself fits."""

    def __call__(
        self,
        rubric: Any,
        judge_model: AsyncChatModel | None,
        *,
        settings: ModelSettings | None = None,
        samples: int = 1,
        cache: Any = None,
        signals_only: bool = False,
    ) -> Any:
        """Return an `EvaluatorLike`."""
        ...
