"""Agreement statistics between the judge and human labels (pure Python).

How labels and verdicts count (the same rules everywhere in the eval suites):

* **Score statistics** (weighted kappa, Krippendorff's alpha, MAE, mean signed difference, exact
  and within-1 agreement, the 5x5 confusion matrix) use the *pairs* where the label is a score
  and the judge returned a score. A label of ``na``, and a judge result without a score
  (``not_applicable``, ``judge_error``, or ``insufficient_evidence`` without a capped score),
  are missing values: they are left out, which is exactly how Krippendorff's alpha treats
  missing data. ``n_pairs`` says how many pairs remain.
* **Verdict accuracy** uses every case. The label's verdict is ``pass``/``fail`` (the explicit
  ``passed``, else score >= the criterion's threshold) or ``na``; the judge's is ``pass``/``fail``
  (its ``passed``), ``na`` (``not_applicable``) or *none* (no usable verdict: ``judge_error``, a
  failed case, or no ``passed``). A case agrees when the two verdicts are equal, so a judge that
  scores a criterion the label calls ``na`` (or the reverse), or that gives no verdict where
  the label has one, counts as a disagreement. The 2x2 pass/fail confusion matrix and the
  pass/fail kappa use only the cases where both sides said pass or fail; ``na_mismatches`` and
  ``no_verdict`` count the rest of the disagreements.
* Mean signed difference is judge minus label: positive means the judge is lenient.
* A statistic that is undefined (no pairs, or no variation at all, so chance agreement is
  perfect) is ``None``, never 0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "SCORES",
    "AgreementStats",
    "CriterionPair",
    "LabelVerdict",
    "JudgeVerdict",
    "Verdict",
    "agreement_stats",
    "cohen_kappa",
    "confusion_matrix",
    "krippendorff_alpha",
    "quadratic_weighted_kappa",
]

SCORES: tuple[int, ...] = (1, 2, 3, 4, 5)
"""The rubric scale."""

Verdict = Literal["pass", "fail", "na", "none"]
"""A pass/fail verdict, ``na`` (not applicable), or ``none`` (the judge gave no usable verdict)."""

Level = Literal["nominal", "ordinal", "interval"]


def confusion_matrix(
    rows: Sequence[int], cols: Sequence[int], categories: Sequence[int] = SCORES
) -> list[list[int]]:
    """Counts ``m[i][j]`` of pairs with ``rows == categories[i]`` and ``cols == categories[j]``.

    Raises:
        ValueError: different lengths, or a value outside ``categories``.
    """
    if len(rows) != len(cols):
        raise ValueError(f"{len(rows)} row values but {len(cols)} column values")
    index = {c: i for i, c in enumerate(categories)}
    matrix = [[0] * len(categories) for _ in categories]
    for a, b in zip(rows, cols, strict=True):
        if a not in index or b not in index:
            raise ValueError(f"value outside the categories {list(categories)}: {a!r}, {b!r}")
        matrix[index[a]][index[b]] += 1
    return matrix


def _weighted_kappa(
    a: Sequence[int], b: Sequence[int], categories: Sequence[int], quadratic: bool
) -> float | None:
    matrix = confusion_matrix(a, b, categories)
    n = len(a)
    if n == 0:
        return None
    k = len(categories)
    row = [sum(r) for r in matrix]
    col = [sum(matrix[i][j] for i in range(k)) for j in range(k)]

    def weight(i: int, j: int) -> float:
        # Quadratic disagreement weights; the scale factor cancels in the ratio.
        return float((i - j) ** 2) if quadratic else float(i != j)

    observed = sum(weight(i, j) * matrix[i][j] for i in range(k) for j in range(k))
    expected = sum(weight(i, j) * row[i] * col[j] for i in range(k) for j in range(k)) / n
    if expected == 0:
        return None
    return 1.0 - observed / expected


def quadratic_weighted_kappa(
    a: Sequence[int], b: Sequence[int], categories: Sequence[int] = SCORES
) -> float | None:
    """Cohen's kappa with quadratic weights, over the fixed scale ``categories``.

    ``None`` when undefined: no pairs, or both raters used one and the same category.
    """
    return _weighted_kappa(a, b, categories, quadratic=True)


def cohen_kappa(a: Sequence[int], b: Sequence[int], categories: Sequence[int]) -> float | None:
    """Unweighted Cohen's kappa (``None`` when undefined)."""
    return _weighted_kappa(a, b, categories, quadratic=False)


def krippendorff_alpha(
    data: Sequence[Sequence[float | None]], level: Level = "ordinal"
) -> float | None:
    """Krippendorff's alpha for a reliability matrix (one row per coder, one column per unit).

    ``None`` marks a missing value; units with fewer than two values are not pairable and are
    dropped, as Krippendorff prescribes. Implements the coincidence-matrix form with the
    nominal, ordinal and interval difference functions (Krippendorff 2011, "Computing
    Krippendorff's Alpha-Reliability").

    Returns:
        Alpha, or ``None`` when there is nothing pairable or no variation (expected
        disagreement 0).

    Raises:
        ValueError: coder rows of different lengths.
    """
    if not data:
        return None
    n_units = len(data[0])
    if any(len(row) != n_units for row in data):
        raise ValueError("every coder row must have one value per unit")
    values = sorted({v for row in data for v in row if v is not None})
    index = {v: i for i, v in enumerate(values)}
    size = len(values)
    coincidence = [[0.0] * size for _ in range(size)]
    for u in range(n_units):
        unit = [row[u] for row in data if row[u] is not None]
        m = len(unit)
        if m < 2:
            continue
        for i, vi in enumerate(unit):
            for j, vj in enumerate(unit):
                if i != j:
                    assert vi is not None and vj is not None
                    coincidence[index[vi]][index[vj]] += 1.0 / (m - 1)
    marginals = [sum(r) for r in coincidence]
    n = sum(marginals)
    if n <= 1:
        return None

    def delta2(c: int, k: int) -> float:
        if level == "nominal":
            return 0.0 if c == k else 1.0
        if level == "interval":
            return float((values[c] - values[k]) ** 2)
        lo, hi = min(c, k), max(c, k)
        return (sum(marginals[lo : hi + 1]) - (marginals[c] + marginals[k]) / 2.0) ** 2

    observed = sum(
        coincidence[c][k] * delta2(c, k) for c in range(size) for k in range(size)
    )
    expected = sum(
        marginals[c] * marginals[k] * delta2(c, k) for c in range(size) for k in range(size)
    ) / (n - 1)
    if expected == 0:
        return None
    return 1.0 - observed / expected


class LabelVerdict(BaseModel):
    """A human label for one criterion of one case."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    score: int | None = Field(default=None, ge=1, le=5)
    """1-5, or ``None`` for ``na``."""
    passed: bool | None = None
    """Pass/fail (``None`` for ``na``)."""

    @property
    def verdict(self) -> Verdict:
        """``pass``, ``fail`` or ``na``."""
        if self.score is None or self.passed is None:
            return "na"
        return "pass" if self.passed else "fail"


class JudgeVerdict(BaseModel):
    """What the judge (or the signals) decided for one criterion of one case."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: str
    """``scored``, ``not_applicable``, ``insufficient_evidence``, ``judge_error`` or ``failed``
    (the whole case raised)."""
    score: int | None = Field(default=None, ge=1, le=5)
    """The score, when there is one."""
    passed: bool | None = None
    """Pass/fail, when decided."""
    sample_scores: tuple[int | None, ...] = ()
    """One score per judge sample (empty for one sample)."""

    @property
    def verdict(self) -> Verdict:
        """``pass``, ``fail``, ``na`` or ``none``."""
        if self.status == "not_applicable":
            return "na"
        if self.passed is None:
            return "none"
        return "pass" if self.passed else "fail"


@dataclass(frozen=True)
class CriterionPair:
    """A label and a judge verdict for the same case and criterion."""

    case_id: str
    """The case."""
    label: LabelVerdict
    """The human label."""
    judge: JudgeVerdict
    """The judge's verdict."""
    threshold: int = 3
    """The criterion's pass mark (for the pass/fail of each judge sample)."""


class AgreementStats(BaseModel):
    """Judge-vs-label agreement for one criterion (or pooled over all of them)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    n: int
    """Cases."""
    n_pairs: int
    """Cases where both the label and the judge gave a score (the base of score statistics)."""
    accuracy: float | None
    """Share of cases whose pass/fail/na verdicts agree."""
    pass_kappa: float | None
    """Cohen's kappa of pass/fail over cases where both sides said pass or fail."""
    kappa: float | None
    """Quadratic-weighted Cohen's kappa of the 1-5 scores."""
    alpha: float | None
    """Krippendorff's alpha, ordinal, judge and label as two coders, na as missing."""
    mae: float | None
    """Mean absolute score difference."""
    msd: float | None
    """Mean signed difference, judge minus label (positive = lenient judge)."""
    exact: float | None
    """Share of pairs with the same score."""
    within_one: float | None
    """Share of pairs at most one point apart."""
    confusion: list[list[int]]
    """5x5 counts, rows = label score 1-5, columns = judge score 1-5."""
    pass_confusion: list[list[int]]
    """2x2 counts, rows = label pass/fail, columns = judge pass/fail."""
    na_mismatches: int
    """Cases where exactly one side said ``na``."""
    no_verdict: int
    """Cases where the label has a verdict but the judge gave none (error, no passed)."""
    flip_rate: float | None = None
    """With several judge samples: share of cases whose pass/fail differs between samples."""
    sample_agreement: float | None = None
    """With several judge samples: mean share of samples that gave the modal score."""
    n_sampled: int = 0
    """Cases with at least two judge sample scores (the base of the two above)."""


def _mean(values: Iterable[float]) -> float | None:
    items = list(values)
    return sum(items) / len(items) if items else None


def agreement_stats(pairs: Sequence[CriterionPair]) -> AgreementStats:
    """Every agreement statistic over ``pairs`` (see the module docstring for the rules).

    ``pairs`` holds one label and one judge verdict per case for one criterion, or the pairs
    of several criteria pooled.
    """
    labels: list[int] = []
    judged: list[int] = []
    for p in pairs:
        if p.label.score is not None and p.judge.score is not None:
            labels.append(p.label.score)
            judged.append(p.judge.score)
    diffs = [b - a for a, b in zip(labels, judged, strict=True)]

    agree = sum(1 for p in pairs if p.label.verdict == p.judge.verdict)
    decided = [(p.label.verdict, p.judge.verdict) for p in pairs
               if p.label.verdict in ("pass", "fail") and p.judge.verdict in ("pass", "fail")]
    binary = {"pass": 1, "fail": 0}
    label_bin = [binary[a] for a, _ in decided]
    judge_bin = [binary[b] for _, b in decided]
    pass_matrix = confusion_matrix(label_bin, judge_bin, (1, 0))

    na_mismatches = sum(1 for p in pairs if (p.label.verdict == "na") != (p.judge.verdict == "na"))
    no_verdict = sum(1 for p in pairs if p.label.verdict != "na" and p.judge.verdict == "none")

    # Alpha sees every case; na labels and unscored verdicts are its missing values.
    alpha_data: list[list[float | None]] = [
        [float(p.label.score) if p.label.score is not None else None for p in pairs],
        [float(p.judge.score) if p.judge.score is not None else None for p in pairs],
    ]

    flips: list[bool] = []
    modal: list[float] = []
    for p in pairs:
        samples = [s for s in p.judge.sample_scores if s is not None]
        if len(samples) < 2:
            continue
        flips.append(len({s >= p.threshold for s in samples}) > 1)
        modal.append(Counter(samples).most_common(1)[0][1] / len(samples))

    return AgreementStats(
        n=len(pairs),
        n_pairs=len(labels),
        accuracy=agree / len(pairs) if pairs else None,
        pass_kappa=cohen_kappa(label_bin, judge_bin, (1, 0)),
        kappa=quadratic_weighted_kappa(labels, judged),
        alpha=krippendorff_alpha(alpha_data, "ordinal"),
        mae=_mean(abs(d) for d in diffs),
        msd=_mean(float(d) for d in diffs),
        exact=_mean(float(d == 0) for d in diffs),
        within_one=_mean(float(abs(d) <= 1) for d in diffs),
        confusion=confusion_matrix(labels, judged),
        pass_confusion=pass_matrix,
        na_mismatches=na_mismatches,
        no_verdict=no_verdict,
        flip_rate=_mean(float(f) for f in flips),
        sample_agreement=_mean(modal),
        n_sampled=len(flips),
    )
