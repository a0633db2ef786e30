"""signals_scaling: time per turn of the deterministic signals as a transcript doubles in length.

What is measured: `roleplay.evaluate.compute_signals` on one made-up interview of N turns and on
the same interview repeated to 2N turns (alternating interviewer questions, candidate answers with
questions, next-steps and follow-up wording, so every signal has work to do), best of three runs
each (CPU time of the process). ``ratio`` = (time per turn at 2N) / (time per turn at N): 1.0
is linear time, 2.0 would be quadratic (the old next-steps and follow-up lookups scanned the
whole transcript for every candidate turn).

Why the baseline is fair: both sizes are timed in the same process, on the same text, back to
back; only the length differs.
"""

from __future__ import annotations

import gc
import time

from benchmarks._common import Result, r4
from roleplay.evaluate.signals import compute_signals
from roleplay.transcript import Transcript, Turn

NAME = "signals_scaling"
_QUESTION = ("Tell me about the project you ran last year and what changed? Next steps on our "
             "side: a panel, and we'll decide by Friday.")
_ANSWER = ("I led the rollout at Riverside and we cut errors by 30% in six weeks. What would the "
           "next steps be? I'll email you by Friday if I haven't heard.")


def _interview(turns: int) -> Transcript:
    return Transcript(turns=tuple(
        Turn(index=i + 1, speaker="interviewer" if i % 2 == 0 else "candidate",
             text=_QUESTION if i % 2 == 0 else _ANSWER) for i in range(turns)))


def _best_of_three(transcript: Transcript) -> float:
    # CPU time of this process: the signals are pure computation, and other work on a shared
    # machine would otherwise show up as growth with length.
    best = float("inf")
    for _ in range(3):
        gc.collect()
        start = time.process_time()
        compute_signals(transcript)
        best = min(best, time.process_time() - start)
    return best


def run(quick: bool) -> Result:
    """Time the signals at N and 2N turns (N = 500 quick, 2,500 full)."""
    small = 500 if quick else 2500
    t_small = _best_of_three(_interview(small))
    t_large = _best_of_three(_interview(2 * small))
    per_small, per_large = t_small / small, t_large / (2 * small)
    ratio = r4(per_large / per_small)
    return Result(
        name=NAME, title=f"{NAME}: time per turn",
        columns=["turns", "seconds", "ms per turn"],
        rows=[[f"{small:,}", f"{t_small:.2f}", f"{1000 * per_small:.3f}"],
              [f"{2 * small:,}", f"{t_large:.2f}", f"{1000 * per_large:.3f}"]],
        data={"turns": [small, 2 * small], "seconds": [r4(t_small), r4(t_large)],
              "ratio": ratio},
        notes=[f"ratio {ratio}: time per turn at {2 * small:,} turns over {small:,} "
               "(1.0 = linear)"])
