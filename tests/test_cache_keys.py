"""What the judge cache and the fingerprint are keyed on: same inputs reuse, others re-judge."""

from __future__ import annotations

from pathlib import Path

import pytest

from roleplay import render
from roleplay.cache import SQLiteJudgeCache
from roleplay.evaluate import Evaluator
from roleplay.evaluate import evaluator as evaluator_module
from roleplay.importing import load_transcript
from roleplay.llm.base import ChatResponse, Usage
from roleplay.testing import FunctionChatModel, ScriptedChatModel, as_chat_function, judge_responder

DATA = Path(__file__).parent / "data" / "transcripts"
STRONG = load_transcript(DATA / "strong.txt")


def judge() -> FunctionChatModel:
    return FunctionChatModel(as_chat_function(judge_responder()))


@pytest.fixture
def cache(tmp_path: Path) -> SQLiteJudgeCache:
    with SQLiteJudgeCache.in_dir(tmp_path) as c:
        yield c


def test_the_same_version_reuses_cached_replies(cache: SQLiteJudgeCache) -> None:
    first = Evaluator(judge_model=judge(), cache=cache).evaluate(STRONG)
    model = judge()
    again = Evaluator(judge_model=model, cache=cache).evaluate(STRONG)
    assert (first.judge_calls, model.calls, again.cache_hits) == (1, 0, 1)
    assert again.cache_versions == (evaluator_module.__version__,)
    assert [c.score for c in again.criteria] == [c.score for c in first.criteria]


def test_another_library_version_re_judges_and_changes_the_fingerprint(
        cache: SQLiteJudgeCache, monkeypatch: pytest.MonkeyPatch) -> None:
    old = Evaluator(judge_model=judge(), cache=cache)
    old.evaluate(STRONG)
    old_fingerprint, old_key = old.fingerprint, old.cache_key(STRONG)
    monkeypatch.setattr(evaluator_module, "__version__", "99.0.0")
    model = judge()
    upgraded = Evaluator(judge_model=model, cache=cache)
    result = upgraded.evaluate(STRONG)
    assert (model.calls, result.cache_hits) == (1, 0)
    assert upgraded.fingerprint != old_fingerprint and upgraded.cache_key(STRONG) != old_key
    assert result.roleplay_version == "99.0.0" and result.cache_versions == ()


def test_reuse_across_versions_is_opt_in_and_says_where_the_replies_came_from(
        cache: SQLiteJudgeCache, monkeypatch: pytest.MonkeyPatch) -> None:
    written = evaluator_module.__version__
    Evaluator(judge_model=judge(), cache=cache, cache_across_versions=True).evaluate(STRONG)
    monkeypatch.setattr(evaluator_module, "__version__", "99.0.0")
    model = judge()
    result = Evaluator(judge_model=model, cache=cache, cache_across_versions=True).evaluate(STRONG)
    assert (model.calls, result.cache_hits) == (0, 1)
    assert result.cache_versions == (written,)
    text = render(result, "text")
    assert f"cached replies written by roleplay {written} (this is 99.0.0)" in text
    assert render(result, "json").count(f'"{written}"') >= 1


def test_signals_only_fingerprints_always_carry_the_version(
        monkeypatch: pytest.MonkeyPatch) -> None:
    before = Evaluator(signals_only=True, cache_across_versions=True).fingerprint
    monkeypatch.setattr(evaluator_module, "__version__", "99.0.0")
    assert Evaluator(signals_only=True, cache_across_versions=True).fingerprint != before


def test_reports_show_cached_prompt_tokens() -> None:
    reply = as_chat_function(judge_responder())
    probe = ScriptedChatModel([])
    request = Evaluator(judge_model=probe).judge_request(STRONG)
    usage = Usage(prompt_tokens=6200, completion_tokens=700, cached_tokens=5120, calls=1)
    model = ScriptedChatModel([ChatResponse(text=reply(request), model="gpt-4o-mini",
                                            usage=usage)])
    result = Evaluator(judge_model=model).evaluate(STRONG)
    assert result.usage.cached_tokens == 5120
    for fmt in ("text", "md", "html"):
        assert "6,200 prompt tokens (5,120 cached)" in render(result, fmt), fmt
    assert '"cached_tokens": 5120' in render(result, "json")
    # Cached input is billed at its own rate (gpt-4o-mini: $0.075 vs $0.15 per million).
    full = (6200 * 0.15 + 700 * 0.60) / 1e6
    cached = (1080 * 0.15 + 5120 * 0.075 + 700 * 0.60) / 1e6
    assert result.cost_usd == pytest.approx(cached) and result.cost_usd < full


SUITE_DIR = Path(__file__).parent / "data" / "suites" / "mini"


def test_the_eval_summary_says_when_cached_replies_came_from_another_version(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import functools

    from roleplay.evals.baseline import ThresholdConfig, Tolerance, build_report
    from roleplay.evals.render import render_report
    from roleplay.evals.runner import run_suite
    from roleplay.evals.suite import load_suite

    suite = load_suite(SUITE_DIR)
    written = evaluator_module.__version__
    reuse = functools.partial(Evaluator, cache_across_versions=True)
    models: list[FunctionChatModel] = []

    def resolve(name: str) -> FunctionChatModel:
        models.append(FunctionChatModel(as_chat_function(judge_responder()), model_name=name))
        return models[-1]

    with SQLiteJudgeCache(tmp_path / "cache.sqlite3") as cache:
        first = run_suite(suite, resolve_model=resolve, runs_dir=tmp_path / "a", cache=cache,
                          evaluator_factory=reuse)
        monkeypatch.setattr(evaluator_module, "__version__", "99.0.0")
        strict = run_suite(suite, resolve_model=resolve, runs_dir=tmp_path / "b", cache=cache)
        reused = run_suite(suite, resolve_model=resolve, runs_dir=tmp_path / "c", cache=cache,
                           evaluator_factory=reuse)
    n = len(suite.cases)
    assert (first.judge_calls, strict.judge_calls, reused.judge_calls) == (n, n, 0)
    report = build_report(reused, ThresholdConfig(), Tolerance(default=1.0), tmp_path / "b.json")
    text = render_report(report, "text")
    assert f"cached judge replies from another version: {n} case(s) from roleplay {written}" \
        in text
    assert "from another version" not in render_report(
        build_report(strict, ThresholdConfig(), Tolerance(default=1.0), tmp_path / "b.json"))
    assert '"cache_versions": {' in render_report(report, "json")


def test_two_endpoints_serving_the_same_model_name_do_not_share_verdicts(
        cache: SQLiteJudgeCache) -> None:
    a = FunctionChatModel(as_chat_function(judge_responder()), model_name="local",
                          endpoint="http://127.0.0.1:8001/v1")
    b = FunctionChatModel(as_chat_function(judge_responder()), model_name="local",
                          endpoint="http://127.0.0.1:8002/v1")
    on_a = Evaluator(judge_model=a, cache=cache)
    on_b = Evaluator(judge_model=b, cache=cache)
    on_a.evaluate(STRONG)
    assert on_b.evaluate(STRONG).cache_hits == 0 and b.calls == 1
    assert on_a.cache_key(STRONG) != on_b.cache_key(STRONG)
    assert on_a.fingerprint != on_b.fingerprint


def test_resolve_endpoint_matches_what_the_adapter_reports(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from roleplay.llm.openai import DEFAULT_BASE_URL, OpenAIChatModel, resolve_endpoint

    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert resolve_endpoint() == DEFAULT_BASE_URL
    monkeypatch.setenv("OPENAI_BASE_URL", "http://user:secret@127.0.0.1:9/v1/?q=1")
    assert resolve_endpoint() == "http://127.0.0.1:9/v1"
    assert resolve_endpoint("http://127.0.0.1:7/v1/") == "http://127.0.0.1:7/v1"
    for base_url in (None, "http://127.0.0.1:7/v1/", "https://example.test/openai/v1"):
        model = OpenAIChatModel("m", base_url=base_url, api_key="sk-test")
        assert model.endpoint == resolve_endpoint(base_url), base_url
        model.close()


def test_a_suite_rerun_on_another_base_url_re_judges_and_on_the_same_one_builds_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Over real HTTP through the default resolver: the endpoint in the cache key is known
    # before any client exists, so the cached rerun needs neither a key nor a connection.
    from roleplay.evals.runner import default_model_resolver, run_suite
    from roleplay.evals.suite import load_suite
    from roleplay.llm import openai as adapter_module
    from roleplay.testing import OpenAICompatServer

    suite = load_suite(SUITE_DIR)
    n = len(suite.cases)
    built: list[str] = []
    real = adapter_module.AsyncOpenAIChatModel

    def counting(*args: object, **kwargs: object) -> object:
        built.append(str(kwargs.get("base_url")))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(adapter_module, "AsyncOpenAIChatModel", counting)
    with OpenAICompatServer(responder=judge_responder()) as first, \
            OpenAICompatServer(responder=judge_responder()) as second, \
            SQLiteJudgeCache(tmp_path / "cache.sqlite3") as cache:
        def run(server: OpenAICompatServer, name: str, key: str | None) -> int:
            resolve = default_model_resolver(base_url=server.base_url, api_key=key)
            result = run_suite(suite, resolve_model=resolve, runs_dir=tmp_path / name,
                               cache=cache)
            assert not result.failed, result.failed
            return result.judge_calls

        assert run(first, "a", "sk-test") == n
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
        assert run(first, "b", None) == 0
        assert built == [first.base_url]
        assert run(second, "c", "sk-test") == n
    assert len(first.requests) == n and len(second.requests) == n
