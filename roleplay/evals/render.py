"""Render an `EvalReport` as plain text, Markdown (a pull-request comment) or JSON (pure)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

from roleplay._display import terminal_safe
from roleplay.evals.baseline import (
    OVERALL,
    BaselineVerdict,
    EvalReport,
    Flip,
    StatChange,
)
from roleplay.evals.runner import RunEstimate, SuiteResult
from roleplay.evals.stats import AgreementStats, LabelVerdict

__all__ = ["ReportFormat", "cache_versions", "render_estimate", "render_report"]

ReportFormat = Literal["text", "md", "json"]

_COLUMNS: tuple[tuple[str, str], ...] = (
    ("n", "n"),
    ("pairs", "n_pairs"),
    ("acc", "accuracy"),
    ("k_pass", "pass_kappa"),
    ("k_w", "kappa"),
    ("alpha", "alpha"),
    ("mae", "mae"),
    ("msd", "msd"),
    ("exact", "exact"),
    ("within1", "within_one"),
)
_SAMPLE_COLUMNS: tuple[tuple[str, str], ...] = (("flip", "flip_rate"),
                                                ("samp_agr", "sample_agreement"))
_MAX_FLIPS = 60
_LEGEND = (
    "pairs: label and judge both scored (the base of k_w ... within1); acc: pass/fail/na\n"
    "verdicts equal (na mismatches and errors count against); k_pass: pass/fail kappa;\n"
    "k_w: quadratic-weighted kappa; alpha: Krippendorff ordinal; msd: judge minus label"
)
_SAMPLE_LEGEND = "; flip: share of cases whose pass/fail differs between samples"


def _num(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    return f"{value:+.2f}" if isinstance(value, float) and value < 0 else f"{value:.2f}"


def _verdict(v: BaselineVerdict | LabelVerdict) -> str:
    if isinstance(v, LabelVerdict):
        return "na" if v.score is None else f"{'pass' if v.passed else 'fail'} ({v.score})"
    if v.status == "not_applicable":
        return "na"
    if v.passed is None:
        return v.status
    word = "pass" if v.passed else "fail"
    return f"{word} ({v.score})" if v.score is not None else word


def _columns(result: SuiteResult) -> tuple[tuple[str, str], ...]:
    return _COLUMNS + (_SAMPLE_COLUMNS if result.samples > 1 else ())


def _stat_rows(result: SuiteResult) -> list[list[str]]:
    rows: list[list[str]] = []
    items: list[tuple[str, AgreementStats]] = [(k, result.stats[k]) for k in result.criteria]
    items.append((OVERALL, result.overall))
    for name, stats in items:
        rows.append([name] + [_num(getattr(stats, attr)) for _, attr in _columns(result)])
    return rows


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return lines


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    def esc(cell: str) -> str:
        return str(cell).replace("|", "\\|")

    lines = ["| " + " | ".join(esc(h) for h in header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    lines.extend("| " + " | ".join(esc(c) for c in row) + " |" for row in rows)
    return lines


def _headline(report: EvalReport) -> str:
    r = report.result
    judge = f"judge {r.judge_model}" if r.judge_model else "signals only"
    samples = f", {r.samples} samples" if r.samples > 1 else ""
    version = f" v{r.rubric_version}" if r.rubric_version else ""
    return (f"Suite {r.suite_id} ({judge}{samples}), rubric {r.rubric_id}{version}, "
            f"fingerprint {r.fingerprint[:12]}")


def _spend(result: SuiteResult) -> str:
    total = len(result.records) + len(result.failed) + len(result.not_run)
    new = len(result.records) - len(result.resumed)
    cost = "unknown" if result.cost_usd is None else f"${result.cost_usd:.4f}"
    return (f"{total} cases: {new} evaluated now, {len(result.resumed)} resumed, "
            f"{len(result.failed)} failed, {len(result.not_run)} not run; judge calls "
            f"{result.judge_calls}, cache hits {result.cache_hits}, tokens "
            f"{result.usage.prompt_tokens}+{result.usage.completion_tokens} "
            f"({result.usage.cached_tokens} prompt tokens cached by the endpoint), cost {cost}"
            + _provenance(result))


def cache_versions(result: SuiteResult) -> dict[str, list[str]]:
    """Per roleplay version other than this one, the cases whose cached judge replies it wrote.

    Empty unless the run reused a judge cache across versions (``cache_across_versions``).
    """
    out: dict[str, list[str]] = {}
    for case_id, record in sorted(result.records.items()):
        evaluation = record.evaluation or {}
        mine = evaluation.get("roleplay_version")
        for version in evaluation.get("cache_versions") or ():
            if version != mine:
                out.setdefault(str(version), []).append(case_id)
    return out


def _provenance(result: SuiteResult) -> str:
    other = cache_versions(result)
    if not other:
        return ""
    parts = [f"{len(cases)} case(s) from roleplay {version}" for version, cases in other.items()]
    return f"; cached judge replies from another version: {', '.join(parts)}"


def _flip_rows(flips: Sequence[Flip]) -> list[list[str]]:
    return [[f.case_id, f.criterion, _verdict(f.old), _verdict(f.new), _verdict(f.label),
             f.effect] for f in flips[:_MAX_FLIPS]]


def _change_rows(changes: Sequence[StatChange], *, only_moved: bool) -> list[list[str]]:
    rows = []
    for c in changes:
        moved = (c.regressed or (c.delta is not None and abs(c.delta) >= 1e-9)
                 or (c.old is None) != (c.new is None))
        if only_moved and not moved:
            continue
        delta = "-" if c.delta is None else f"{c.delta:+.3f}"
        rows.append([c.criterion, c.statistic, _num(c.old), _num(c.new), delta,
                     f"{c.tolerance:g}", "REGRESSION" if c.regressed else ""])
    return rows


_FLIP_HEADER = ("case", "criterion", "baseline", "now", "label", "effect")
_CHANGE_HEADER = ("criterion", "statistic", "baseline", "now", "delta", "tolerance", "")


def _text(report: EvalReport) -> str:
    r = report.result
    out = [_headline(report), _spend(r), f"run folder: {r.run_dir}", ""]
    out.append("Agreement with labels:")
    out.extend(_table(["criterion", *[h for h, _ in _columns(r)]], _stat_rows(r)))
    out.append(_LEGEND + (_SAMPLE_LEGEND if r.samples > 1 else ""))
    worst = sorted(r.case_agreement.items(), key=lambda kv: (kv[1], kv[0]))[:5]
    if worst and worst[0][1] < 1:
        out.append("")
        out.append("Lowest per-case agreement: " + ", ".join(
            f"{case} {share:.0%}" for case, share in worst if share < 1))
    if r.failed:
        out.append("")
        out.append("Failed cases:")
        out.extend(f"  {case}: {err}" for case, err in sorted(r.failed.items()))
    comparison = report.comparison
    if comparison is not None:
        out.append("")
        out.append(f"Against baseline {comparison.baseline_path} "
                   f"(fingerprint {comparison.baseline_fingerprint[:12]}):")
        flips = comparison.verdict_flips
        out.append(f"Flips ({len(flips)}):" if flips else "Flips: none")
        if flips:
            out.extend("  " + line for line in _table(_FLIP_HEADER, _flip_rows(flips)))
        scores = comparison.score_changes
        if scores:
            out.append(f"Score changes, verdict unchanged ({len(scores)}):")
            out.extend("  " + line for line in _table(_FLIP_HEADER, _flip_rows(scores)))
        if len(flips) > _MAX_FLIPS or len(scores) > _MAX_FLIPS:
            out.append(f"  (tables show the first {_MAX_FLIPS}; --format json has all)")
        moved = _change_rows(comparison.changes, only_moved=True)
        out.append("Statistic changes:" if moved else "Statistic changes: none")
        if moved:
            out.extend("  " + line for line in _table(_CHANGE_HEADER, moved))
        if comparison.new_cases:
            out.append("New cases (not in the baseline): " + ", ".join(comparison.new_cases))
        if comparison.missing_cases:
            out.append("Baseline cases missing from this run: "
                       + ", ".join(comparison.missing_cases))
    if report.misses:
        out.append("")
        out.append("Threshold misses:")
        out.extend(f"  {m.describe()}" for m in report.misses)
    if report.notes:
        out.append("")
        out.extend(f"Note: {n}" for n in report.notes)
    if report.baseline_updated:
        out.append(f"Baseline written: {report.baseline_path}")
    out.append("")
    out.append("Result: PASS" if report.ok else "Result: FAIL")
    out.extend(f"  - {f}" for f in report.failures)
    # Case ids and server error messages are not ours: no escape sequence reaches the terminal.
    return terminal_safe("\n".join(out) + "\n")


def _markdown(report: EvalReport) -> str:
    r = report.result
    status = "PASS" if report.ok else "FAIL"
    out = [f"### Eval `{r.suite_id}`: **{status}**", "", _headline(report) + ".",
           _spend(r) + ".", ""]
    if report.failures:
        out.extend(f"- {f}" for f in report.failures)
        out.append("")
    comparison = report.comparison
    if comparison is not None:
        flips = comparison.verdict_flips
        agree = sum(f.effect == "now agrees with label" for f in flips)
        disagree = sum(f.effect == "now disagrees with label" for f in flips)
        out.append(f"**{len(flips)} flip(s)** against the baseline: {agree} now agree with the "
                   f"label, {disagree} now disagree; {len(comparison.score_changes)} score "
                   "change(s) with the same verdict.")
        out.append("")
        if flips:
            out.extend(_md_table(_FLIP_HEADER, _flip_rows(flips)))
            out.append("")
        moved = _change_rows(comparison.changes, only_moved=True)
        if moved:
            out.append("<details><summary>Statistic changes</summary>")
            out.append("")
            out.extend(_md_table(_CHANGE_HEADER, moved))
            out.append("")
            out.append("</details>")
            out.append("")
    out.append("<details><summary>Agreement per criterion</summary>")
    out.append("")
    out.extend(_md_table(["criterion", *[h for h, _ in _columns(r)]], _stat_rows(r)))
    out.append("")
    out.append("</details>")
    if report.notes:
        out.append("")
        out.extend(f"> {n}" for n in report.notes)
    return "\n".join(out) + "\n"


def _json(report: EvalReport) -> str:
    r = report.result
    comparison = report.comparison
    data: dict[str, Any] = {
        "ok": report.ok,
        "exit_code": report.exit_code,
        "failures": report.failures,
        "suite": r.suite_id,
        "mode": r.mode,
        "fingerprint": r.fingerprint,
        "rubric": {"id": r.rubric_id, "version": r.rubric_version},
        "judge_model": r.judge_model,
        "samples": r.samples,
        "run_dir": str(r.run_dir),
        "cases": {
            "evaluated": sorted(set(r.records) - set(r.resumed)),
            "resumed": r.resumed,
            "failed": r.failed,
            "not_run": r.not_run,
        },
        "usage": r.usage.model_dump(),
        "cost_usd": r.cost_usd,
        "judge_calls": r.judge_calls,
        "cache_hits": r.cache_hits,
        "cache_versions": cache_versions(r),
        "statistics": {k: v.model_dump(mode="json") for k, v in r.stats.items()},
        "overall": r.overall.model_dump(mode="json"),
        "case_agreement": r.case_agreement,
        "verdicts": {
            case: {k: BaselineVerdict.of(r.verdict(case, k)).model_dump() for k in r.criteria}
            for case in sorted(r.records)
        },
        "threshold_misses": [m.model_dump(mode="json") for m in report.misses],
        "notes": report.notes,
        "baseline": None if comparison is None else {
            "path": str(comparison.baseline_path),
            "fingerprint": comparison.baseline_fingerprint,
            "mode": comparison.baseline_mode,
            "flips": [f.model_dump(mode="json") for f in comparison.flips],
            "changes": [c.model_dump(mode="json") | {"delta": c.delta}
                        for c in comparison.changes],
            "regressions": [c.describe() for c in comparison.regressions],
            "new_cases": comparison.new_cases,
            "missing_cases": comparison.missing_cases,
        },
        "baseline_updated": report.baseline_updated,
    }
    return json.dumps(data, indent=2) + "\n"


def render_report(report: EvalReport, fmt: ReportFormat = "text") -> str:
    """The report as ``text`` (terminal), ``md`` (pull-request comment) or ``json``."""
    if fmt == "md":
        return _markdown(report)
    if fmt == "json":
        return _json(report)
    return _text(report)


def render_estimate(estimate: RunEstimate, fmt: ReportFormat = "text") -> str:
    """What a run would spend, before spending anything."""
    cost = "unknown (no price for this model)" if estimate.cost_usd is None \
        else f"${estimate.cost_usd:.4f}"
    if fmt == "json":
        data = estimate.model_dump(mode="json")
        data.update(calls=estimate.calls, cached_calls=estimate.cached_calls,
                    prompt_tokens=estimate.prompt_tokens,
                    completion_tokens=estimate.completion_tokens, cost_usd=estimate.cost_usd)
        return json.dumps(data, indent=2) + "\n"
    judge = estimate.judge_model or "signals only (no model calls)"
    lines = [
        f"Estimate for suite {estimate.suite_id} ({judge}, {estimate.samples} sample(s) per case)",
        f"cases to evaluate: {len(estimate.cases)} (already finished: {len(estimate.resumed)})",
        f"judge calls: {estimate.calls} (cached: {estimate.cached_calls})",
        f"prompt tokens: {estimate.prompt_tokens}",
        f"expected completion tokens: {estimate.completion_tokens} "
        f"(~{estimate.completion_tokens_per_call} per call)",
        f"expected cost: {cost}",
        f"run folder: {estimate.run_dir}",
    ]
    if fmt == "md":
        return "\n".join(f"- {line}" for line in lines) + "\n"
    return "\n".join(lines) + "\n"
