"""The bad-input table, part 1: transcript files, persona, rubric and suite YAML.

Rows run the real command line in-process; see `bad_input_kit` for what every row asserts.
"""

from __future__ import annotations

import codecs
import json
import shutil
from pathlib import Path

import pytest
import yaml
from bad_input_kit import GOOD, Row, copy_suite, run_row, server

from roleplay.testing import OpenAICompatServer

# Slow: `pytest -m "not slow"` leaves this file out of the inner loop; CI runs it.
pytestmark = pytest.mark.slow

__all__ = ["server"]

EV = ("evaluate",)
SIG = ("--signals-only",)
ROOT = Path(__file__).resolve().parent.parent
PERSONA = ROOT / "personas" / "warm-hr-screener.yaml"
PERSONA_DATA = yaml.safe_load(PERSONA.read_text())


def _json(data: object) -> str:
    return json.dumps(data)


def _persona(**change: object) -> str:
    return yaml.safe_dump({**PERSONA_DATA, **change})


def _without(key: str) -> str:
    return yaml.safe_dump({k: v for k, v in PERSONA_DATA.items() if k != key})


def _edit_case(change: dict[str, object], drop: str | None = None):  # type: ignore[no-untyped-def]
    def setup(tmp: Path) -> None:
        copy_suite()(tmp)
        case = tmp / "suite" / "cases" / "c1-strong.yaml"
        data = yaml.safe_load(case.read_text())
        data.update(change)
        if drop:
            data.pop(drop)
        case.write_text(yaml.safe_dump(data))
    return setup


def _edit_suite(text: str | None = None, change: dict[str, object] | None = None):  # type: ignore[no-untyped-def]
    def setup(tmp: Path) -> None:
        copy_suite()(tmp)
        path = tmp / "suite" / "suite.yaml"
        if text is not None:
            path.write_text(text)
        else:
            data = yaml.safe_load(path.read_text())
            data.update(change or {})
            path.write_text(yaml.safe_dump(data))
    return setup


TURNS = [{"speaker": "interviewer", "text": "Tell me about yourself."},
         {"speaker": "candidate", "text": "I lead a support team of six."}]

TRANSCRIPT_ROWS = [
    Row("missing file", (*EV, "nope.txt", *SIG), 2, ("nope.txt", "cannot read transcript")),
    Row("import a missing file", ("import", "nope.txt"), 2, ("nope.txt", "cannot read")),
    Row("import a folder", ("import", "calls"), 2, ("calls", "is a folder"),
        files={"calls/": ""}),
    Row("empty file", (*EV, "t.txt", *SIG), 2, ("t.txt", "empty"), files={"t.txt": ""}),
    Row("whitespace only", (*EV, "t.txt", *SIG), 2, ("t.txt", "empty"),
        files={"t.txt": "\n   \n\t\n"}),
    Row("binary bytes", (*EV, "t.txt", *SIG), 2, ("t.txt", "not UTF-8 or UTF-16"),
        files={"t.txt": bytes(range(128, 256)) * 4}),
    Row("latin-1 text", (*EV, "t.txt", *SIG), 2, ("t.txt: line 2", "not UTF-8"),
        files={"t.txt": "Interviewer: Hi.\nCandidate: Caf\xe9 au lait.\n".encode("latin-1")}),
    Row("utf-16 le with bom (Notepad)", (*EV, "t.txt", *SIG), 0, ("Interview evaluation: t",),
        files={"t.txt": codecs.BOM_UTF16_LE + GOOD.encode("utf-16-le")}),
    Row("utf-16 be with bom", (*EV, "t.txt", *SIG), 0, ("Interview evaluation: t",),
        files={"t.txt": codecs.BOM_UTF16_BE + GOOD.encode("utf-16-be")}),
    Row("utf-16 le without bom", (*EV, "t.txt", *SIG), 0, ("Interview evaluation: t",),
        files={"t.txt": GOOD.encode("utf-16-le")}),
    Row("utf-8 with bom", (*EV, "t.txt", *SIG), 0, ("Interview evaluation: t",),
        files={"t.txt": codecs.BOM_UTF8 + GOOD.encode()}),
    Row("over the size limit", (*EV, "big.txt", *SIG), 2,
        ("big.txt", "over the 2.0 MB limit for a transcript", "--max-size"),
        files={"big.txt": GOOD * 8000}),
    Row("over a lowered --max-size", (*EV, "t.txt", *SIG, "--max-size", "0.0001"), 2,
        ("t.txt", "over the 100 bytes limit"), files={"t.txt": GOOD}),
    Row("over the limit, judged (refused before the call)", (*EV, "big.txt"), 2,
        ("big.txt", "over the 2.0 MB limit"), files={"big.txt": GOOD * 8000}),
    Row("json syntax error", (*EV, "t.json", *SIG), 2, ("t.json: line 2", "not valid JSON"),
        files={"t.json": '{"turns": [\n  {"speaker": "candidate",, }]}'}),
    Row("json too deeply nested", (*EV, "t.json", *SIG), 2, ("t.json", "nested too deeply"),
        files={"t.json": '{"turns": ' + "[" * 100_000 + "]" * 100_000 + "}"}),
    Row("json top level is a list", (*EV, "t.json", *SIG), 2,
        ("t.json", "expected a JSON object", "got a JSON list"),
        files={"t.json": _json(TURNS)}),
    Row("json without turns", (*EV, "t.json", *SIG), 2, ("t.json", "turns: Field required"),
        files={"t.json": _json({"id": "x"})}),
    Row("json turns without index are numbered", (*EV, "t.json", *SIG), 0,
        ("Interview evaluation",), files={"t.json": _json({"turns": TURNS})}),
    Row("json turns half numbered", (*EV, "t.json", *SIG), 2,
        ("t.json", "turns.1.index is missing", "leave them all out"),
        files={"t.json": _json({"turns": [{**TURNS[0], "index": 1}, TURNS[1]]})}),
    Row("json unknown speaker", (*EV, "t.json", *SIG), 2, ("t.json", "turns.0.speaker"),
        files={"t.json": _json({"turns": [{**TURNS[0], "speaker": "bob"}]})}),
    Row("json index zero", (*EV, "t.json", *SIG), 2, ("t.json", "turns.0.index"),
        files={"t.json": _json({"turns": [{**TURNS[0], "index": 0}]})}),
    Row("json text not a string", (*EV, "t.json", *SIG), 2, ("t.json", "turns.0.text"),
        files={"t.json": _json({"turns": [{**TURNS[0], "text": 42}]})}),
    Row("json unknown field", (*EV, "t.json", *SIG), 2, ("t.json", "turns.0.mood"),
        files={"t.json": _json({"turns": [{**TURNS[0], "mood": "happy"}]})}),
    Row("json turns not a list", (*EV, "t.json", *SIG), 2, ("t.json", "turns"),
        files={"t.json": _json({"turns": "hello"})}),
    Row("json with no turns", (*EV, "t.json", *SIG), 2, ("t.json", "no turns"),
        files={"t.json": _json({"turns": []})}),
    Row("text without speakers", (*EV, "t.txt", *SIG), 2, ("t.txt", "no speakers found"),
        files={"t.txt": "we talked about the role and it went well\nthen we said bye\n"}),
    Row("only candidate turns", (*EV, "t.txt", *SIG), 0,
        ("warning: t.txt", "turns is the candidate's", "--interviewer NAME"),
        files={"t.txt": "Candidate: I lead a team.\nCandidate: We cut the backlog.\n"}),
    Row("only interviewer turns (json)", (*EV, "t.json", *SIG), 2,
        ("warning: t.json", "turns is the interviewer's", "--candidate NAME",
         "transcript 't' has no candidate turn"),
        files={"t.json": _json({"turns": [TURNS[0], TURNS[0]]})}),
    Row("only interviewer labels (text)", (*EV, "t.txt", *SIG), 2,
        ("t.txt: line 1", "no candidate", "--candidate NAME"),
        files={"t.txt": "Interviewer: Tell me about you.\nInterviewer: Anything else?\n"}),
    Row("vtt without cues", (*EV, "t.vtt", *SIG), 2, ("t.vtt",),
        files={"t.vtt": "WEBVTT\n\n"}),
    Row("vtt broken timestamp", (*EV, "t.vtt", *SIG), 2, ("t.vtt",),
        files={"t.vtt": "WEBVTT\n\n00:00:xx --> 00:00:02.000\nDana: Hi\n"}),
    Row("text read as --input-format json", (*EV, "t.txt", *SIG, "--input-format", "json"), 2,
        ("t.txt", "not valid JSON"), files={"t.txt": GOOD}),
    Row("text read as --input-format vtt", (*EV, "t.txt", *SIG, "--input-format", "vtt"), 2,
        ("t.txt",), files={"t.txt": GOOD}),
    Row("--candidate not in the file", (*EV, "t.txt", *SIG, "--candidate", "Zed"), 2,
        ("t.txt", "Zed"), files={"t.txt": GOOD}),
    Row("--interviewer not in the file", (*EV, "t.txt", *SIG, "--interviewer", "Zed"), 2,
        ("t.txt", "Zed"), files={"t.txt": GOOD}),
    Row("folder without transcripts", (*EV, "calls", *SIG), 2,
        ("no transcript files match 'calls'",), files={"calls/": "", "calls/notes.doc": "x"}),
    Row("glob matching nothing", (*EV, "calls/*.vtt", *SIG), 2,
        ("no transcript files match 'calls/*.vtt'",), files={"calls/": ""}),
    Row("one of several files missing", (*EV, "t.txt", "gone.txt", *SIG), 2,
        ("gone.txt",), files={"t.txt": GOOD}),
    Row("a bad file in a bulk run is named, the others kept", (*EV, "calls", *SIG), 1,
        ("bad.txt", "1 failed"),
        files={"calls/good.txt": GOOD, "calls/bad.txt": ""}),
    Row("practice --resume of a missing file", ("practice", "--resume", "gone.json"), 2,
        ("gone.json", "cannot read")),
    Row("practice --resume of a finished interview", ("practice", "--resume", "t.json"), 2,
        ("t.json", "nothing to resume"),
        files={"t.json": _json({"turns": [{**t, "index": i} for i, t in enumerate(TURNS, 1)],
                                "end_reason": "interviewer_ended",
                                "persona_id": "warm-hr-screener"})}),
]

YAML_ROWS = [
    Row("persona file missing", ("practice", "--persona", "gone.yaml"), 2, ("gone.yaml",)),
    Row("persona yaml syntax error", ("practice", "--persona", "p.yaml"), 2, ("p.yaml", "line"),
        files={"p.yaml": "interviewer: [unclosed\nrole: x\n"}),
    Row("persona yaml is a list", ("practice", "--persona", "p.yaml"), 2, ("p.yaml",),
        files={"p.yaml": "- a\n- b\n"}),
    Row("persona yaml empty", ("practice", "--persona", "p.yaml"), 2, ("p.yaml",),
        files={"p.yaml": ""}),
    Row("persona missing a required field", ("practice", "--persona", "p.yaml"), 2,
        ("p.yaml", "company"), files={"p.yaml": _without("company")}),
    Row("persona unknown field", ("practice", "--persona", "p.yaml"), 2,
        ("p.yaml", "moood"), files={"p.yaml": _persona(moood="sunny")}),
    Row("persona field of the wrong type", ("practice", "--persona", "p.yaml"), 2,
        ("p.yaml", "stage"), files={"p.yaml": _persona(stage=["not", "a", "stage"])}),
    Row("persona duplicate key", ("practice", "--persona", "p.yaml"), 2,
        ("p.yaml", "duplicate"), files={"p.yaml": PERSONA.read_text() + "stage: final\n"}),
    Row("persona with a python tag", ("practice", "--persona", "p.yaml"), 2, ("p.yaml",),
        files={"p.yaml": "interviewer: !!python/object/apply:os.system ['true']\n"}),
    Row("persona id with a path", ("practice", "--persona", "../../etc/passwd"), 2,
        ("../../etc/passwd",)),
    Row("unknown persona id", ("practice", "--persona", "no-such-persona"), 2,
        ("no-such-persona", "warm-hr-screener")),
    Row("unknown candidate profile", ("simulate", "--persona", "warm-hr-screener",
                                      "--candidate", "no-such-candidate"), 2,
        ("no-such-candidate",)),
    Row("unknown rubric id", (*EV, "t.txt", *SIG, "--rubric", "no-such-rubric"), 2,
        ("no-such-rubric",), files={"t.txt": GOOD}),
    Row("rubric yaml syntax error", (*EV, "t.txt", *SIG, "--rubric", "r.yaml"), 2,
        ("r.yaml",), files={"t.txt": GOOD, "r.yaml": "criteria: [\n"}),
    Row("rubric yaml empty", (*EV, "t.txt", *SIG, "--rubric", "r.yaml"), 2, ("r.yaml",),
        files={"t.txt": GOOD, "r.yaml": ""}),
    Row("rubric without criteria", (*EV, "t.txt", *SIG, "--rubric", "r.yaml"), 2,
        ("r.yaml", "criteria"), files={"t.txt": GOOD, "r.yaml": "id: mine\nversion: '1'\n"}),
    Row("suite folder without suite.yaml", ("eval", "empty", *SIG), 2, ("empty",),
        files={"empty/": ""}),
    Row("suite yaml syntax error", ("eval", "suite", *SIG), 2, ("suite.yaml",),
        setup=_edit_suite(text="id: [\n")),
    Row("suite yaml unknown key", ("eval", "suite", *SIG), 2, ("suite.yaml", "colour"),
        setup=_edit_suite(change={"colour": "blue"})),
    Row("suite case without labels", ("eval", "suite", *SIG), 2, ("c1-strong.yaml", "labels"),
        setup=_edit_case({}, drop="labels")),
    Row("suite case naming a missing transcript", ("eval", "suite", *SIG), 2,
        ("c1-strong.yaml", "gone.txt"), setup=_edit_case({"transcript": "gone.txt"})),
    Row("suite case with an unknown criterion label", ("eval", "suite", *SIG), 2,
        ("c1-strong.yaml", "labels"),
        setup=_edit_case({"labels": {"charm": {"score": 3, "rationale": "T2."}}})),
    Row("eval given a transcript file", ("eval", "t.txt"), 2,
        ("t.txt is a file", "roleplay evaluate t.txt"), files={"t.txt": GOOD}),
    Row("eval given transcript json", ("eval", "t.json"), 2,
        ("t.json is a file", "roleplay evaluate t.json"),
        files={"t.json": _json({"turns": TURNS})}),
    Row("eval of a name that is no suite", ("eval", "nothing-here"), 2,
        ("no suite 'nothing-here'",)),
    Row("mutate with a missing suite", ("mutate", "gone", "--signals-only"), 2, ("gone",)),
    Row("mutate with an unknown candidate id", ("mutate", "--candidates", "nobody",
                                               "--signals-only"), 2, ("--candidates", "nobody"),
        setup=lambda tmp: shutil.copytree(ROOT / "evals" / "mutation",
                                          tmp / "evals" / "mutation")),
]


@pytest.mark.parametrize("row", TRANSCRIPT_ROWS + YAML_ROWS, ids=lambda r: r.id)
def test_bad_file(row: Row, tmp_path: Path, server: OpenAICompatServer,
                  monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    run_row(row, tmp_path, server, monkeypatch, capsys)
