"""Evaluate a transcript against a rubric: signals, an evidence-checked judge, rules, coaching.

Signals and the judge return the same result type (`CriterionResult` inside an `Evaluation`),
so a signals-only run and a judged run are read, reported and compared the same way. This
package only ever sees a `Transcript`: stored and live interviews are evaluated alike.
"""

from roleplay.evaluate.evaluator import DEFAULT_MAX_PROMPT_TOKENS, Evaluator, JudgeCache
from roleplay.evaluate.judge import (
    JUDGE_TEMPLATE,
    JUDGE_TEMPLATE_VERSION,
    build_judge_request,
    render_transcript,
    reply_model,
    verify_quote,
)
from roleplay.evaluate.policy import RULES, Firing, render_rules
from roleplay.evaluate.results import CheckAnswer, CriterionResult, Evaluation, Evidence, Status
from roleplay.evaluate.signals import Signals, compute_signals

__all__ = [
    "DEFAULT_MAX_PROMPT_TOKENS",
    "JUDGE_TEMPLATE",
    "JUDGE_TEMPLATE_VERSION",
    "RULES",
    "CheckAnswer",
    "CriterionResult",
    "Evaluation",
    "Evaluator",
    "Evidence",
    "Firing",
    "JudgeCache",
    "Signals",
    "Status",
    "build_judge_request",
    "compute_signals",
    "render_rules",
    "render_transcript",
    "reply_model",
    "verify_quote",
]
