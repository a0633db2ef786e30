"""Agreement statistics, checked against published worked examples."""

from __future__ import annotations

import pytest

from roleplay.evals.stats import (
    CriterionPair,
    JudgeVerdict,
    LabelVerdict,
    agreement_stats,
    cohen_kappa,
    confusion_matrix,
    krippendorff_alpha,
    quadratic_weighted_kappa,
)

N = None
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the worked example with
# missing data: 4 observers x 12 units. Published: nominal .743, ordinal .815, interval .849.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]


@pytest.mark.parametrize(
    ("level", "expected"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)]
)
def test_krippendorff_alpha_matches_the_published_example(level: str, expected: float) -> None:
    alpha = krippendorff_alpha(KRIPPENDORFF_2011, level)  # type: ignore[arg-type]
    assert alpha == pytest.approx(expected, abs=5e-4)


def test_alpha_drops_units_with_a_single_value() -> None:
    # Unit 12 has one value only: it is not pairable, so removing it changes nothing.
    trimmed = [row[:11] for row in KRIPPENDORFF_2011]
    assert krippendorff_alpha(trimmed) == pytest.approx(krippendorff_alpha(KRIPPENDORFF_2011))


def test_alpha_is_undefined_without_variation_or_pairs() -> None:
    assert krippendorff_alpha([[3, 3, 3], [3, 3, 3]]) is None
    assert krippendorff_alpha([[1, N], [N, 2]]) is None
    assert krippendorff_alpha([]) is None


def test_alpha_rejects_ragged_rows() -> None:
    with pytest.raises(ValueError, match="one value per unit"):
        krippendorff_alpha([[1, 2], [1]])


def test_alpha_is_negative_for_systematic_disagreement() -> None:
    alpha = krippendorff_alpha([[1, 2, 4, 5], [5, 4, 2, 1]])
    assert alpha is not None and alpha < 0


# Maple EssayTools documentation, QuadraticWeightedKappa examples 1 and 2 (scale from the data's
# min 1 to max 10).
ESSAYS_A = [9, 7, 8, 7, 6, 8, 3, 5, 10]


@pytest.mark.parametrize(
    ("other", "expected"),
    [
        ([8, 8, 6, 6, 7, 6, 1, 4, 8], 0.758620689655172),
        ([3, 5, 6, 6, 7, 6, 1, 4, 8], 0.438095238095238),
    ],
)
def test_quadratic_weighted_kappa_matches_published_examples(other: list[int],
                                                             expected: float) -> None:
    assert quadratic_weighted_kappa(ESSAYS_A, other, range(1, 11)) == pytest.approx(expected)


def test_cohen_kappa_matches_the_textbook_example() -> None:
    # 50 grant proposals, two readers: yes/yes 20, yes/no 5, no/yes 10, no/no 15 -> kappa 0.4
    # (p_o = 0.7, p_e = 0.5; Wikipedia, "Cohen's kappa", simple example).
    a = [1] * 20 + [1] * 5 + [0] * 10 + [0] * 15
    b = [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15
    assert cohen_kappa(a, b, (1, 0)) == pytest.approx(0.4)


def test_quadratic_weights_on_two_categories_reduce_to_plain_kappa() -> None:
    a = [1] * 20 + [1] * 5 + [0] * 10 + [0] * 15
    b = [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15
    assert quadratic_weighted_kappa(a, b, (0, 1)) == pytest.approx(0.4)


def test_weighted_kappa_penalises_far_misses_more_than_near_ones() -> None:
    labels = [1, 2, 3, 4, 5, 3]
    near = [2, 2, 3, 4, 4, 3]
    far = [5, 2, 3, 4, 1, 3]
    assert quadratic_weighted_kappa(labels, labels) == pytest.approx(1.0)
    k_near, k_far = quadratic_weighted_kappa(labels, near), quadratic_weighted_kappa(labels, far)
    assert k_near is not None and k_far is not None and k_near > k_far


def test_kappa_is_undefined_when_both_raters_use_one_category() -> None:
    assert quadratic_weighted_kappa([4, 4, 4], [4, 4, 4]) is None
    assert quadratic_weighted_kappa([], []) is None


def test_confusion_matrix_counts_and_rejects_out_of_scale_values() -> None:
    m = confusion_matrix([1, 1, 5], [1, 2, 5])
    assert m[0][0] == 1 and m[0][1] == 1 and m[4][4] == 1 and sum(map(sum, m)) == 3
    with pytest.raises(ValueError, match="outside the categories"):
        confusion_matrix([0], [1])


def _pair(case: str, label: int | None, status: str, score: int | None = None,
          passed: bool | None = None, samples: tuple[int | None, ...] = ()) -> CriterionPair:
    lab = LabelVerdict() if label is None else LabelVerdict(score=label, passed=label >= 3)
    return CriterionPair(case, lab, JudgeVerdict(status=status, score=score, passed=passed,
                                                 sample_scores=samples))


def test_na_and_unscored_statuses_count_as_documented() -> None:
    pairs = [
        _pair("agree-pass", 4, "scored", 4, True),
        _pair("both-na", None, "not_applicable"),
        _pair("judge-scores-an-na", None, "scored", 2, False),
        _pair("judge-error", 2, "judge_error"),
        _pair("miss-by-one", 3, "scored", 2, False),
        _pair("agree-top", 5, "scored", 5, True),
    ]
    s = agreement_stats(pairs)
    assert s.n == 6
    # Verdict accuracy over every case: pass/pass, na/na and pass/pass agree.
    assert s.accuracy == pytest.approx(3 / 6)
    assert s.na_mismatches == 1 and s.no_verdict == 1
    # Score statistics only over the three cases where both sides scored.
    assert s.n_pairs == 3
    assert s.mae == pytest.approx(1 / 3)
    assert s.msd == pytest.approx(-1 / 3)  # the judge is harsh on average
    assert s.exact == pytest.approx(2 / 3) and s.within_one == pytest.approx(1.0)
    assert s.confusion[3][3] == 1 and s.confusion[2][1] == 1 and s.confusion[4][4] == 1
    assert s.pass_confusion == [[2, 1], [0, 0]]
    # Alpha treats na labels and unscored verdicts as missing: same as alpha over the pairs.
    assert s.alpha == pytest.approx(krippendorff_alpha([[4, 3, 5], [4, 2, 5]]))
    assert s.kappa == pytest.approx(quadratic_weighted_kappa([4, 3, 5], [4, 2, 5]))
    assert s.flip_rate is None and s.n_sampled == 0


def test_flip_rate_and_sample_agreement_across_samples() -> None:
    pairs = [
        _pair("flips", 3, "scored", 3, True, samples=(3, 2, 3)),
        _pair("stable", 4, "scored", 4, True, samples=(4, 4, 5)),
        _pair("one-usable-sample", 4, "scored", 4, True, samples=(4, None)),
    ]
    s = agreement_stats(pairs)
    assert s.n_sampled == 2
    assert s.flip_rate == pytest.approx(0.5)
    assert s.sample_agreement == pytest.approx(2 / 3)


def test_flip_rate_uses_each_criterions_threshold() -> None:
    lab = LabelVerdict(score=4, passed=True)
    verdict = JudgeVerdict(status="scored", score=4, passed=True, sample_scores=(3, 4))
    assert agreement_stats([CriterionPair("c", lab, verdict, threshold=3)]).flip_rate == 0.0
    assert agreement_stats([CriterionPair("c", lab, verdict, threshold=4)]).flip_rate == 1.0


def test_empty_input_gives_undefined_statistics_not_zero() -> None:
    s = agreement_stats([])
    assert s.n == 0 and s.accuracy is None and s.kappa is None and s.alpha is None
    assert s.mae is None
