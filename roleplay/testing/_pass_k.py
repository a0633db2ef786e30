"""pass^k: run one trial k times and assert how often it passed.

pass^k (as in tau-bench) asks whether *every* one of k independent trials passed: reliability,
not best-of-k. A test can also accept a lower rate (``min_rate``), for behaviour that is
allowed to fail now and then; both are reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["PassK", "pass_k"]

Trial = Callable[[int], "bool | None"]


@dataclass(frozen=True)
class PassK:
    """The outcome of k trials."""

    name: str
    """What was tried (a test id, or the trial's name)."""
    k: int
    """Number of trials."""
    passes: int
    """Trials that passed."""
    min_rate: float
    """The pass rate required."""
    failures: tuple[tuple[int, str], ...] = field(default=())
    """``(trial index, why)`` for each failed trial."""

    @property
    def rate(self) -> float:
        """Share of trials that passed."""
        return self.passes / self.k

    @property
    def all_passed(self) -> bool:
        """pass^k: every trial passed."""
        return self.passes == self.k

    @property
    def ok(self) -> bool:
        """The rate met ``min_rate``."""
        return self.rate >= self.min_rate - 1e-9

    def summary(self) -> str:
        """One line: ``name: 4/5 trials passed (80%), pass^5 no, required 80%: ok``."""
        held = "yes" if self.all_passed else "no"
        verdict = "ok" if self.ok else "FAILED"
        return (f"{self.name}: {self.passes}/{self.k} trials passed ({self.rate:.0%}), "
                f"pass^{self.k} {held}, required {self.min_rate:.0%}: {verdict}")


def _why(exc: AssertionError) -> str:
    text = str(exc).strip() or type(exc).__name__
    lines = text.splitlines()
    return "\n".join(lines[:12] + (["..."] if len(lines) > 12 else []))


def pass_k(trial: Trial, *, k: int, min_rate: float = 1.0, name: str | None = None,
           report: Callable[[PassK], None] | None = None) -> PassK:
    """Run ``trial(0) ... trial(k-1)`` and assert that at least ``min_rate`` of them passed.

    A trial passes when it returns ``True`` or ``None`` without raising; it fails when it
    returns ``False`` or raises `AssertionError` (so `assert_verdicts` and plain ``assert``
    work inside it). Any other exception is a broken trial, not a failed one, and propagates.
    Pass the index on as a seed so each trial samples differently.

    Args:
        trial: Called with the trial index.
        k: How many trials (at least 1).
        min_rate: Required share of passing trials (1.0 = pass^k: all of them).
        name: Shown in the summary (default: the trial's ``__name__``).
        report: Called with the result before the assertion (the pytest plugin's summary).

    Returns:
        The result, when the rate was met.

    Raises:
        AssertionError: fewer than ``min_rate`` of the trials passed; the message lists each
            failed trial and why.
        ValueError: ``k`` < 1 or ``min_rate`` outside 0-1.
    """
    __tracebackhide__ = True
    if k < 1:
        raise ValueError(f"pass_k: k must be at least 1, got {k}")
    if not 0.0 <= min_rate <= 1.0:
        raise ValueError(f"pass_k: min_rate must be between 0 and 1, got {min_rate}")
    failures: list[tuple[int, str]] = []
    for index in range(k):
        try:
            outcome = trial(index)
        except AssertionError as exc:
            failures.append((index, _why(exc)))
            continue
        if outcome is False:
            failures.append((index, "the trial returned False"))
    result = PassK(name or str(getattr(trial, "__name__", "trial")), k, k - len(failures), min_rate,
                   tuple(failures))
    if report is not None:
        report(result)
    if not result.ok:
        lines = [result.summary()]
        for index, why in failures:
            first, *rest = why.splitlines() or [""]
            lines.append(f"  trial {index}: {first}")
            lines.extend(f"    {line}" for line in rest)
        raise AssertionError("\n".join(lines))
    return result
