"""``roleplay evaluate`` over many transcripts: files, folders and globs, in parallel, resumable.

Each transcript's result is saved as it finishes (``--out-dir``), so a killed run resumes where
it stopped; the verdicts of all of them go to one JSONL or CSV file for spreadsheets and
dashboards, and a summary table closes the run. Judge calls share one adaptive limit
(`roleplay.llm._limiter`); with ``--batch`` they go through the endpoint's Batch API first
(`roleplay.evals.batch`), the batch's state kept in ``--out-dir`` (else under the cache folder).
"""

from __future__ import annotations

import asyncio
import csv
import glob
import hashlib
import io
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from roleplay.cache import default_cache_dir
from roleplay.errors import ConfigError, QuotaExceededError, RoleplayError, TranscriptError
from roleplay.evals.batch import (
    BatchCapable,
    BatchModel,
    BatchOptions,
    BatchReport,
    BatchRouter,
    finish,
    run_batch,
)
from roleplay.evals.progress import ProgressBar
from roleplay.evaluate import Evaluation, Evaluator
from roleplay.llm._limiter import AdaptiveLimiter, attach
from roleplay.llm.wrapper import unwrap
from roleplay.report import overall_view
from roleplay.transcript import Transcript, atomic_write

__all__ = ["BulkItem", "BulkRun", "expand_inputs", "is_bulk", "run_bulk"]

# What a folder is searched for: every format the importers read.
SUFFIXES = (".json", ".txt", ".vtt", ".srt")
_GLOB_CHARS = frozenset("*?[")


def is_bulk(inputs: Sequence[str]) -> bool:
    """More than one input, a folder or a glob: the bulk path, not one report."""
    if len(inputs) != 1:
        return True
    only = inputs[0]
    return Path(only).is_dir() or (not Path(only).exists() and bool(_GLOB_CHARS & set(only)))


def expand_inputs(inputs: Sequence[str]) -> list[Path]:
    """Files named, files in named folders (by suffix), and glob matches; sorted, no repeats.

    Raises:
        ConfigError: an input matches nothing, naming it.
    """
    found: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            matches = sorted(p for p in path.iterdir()
                             if p.is_file() and p.suffix.lower() in SUFFIXES)
        elif path.exists():
            matches = [path]
        else:
            matches = sorted(Path(p) for p in glob.glob(item, recursive=True) if Path(p).is_file())
        if not matches:
            raise ConfigError(f"no transcript files match {item!r} (folders are searched for "
                              f"{', '.join(SUFFIXES)})", field="TRANSCRIPT")
        found += matches
    seen: set[Path] = set()
    unique = []
    for p in found:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


@dataclass
class BulkItem:
    """One input file and what became of it."""

    file: Path
    key: str
    """The name of its result file in ``--out-dir`` (the file's stem, made unique)."""
    evaluation: Evaluation | None = None
    error: str | None = None
    reused: bool = False
    """Taken from an earlier run's result file instead of being evaluated again."""

    def record(self, digest: str, fingerprint: str) -> dict[str, Any]:
        return {"file": str(self.file), "sha256": digest, "fingerprint": fingerprint,
                "error": self.error,
                "evaluation": None if self.evaluation is None
                else self.evaluation.model_dump(mode="json")}


def _keys(files: Sequence[Path]) -> list[str]:
    used: dict[str, int] = {}
    keys = []
    for f in files:
        n = used.get(f.stem, 0) + 1
        used[f.stem] = n
        keys.append(f.stem if n == 1 else f"{f.stem}-{n}")
    return keys


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _load_earlier(path: Path, digest: str, fingerprint: str) -> Evaluation | None:
    """An earlier run's evaluation of the same bytes with the same evaluator, else ``None``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if (data.get("sha256") != digest or data.get("fingerprint") != fingerprint
                or data.get("evaluation") is None):
            return None
        return Evaluation.model_validate(data["evaluation"])
    except (OSError, ValueError):
        # A half-written or foreign file: evaluate again rather than trust it.
        return None


@dataclass
class BulkRun:
    """What a bulk run did besides its items: the limit it ended at and the batch, if any."""

    limiter: AdaptiveLimiter
    batch: BatchReport | None = None

    def notes(self) -> list[str]:
        """Lines for the end of the run."""
        out = [self.batch.summary()] if self.batch is not None else []
        lim = self.limiter
        return [*out, f"concurrency: {lim.describe()} (peak {lim.peak}, halved {lim.decreases} "
                      f"time(s), {lim.overloads} 429/timeout(s))"]


def _batch_dir(out_dir: Path | None, fingerprint: str, digests: dict[str, str]) -> Path:
    if out_dir is not None:
        return out_dir
    # Without --out-dir the batch state needs a stable home: one per evaluator and file set.
    key = hashlib.sha256(json.dumps([fingerprint, sorted(digests.values())]).encode())
    return default_cache_dir() / "batches" / key.hexdigest()[:16]


def run_bulk(
    files: Sequence[Path],
    evaluator: Evaluator,
    read: Callable[[Path], Transcript],
    *,
    out_dir: Path | None,
    concurrency: int,
    resume: bool = True,
    limiter: AdaptiveLimiter | None = None,
    batch: BatchOptions | None = None,
    run: BulkRun | None = None,
) -> list[BulkItem]:
    """Evaluate every file, saving each result as it finishes.

    Judge calls share ``limiter`` (default: an adaptive one starting at ``concurrency``).
    With ``batch``, the first judge call of each transcript goes through the endpoint's Batch
    API; failed or unrun lines and re-asks are made live. A file that cannot be read or
    evaluated is recorded with its error and the run goes on; a configuration error or an
    empty quota (which would fail every file alike) stops it, with every finished result kept.
    ``run``, when given, receives the limiter and the batch report.
    """
    items = [BulkItem(f, k) for f, k in zip(files, _keys(files), strict=True)]
    fingerprint = evaluator.fingerprint
    digests = {item.key: _digest(item.file) for item in items}
    pending: list[BulkItem] = []
    for item in items:
        earlier = out_dir / f"{item.key}.json" if out_dir is not None else None
        if resume and earlier is not None and earlier.is_file():
            item.evaluation = _load_earlier(earlier, digests[item.key], fingerprint)
            item.reused = item.evaluation is not None
        if not item.reused:
            pending.append(item)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    limiter = limiter or AdaptiveLimiter(concurrency)
    if run is not None:
        run.limiter = limiter
    judged = evaluator.judge_model is not None and not evaluator.signals_only
    live = evaluator.judge_model
    try:
        if judged and live is not None:
            evaluator.judge_model = attach(live, limiter)
        return _run(items, pending, evaluator, read, out_dir, digests, limiter, batch, run)
    finally:
        # The run's wrappers (limiter, batch replies) belong to this run only.
        evaluator.judge_model = live


def _run(items: list[BulkItem], pending: list[BulkItem], evaluator: Evaluator,
         read: Callable[[Path], Transcript], out_dir: Path | None, digests: dict[str, str],
         limiter: AdaptiveLimiter, batch: BatchOptions | None,
         run: BulkRun | None) -> list[BulkItem]:
    fingerprint = evaluator.fingerprint
    judged = evaluator.judge_model is not None and not evaluator.signals_only
    live = unwrap(evaluator.judge_model)
    router: BatchRouter | None = None
    batch_dir = _batch_dir(out_dir, fingerprint, digests)
    if batch is not None and judged and pending and evaluator.judge_model is not None:
        if not isinstance(live, BatchCapable):
            raise ConfigError("--batch needs the OpenAI-compatible judge model (a Files and "
                              f"Batch API); {type(live).__name__} has none")
        router = BatchRouter(live)
        evaluator.judge_model = BatchModel(evaluator.judge_model, router)
        readable = []
        for item in pending:
            try:
                readable.append((item.key, read(item.file)))
            except RoleplayError:
                pass  # the live pass records the error for this file
        report = asyncio.run(run_batch(router, readable, evaluator.aevaluate, batch_dir, batch,
                                       "evaluate"))
        if run is not None:
            run.batch = report
    failed = 0

    def status() -> str:
        return f"{_failures(failed)}, {limiter.describe()}"

    bar = ProgressBar("evaluate", len(items), done=len(items) - len(pending), status=status())
    limiter.on_change = lambda _limit: bar.set_status(status())

    def one(item: BulkItem) -> None:
        try:
            item.evaluation = evaluator.evaluate(read(item.file))
        except RoleplayError as exc:
            if isinstance(exc, (ConfigError, QuotaExceededError)) and not isinstance(
                    exc, TranscriptError):
                raise
            item.error = f"{type(exc).__name__}: {exc}"
        if out_dir is not None:
            atomic_write(out_dir / f"{item.key}.json",
                         json.dumps(item.record(digests[item.key], fingerprint), indent=2,
                                    ensure_ascii=False) + "\n")

    with bar.context():
        # Files wait for a slot of the limiter, so there are as many threads as it may allow.
        with ThreadPoolExecutor(max_workers=max(1, limiter.maximum),
                                thread_name_prefix="evaluate") as pool:
            futures = {pool.submit(one, item): item for item in pending}
            try:
                for future in as_completed(futures):
                    future.result()
                    failed += futures[future].error is not None
                    bar.advance(status())
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
    if router is not None:
        finish(batch_dir)
        if run is not None and run.batch is not None:
            run.batch.live_calls = router.live_calls
    return items


def _failures(n: int) -> str:
    return f"failed {n}"


# --- outputs ----------------------------------------------------------------------------------

def _criteria(items: Sequence[BulkItem]) -> list[str]:
    for item in items:
        if item.evaluation is not None:
            return [c.id for c in item.evaluation.criteria]
    return []


def _rows(items: Sequence[BulkItem]) -> Iterator[dict[str, object]]:
    criteria = _criteria(items)
    for item in items:
        e = item.evaluation
        # Shown only over most applicable criteria scored, as in every report.
        shown = overall_view(e) if e else None
        row: dict[str, object] = {
            "file": str(item.file), "transcript_id": e.transcript_id if e else "",
            "mode": e.mode if e else "", "overall": shown.score if shown else None,
            "passed": shown.passed if shown else None,
            "judge_calls": e.judge_calls if e else 0,
            "cached_tokens": e.usage.cached_tokens if e else 0,
            "cost_usd": e.cost_usd if e else None, "error": item.error or "",
        }
        by_id = {c.id: c for c in e.criteria} if e else {}
        for cid in criteria:
            result = by_id.get(cid)
            row[cid] = result.score if result else None
            row[f"{cid}_status"] = result.status if result else ""
        yield row


def to_csv(items: Sequence[BulkItem]) -> str:
    """One row per transcript: totals, then each criterion's score and status."""
    rows = list(_rows(items))
    buf = io.StringIO()
    if rows:
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buf.getvalue()


def to_jsonl(items: Sequence[BulkItem]) -> str:
    """One JSON object per transcript: the file, any error, and the whole evaluation."""
    lines = []
    for item in items:
        lines.append(json.dumps({
            "file": str(item.file), "error": item.error,
            "evaluation": None if item.evaluation is None
            else item.evaluation.model_dump(mode="json"),
        }, ensure_ascii=False))
    return "".join(line + "\n" for line in lines)


def print_summary(items: Sequence[BulkItem], *, file: Any = None) -> None:
    """The closing table: each transcript's overall score and criteria, then the totals."""
    from rich.console import Console
    from rich.table import Table

    console = Console(file=file or sys.stdout, width=160)
    criteria = _criteria(items)
    table = Table(title=f"{len(items)} transcripts")
    table.add_column("Transcript")
    table.add_column("Overall", justify="right")
    table.add_column("Passed")
    for cid in criteria:
        table.add_column(cid, justify="right")
    for item, row in zip(items, _rows(items), strict=True):
        if item.error:
            table.add_row(item.file.name, "", "error", *["" for _ in criteria])
            continue
        overall, passed = row["overall"], row["passed"]
        table.add_row(item.file.name, "" if overall is None else f"{overall:.2f}",
                      "yes" if passed is True else "no" if passed is False else "-",
                      *[_cell(row[cid]) for cid in criteria])
    console.print(table)
    done = [i for i in items if i.evaluation is not None]
    passed = sum(1 for i in done if i.evaluation is not None and overall_view(i.evaluation).passed)
    reused = sum(i.reused for i in items)
    console.print(f"{len(done)} evaluated ({reused} from an earlier run), {passed} passed, "
                  f"{len(items) - len(done)} failed")
    for item in items:
        if item.error:
            console.print(f"  {item.file}: {item.error}", markup=False)


def _cell(value: object) -> str:
    return "-" if value is None else str(value)
