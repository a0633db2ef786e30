"""``roleplay mutate --estimate`` and ``--max-cost``: the cost is known and capped up front."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from roleplay.cli import main
from roleplay.cli._budget import Budget
from roleplay.errors import BudgetExceededError
from roleplay.llm.base import ChatRequest, Message
from roleplay.testing import FunctionChatModel

ROOT = Path(__file__).resolve().parent.parent
SUITE = str(ROOT / "evals" / "mutation")
ONE_PAIR = ["--candidates", "strong-closer", "--personas", "warm-hr-screener", "-k", "2",
            "--model", "gpt-4o-mini"]


@pytest.fixture
def model(monkeypatch: pytest.MonkeyPatch) -> FunctionChatModel:
    calls = FunctionChatModel(lambda request: json.dumps(
        {"utterance": "Why?", "phase": "interviewer_questions", "end_interview": False}))
    monkeypatch.setattr("roleplay.cli._mutate.make_model", lambda args: calls)
    return calls


def test_estimate_prints_calls_tokens_and_cost_and_calls_nothing(
    model: FunctionChatModel, capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["mutate", SUITE, *ONE_PAIR, "--estimate"]) == 0
    out = capsys.readouterr().out
    assert "2 simulated interview(s)" in out
    # 24 turns each (the suite's limit), two runs, one judge call per run.
    assert "interviewer and candidate calls: 48" in out and "judge calls: 2" in out
    assert "expected cost $" in out
    assert model.calls == 0


def test_estimate_grows_with_k_and_the_pairs(
    model: FunctionChatModel, capsys: pytest.CaptureFixture[str],
) -> None:
    def tokens(*argv: str) -> int:
        assert main(["mutate", SUITE, "--model", "gpt-4o-mini", "--estimate", *argv]) == 0
        line = capsys.readouterr().out.splitlines()[-1]
        return int(line.split(" calls, ")[1].split(" tokens")[0])

    one = tokens("-k", "1", "--candidates", "strong-closer", "--personas", "warm-hr-screener")
    three = tokens("-k", "3", "--candidates", "strong-closer", "--personas", "warm-hr-screener")
    assert 2.9 * one < three < 3.1 * one  # the judge's nonce makes counts vary by a few tokens
    assert tokens("-k", "1") > 20 * one  # 8 candidates x 3 personas
    assert model.calls == 0


def test_a_run_estimated_over_max_cost_is_refused_before_any_call(
    model: FunctionChatModel, capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["mutate", SUITE, *ONE_PAIR, "--max-cost", "0.0001"]) == 1
    err = capsys.readouterr().err
    assert "estimated at $" in err and "over --max-cost $0.0001" in err and "nothing was run" in err
    assert model.calls == 0


def test_max_cost_needs_a_known_price(
    model: FunctionChatModel, capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["mutate", SUITE, "--candidates", "strong-closer", "--personas", "warm-hr-screener",
            "-k", "1", "--model", "my-local-llama", "--max-cost", "5"]
    assert main(argv) == 2
    assert "--max-cost needs a price" in capsys.readouterr().err
    assert model.calls == 0


@pytest.mark.parametrize("value", ["nan", "-1", "inf", "lots"])
def test_max_cost_must_be_a_finite_amount(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["mutate", SUITE, "--max-cost", value])
    assert exit_.value.code == 2
    assert "--max-cost" in capsys.readouterr().err


def test_the_budget_stops_calls_once_spent_even_if_the_estimate_was_low() -> None:
    def reply(request: ChatRequest) -> str:
        return "word " * 2000  # about 2000 completion tokens: $0.0012 on gpt-4o-mini

    inner = FunctionChatModel(reply, model_name="gpt-4o-mini")
    budget = Budget(0.002)
    metered: Any = budget.wrap(inner)
    request = ChatRequest(messages=[Message(role="user", content="Hi")])
    metered.complete(request)
    metered.complete(request)
    with pytest.raises(BudgetExceededError, match=r"--max-cost \$0.0020 reached after 2 call"):
        metered.complete(request)
    assert inner.calls == 2
