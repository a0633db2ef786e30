"""Every shell and Python block of the README and examples/ runs as a user would paste it.

Blocks run in a scratch copy of the project's suites and examples, against the package's
scripted stand-in server on 127.0.0.1 (``OPENAI_BASE_URL`` points at it, the key is a
placeholder), so nothing reaches the network. An HTML comment right above a block steers it:

- ``<!-- readme-test: skip (reason) -->``: not run (a real key, an install, a long run); the
  reason shows in pytest's skip list and beside the block in the Markdown source;
- ``<!-- readme-test: cwd DIR -->``: run in the copy of ``DIR``;
- ``<!-- readme-test: port N -->``: the block starts a server on port ``N``; a free port is
  used instead, so two runs never collide;
- ``<!-- readme-test: pytest DIR -->``: a Python block that is a test module: it runs with
  pytest in the copy of ``DIR``, recording against the stand-in.

The files the README's commands name as a user's own (``notes.txt``, ``interview.vtt``,
``panel.txt``, ``recording.srt``, ``calls/``, ``store/``) are made from the test data first.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from roleplay.importing import load_transcript, render_srt
from roleplay.persona import list_candidates, list_personas
from roleplay.testing import OpenAICompatServer, simulation_responder
from roleplay.testing._audio import silent_wav

# Slow: `pytest -m "not slow"` leaves this file out of the inner loop; CI runs it.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "examples").rglob("*.md"))]
IMPORTS = ROOT / "tests" / "data" / "imports"
EXAMPLE = ROOT / "examples" / "pytest_project"
SHELLS = frozenset({"bash", "sh", "shell", "console"})
_FENCE = re.compile(r"^(?P<indent>\s*)```(?P<lang>[\w-]*)\s*$")
_MARK = re.compile(r"<!--\s*readme-test:\s*(?P<how>.*?)\s*-->")
DISTRIBUTION = "roleplay-interviews"


@dataclass(frozen=True)
class Block:
    """One fenced block and how to run it."""

    doc: Path
    line: int
    lang: str
    code: str
    how: str

    @property
    def id(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.line}"

    def option(self, name: str) -> str | None:
        found = re.search(rf"\b{name}\s+(\S+)", self.how)
        return found.group(1) if found else None

    @property
    def skip(self) -> str | None:
        found = re.match(r"skip\s*\((.*)\)\s*$", self.how, re.S)
        return found.group(1) if found else None


def blocks(doc: Path) -> Iterator[Block]:
    lines = doc.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        opened = _FENCE.match(lines[i])
        if not opened:
            i += 1
            continue
        indent, lang, start = opened["indent"], opened["lang"].lower(), i
        body: list[str] = []
        i += 1
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
            i += 1
        i += 1
        above = next((ln for ln in reversed(lines[:start]) if ln.strip()), "")
        mark = _MARK.search(above)
        yield Block(doc, start + 1, lang, "\n".join(body) + "\n", mark["how"] if mark else "")


ALL = [b for doc in DOCS for b in blocks(doc)]
RUNNABLE = [b for b in ALL if b.lang in SHELLS or b.lang == "python"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def stand_in() -> Iterator[OpenAICompatServer]:
    personas = [*list_personas(), *list_personas(EXAMPLE / "personas")]
    candidates = [*list_candidates(), *list_candidates(EXAMPLE / "candidates")]
    with OpenAICompatServer(responder=simulation_responder(personas, candidates)) as server:
        # What the README's recording (interview.wav) says, as a diarizing model labels it.
        server.audio.register("interview.wav", [
            (0.0, 4.0, "Thanks for coming in. Tell me about a project you led?", "A"),
            (5.5, 35.5, "Um, sure. Last year I led the migration of our billing system and "
                        "we cut costs by twenty percent.", "B"),
            (36.0, 40.0, "How did you handle the risks?", "A"),
            (41.0, 61.0, "I wrote a rollback plan and we tested it before each phase.", "B")])
        yield server


def _workspace(tmp: Path) -> Path:
    """The project's suites and examples, and the files a user's commands name."""
    shutil.copytree(ROOT / "evals", tmp / "evals")
    shutil.copytree(ROOT / "examples", tmp / "examples",
                    ignore=shutil.ignore_patterns(".pytest_cache", "__pycache__"))
    shutil.copy(IMPORTS / "meet.txt", tmp / "notes.txt")
    shutil.copy(IMPORTS / "teams.vtt", tmp / "interview.vtt")
    shutil.copy(IMPORTS / "panel.txt", tmp / "panel.txt")
    (tmp / "interview.wav").write_bytes(silent_wav(61.0, rate=8000))
    (tmp / "calls").mkdir()
    for name in ("teams.vtt", "zoom.vtt"):
        shutil.copy(IMPORTS / name, tmp / "calls" / name)
    (tmp / "store").mkdir()
    gold = tmp / "evals" / "gold" / "cases"
    load_transcript(gold / "g01-swe-strong-closer.txt").save(tmp / "store" / "g01.json")
    # A recording with two interviewers, Dana and Raj, as the README's --interviewer example.
    panel = load_transcript(IMPORTS / "panel.txt")
    names = {"Priya Raman": "Dana", "Tom Becker": "Raj"}
    renamed = tuple(t.model_copy(update={"name": names.get(t.name or "", t.name)})
                    for t in panel.turns)
    (tmp / "recording.srt").write_text(render_srt(panel.model_copy(update={"turns": renamed})),
                                       encoding="utf-8")
    return tmp


def _env(server: OpenAICompatServer, workspace: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ROLEPLAY_"))}
    env.update(OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="local",
               ROLEPLAY_CACHE_DIR=str(workspace / ".roleplay-cache"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
               PYTHONDONTWRITEBYTECODE="1")
    return env


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # Its own process group, so a server the block left running is stopped with it.
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"timed out after 180 s\n{out}\n{err}")
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


@pytest.mark.parametrize("block", RUNNABLE, ids=lambda b: b.id)
def test_block_runs_as_pasted(block: Block, stand_in: OpenAICompatServer, tmp_path: Path) -> None:
    if block.skip is not None:
        pytest.skip(block.skip)
    workspace = _workspace(tmp_path)
    env = _env(stand_in, workspace)
    code = block.code
    if port := block.option("port"):
        code = code.replace(port, str(_free_port()))
    pytest_dir = block.option("pytest")
    cwd = workspace / (pytest_dir or block.option("cwd") or ".")
    if pytest_dir is not None:
        test = cwd / "tests" / "test_readme_block.py"
        test.write_text(code, encoding="utf-8")
        args = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--record-mode=once",
                str(test.relative_to(cwd))]
    elif block.lang == "python":
        (cwd / "readme_block.py").write_text(code, encoding="utf-8")
        args = [sys.executable, "readme_block.py"]
    else:
        args = ["bash", "-e", "-o", "pipefail", "-c", code]
    result = _run(args, cwd, env)
    shown = f"$ {shlex.join(args[:3])} ...\n{code}\n--- stdout\n{result.stdout[-3000:]}" \
            f"\n--- stderr\n{result.stderr[-3000:]}"
    assert result.returncode == 0, shown
    assert "Traceback (most recent call last)" not in result.stderr, shown


def test_every_runnable_block_is_found_and_skips_say_why() -> None:
    readme = [b for b in RUNNABLE if b.doc.name == "README.md" and b.doc.parent == ROOT]
    assert len(readme) >= 12
    for b in RUNNABLE:
        assert b.how == "" or b.skip or b.option("port") or b.option("cwd") or \
            b.option("pytest"), f"{b.id}: unknown readme-test marker {b.how!r}"
        if b.skip is not None:
            assert len(b.skip) > 10, f"{b.id}: say why the block is skipped"


_INSTALL = re.compile(r"\bpip\s+install\s+(?P<args>[^#\n]*)")


def _requirements(args: str) -> list[str]:
    return [a for a in shlex.split(args) if not a.startswith("-")]


def test_no_install_command_can_fetch_another_project() -> None:
    # The public index has an unrelated 2008 package called "roleplay"; every install command
    # must name this project's distribution, or a path to a checkout or a wheel of it.
    commands: list[tuple[str, str]] = []
    for doc in [*DOCS, *(ROOT / "docs").glob("*.md")]:
        text = doc.read_text(encoding="utf-8")
        commands += [(doc.name, b.code) for b in blocks(doc)]
        commands += [(doc.name, span) for span in re.findall(r"`([^`\n]*pip install[^`\n]*)`",
                                                             text)]
    script = ROOT / "scripts" / "fresh-project"
    commands.append((script.name, script.read_text(encoding="utf-8")))
    found = 0
    for name_of, command in commands:
        for match in _INSTALL.finditer(command):
            for req in _requirements(match["args"]):
                found += 1
                name = re.split(r"[\[@ ]", req, maxsplit=1)[0]
                is_path = req.startswith((".", "/", "$", '"', "~")) or name.endswith(".whl") \
                    or "/" in name
                # Upgrading pip itself (fresh-project does) fetches no other project.
                assert is_path or name in (DISTRIBUTION, "pip"), f"{name_of}: pip install {req}"
    assert found >= 5


def test_the_distribution_name_is_the_one_the_docs_use() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] == DISTRIBUTION
    assert any(dep.startswith(f"{DISTRIBUTION}[") for dep in
               project["optional-dependencies"]["dev"])
    example = tomllib.loads((EXAMPLE / "pyproject.toml").read_text(encoding="utf-8"))
    assert example["project"]["dependencies"] == [f"{DISTRIBUTION}[pytest]"]
    from importlib.metadata import distribution

    assert distribution(DISTRIBUTION).entry_points.select(group="pytest11")
