"""The mutation suite: known candidate behaviours must get their expected verdicts.

The CI run replays ``tests/cassettes/mutation/`` (one cassette per candidate x persona pair,
interviewer, candidate and judge calls through the real OpenAI client, recorded against the
local server's scripted responders, k=1), then evaluates the same transcripts with signals only.
The other tests exercise the runner's bookkeeping (pass^k, N/A allowances, orderings), the suite
file and ``roleplay mutate`` in-process, without cassettes.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from roleplay.cli import _mutate
from roleplay.errors import ConfigError
from roleplay.evals.mutation import (
    MutationReport,
    Ordering,
    Slot,
    evaluate_mutation,
    load_mutation_suite,
    render_mutation,
    run_mutation,
    save_transcripts,
    simulate_pairs,
)
from roleplay.leaks import find_leaks
from roleplay.llm import structured
from roleplay.llm.base import ChatRequest
from roleplay.llm.structured import FormatMemory
from roleplay.persona import Scenario, load_candidate, load_persona
from roleplay.rubric import load_rubric
from roleplay.testing import (
    FunctionChatModel,
    as_chat_function,
    judge_responder,
    request_body,
    simulation_responder,
)
from roleplay.transcript import Transcript

# Slow: `pytest -m "not slow"` leaves this file out of the inner loop; CI runs it.
pytestmark = pytest.mark.slow

CASSETTE_GROUP = "mutation"
SUITE = Path(__file__).resolve().parent.parent / "evals" / "mutation"
OK = ("met", "excused")


@pytest.fixture(autouse=True)
def _fresh_format_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(structured, "_DEFAULT_MEMORY", FormatMemory())


def scripted_factory(personas: list[str], candidates: list[str]) -> Any:
    """In-process models answering with the scripted responders (no HTTP, no cassette)."""
    model = FunctionChatModel(as_chat_function(simulation_responder(
        [load_persona(p) for p in personas], [load_candidate(c) for c in candidates])))
    return lambda slot: model


# -- the suite, from cassettes ------------------------------------------------------------

def expectations_hold(report: MutationReport, mode: str) -> None:
    """What the scripted responders are built to produce, checked per named example."""
    suite = load_mutation_suite(SUITE)
    for persona in suite.personas:
        strong = report.check("strong-closer", persona, "next_steps")
        assert strong.runs[0].passed is True and strong.pass_k
        salary = report.check("salary-first", persona, "asked_questions")
        assert salary.runs[0].passed is False and salary.pass_k
        beggar = report.check("beggar", persona, "asked_for_job")
        assert beggar.runs[0].passed is False and beggar.pass_k
        order = report.ordering(persona, "strong-closer", "one-liner")
        assert order.better_scores[0] > order.worse_scores[0] and order.pass_k
    no_invite = report.check("one-liner", "terse-vp-final", "asked_questions")
    assert no_invite.runs[0].status == "not_applicable" and no_invite.outcomes == ("excused",)
    assert not any(o == "missed" for c in report.checks for o in c.outcomes), mode
    assert report.ok and report.pass_k_share == 1.0


@pytest.mark.vcr
def test_mutation_suite_replays_from_cassettes(role_cassettes, make_cassette_model,
                                               openai_server) -> None:
    suite = load_mutation_suite(SUITE)
    personas = [load_persona(p) for p in suite.personas]
    profiles = [load_candidate(c) for c in suite.candidates]
    openai_server.responder = simulation_responder(personas, profiles)
    model = make_cassette_model()

    def pair_cassette(slot: Slot) -> Any:
        return role_cassettes.bind(model, f"mutation/{slot.candidate_id}--{slot.persona_id}")

    transcripts = simulate_pairs(pair_cassette, profiles, personas, 1,
                                 scenario=Scenario(max_turns=suite.max_turns),
                                 settings=suite.settings)
    common: dict[str, Any] = {
        "rubric": suite.load_rubric(), "expectations": suite.expectations,
        "allow_not_applicable": suite.allow_not_applicable, "orderings": suite.orderings,
        "suite_id": suite.id}
    judged = evaluate_mutation(transcripts, judge_factory=pair_cassette,
                               judge_settings=suite.settings.judge, **common)
    signals = evaluate_mutation(transcripts, signals_only=True, **common)

    pairs = [(c.id, p.id) for c in profiles for p in personas]
    assert [(t.candidate_id, t.persona_id) for t in transcripts] == pairs
    assert all(t.end_reason in ("interviewer_ended", "turn_limit") for t in transcripts)
    expected = sum(len(p.expected) for p in profiles) * len(personas)
    for report, mode in ((judged, "judge"), (signals, "signals_only")):
        assert report.mode == mode and report.k == 1 and report.suite_id == "mutation"
        assert len(report.checks) == expected and len(report.simulations) == len(pairs)
        assert len(report.orderings) == len(suite.orderings) * len(personas)
    assert all(s.judge_usage.calls in (1, 2) for s in judged.simulations)
    assert signals.judge_model is None and all(s.judge_usage.calls == 0
                                               for s in signals.simulations)
    # Signals cannot judge S/A/R structure or enthusiasm: those stay undecided, never failed.
    assert all(c.pass_k is None for c in signals.checks
               if c.criterion in ("sar_answers", "enthusiasm"))

    if all(role_cassettes.recorded_locally(f"mutation/{c}--{p}") for c, p in pairs):
        by_id = {p.id: p for p in personas}
        assert all(find_leaks(t, by_id[t.persona_id or ""]) == [] for t in transcripts)
        expectations_hold(judged, "judge")
        expectations_hold(signals, "signals_only")


# -- the runner's bookkeeping, in-process -------------------------------------------------

def flaky_judge() -> FunctionChatModel:
    """The stand-in judge, except that its second verdict fails next_steps."""
    judge = judge_responder()
    calls = []

    def reply(request: ChatRequest) -> str:
        verdict = judge(request_body(request))
        assert isinstance(verdict, dict)
        calls.append(1)
        if len(calls) == 2:
            verdict["next_steps"] = {
                "checklist": {k: False for k in verdict["next_steps"]["checklist"]},
                "evidence": [], "reason": "No question about what happens next.",
                "applicable": True, "score": 1}
        return json.dumps(verdict)

    return FunctionChatModel(reply)


def test_pass_k_requires_every_run_to_meet_the_expectation() -> None:
    simulate = scripted_factory(["warm-hr-screener"], ["strong-closer"])
    judge = flaky_judge()

    def factory(slot: Slot) -> Any:
        return judge if slot.role == "judge" else simulate(slot)

    report = run_mutation(factory, ["strong-closer"], ["warm-hr-screener"], k=2)

    assert report.k == 2 and len(report.simulations) == 2
    assert [s.run for s in report.simulations] == [0, 1]
    flaky = report.check("strong-closer", "warm-hr-screener", "next_steps")
    assert flaky.outcomes == ("met", "missed")
    assert flaky.pass_k is False and flaky.pass_rate == 0.5
    others = [c for c in report.checks if c.criterion != "next_steps"]
    assert others and all(c.pass_k is True and c.pass_rate == 1.0 for c in others)
    assert report.failures == [flaky] and not report.ok
    assert report.pass_k_share == round(len(others) / len(report.checks), 4)
    text = render_mutation(report)
    assert "next_steps expected pass; runs: ok (scored 5), MISSED (scored 1)" in text
    assert text.rstrip().endswith("Result: FAIL")


@pytest.fixture(scope="module")
def terse_pair() -> list[Transcript]:
    factory = scripted_factory(["terse-vp-final"], ["strong-closer", "one-liner"])
    return simulate_pairs(factory, ["strong-closer", "one-liner"], ["terse-vp-final"])


def test_not_applicable_counts_only_where_the_suite_allows_it(
        terse_pair: list[Transcript]) -> None:
    allowed = evaluate_mutation(terse_pair, signals_only=True,
                                allow_not_applicable={"terse-vp-final": ["asked_questions"]})
    strict = evaluate_mutation(terse_pair, signals_only=True)

    assert allowed.check("one-liner", "terse-vp-final", "asked_questions").outcomes == (
        "excused",)
    missed = strict.check("one-liner", "terse-vp-final", "asked_questions")
    assert missed.outcomes == ("missed",) and missed.runs[0].status == "not_applicable"
    assert allowed.ok and not strict.ok


def test_orderings_compare_scores_per_persona_and_run(terse_pair: list[Transcript]) -> None:
    report = evaluate_mutation(terse_pair, signals_only=True, orderings=[
        Ordering(better="strong-closer", worse="one-liner"),
        Ordering(better="one-liner", worse="strong-closer", criterion="follow_up"),
        Ordering(better="strong-closer", worse="one-liner", criterion="enthusiasm"),
    ], allow_not_applicable={"terse-vp-final": ["asked_questions"]})

    right, wrong, unknown = report.orderings
    assert right.pass_k is True and right.better_scores[0] > right.worse_scores[0]
    assert wrong.pass_k is False and wrong.outcomes == ("missed",)
    # Signals cannot score enthusiasm: the ordering is undecided, not failed.
    assert unknown.pass_k is None and unknown.better_scores == (None,)
    assert report.ordering_failures == [wrong] and not report.ok


def test_orderings_and_expectations_must_name_known_things(
        terse_pair: list[Transcript]) -> None:
    with pytest.raises(ConfigError, match="'salary-first', which was not simulated"):
        evaluate_mutation(terse_pair, signals_only=True,
                          orderings=[Ordering(better="strong-closer", worse="salary-first")])
    with pytest.raises(ConfigError, match="unknown criterion 'closing' in the expected verdicts "
                                          "of candidate 'one-liner'"):
        evaluate_mutation(terse_pair, signals_only=True,
                          expectations={"one-liner": {"closing": "fail"}})
    with pytest.raises(ConfigError, match="judge_factory"):
        evaluate_mutation(terse_pair)


# -- the suite file --------------------------------------------------------------------

def test_the_shipped_suite_names_real_personas_and_profiles_with_expectations() -> None:
    suite = load_mutation_suite(SUITE)
    rubric = load_rubric(suite.rubric)

    assert len(suite.personas) >= 3
    personas = [load_persona(p) for p in suite.personas]
    assert any(not p.behaviour.invites_questions for p in personas)
    criteria = {c.id for c in rubric.criteria}
    for cid in suite.candidates:
        expected = load_candidate(cid).expected
        assert expected and set(expected) <= criteria, cid


@pytest.mark.parametrize(("text", "problem"), [
    ("orderings: [{better: strong-closer, worse: nobody}]",
     "orderings.0: candidate 'nobody' is not in candidates"),
    ("allow_not_applicable: {warm-hr-screener: [asked_questions]}",
     "allow_not_applicable: persona 'warm-hr-screener' is not in personas"),
    ("k: 0", "k: Input should be greater than or equal to 1"),
    ("candidates: [strong-closer, strong-closer]", "candidates: an id is listed twice"),
])
def test_a_bad_suite_file_names_the_file_and_field(tmp_path: Path, text: str,
                                                   problem: str) -> None:
    base = "id: t\npersonas: [terse-vp-final]\n"
    if not text.startswith("candidates"):
        base += "candidates: [strong-closer]\n"
    path = tmp_path / "suite.yaml"
    path.write_text(base + text + "\n")

    with pytest.raises(ConfigError) as info:
        load_mutation_suite(tmp_path)

    assert str(path) in str(info.value) and problem in str(info.value)


# -- roleplay mutate -------------------------------------------------------------------

def mutate(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="roleplay")
    _mutate.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["mutate", *argv])
    code: int = args.func(args)
    return code


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    factory = scripted_factory(["warm-hr-screener"], ["strong-closer", "one-liner"])
    folder = tmp_path_factory.mktemp("transcripts")
    save_transcripts(simulate_pairs(factory, ["strong-closer", "one-liner"],
                                    ["warm-hr-screener"]), folder)
    return folder


def test_cli_evaluates_saved_transcripts_with_no_model(saved: Path,
                                                       capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert sorted(p.name for p in saved.iterdir()) == [
        "one-liner--warm-hr-screener--1.json", "strong-closer--warm-hr-screener--1.json"]

    code = mutate([str(SUITE), "--signals-only", "--transcripts", str(saved)])

    out = capsys.readouterr().out
    assert code == 0, out
    assert "Mutation suite mutation (signals only), k=1: 2 interviews over 2 pairs." in out
    assert "[ok] warm-hr-screener: strong-closer > one-liner on overall" in out
    assert out.rstrip().endswith("Result: PASS")


def test_cli_fails_when_an_expectation_is_missed(saved: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text((SUITE / "suite.yaml").read_text()
                     + "expectations:\n  strong-closer: {next_steps: fail}\n")

    code = mutate([str(suite), "--signals-only", "--transcripts", str(saved),
                   "--format", "json", "--candidates", "strong-closer"])

    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert report["summary"]["ok"] is False and report["summary"]["failures"] == 1
    failed = [c for c in report["checks"] if c["pass_k"] is False]
    assert [(c["criterion"], c["expected"]) for c in failed] == [("next_steps", "fail")]


def test_cli_rejects_ids_outside_the_suite() -> None:
    with pytest.raises(ConfigError, match="--personas: must name ids of the suite"):
        mutate([str(SUITE), "--signals-only", "--personas", "chatty-founder"])
