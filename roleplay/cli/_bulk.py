"""``roleplay evaluate`` over many transcripts: files, folders and globs, in parallel, resumable.

The transcripts go through the one run engine (`roleplay.evals.engine`, as ``roleplay eval``'s
cases do): judge calls share one adaptive limit, replies come from the judge cache when an
earlier run (of either command) judged the same transcript, and with ``--batch`` the calls go
through the endpoint's Batch API first, its state kept in ``--out-dir`` (else under the cache
folder). Each transcript's result is saved as it finishes (``--out-dir``, `FileRecord` per file
in the run store), so a killed run resumes where it stopped; the verdicts of all of them go to
one JSONL or CSV file for spreadsheets and dashboards, and a summary table closes the run.
"""

from __future__ import annotations

import csv
import glob
import hashlib
import io
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from roleplay.cache import default_cache_dir
from roleplay.errors import ConfigError
from roleplay.evals.batch import BatchReport
from roleplay.evals.engine import Item, ItemResult, ManyResult, evaluate_many
from roleplay.evals.options import RunOptions
from roleplay.evals.records import FileRecord
from roleplay.evals.store import RecordFolder
from roleplay.evaluate import Evaluation, Evaluator
from roleplay.report import overall_view
from roleplay.transcript import Transcript

__all__ = ["BulkItem", "BulkRun", "expand_inputs", "is_bulk", "run_bulk"]

# What a folder is searched for: every format the importers read.
SUFFIXES = (".json", ".txt", ".vtt", ".srt", ".wav", ".mp3", ".m4a", ".webm")
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


def _earlier(folder: RecordFolder[FileRecord], key: str, digest: str,
             fingerprint: str) -> Evaluation | None:
    """An earlier run's evaluation of the same bytes with the same evaluator, else ``None``."""
    record = folder.load(key, lambda r: (r.sha256 == digest and r.fingerprint == fingerprint
                                         and r.evaluation is not None))
    if record is None:
        return None
    try:
        return Evaluation.model_validate(record.evaluation)
    except ValidationError:
        # Written by another version: evaluate again rather than trust it.
        return None


@dataclass
class BulkRun:
    """A bulk run: every file and what became of it, and what the engine did."""

    items: list[BulkItem]
    """Every input file, in input order."""
    many: ManyResult
    """The engine's account of the files evaluated now (limit, batch, usage)."""

    @property
    def batch(self) -> BatchReport | None:
        """What batch mode did, when it was on."""
        return self.many.batch

    def notes(self) -> list[str]:
        """Lines for the end of the run."""
        out = [self.many.batch.summary()] if self.many.batch is not None else []
        return [*out, f"concurrency: {self.many.concurrency()}"]


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
    options: RunOptions | None = None,
    *,
    out_dir: Path | None = None,
) -> BulkRun:
    """Evaluate every file with `roleplay.evals.engine.evaluate_many`, saving each as it ends.

    ``options`` paces the judge calls (concurrency, limiter, batch, progress); its ``resume``
    reuses the results in ``out_dir`` of files whose bytes and evaluator are unchanged. A file
    that cannot be read or evaluated is recorded with its error and the run goes on; a
    configuration error or an empty quota (`roleplay.evals.engine.is_fatal`) stops it, with
    every finished result kept. ``evaluator`` is not changed (the run wraps a copy).
    """
    options = options or RunOptions()
    items = [BulkItem(f, k) for f, k in zip(files, _keys(files), strict=True)]
    fingerprint = evaluator.fingerprint
    digests = {item.key: _digest(item.file) for item in items}
    folder = RecordFolder(out_dir, FileRecord) if out_dir is not None else None
    pending: list[BulkItem] = []
    for item in items:
        if options.resume and folder is not None:
            item.evaluation = _earlier(folder, item.key, digests[item.key], fingerprint)
            item.reused = item.evaluation is not None
        if not item.reused:
            pending.append(item)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    by_key = {item.key: item for item in items}

    def keep(result: ItemResult) -> None:
        item = by_key[result.key]
        item.evaluation, item.error = result.evaluation, result.error
        if folder is not None:
            folder.save(item.key, FileRecord(
                file=str(item.file), sha256=digests[item.key], fingerprint=fingerprint,
                error=item.error, evaluation=None if item.evaluation is None
                else item.evaluation.model_dump(mode="json")))

    def loader(path: Path) -> Callable[[], Transcript]:
        return lambda: read(path)

    many = evaluate_many(
        [Item(item.key, loader(item.file)) for item in pending], evaluator,
        options.pacing(options.make_limiter()), on_result=keep,
        batch_dir=_batch_dir(out_dir, fingerprint, digests), label="evaluate",
        finished_earlier=len(items) - len(pending))
    return BulkRun(items, many)


# --- outputs ----------------------------------------------------------------------------------

def _criteria(items: Sequence[BulkItem]) -> list[str]:
    for item in items:
        if item.evaluation is not None:
            return [c.id for c in item.evaluation.criteria]
    return []


def _delivery_columns(e: Evaluation | None) -> dict[str, object]:
    """The delivery figures of one evaluation as CSV cells (empty without turn times)."""
    d = e.signals.delivery if e is not None else None
    if d is None:
        return dict.fromkeys(_DELIVERY_COLUMNS)
    pauses = [a.pause for a in d.answers if a.pause is not None]
    minutes = sum(a.seconds for a in d.answers) / 60
    fillers = sum(a.fillers or 0 for a in d.answers)
    return {
        "candidate_seconds": d.candidate_seconds, "interviewer_seconds": d.interviewer_seconds,
        "talk_time_share": d.talk_time_share, "words_per_minute": d.wpm(),
        "mean_pause_seconds": round(sum(pauses) / len(pauses), 2) if pauses else None,
        "fillers_per_minute": round(fillers / minutes, 1)
        if d.fillers_kept and minutes > 0 else None,
        # Each answer with its turns: "T2 30s 68wpm pause 1.5s 6.0f/min; T4 ...".
        "answer_delivery": "; ".join(
            f"{a.span()} {a.seconds:.0f}s"
            + (f" {a.wpm:.0f}wpm" if a.wpm is not None else "")
            + (f" pause {a.pause:.1f}s" if a.pause is not None else "")
            + (f" {a.fillers_per_minute:.1f}f/min" if a.fillers_per_minute is not None else "")
            for a in d.answers),
    }


_DELIVERY_COLUMNS = ("candidate_seconds", "interviewer_seconds", "talk_time_share",
                     "words_per_minute", "mean_pause_seconds", "fillers_per_minute",
                     "answer_delivery")


def _rows(items: Sequence[BulkItem]) -> Iterator[dict[str, object]]:
    criteria = _criteria(items)
    # Delivery columns appear when any transcript carries times (recordings, caption files).
    timed = any(i.evaluation is not None and i.evaluation.signals.delivery is not None
                for i in items)
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
        if timed:
            row.update(_delivery_columns(e))
        yield row


def to_csv(items: Sequence[BulkItem]) -> str:
    """One row per transcript: totals, each criterion's score and status, then delivery.

    The delivery columns (speaking times, talk-time share, pace, mean pause, fillers per
    minute, and each answer's figures with its turns) appear when any transcript has times.
    """
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
