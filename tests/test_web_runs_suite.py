"""`roleplay serve --runs DIR` opens run pages without --suites: the run folder names its suite."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("starlette")

from starlette.testclient import TestClient  # noqa: E402

from roleplay.evals import load_suite, run_suite  # noqa: E402
from roleplay.web import create_app  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CASE = "g07-retail-begging"


def _suite(folder: Path) -> Path:
    (folder / "cases").mkdir(parents=True)
    for ext in ("yaml", "txt"):
        shutil.copy(ROOT / "evals" / "gold" / "cases" / f"{CASE}.{ext}", folder / "cases")
    (folder / "suite.yaml").write_text(
        "id: first-hour\ndescription: one gold case\nrubric: interview-close\n"
        "cases: cases/*.yaml\nsignals_only: {thresholds: {}, tolerance: {default: 0.0}}\n")
    return folder


def test_a_run_page_opens_with_only_runs_given(tmp_path: Path) -> None:
    # The suite is nowhere the server would look by itself: not under ./evals, not beside runs.
    suite = load_suite(_suite(tmp_path / "team" / "suites" / "first-hour"))
    result = run_suite(suite, signals_only=True, runs_dir=tmp_path / "elsewhere" / "runs")
    app = create_app(None, sessions_dir=tmp_path / "s", runs_dir=tmp_path / "elsewhere" / "runs")
    with TestClient(app) as client:
        index = client.get("/runs").text
        assert result.run_dir.name in index and "not found" not in index
        page = client.get(f"/runs/{result.run_dir.name}")
        assert page.status_code == 200 and "Agreement per criterion" in page.text
        detail = client.get(f"/runs/{result.run_dir.name}/{CASE}")
        assert detail.status_code == 200 and 'id="t1"' in detail.text


def test_an_older_run_folder_finds_the_evals_folder_beside_it(tmp_path: Path) -> None:
    project = tmp_path / "project"
    suite = load_suite(_suite(project / "evals" / "first-hour"))
    result = run_suite(suite, signals_only=True, runs_dir=project / ".roleplay-cache" / "runs")
    (result.run_dir / "suite.json").unlink()  # as run folders written before the note
    app = create_app(None, sessions_dir=tmp_path / "s",
                     runs_dir=project / ".roleplay-cache" / "runs")
    with TestClient(app) as client:
        assert client.get(f"/runs/{result.run_dir.name}").status_code == 200


def test_a_run_whose_suite_cannot_be_found_says_to_pass_suites(tmp_path: Path) -> None:
    suite = load_suite(_suite(tmp_path / "suites" / "first-hour"))
    result = run_suite(suite, signals_only=True, runs_dir=tmp_path / "cache" / "runs")
    (result.run_dir / "suite.json").unlink()
    app = create_app(None, sessions_dir=tmp_path / "s", runs_dir=tmp_path / "cache" / "runs")
    with TestClient(app) as client:
        assert "pass --suites" in client.get("/runs").text
        page = client.get(f"/runs/{result.run_dir.name}")
        assert page.status_code == 404
        assert "first-hour" in page.text and "Pass --suites DIR" in page.text
    # ... and with --suites it opens.
    app = create_app(None, sessions_dir=tmp_path / "s", runs_dir=tmp_path / "cache" / "runs",
                     suites_dir=tmp_path / "suites")
    with TestClient(app) as client:
        assert client.get(f"/runs/{result.run_dir.name}").status_code == 200


def test_serve_leaves_suites_unset_unless_given(tmp_path: Path) -> None:
    from roleplay.cli import build_parser

    # --runs must name an existing folder (checked by the parser).
    args = build_parser().parse_args(["serve", "--runs", str(tmp_path)])
    assert args.suites is None
