"""Browse eval run folders: per-criterion agreement, the flip report, each case's verdicts.

A run folder (kept and listed by `roleplay.evals.store.RunStore`, written by
`roleplay.evals.arun_suite`) holds the verdicts; its suite holds the labels and transcripts. The
suite is the one the run folder's ``suite.json`` names; for folders without one (older runs), or
when it has moved, the suite with the run's id under the suites folder given (``--suites``),
else under ``./evals`` or an ``evals`` folder beside the runs folder. The statistics come from
`roleplay.evals.stats`, the thresholds and the baseline comparison from
`roleplay.evals.build_report`: nothing is recomputed here but the pairing of saved verdicts with
labels. Run and case names in URLs are looked up in the listing, never joined onto a path.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from roleplay.errors import ConfigError
from roleplay.evals import (
    CaseRecord,
    EvalReport,
    EvalSuite,
    Mode,
    SuiteResult,
    build_report,
    load_baseline,
    load_suite,
)
from roleplay.evals.agreement import measure_agreement
from roleplay.evals.render import cache_versions
from roleplay.evals.stats import JudgeVerdict, LabelVerdict
from roleplay.evals.store import RunFolder, RunInfo, RunStore
from roleplay.evaluate import Evaluation
from roleplay.rubric import load_rubric
from roleplay.web.views import esc, page, transcript_html

__all__ = ["Run", "find_runs", "find_suite", "load_run", "missing_suite", "routes"]

_STATS = (("n", "n"), ("accuracy", "acc"), ("pass_kappa", "κ pass"), ("kappa", "κ weighted"),
          ("alpha", "α"), ("mae", "MAE"), ("msd", "MSD"), ("exact", "exact"))


Run = RunInfo
"""One run folder and what it was a run of (`roleplay.evals.store.RunInfo`)."""


def find_runs(runs_dir: Path) -> list[Run]:
    """Every run folder in ``runs_dir`` (or ``runs_dir`` itself when it is one)."""
    return RunStore(runs_dir).runs()


def _suites(suites_dir: Path) -> dict[str, EvalSuite]:
    out: dict[str, EvalSuite] = {}
    paths = [suites_dir / "suite.yaml", *sorted(suites_dir.glob("*/suite.yaml"))] \
        if suites_dir.is_dir() else []
    for path in paths:
        if not path.is_file():
            continue
        try:
            suite = load_suite(path)
        except ConfigError:
            continue
        out.setdefault(suite.id, suite)
    return out


def _noted_suite(run: Run) -> EvalSuite | None:
    note = RunFolder(run.path).note()
    if note is None:
        return None
    try:
        suite = load_suite(Path(note.suite_dir))
    except (OSError, ValueError, ConfigError):
        return None
    return suite if suite.id == run.suite_id else None


def _suite_folders(run: Run, suites_dir: Path | None) -> Iterator[Path]:
    if suites_dir is not None:
        yield suites_dir
        return
    yield Path("evals")
    # Runs usually live in the project's cache (<project>/.roleplay-cache/runs/<run>).
    for parent in list(run.path.resolve().parents)[:4]:
        yield parent / "evals"


def find_suite(run: Run, suites_dir: Path | None = None) -> EvalSuite | None:
    """The suite ``run`` ran: the one its folder notes, else by id (see the module docstring)."""
    noted = _noted_suite(run)
    if noted is not None:
        return noted
    for folder in _suite_folders(run, suites_dir):
        found = _suites(folder).get(run.suite_id)
        if found is not None:
            return found
    return None


def missing_suite(run: Run, suites_dir: Path | None) -> str:
    """Why a run's suite was not found, naming the flag that fixes it."""
    where = f"under {suites_dir}" if suites_dir is not None else \
        "under ./evals or an evals folder beside the runs folder"
    return (f"The suite {run.suite_id!r} of run {run.name} was not found: the run folder does "
            f"not say where it is (or it has moved), and no suite with that id is {where}. "
            "Pass --suites DIR, the folder holding the suite's folder (e.g. --suites evals), "
            "to roleplay serve.")


def load_run(run: Run, suite: EvalSuite) -> EvalReport:
    """The run's `SuiteResult` from its saved records, with thresholds and baseline checked.

    Raises:
        ConfigError: the suite's rubric or baseline cannot be read.
    """
    records: dict[str, CaseRecord] = RunFolder(run.path).records()
    rubric = load_rubric(suite.rubric_ref())
    thresholds = {c.id: c.pass_threshold for c in rubric.criteria}
    measured = measure_agreement(suite.cases, records, thresholds)
    first = next(iter(records.values()), None)
    mode: Mode = run.mode
    result = SuiteResult(
        suite_id=suite.id, mode=mode, fingerprint=first.fingerprint if first else "",
        rubric_id=rubric.id, rubric_version=rubric.version,
        judge_model=(first.evaluation or {}).get("judge_model") if first else None,
        samples=run.samples, run_dir=run.path, criteria=list(thresholds), thresholds=thresholds,
        records=records, labels=measured.labels,
        failed={c.id: "no record in the run folder" for c in suite.cases if c.id not in records},
        stats=measured.stats, overall=measured.overall, case_agreement=measured.case_agreement,
    )
    config = suite.config.mode(mode)
    path = suite.baseline_path(mode)
    return build_report(result, config.thresholds, config.tolerance, path,
                        baseline=load_baseline(path))


def _num(value: object) -> str:
    return "–" if value is None else f"{value:.2f}" if isinstance(value, float) else str(value)


def _verdict(v: JudgeVerdict | LabelVerdict) -> str:
    if v.verdict in ("na", "none"):
        return v.verdict if isinstance(v, LabelVerdict) else (getattr(v, "status", "") or "none")
    return f"{v.verdict} ({v.score})" if v.score is not None else v.verdict


def _run_page(run: Run, report: EvalReport, *, demo: bool) -> str:
    r = report.result
    head = "".join(f"<th>{esc(label)}</th>" for _, label in _STATS)
    rows = "".join(
        f"<tr><td>{esc(k)}</td>"
        + "".join(f"<td>{esc(_num(getattr(s, attr)))}</td>" for attr, _ in _STATS) + "</tr>"
        for k, s in [*r.stats.items(), ("overall", r.overall)])
    problems = "".join(f"<li>{esc(f)}</li>" for f in report.failures + report.notes)
    if report.comparison is None:
        flips = "<p>No baseline to compare with, so there is no flip report.</p>"
    elif not report.comparison.flips:
        flips = f"<p>No flips against {esc(report.baseline_path.name)}.</p>"
    else:
        flips = ("<table><thead><tr><th>Case</th><th>Criterion</th><th>Kind</th><th>Baseline</th>"
                 "<th>Now</th><th>Label</th><th>Effect</th></tr></thead><tbody>" + "".join(
                     f'<tr><td><a href="/runs/{esc(run.name)}/{esc(f.case_id)}">'
                     f"{esc(f.case_id)}</a></td><td>{esc(f.criterion)}</td><td>{esc(f.kind)}</td>"
                     f"<td>{esc(_verdict(f.old.as_judge()))}</td>"
                     f"<td>{esc(_verdict(f.new.as_judge()))}</td>"
                     f"<td>{esc(_verdict(f.label))}</td><td>{esc(f.effect)}</td></tr>"
                     for f in report.comparison.flips) + "</tbody></table>")
    cases = "".join(f'<li><a href="/runs/{esc(run.name)}/{esc(c)}">{esc(c)}</a> '
                    f"<span class=\"muted\">agreement {a:.0%}</span></li>"
                    for c, a in r.case_agreement.items())
    other = cache_versions(r)
    body = (f"<h1>Run {esc(run.name)}</h1><p>Suite <strong>{esc(r.suite_id)}</strong>, "
            f"{'signals only' if run.signals_only else 'judge ' + esc(r.judge_model or '?')}, "
            f"rubric {esc(r.rubric_id)} {esc(r.rubric_version or '')}; "
            f"{'PASS' if report.ok else 'FAIL'}"
            + (f"; cached replies from other versions: {esc(', '.join(other))}" if other else "")
            + f"</p>{'<ul>' + problems + '</ul>' if problems else ''}"
            f"<h2>Agreement per criterion</h2><table><thead><tr><th>Criterion</th>{head}</tr>"
            f"</thead><tbody>{rows}</tbody></table><h2>Flip report</h2>{flips}"
            f"<h2>Cases</h2><ul>{cases}</ul>")
    return page(f"Run {run.name}", body, demo=demo)


def _case_page(run: Run, report: EvalReport, suite: EvalSuite, case_id: str, *,
               demo: bool) -> str:
    case = next(c for c in suite.cases if c.id == case_id)
    record = report.result.records.get(case_id)
    evaluation = None
    if record is not None and record.evaluation:
        try:
            evaluation = Evaluation.model_validate(record.evaluation)
        except ValidationError:
            evaluation = None
    rows = "".join(
        f"<tr><td>{esc(k)}</td><td>{esc(_verdict(report.result.verdict(case_id, k)))}</td>"
        f"<td>{esc(_verdict(report.result.labels[case_id][k]))}</td>"
        f"<td>{esc(case.labels[k].rationale if k in case.labels else '')}</td></tr>"
        for k in report.result.criteria)
    names = {"interviewer": "Interviewer", "candidate": "Candidate"}
    body = (f'<p><a href="/runs/{esc(run.name)}">← {esc(run.name)}</a></p>'
            f"<h1>{esc(case_id)}</h1><p>{esc(case.spec.description)}</p>"
            "<table><thead><tr><th>Criterion</th><th>Verdict</th><th>Label</th>"
            f"<th>Label rationale</th></tr></thead><tbody>{rows}</tbody></table>"
            f"<h2>Transcript</h2>{transcript_html(case.transcript.turns, evaluation, names=names)}")
    return page(case_id, body, demo=demo)


def routes(runs_dir: Path, suites_dir: Path | None, *, demo: bool,
           headers: dict[str, str]) -> list[Route]:
    """The ``/runs`` pages; ``suites_dir`` is the ``--suites`` folder, if one was given."""

    def html(text: str, status: int = 200) -> HTMLResponse:
        return HTMLResponse(text, status_code=status, headers=headers)

    def missing(what: str) -> HTMLResponse:
        return html(page("Not found", f"<h1>Not found</h1><p>{esc(what)}</p>", demo=demo), 404)

    def lookup(request: Request) -> tuple[Run, EvalSuite | None] | None:
        run = next((r for r in find_runs(runs_dir) if r.name == request.path_params["run"]), None)
        return (run, find_suite(run, suites_dir)) if run else None

    async def index(request: Request) -> Response:  # noqa: ARG001
        found = find_runs(runs_dir)
        items = "".join(
            f'<li><a href="/runs/{esc(r.name)}">{esc(r.name)}</a>'
            + ("" if find_suite(r, suites_dir) else
               f' <span class="muted">(suite {esc(r.suite_id)} not found: pass --suites)</span>')
            + "</li>" for r in found)
        body = (f"<h1>Eval runs</h1><p>{len(found)} run folder(s) in {esc(runs_dir)}.</p>"
                f"<ul>{items}</ul>")
        return html(page("Eval runs", body, demo=demo))

    async def one(request: Request) -> Response:
        hit = lookup(request)
        if hit is None:
            return missing(f"No run folder {request.path_params['run']!r} in {runs_dir}.")
        run, suite = hit
        if suite is None:
            return missing(missing_suite(run, suites_dir))
        return html(_run_page(run, load_run(run, suite), demo=demo))

    async def case(request: Request) -> Response:
        hit = lookup(request)
        case_id = request.path_params["case"]
        if hit is None:
            return missing(f"No run folder {request.path_params['run']!r} in {runs_dir}.")
        run, suite = hit
        if suite is None:
            return missing(missing_suite(run, suites_dir))
        if not any(c.id == case_id for c in suite.cases):
            return missing("No such case in this run.")
        return html(_case_page(run, load_run(run, suite), suite, case_id, demo=demo))

    return [Route("/runs", index), Route("/runs/{run}", one), Route("/runs/{run}/{case}", case)]
