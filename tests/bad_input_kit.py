"""The bad-input table's rows and runner, shared by the ``test_bad_inputs_*`` modules.

Each row is one kind of bad input (a file, a YAML document, a flag, an environment variable or
a server reply) given to the real command line, in-process. Every row asserts:

* the exit code;
* a message that names the thing (file, field, flag, variable or endpoint);
* no traceback (an exception escaping ``main`` fails the row);
* nothing lost: every file present before the command is byte-for-byte unchanged after it
  (unless the row is about writing that file), and no model call was made when the row is
  refused before one (the local server counts them).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from roleplay.cli import main
from roleplay.testing import Fault, OpenAICompatServer

MINI = Path(__file__).parent / "data" / "suites" / "mini"

GOOD = ("Interviewer: Hi, thanks for coming in. Tell me about yourself.\n"
        "Candidate: I lead a support team of six at Acme, and we cut the backlog by 80%.\n"
        "Interviewer: What would you change first here?\n"
        "Candidate: I would start with the top ten ticket drivers and the on-call rota.\n")
"""A valid two-speaker transcript."""

Setup = Callable[[Path], None]


@dataclass(frozen=True)
class Row:
    """One kind of bad input and what the command must do with it."""

    id: str
    argv: tuple[str, ...]
    """The command line; ``{tmp}`` is the row's folder, ``{url}`` the local server's base URL."""
    code: int
    """The exit code."""
    says: tuple[str, ...]
    """Text the output must contain (after the same ``{tmp}`` substitution)."""
    files: Mapping[str, str | bytes] = field(default_factory=dict)
    """Files to create first (relative to the row's folder; a name ending in / is a folder)."""
    env: Mapping[str, str | None] = field(default_factory=dict)
    """Environment changes (None removes the variable)."""
    setup: Setup | None = None
    """Anything else to prepare."""
    calls: int | None = 0
    """Chat requests the server may receive (None: not checked)."""
    faults: tuple[Fault, ...] = ()
    """Failures the server answers with, in order."""
    changes: tuple[str, ...] = ()
    """Files the command may write or change (relative names)."""


def copy_suite(name: str = "suite") -> Setup:
    """Prepare a copy of the mini eval suite as ``name``."""
    def setup(tmp: Path) -> None:
        shutil.copytree(MINI, tmp / name)
    return setup


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def server() -> Iterator[OpenAICompatServer]:
    """The local endpoint every row points at (it counts the calls a row makes)."""
    from roleplay.testing import judge_responder

    with OpenAICompatServer(responder=judge_responder()) as srv:
        yield srv


def run_row(row: Row, tmp_path: Path, server: OpenAICompatServer,
            monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    """Run ``row`` and check it; returns the output (stdout and stderr)."""
    work = tmp_path / "w"
    work.mkdir()
    for name, content in row.files.items():
        path = work / name
        if name.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    if row.setup is not None:
        row.setup(work)
    env: dict[str, str | None] = {
        "OPENAI_API_KEY": "sk-test-not-a-real-key", "OPENAI_BASE_URL": server.base_url,
        "ROLEPLAY_CACHE_DIR": str(tmp_path / "cache"), "ROLEPLAY_MODEL": None,
        "ROLEPLAY_LOG": None, **row.env}
    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value.format(tmp=work, url=server.base_url))
    monkeypatch.chdir(work)
    # Waiting between retries is not what these rows test.
    monkeypatch.setattr("roleplay.llm._retry._HintOrBackoff.__call__",
                        lambda self, state: 0.0)
    server.clear()
    server.add_faults(*row.faults)
    before = _snapshot(work)
    calls = len(server.chat_requests)
    argv = [a.format(tmp=work, url=server.base_url) for a in row.argv]
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's usage errors
        code = int(exc.code) if isinstance(exc.code, int) else 2
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert code == row.code, output
    for text in row.says:
        assert text.format(tmp=work, url=server.base_url) in output, output
    assert "Traceback" not in output
    after = _snapshot(work)
    for name, data in before.items():
        if name not in row.changes:
            assert after.get(name) == data, f"{name} was changed or removed"
    if row.calls is not None:
        assert len(server.chat_requests) - calls == row.calls
    return output
