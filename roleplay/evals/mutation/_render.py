"""A mutation report as text, Markdown or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence

from roleplay.evals.mutation._results import CheckResult, MutationReport
from roleplay.evals.mutation._types import (
    MutationFormat,
    Outcome,
)

__all__ = ["render_mutation"]


_MARK: dict[Outcome, str] = {"met": "ok", "missed": "MISSED", "excused": "n/a",
                             "undecided": "?"}


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _runs(outcomes: Sequence[Outcome]) -> str:
    return " ".join(_MARK[o] for o in outcomes)


def _detail(check: CheckResult) -> str:
    parts = []
    for r in check.runs:
        shown = f"{r.status} {r.score}" if r.score is not None else r.status
        parts.append(f"{_MARK[r.outcome]} ({shown})")
    return ", ".join(parts)


def _summary(report: MutationReport) -> list[str]:
    decided = [c for c in report.checks if c.pass_k is not None]
    held = sum(bool(c.pass_k) for c in decided)
    undecided = len(report.checks) - len(decided)
    mode = ("signals only" if report.mode == "signals_only"
            else f"judge {report.judge_model or '(unknown model)'}")
    pairs = len({(s.candidate_id, s.persona_id) for s in report.simulations})
    lines = [f"Mutation suite {report.suite_id or '(ad hoc)'} ({mode}), k={report.k}: "
             f"{len(report.simulations)} interviews over {pairs} pairs."]
    lines.append(f"pass^{report.k}: {held}/{len(decided)} decided checks "
                 f"({_pct(report.pass_k_share)}); pass rate {_pct(report.pass_rate)}"
                 + (f"; {undecided} undecided (no verdict in any run)" if undecided else "")
                 + ".")
    decided_orderings = [o for o in report.orderings if o.pass_k is not None]
    lines.append(f"Orderings: {sum(bool(o.pass_k) for o in decided_orderings)}/"
                 f"{len(decided_orderings)} hold in every run.")
    cost = report.cost_usd
    lines.append(f"Spend: {report.usage.total_tokens:,} tokens in {report.usage.calls} calls, "
                 + ("unknown cost." if cost is None else f"${cost:.4f}."))
    return lines


def _text(report: MutationReport) -> str:
    lines = _summary(report)
    if report.failures:
        lines += ["", "Failed checks (expected verdict not met in every run):"]
        for c in report.failures:
            lines.append(f"  {c.candidate_id} x {c.persona_id}: {c.criterion} expected "
                         f"{c.expected}; runs: {_detail(c)}")
    if report.orderings:
        lines += ["", "Orderings:"]
        for o in report.orderings:
            mark = {True: "ok", False: "FAILED", None: "?"}[o.pass_k]
            scores = ", ".join(f"{b} > {w}" for b, w in zip(o.better_scores, o.worse_scores,
                                                            strict=False))
            lines.append(f"  [{mark}] {o.persona_id}: {o.better} > {o.worse} on {o.criterion} "
                         f"({scores})")
    lines += ["", "Per pair (runs per check: ok = met, n/a = excused N/A, ? = undecided):"]
    pairs = list(dict.fromkeys((c.candidate_id, c.persona_id) for c in report.checks))
    for cid, pid in pairs:
        checks = [c for c in report.checks if (c.candidate_id, c.persona_id) == (cid, pid)]
        held = sum(bool(c.pass_k) for c in checks)
        decided = sum(c.pass_k is not None for c in checks)
        lines.append(f"  {cid} x {pid}: {held}/{decided}")
        for c in checks:
            lines.append(f"      {c.criterion:<16} {c.expected:<4}  {_runs(c.outcomes)}")
    lines.append("")
    lines.append("Result: PASS" if report.ok else "Result: FAIL")
    return "\n".join(lines) + "\n"


def _markdown(report: MutationReport) -> str:
    lines = ["## Mutation suite", "", *(f"- {line}" for line in _summary(report)), ""]
    criteria = list(dict.fromkeys(c.criterion for c in report.checks))
    lines.append(f"Each cell: pass^{report.k} (✅ held in every run, ❌ not, – undecided), the "
                 "expected verdict" + ("" if report.k == 1 else ", the pass rate") + ".")
    lines.append("")
    lines.append("| Candidate | Persona | " + " | ".join(f"`{c}`" for c in criteria) + " |")
    lines.append("|---|---|" + "---|" * len(criteria))
    pairs = list(dict.fromkeys((c.candidate_id, c.persona_id) for c in report.checks))
    for cid, pid in pairs:
        cells = []
        for criterion in criteria:
            try:
                check = report.check(cid, pid, criterion)
            except KeyError:
                cells.append("")
                continue
            mark = {True: "✅", False: "❌", None: "–"}[check.pass_k]
            rate = check.pass_rate
            cells.append(f"{mark} {check.expected}" + ("" if rate is None or report.k == 1
                                                        else f" {rate:.0%}"))
        lines.append(f"| {cid} | {pid} | " + " | ".join(cells) + " |")
    if report.orderings:
        lines += ["", "| Persona | Ordering | Held |", "|---|---|---|"]
        for o in report.orderings:
            mark = {True: "✅", False: "❌", None: "–"}[o.pass_k]
            lines.append(f"| {o.persona_id} | {o.better} > {o.worse} ({o.criterion}) | {mark} "
                         f"{_pct(o.pass_rate)} |")
    lines += ["", f"**Result: {'PASS' if report.ok else 'FAIL'}**"]
    return "\n".join(lines) + "\n"


def _json(report: MutationReport) -> str:
    data = report.model_dump(mode="json")
    data["summary"] = {"ok": report.ok, "pass_k_share": report.pass_k_share,
                       "pass_rate": report.pass_rate,
                       "failures": len(report.failures),
                       "ordering_failures": len(report.ordering_failures),
                       "cost_usd": report.cost_usd}
    for check, out in zip(report.checks, data["checks"], strict=True):
        out["pass_k"], out["pass_rate"] = check.pass_k, check.pass_rate
    for ordering, out in zip(report.orderings, data["orderings"], strict=True):
        out["pass_k"], out["pass_rate"] = ordering.pass_k, ordering.pass_rate
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def render_mutation(report: MutationReport, fmt: MutationFormat = "text") -> str:
    """The report as ``text``, ``md`` (a pull-request comment) or ``json``."""
    if fmt == "md":
        return _markdown(report)
    if fmt == "json":
        return _json(report)
    return _text(report)
