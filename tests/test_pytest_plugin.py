"""The pytest plugin, as a new project uses it: installed by entry point, recording once, replaying.

Each test builds a fresh project with pytester and runs pytest on it in a subprocess, so the
plugin loads through the package's ``pytest11`` entry point exactly as in a user's checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from roleplay.persona import load_candidate, load_persona
from roleplay.testing import OpenAICompatServer, simulation_responder

pytest_plugins = ["pytester"]
# Slow: `pytest -m "not slow"` leaves this file out of the inner loop; CI runs it.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "pytest_project"
PERSONA = EXAMPLE / "personas" / "support-team-lead.yaml"
SECRET = "sk-test-0123456789-not-a-real-key"

PYPROJECT = """
[tool.pytest.ini_options]
roleplay_model = "gpt-4o-mini"
"""

# The whole of a new project's test: ten lines, no conftest.
TEN_LINES = """
from roleplay.testing import assert_verdicts, simulate

def test_a_strong_candidate_confirms_next_steps(roleplay_model, roleplay_evaluator):
    transcript = simulate("persona.yaml", "strong-closer", model=roleplay_model)
    assert_verdicts(roleplay_evaluator.evaluate(transcript), passed=["next_steps"])

def test_a_beggar_asks_for_the_job(roleplay_model, roleplay_evaluator):
    transcript = simulate("persona.yaml", "beggar", model=roleplay_model)
    assert_verdicts(roleplay_evaluator.evaluate(transcript), passed=["asked_for_job"])
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyprojecttoml(PYPROJECT)
    shutil.copy(PERSONA, pytester.path / "persona.yaml")
    pytester.makepyfile(test_persona=TEN_LINES)
    return pytester


@pytest.fixture
def server():
    responder = simulation_responder([load_persona(PERSONA)],
                                     [load_candidate("strong-closer"), load_candidate("beggar")])
    with OpenAICompatServer(responder=responder) as running:
        yield running


def _run(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    return project.runpytest_subprocess("-p", "no:cacheprovider", *args)


def _run_inline(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    """In this process (faster); the plugin still loads from the entry point into a new config."""
    # pytest-asyncio (installed here, not by the project) would warn about its unset ini option.
    return project.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:asyncio", *args)


def test_a_new_project_records_once_and_replays_offline(project, server, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    recorded = _run(project, "--record-mode=once")
    recorded.assert_outcomes(passed=1, failed=1)
    calls = len(server.chat_requests)
    assert calls > 0

    cassettes = sorted((project.path / "cassettes" / "test_persona").glob("*.yaml"))
    assert [c.stem for c in cassettes] == ["test_a_beggar_asks_for_the_job",
                                           "test_a_strong_candidate_confirms_next_steps"]
    for cassette in cassettes:
        text = cassette.read_text()
        assert SECRET not in text and "authorization" not in text.lower()

    # Offline: no key, no endpoint, the network blocked; the same verdicts from the cassettes.
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.delenv("OPENAI_API_KEY")
    server.close()
    replayed = _run(project, "--block-network")
    replayed.assert_outcomes(passed=1, failed=1)
    assert len(server.chat_requests) == calls

    # The failure a person reads: expected and actual, the reason and the turn to fix.
    out = replayed.stdout.str()
    assert "1 of 1 expected verdicts not met for transcript" in out
    assert "asked_for_job (Asks for the job confidently, without begging): expected passed, " \
           "got failed (scored" in out
    assert "reason: " in out and "coaching: At turn " in out


def test_a_changed_persona_names_the_field_that_no_longer_matches(project, server, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "local")
    _run(project, "--record-mode=once", "-k", "strong").assert_outcomes(passed=1)
    persona = project.path / "persona.yaml"
    persona.write_text(persona.read_text().replace("Priya Raman", "Priya Ramos"))

    stale = _run(project, "--block-network", "-k", "strong")
    stale.assert_outcomes(failed=1)
    out = stale.stdout.str()
    assert "roleplay cassette" in out and "--record-mode=rewrite" in out
    assert "body.messages[0].content: recorded " in out and "Priya Ramos" in out


def test_a_test_without_a_cassette_says_how_to_record_one(project):
    result = _run_inline(project, "--block-network", "-k", "strong")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*no cassette recorded yet at *test_a_strong_candidate_confirms"
                                 "_next_steps.yaml*--record-mode=once*"])


def test_the_plugin_is_inert_for_tests_that_do_not_use_it(pytester, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "local")
    pytester.makepyfile(test_plain="""
        import pytest

        def test_untouched(request):
            assert request.node.get_closest_marker("vcr") is None

        @pytest.mark.vcr(match_on=["uri"])
        def test_own_cassette(request, vcr_config):
            assert vcr_config == {}
            assert [m.kwargs for m in request.node.iter_markers("vcr")] == [{"match_on": ["uri"]}]

        def test_marked(request, roleplay_model):
            kinds = [m.kwargs.get("match_on") for m in request.node.iter_markers("vcr")]
            assert kinds == [["method", "path", "roleplay_body"]]
    """)
    result = _run_inline(pytester, "--record-mode=once")
    result.assert_outcomes(passed=3)
    assert "roleplay pass^k" not in result.stdout.str()


def test_without_pytest_recording_the_fixtures_name_the_extra(pytester):
    pytester.makepyfile(test_x="""
        def test_needs_a_model(roleplay_model):
            pass
    """)
    result = _run_inline(pytester, "-p", "no:recording")
    result.assert_outcomes(errors=1)
    out = result.stdout.str()
    assert 'pip install "roleplay-interviews[pytest]"' in out
    assert "@pytest.mark.roleplay(cassette=False)" in out


def test_pass_k_results_are_listed_in_the_terminal_summary(pytester):
    pytester.makepyfile(test_k="""
        def test_flaky(roleplay_pass_k):
            roleplay_pass_k(lambda i: i != 2, k=4, min_rate=0.75)

        def test_strict(roleplay_pass_k):
            roleplay_pass_k(lambda i: i != 0, k=3)
    """)
    result = _run_inline(pytester)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*roleplay pass^k*",
        "test_k.py::test_flaky: 3/4 trials passed (75%), pass^4 no, required 75%: ok",
        "test_k.py::test_strict: 2/3 trials passed (67%), pass^3 no, required 100%: FAILED",
    ])


def test_the_example_project_replays_offline_from_its_own_folder():
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPENAI_", "ROLEPLAY_", "PYTEST_"))}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"], cwd=EXAMPLE, env=env,
        capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
    assert "pass^3 yes" in result.stdout


def test_configuration_comes_from_the_marker_then_the_ini_then_the_environment(pytester,
                                                                               monkeypatch):
    monkeypatch.setenv("ROLEPLAY_MODEL", "env-model")
    monkeypatch.setenv("ROLEPLAY_JUDGE_MODEL", "env-judge")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    pytester.makeini("[pytest]\nroleplay_model = ini-model\nroleplay_rubric = interview-close\n"
                     "roleplay_base_url = http://127.0.0.1:8/v1\n")
    pytester.makepyfile(test_cfg="""
        import pytest

        def test_ini_beats_env(roleplay_config):
            assert (roleplay_config.model, roleplay_config.judge_model) == ("ini-model",
                                                                           "env-judge")
            # The same order for the endpoint as for the model names.
            assert roleplay_config.base_url == "http://127.0.0.1:8/v1"
            assert roleplay_config.replaying and roleplay_config.api_key == "replay-without-a-key"
            assert "replay-without-a-key" not in repr(roleplay_config)

        @pytest.mark.roleplay(model="marked", judge_model="judge", seed=4, cassette=False,
                              base_url="http://127.0.0.1:7/v1")
        def test_marker_beats_ini(roleplay_config):
            assert (roleplay_config.model, roleplay_config.judge_model) == ("marked", "judge")
            assert roleplay_config.base_url == "http://127.0.0.1:7/v1"
            assert roleplay_config.seed == 4 and not roleplay_config.cassette
            assert not roleplay_config.replaying and roleplay_config.api_key is None

        @pytest.mark.roleplay(modle="typo")
        def test_unknown_marker_key(roleplay_config):
            pass
    """)
    result = _run_inline(pytester)
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*@pytest.mark.roleplay does not take modle; it takes *"])


def test_a_cassette_miss_prints_one_short_message(project, server, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "local")
    _run(project, "--record-mode=once", "-k", "strong").assert_outcomes(passed=1)
    persona = project.path / "persona.yaml"
    persona.write_text(persona.read_text().replace("Priya Raman", "Priya Ramos"))
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.delenv("OPENAI_API_KEY")
    stale = _run(project, "--block-network", "-k", "strong")
    stale.assert_outcomes(failed=1)
    out = stale.stdout.str()
    assert "roleplay cassette: test_persona.py::test_a_strong_candidate_confirms_next_steps" in out
    assert "differs from the recorded one at body.messages[0].content" in out
    # vcrpy's own advice and the SDK traceback are not printed beside it.
    assert "How to fix" not in out and "CannotOverwriteExistingCassetteException" not in out
    failures = out.split("= FAILURES =")[1].split("short test summary")[0]
    assert len(failures.strip().splitlines()) <= 6, failures
