"""The run store: where judged results are kept, one record file per case or transcript.

Two kinds of folder hold records, and both are written and read here only:

- **Run folders** of eval suites, under a runs folder (default ``<cache dir>/runs``):
  ``<suite>-<judge|signals>-<fingerprint[:12]>[-k<samples>]/`` holding ``cases/<case>.json``
  (`CaseRecord`) and ``suite.json`` (`RunSuiteNote`: the suite, its folder, the mode and the
  samples), so `RunStore.runs` lists them for ``roleplay serve --runs``.
- **Result folders** of bulk ``roleplay evaluate --out-dir``: ``<key>.json`` per transcript
  (`FileRecord`).

Every record is written atomically as it finishes, so a crash loses nothing; a record that is
unreadable, or judged other bytes or with another evaluator, is ignored (and judged again).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

from roleplay.evals.records import SUITE_NOTE, CaseRecord, RunSuiteNote
from roleplay.evals.suite import Mode
from roleplay.transcript import atomic_write

__all__ = ["RecordFolder", "RunFolder", "RunInfo", "RunStore", "run_folder_name"]

log = logging.getLogger(__name__)

_R = TypeVar("_R", bound=BaseModel)
# Run folders made before suite.json named their mode and samples are known by name alone.
_NAME = re.compile(r"^(?P<suite>.+)-(?P<mode>judge|signals)-[0-9a-f]{12}(?:-k(?P<k>\d+))?$")


def run_folder_name(suite_id: str, mode: Mode, fingerprint: str, samples: int) -> str:
    """The run folder's name: suite, mode, evaluator fingerprint and (above 1) samples."""
    tag = "signals" if mode == "signals_only" else "judge"
    suffix = f"-k{samples}" if samples > 1 else ""
    return f"{suite_id}-{tag}-{fingerprint[:12]}{suffix}"


class RecordFolder(Generic[_R]):
    """A folder of ``<key>.json`` records of one pydantic type, written atomically."""

    def __init__(self, path: Path, record_type: type[_R]) -> None:
        self.path = path
        self.record_type = record_type

    def file(self, key: str) -> Path:
        """Where the record of ``key`` is kept."""
        return self.path / f"{key}.json"

    def load(self, key: str, valid: Callable[[_R], bool] = lambda _r: True) -> _R | None:
        """The record of ``key`` when it is readable and ``valid``, else ``None``."""
        path = self.file(key)
        if not path.is_file():
            return None
        try:
            record = self.record_type.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, ValidationError) as exc:
            # A half-written or foreign file: judge again rather than trust it.
            log.warning("ignoring unreadable record %s: %s", path, exc)
            return None
        return record if valid(record) else None

    def save(self, key: str, record: _R) -> None:
        """Write ``record`` as ``<key>.json`` (atomically; folders are created)."""
        atomic_write(self.file(key), record.model_dump_json(indent=2) + "\n")

    def all(self) -> Iterator[_R]:
        """Every readable record, in file-name order (unreadable ones are skipped)."""
        for path in sorted(self.path.glob("*.json")) if self.path.is_dir() else []:
            try:
                yield self.record_type.model_validate_json(path.read_text(encoding="utf-8"))
            except (OSError, ValueError, ValidationError):
                continue


@dataclass(frozen=True)
class RunInfo:
    """One run folder and what it was a run of."""

    name: str
    """The folder name."""
    path: Path
    """The folder."""
    suite_id: str
    """The suite."""
    signals_only: bool
    """A signals-only run."""
    samples: int
    """Judge samples per case."""

    @property
    def mode(self) -> Mode:
        """``judge`` or ``signals_only``."""
        return "signals_only" if self.signals_only else "judge"


class RunFolder:
    """One suite run's folder: its case records and the note naming its suite."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.cases: RecordFolder[CaseRecord] = RecordFolder(path / "cases", CaseRecord)

    def load(self, case_id: str, transcript_digest: str, fingerprint: str) -> CaseRecord | None:
        """The finished record of ``case_id``, else ``None``.

        ``None`` too when its transcript or evaluator changed or a criterion ended in a judge
        error: such a case is judged again.
        """
        return self.cases.load(case_id, lambda r: (
            r.transcript_digest == transcript_digest and r.fingerprint == fingerprint
            and not r.has_errors))

    def save(self, record: CaseRecord, note: RunSuiteNote) -> None:
        """Keep ``record``; the first one also writes ``note`` (`SUITE_NOTE`)."""
        self.cases.save(record.case_id, record)
        path = self.path / SUITE_NOTE
        if not path.exists():
            atomic_write(path, note.model_dump_json(indent=2))

    def note(self) -> RunSuiteNote | None:
        """The folder's suite note, when it has a readable one."""
        try:
            return RunSuiteNote.model_validate_json((self.path / SUITE_NOTE).read_text("utf-8"))
        except (OSError, ValueError):
            return None

    def records(self) -> dict[str, CaseRecord]:
        """Every readable case record, by case id."""
        return {r.case_id: r for r in self.cases.all()}

    def info(self) -> RunInfo | None:
        """What the folder is a run of: from its note, else its name; ``None`` for neither."""
        note = self.note()
        if note is not None and note.mode is not None:
            return RunInfo(self.path.name, self.path, note.suite_id,
                           note.mode == "signals_only", note.samples or 1)
        found = _NAME.match(self.path.name)
        if found is None:
            return None
        return RunInfo(self.path.name, self.path, found["suite"], found["mode"] == "signals",
                       int(found["k"] or 1))


class RunStore:
    """The run folders under one runs folder (default ``<cache dir>/runs``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, suite_id: str, mode: Mode, fingerprint: str, samples: int) -> RunFolder:
        """The run folder of this suite, mode, evaluator and sample count."""
        return RunFolder(self.root / run_folder_name(suite_id, mode, fingerprint, samples))

    def runs(self) -> list[RunInfo]:
        """Every run folder, by name (``root`` itself when it is a run folder)."""
        if (self.root / "cases").is_dir():
            folders = [self.root]
        elif self.root.is_dir():
            folders = sorted(p for p in self.root.iterdir() if (p / "cases").is_dir())
        else:
            folders = []
        return [info for f in folders if (info := RunFolder(f).info()) is not None]
