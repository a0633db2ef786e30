"""Eval suites for rubric and judge changes: labelled cases, agreement, baselines and flips.

Load a suite with `load_suite`, run it with `run_suite` / `arun_suite` (bounded concurrency,
saved as it goes, resumable, budgeted; every option is a field of `RunOptions`), then
`build_report` checks the suite's thresholds and compares with the committed baseline;
`render_report` prints it as text, Markdown or JSON. Any other set of transcripts goes through
the same engine with `evaluate_many` / `aevaluate_many`; run folders are kept and listed by
`RunStore`. The statistics (weighted kappa, Krippendorff's alpha ...) live in
`roleplay.evals.stats`.
"""

from roleplay.evals.agreement import Agreement, measure_agreement
from roleplay.evals.baseline import (
    Baseline,
    BaselineVerdict,
    Comparison,
    EvalReport,
    Flip,
    StatChange,
    ThresholdMiss,
    build_report,
    check_thresholds,
    compare,
    load_baseline,
    make_baseline,
    save_baseline,
)
from roleplay.evals.batch import BatchOptions
from roleplay.evals.engine import Item, ItemResult, ManyResult, aevaluate_many, evaluate_many
from roleplay.evals.options import RunOptions
from roleplay.evals.render import ReportFormat, render_estimate, render_report
from roleplay.evals.runner import (
    CaseEstimate,
    CaseRecord,
    ModelResolver,
    RunEstimate,
    SuiteResult,
    arun_suite,
    default_model_resolver,
    estimate_suite,
    run_suite,
)
from roleplay.evals.stats import AgreementStats
from roleplay.evals.store import RunInfo, RunStore
from roleplay.evals.suite import (
    CaseFile,
    CaseLabel,
    EvalCase,
    EvalSuite,
    JudgeConfig,
    Mode,
    SuiteConfig,
    SuiteError,
    ThresholdConfig,
    Thresholds,
    Tolerance,
    case_json_schema,
    load_suite,
    suite_json_schema,
)

__all__ = [
    "Agreement",
    "AgreementStats",
    "Baseline",
    "BaselineVerdict",
    "BatchOptions",
    "CaseEstimate",
    "CaseFile",
    "CaseLabel",
    "CaseRecord",
    "Comparison",
    "EvalCase",
    "EvalReport",
    "EvalSuite",
    "Flip",
    "Item",
    "ItemResult",
    "JudgeConfig",
    "ManyResult",
    "Mode",
    "ModelResolver",
    "ReportFormat",
    "RunEstimate",
    "RunInfo",
    "RunOptions",
    "RunStore",
    "StatChange",
    "SuiteConfig",
    "SuiteError",
    "SuiteResult",
    "ThresholdConfig",
    "ThresholdMiss",
    "Thresholds",
    "Tolerance",
    "aevaluate_many",
    "arun_suite",
    "build_report",
    "case_json_schema",
    "check_thresholds",
    "compare",
    "default_model_resolver",
    "estimate_suite",
    "evaluate_many",
    "load_baseline",
    "load_suite",
    "make_baseline",
    "measure_agreement",
    "render_estimate",
    "render_report",
    "run_suite",
    "save_baseline",
    "suite_json_schema",
]
