"""A USD budget shared by every model of one command (``mutate --max-cost``).

Each model is wrapped; a call is refused once the calls so far have cost the budget, so a run
stops at the cap even when its estimate was low. Thread-safe: mutation runs interviews in
threads.
"""

from __future__ import annotations

import threading

from roleplay.errors import BudgetExceededError
from roleplay.llm.base import ChatModel, ChatRequest, ChatResponse, DeltaCallback
from roleplay.llm.wrapper import WrapperModel
from roleplay.tokens import estimate_cost

__all__ = ["Budget"]


class Budget:
    """``max_cost`` USD across every model `wrap` returns."""

    def __init__(self, max_cost: float) -> None:
        self.max_cost = max_cost
        self.spent = 0.0
        self.calls = 0
        self._lock = threading.Lock()

    def wrap(self, model: ChatModel) -> ChatModel:
        """``model``, with every call counted against this budget."""
        return _Metered(model, self)

    def _check(self) -> None:
        with self._lock:
            if self.spent >= self.max_cost:
                raise BudgetExceededError(
                    f"--max-cost ${self.max_cost:.4f} reached after {self.calls} call(s) "
                    f"(${self.spent:.4f} spent); raise it, or lower -k or the pairs to run")

    def _add(self, model: str, response: ChatResponse) -> None:
        cost = estimate_cost(response.usage, model)
        with self._lock:
            self.calls += 1
            # An unknown price was refused before the run; count nothing rather than guess.
            self.spent += cost or 0.0


class _Metered(WrapperModel):
    def __init__(self, model: ChatModel, budget: Budget) -> None:
        super().__init__(model)
        self.budget = budget

    def complete(self, request: ChatRequest, *,
                 on_delta: DeltaCallback | None = None) -> ChatResponse:
        self.budget._check()
        response = super().complete(request, on_delta=on_delta)
        self.budget._add(self.model_name, response)
        return response
