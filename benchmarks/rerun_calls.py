"""rerun_calls: judge calls made by re-runs of an eval suite, unchanged and after rubric edits.

What is measured: the gold suite is run with `roleplay.evals.run_suite` against the local
server (fake judge), with a judge cache and a run folder in a fresh temporary directory, then
run again four times, counting the chat requests the server receives each time:

1. **unchanged**: the same command again (finished cases resume from the run folder);
2. **unchanged, no resume**: the same, with ``resume=False``, so only the judge cache can save
   calls (what ``--no-cache`` would not do, and a new run folder would);
3. **threshold edit**: one criterion's ``pass_threshold`` changed, a post-processing field the
   judge never sees; the evaluator fingerprint changes (new run folder), the judge requests
   do not, so every verdict should come from the cache;
4. **anchor edit**: one criterion's level-3 anchor text changed; the judge reads anchors, so
   every judged case must be judged again (one call grades all criteria, so that is one call
   per judged case, not one per edited criterion).

The baseline is the first, cold run of the same suite in the same process: ``ratio`` is the
unchanged re-run's calls over the cold run's (goal 0); the JSON line also holds the ratios of
the two edits.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks._common import MODEL, Result, SignalsJudge, async_resolver, load_gold, r4
from roleplay.cache import SQLiteJudgeCache
from roleplay.evals import EvalSuite, run_suite
from roleplay.rubric import Rubric, load_rubric
from roleplay.testing import OpenAICompatServer

NAME = "rerun_calls"
EDITED = "next_steps"
"""The criterion whose threshold, then anchor, is edited."""


def _edit(rubric: Rubric, criterion_id: str, **update: object) -> Rubric:
    criteria = [c.model_copy(update=update) if c.id == criterion_id else c
                for c in rubric.criteria]
    return rubric.model_copy(update={"criteria": criteria})


def run(quick: bool = False) -> Result:
    """Run the gold suite (3 cases with ``quick``) cold, then re-run it four ways."""
    suite = load_gold(3 if quick else None)
    rubric = load_rubric(suite.rubric_ref())
    criterion = rubric.criterion(EDITED)
    threshold_edit = _edit(rubric, EDITED,
                           pass_threshold=4 if criterion.pass_threshold != 4 else 3)
    levels = dict(criterion.levels)
    levels[3] = levels[3].strip() + " A restated next step counts only if it names a date."
    anchor_edit = _edit(rubric, EDITED, levels=levels)

    with OpenAICompatServer(responder=SignalsJudge(rubric)) as server, \
            tempfile.TemporaryDirectory(prefix="roleplay-bench-") as tmp:
        cache = SQLiteJudgeCache.in_dir(tmp, model=MODEL)
        try:
            def calls(suite: EvalSuite, rubric: Rubric, *, resume: bool = True) -> int:
                before = len(server.chat_requests)
                result = run_suite(suite, rubric=rubric,
                                   resolve_model=async_resolver(server.base_url), cache=cache,
                                   runs_dir=Path(tmp) / "runs", resume=resume, concurrency=8)
                if not result.complete:
                    raise RuntimeError(f"incomplete run: failed {sorted(result.failed)}")
                return len(server.chat_requests) - before

            first = calls(suite, rubric)
            unchanged = calls(suite, rubric)
            no_resume = calls(suite, rubric, resume=False)
            threshold = calls(suite, threshold_edit)
            anchor = calls(suite, anchor_edit)
        finally:
            cache.close()

    def ratio(n: int) -> float:
        return r4(n / first) if first else 0.0

    data = {
        "cases": len(suite.cases),
        "first_run_calls": first,
        "unchanged_calls": unchanged,
        "unchanged_no_resume_calls": no_resume,
        "threshold_edit_calls": threshold,
        "anchor_edit_calls": anchor,
        "threshold_edit_ratio": ratio(threshold),
        "anchor_edit_ratio": ratio(anchor),
        "goal": 0.0,
        "ratio": ratio(unchanged),
    }
    rows = [
        ["first run (cold cache, empty run folder)", str(first), "1.00x"],
        ["re-run, unchanged", str(unchanged), f"{ratio(unchanged):.2f}x"],
        ["re-run, unchanged, resume off (cache only)", str(no_resume), f"{ratio(no_resume):.2f}x"],
        [f"re-run after editing {EDITED}.pass_threshold", str(threshold),
         f"{ratio(threshold):.2f}x"],
        [f"re-run after editing a {EDITED} anchor", str(anchor), f"{ratio(anchor):.2f}x"],
    ]
    notes = [f"{len(suite.cases)} cases; calls counted by the server. Goal: 0 calls for the "
             "unchanged re-run and the threshold edit; the anchor edit re-judges every judged "
             "case once."]
    return Result(NAME, "rerun_calls: judge calls per re-run", ["run", "calls", "vs first"],
                  rows, data, notes)
