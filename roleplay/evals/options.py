"""`RunOptions`: how a run judges, where it keeps its results and how it paces its calls."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from roleplay.errors import ConfigError
from roleplay.evals._models import ModelResolver
from roleplay.evals._protocols import EvaluatorFactory, JudgeCache
from roleplay.evals.batch import BatchOptions
from roleplay.evals.records import CaseRecord
from roleplay.llm import DEFAULT_MAX_CONCURRENCY, DEFAULT_START_CONCURRENCY, AdaptiveLimiter
from roleplay.llm.base import ModelSettings
from roleplay.rubric import Rubric
from roleplay.tokens import PriceTable

__all__ = ["SUITE_ONLY", "RunOptions"]


@dataclass(frozen=True)
class RunOptions:
    """Options of a run, shared by `roleplay.evals.run_suite` and `roleplay.evals.evaluate_many`.

    The first group says how a suite run builds its evaluator and keeps its run folder
    (`SUITE_ONLY`): `evaluate_many` is handed a ready evaluator and refuses them. The rest pace
    and budget the calls of any run. Every keyword argument of `run_suite` and `estimate_suite`
    is one of these fields.
    """

    rubric: Rubric | None = None
    """The rubric object; default: the suite's rubric (`roleplay.rubric.load_rubric`)."""
    resolve_model: ModelResolver | None = None
    """Builds the judge model from its name (default: OpenAI-compatible, reading
    ``OPENAI_API_KEY`` / ``OPENAI_BASE_URL``). Called only when a judge call is needed; the run
    closes the model (``aclose()``, when it has one) when it ends."""
    evaluator_factory: EvaluatorFactory | None = None
    """Builds the evaluator (default `roleplay.evaluate.Evaluator`)."""
    model: str | None = None
    """Judge model name overriding ``suite.yaml``."""
    settings: ModelSettings | None = None
    """Generation settings merged over ``suite.yaml``'s."""
    samples: int | None = None
    """Judge samples per case (default: ``suite.yaml``'s, else 1)."""
    signals_only: bool = False
    """Deterministic signals only; no model is built or called."""
    cache: JudgeCache | None = None
    """Judge cache handed to the evaluator."""
    prices: PriceTable | None = None
    """Price table for cost estimates (default `roleplay.tokens.DEFAULT_PRICES`)."""
    runs_dir: Path | None = None
    """Parent of run folders (default ``<cache dir>/runs``)."""
    resume: bool = True
    """Reuse cases finished earlier in the same run folder (False judges all again;
    signals-only runs always evaluate every case again)."""
    on_case: Callable[[str, CaseRecord | None], None] | None = None
    """Called as each suite case finishes, with its record (``None`` when it failed)."""
    concurrency: int = DEFAULT_START_CONCURRENCY
    """Judge calls in flight at the start (default 8: within the lowest hosted tiers' rate
    limits for calls of a few seconds, and as many parallel slots as local servers have)."""
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    """The most judge calls in flight the adaptive limit grows to (default 32); it halves on a
    429 or a timeout and pauses for the server's retry hint."""
    adaptive: bool = True
    """False keeps the limit at ``concurrency``."""
    limiter: AdaptiveLimiter | None = None
    """The limiter to use (default: one built from the three options above)."""
    max_cost: float | None = None
    """USD budget for the run; an item whose estimate would exceed it is not started."""
    progress: bool = False
    """Show a progress bar on stderr when it is a terminal."""
    batch: BatchOptions | None = None
    """Send the first judge call of every sample through the endpoint's Batch API
    (`roleplay.evals.batch`); the batch id is kept with the run, so a killed run resumes it.
    Failed or unrun lines and re-asks are made live."""

    def updated(self, **changes: Any) -> RunOptions:
        """A copy with ``changes`` (field names as keywords).

        Raises:
            ConfigError: a keyword that is not a field.
        """
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise ConfigError(f"unknown run option(s): {', '.join(unknown)} (see RunOptions)")
        return dataclasses.replace(self, **changes) if changes else self

    def checked(self) -> RunOptions:
        """Itself, after checking that the options fit together.

        Raises:
            ConfigError: a concurrency below 1, or batch mode with signals only or a budget.
        """
        if self.concurrency < 1:
            raise ConfigError(f"concurrency must be at least 1, not {self.concurrency}")
        if self.batch is not None and (self.signals_only or self.max_cost is not None):
            raise ConfigError("--batch sends judge calls: it cannot be combined with "
                              "--signals-only or --max-cost (a batch is submitted whole)")
        return self

    def pacing(self, limiter: AdaptiveLimiter) -> RunOptions:
        """These options without the suite-only ones, using ``limiter`` (for `evaluate_many`)."""
        defaults = RunOptions()
        return dataclasses.replace(self, limiter=limiter,
                                   **{name: getattr(defaults, name) for name in SUITE_ONLY})

    def make_limiter(self) -> AdaptiveLimiter:
        """``limiter``, else a new one from ``concurrency``, ``max_concurrency``, ``adaptive``."""
        return self.limiter or AdaptiveLimiter(self.concurrency, self.max_concurrency,
                                               adaptive=self.adaptive)


SUITE_ONLY = ("rubric", "resolve_model", "evaluator_factory", "model", "settings", "samples",
              "signals_only", "cache", "prices", "runs_dir", "resume", "on_case")
"""Options of suite runs only: how to build the evaluator (a ready one holds them) and where
to keep and resume its run."""
