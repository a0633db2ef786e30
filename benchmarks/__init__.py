"""Benchmarks of roleplay against baselines measured in the same run (``python -m benchmarks``).

Each benchmark module has ``NAME`` and ``run(quick: bool) -> Result``; every model call goes to
`roleplay.testing.OpenAICompatServer` on 127.0.0.1, never to any other address. See README.md.
"""

from __future__ import annotations

BENCHMARKS = ("overhead", "judge_economy", "prompt_cache", "suite_wall", "rerun_calls",
              "trimming", "concurrency", "fault_matrix", "signals_scaling")
"""The benchmark names, in the order ``python -m benchmarks`` runs them."""
