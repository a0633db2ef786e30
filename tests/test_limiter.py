"""The adaptive concurrency limit: AIMD arithmetic on a fake clock, and a 100-case run under a
server that answers 429 over its concurrency cap."""

from __future__ import annotations

import asyncio
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from roleplay.errors import ModelAPIError, ModelTimeoutError, QuotaExceededError, RateLimitError
from roleplay.evals.runner import default_model_resolver, run_suite
from roleplay.evals.suite import EvalSuite, load_suite
from roleplay.llm._limiter import AdaptiveLimiter, attach
from roleplay.llm.base import ChatRequest, Message
from roleplay.testing import FunctionChatModel, OpenAICompatServer, judge_responder

# Slow: `pytest -m "not slow"` leaves this file out of the inner loop; CI runs it.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class _Response:
    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers


def rate_limited(retry_after_ms: float | None = None) -> RateLimitError:
    exc = RateLimitError("429", status_code=429)
    headers = {} if retry_after_ms is None else {"retry-after-ms": str(retry_after_ms)}
    cause = Exception("sdk")
    cause.response = _Response(headers)  # type: ignore[attr-defined]
    exc.__cause__ = cause
    return exc


def succeed(limiter: AdaptiveLimiter, n: int = 1) -> None:
    for _ in range(n):
        with limiter.slot():
            pass


def fail(limiter: AdaptiveLimiter, exc: BaseException) -> None:
    with pytest.raises(type(exc)), limiter.slot():
        raise exc


def test_it_grows_by_one_after_n_successes_up_to_the_maximum() -> None:
    limiter = AdaptiveLimiter(2, 4, grow_after=3)
    succeed(limiter, 2)
    assert limiter.limit == 2
    succeed(limiter)
    assert limiter.limit == 3
    succeed(limiter, 30)
    assert limiter.limit == 4 and limiter.peak == 4


def test_a_429_or_a_timeout_halves_it_but_other_errors_do_not() -> None:
    limiter = AdaptiveLimiter(8, 32)
    fail(limiter, ModelAPIError("400", status_code=400))
    fail(limiter, QuotaExceededError("quota", status_code=429))
    assert limiter.limit == 8
    fail(limiter, rate_limited())
    assert limiter.limit == 4
    fail(limiter, ModelTimeoutError("slow"))
    assert limiter.limit == 2
    fail(limiter, rate_limited())
    fail(limiter, rate_limited())
    assert limiter.limit == 1 and limiter.decreases == 3 and limiter.overloads == 4


def test_a_burst_of_429s_from_one_overload_halves_it_once() -> None:
    limiter = AdaptiveLimiter(8, 32)
    slots = [limiter.slot() for _ in range(6)]
    for slot in slots:
        slot.__enter__()
    assert limiter.in_flight == 6
    error = rate_limited()
    for slot in slots:
        # Every call that was in flight when the limit dropped reports the same overload.
        slot.__exit__(RateLimitError, error, None)
    assert limiter.limit == 4 and limiter.decreases == 1 and limiter.overloads == 6
    assert limiter.in_flight == 0


def test_a_retry_hint_pauses_every_caller_until_it_has_passed() -> None:
    clock = Clock()
    limiter = AdaptiveLimiter(4, 4, clock=clock)
    fail(limiter, rate_limited(retry_after_ms=1500))
    epoch, wait = limiter._try_acquire()
    assert epoch is None and wait == pytest.approx(1.5)
    clock.now += 1.0
    assert limiter._try_acquire()[0] is None
    clock.now += 0.6
    epoch, wait = limiter._try_acquire()
    assert epoch is not None and wait == 0.0


def test_a_fixed_limit_never_moves_and_never_pauses() -> None:
    clock = Clock()
    limiter = AdaptiveLimiter(3, 32, adaptive=False, clock=clock)
    succeed(limiter, 50)
    fail(limiter, rate_limited(retry_after_ms=5000))
    assert limiter.limit == 3 and limiter.maximum == 3
    assert limiter._try_acquire()[0] is not None


def test_it_bounds_threads_and_tasks_alike() -> None:
    limiter = AdaptiveLimiter(2, 2)
    seen: list[int] = []
    lock = threading.Lock()
    release = threading.Event()

    def work() -> None:
        with limiter.slot():
            with lock:
                seen.append(limiter.in_flight)
            release.wait(5)

    threads = [threading.Thread(target=work) for _ in range(5)]
    for t in threads:
        t.start()
    release.set()
    for t in threads:
        t.join()
    assert max(seen) <= 2 and len(seen) == 5

    async def main() -> int:
        peak = 0

        async def one() -> None:
            nonlocal peak
            async with limiter.aslot():
                peak = max(peak, limiter.in_flight)
                await asyncio.sleep(0)

        await asyncio.gather(*(one() for _ in range(7)))
        return peak

    assert asyncio.run(main()) == 2


def test_attach_wraps_models_without_limiter_support() -> None:
    limiter = AdaptiveLimiter(1, 1)
    inside: list[int] = []

    def reply(request: ChatRequest) -> str:
        inside.append(limiter.in_flight)
        return "ok"

    model = attach(FunctionChatModel(reply), limiter)
    request = ChatRequest(messages=(Message(role="user", content="hi"),))
    assert model.complete(request).text == "ok"
    assert asyncio.run(model.acomplete(request)).text == "ok"
    assert inside == [1, 1] and limiter.in_flight == 0


# --- a 100-case run under 429s --------------------------------------------------------------

def _hundred_cases(tmp_path: Path) -> Path:
    """The shortest judged gold cases, copied under new ids until there are 100."""
    gold = ROOT / "evals" / "gold"
    folder = tmp_path / "hundred"
    cases = folder / "cases"
    cases.mkdir(parents=True)
    shutil.copy(gold / "suite.yaml", folder / "suite.yaml")
    specs = sorted((gold / "cases").glob("*.yaml"),
                   key=lambda p: p.with_suffix(".txt").stat().st_size)
    specs = [p for p in specs if "degenerate" not in p.stem][:8]
    for n in range(100):
        spec = specs[n % len(specs)]
        text = spec.read_text(encoding="utf-8")
        stem = f"{spec.stem}-r{n // len(specs)}"
        shutil.copy(gold / "cases" / f"{spec.stem}.txt", cases / f"{stem}.txt")
        (cases / f"{stem}.yaml").write_text(
            text.replace(f"transcript: {spec.stem}.txt", f"transcript: {stem}.txt"),
            encoding="utf-8")
    return folder


def _run_under_cap(suite: EvalSuite, runs: Path, **kwargs: Any) -> tuple[Any, int, int]:
    # A request budget that runs dry: every third request is answered 429 with
    # retry-after-ms 20, and so is every request arriving before those 20 ms have passed.
    with OpenAICompatServer(responder=judge_responder(), rate_limit_every=3,
                            limit_retry_after_ms=20) as server:
        resolve = default_model_resolver(base_url=server.base_url, api_key="test")
        result = run_suite(suite, resolve_model=resolve, runs_dir=runs, **kwargs)
        return result, len(server.chat_requests), server.rate_limited


def test_a_hundred_cases_under_429s_finish_with_fewer_requests_than_a_fixed_limit(
        tmp_path: Path) -> None:
    suite = load_suite(_hundred_cases(tmp_path))
    assert len(suite.cases) == 100
    adaptive, adaptive_requests, adaptive_429 = _run_under_cap(suite, tmp_path / "a")
    fixed, fixed_requests, fixed_429 = _run_under_cap(suite, tmp_path / "f", concurrency=8,
                                                      adaptive=False)
    judged = sum(1 for r in adaptive.records.values() if r.judge_calls)
    # No case lost: every case finished, and each judge call was answered in the end.
    assert adaptive.complete and len(adaptive.records) == 100
    assert adaptive_requests == judged + adaptive_429
    # The fixed limit keeps sending into the cap; the adaptive one backs off below it.
    assert fixed_429 >= 0.25 * fixed_requests
    assert adaptive_requests < fixed_requests
    assert adaptive_429 < fixed_429
    assert adaptive.concurrency is not None and "halved" in adaptive.concurrency


def test_the_servers_request_budget_answers_every_nth_request_429() -> None:
    import openai

    with OpenAICompatServer(responder=lambda body: "ok", rate_limit_every=3,
                            limit_retry_after_ms=0) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0)
        outcomes = []
        for _ in range(6):
            try:
                client.chat.completions.create(model="m", messages=[{"role": "user",
                                                                     "content": "hi"}])
                outcomes.append(200)
            except openai.RateLimitError as exc:
                assert exc.response.headers["retry-after-ms"] == "0"
                outcomes.append(429)
        client.close()
    assert outcomes == [200, 200, 429, 200, 200, 429] and server.rate_limited == 2


def test_attach_leaves_the_callers_model_as_it_was() -> None:
    from roleplay.llm.openai import OpenAIChatModel

    with OpenAICompatServer(responder=lambda _r: "ok") as server:
        mine = OpenAIChatModel("gpt-4o-mini", base_url=server.base_url, api_key="test")
        first, second = AdaptiveLimiter(2), AdaptiveLimiter(3)
        a, b = attach(mine, first), attach(mine, second)
        # Two runs at once each get their own limiter; the caller's model keeps none.
        assert (a.limiter, b.limiter, mine.limiter) == (first, second, None)
        request = ChatRequest(messages=(Message(role="user", content="hi"),))
        a.complete(request)
        a.close()  # the copy never closes the caller's client
        assert mine.complete(request).text
        mine.close()
    assert len(server.chat_requests) == 2
