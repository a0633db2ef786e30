"""Our support-team-lead persona still behaves: tested like code, replayed from cassettes."""

from pathlib import Path

from roleplay.testing import assert_in_character, assert_no_leaks, assert_verdicts, simulate

HERE = Path(__file__).parent.parent
PERSONA = HERE / "personas" / "support-team-lead.yaml"
STEADY = HERE / "candidates" / "steady-closer.yaml"
PLEADING = HERE / "candidates" / "pleading-closer.yaml"


def test_a_steady_closer_passes_the_close(roleplay_model, roleplay_evaluator):
    transcript = simulate(PERSONA, STEADY, model=roleplay_model)

    assert_no_leaks(transcript, PERSONA)
    assert_in_character(transcript, PERSONA)
    assert_verdicts(roleplay_evaluator.evaluate(transcript),
                    passed=["asked_for_job", "next_steps", "follow_up"])


def test_a_pleading_candidate_fails_asked_for_job(roleplay_model, roleplay_evaluator):
    transcript = simulate(PERSONA, PLEADING, model=roleplay_model)

    assert_verdicts(roleplay_evaluator.evaluate(transcript), failed=["asked_for_job"])


def test_next_steps_are_kept_until_asked_every_time(roleplay_model, roleplay_pass_k):
    def trial(seed: int) -> None:
        assert_no_leaks(simulate(PERSONA, STEADY, model=roleplay_model, seed=seed), PERSONA)

    roleplay_pass_k(trial, k=3)
