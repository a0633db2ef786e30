"""Personas and candidate profiles: the shipped files, the loader's hardening, the JSON Schemas
and the ``roleplay personas`` command."""

from __future__ import annotations

import json
import logging
import re
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

import roleplay.cli as cli
from roleplay.errors import ConfigError
from roleplay.persona import (
    CandidateProfile,
    Persona,
    default_persona_dir,
    list_candidates,
    list_personas,
    load_candidate,
    load_persona,
    persona_json_schema,
)

ROOT = Path(__file__).resolve().parent.parent
PERSONAS = ROOT / "personas"
CANDIDATES = PERSONAS / "candidates"
SCHEMAS = PERSONAS / "schema"
BAD = Path(__file__).resolve().parent / "data" / "personas_bad"

PERSONA_FILES = sorted(PERSONAS.glob("*.yaml"))
CANDIDATE_FILES = sorted(CANDIDATES.glob("*.yaml"))

CRITERIA = {
    "asked_questions", "sar_answers", "answer_balance", "enthusiasm",
    "asked_for_job", "next_steps", "closing_recap", "follow_up",
}


def _schema(kind: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / f"{kind}.schema.json").read_text(encoding="utf-8"))


def _public_text(persona: Persona) -> str:
    """Everything the interviewer may say freely: all of the persona except its hidden facts."""
    return json.dumps(persona.model_dump(exclude={"hidden_facts", "id"}), ensure_ascii=False)


def _says(text: str, marker: str) -> bool:
    """Whether ``text`` contains ``marker`` as whole words, case-insensitively (the leak rule)."""
    body = r"\s+".join(re.escape(part) for part in marker.split())
    return re.search(rf"(?<!\w){body}(?!\w)", text, re.IGNORECASE) is not None


# --- the shipped personas ---------------------------------------------------------------------


def test_at_least_eight_distinct_personas_ship() -> None:
    personas = list_personas()
    assert len(personas) >= 8
    assert [p.id for p in personas] == sorted(f.stem for f in PERSONA_FILES)
    # The archetypes the evals rely on.
    required = {
        "warm-hr-screener", "sceptical-eng-manager", "terse-vp-final", "chatty-founder",
        "behavioural-panel-lead", "nurse-manager", "warehouse-ops-manager", "sales-director",
    }
    assert required <= {p.id for p in personas}
    assert {p.stage for p in personas} == {"phone_screen", "hiring_manager", "panel", "final"}
    styles = [(p.style.warmth, p.style.verbosity, p.style.scepticism, p.style.pace)
              for p in personas]
    assert len(set(styles)) == len(styles), "two personas share the exact same style"
    assert len({p.company.name for p in personas}) == len(personas)
    assert len({p.interviewer.name for p in personas}) == len(personas)
    # At least one interviewer never invites questions, so initiative can be tested.
    assert any(not p.behaviour.invites_questions for p in personas)


def test_persona_styles_span_the_scales() -> None:
    personas = list_personas()
    for axis in ("warmth", "verbosity", "scepticism"):
        values = {getattr(p.style, axis) for p in personas}
        assert min(values) <= 2 and max(values) >= 4, axis
    assert {p.style.pace for p in personas} == {"slow", "steady", "brisk"}


@pytest.mark.parametrize("path", PERSONA_FILES, ids=lambda p: p.stem)
def test_persona_file_is_complete(path: Path) -> None:
    assert path.read_text(encoding="utf-8").splitlines()[0] == (
        "# yaml-language-server: $schema=schema/persona.schema.json"
    )
    persona = load_persona(path.stem)
    assert persona.id == path.stem
    q = persona.questions
    assert 4 <= len(q.behavioural) + len(q.technical) + len(q.motivational) <= 8
    assert q.behavioural and q.motivational
    assert persona.facts
    assert persona.behaviour.notes


@pytest.mark.parametrize("path", PERSONA_FILES, ids=lambda p: p.stem)
def test_hidden_fact_markers_are_distinctive(path: Path) -> None:
    """A marker must reveal exactly its own fact: the leak check relies on it."""
    persona = load_persona(path)
    public = _public_text(persona).lower()
    owner: dict[str, str] = {}
    for topic, hidden in persona.hidden_facts.items():
        assert 2 <= len(hidden.markers) <= 4, topic
        # The fact as written would be detected if the interviewer said it.
        assert any(_says(hidden.fact, m) for m in hidden.markers), topic
        for marker in hidden.markers:
            # Said in shareable text, a marker would flag a leak that is not one.
            assert marker.lower() not in public, f"{topic} marker {marker!r} is public text"
            assert marker.lower() not in owner, f"{marker!r} marks {owner.get(marker.lower())}"
            owner[marker.lower()] = topic


@pytest.mark.parametrize("path", PERSONA_FILES, ids=lambda p: p.stem)
def test_contact_fact_gives_a_channel(path: Path) -> None:
    contact = load_persona(path).hidden_facts.contact
    email = re.search(r"[\w.+-]+@[\w-]+\.example\b", contact.fact)
    phone = re.search(r"\d{3}[ -]?\d{3,4}\b", contact.fact)
    assert email or phone, "the contact fact must say how to reach someone (email or phone)"
    # Fictional addresses only: the RFC 2606 .example domain.
    for address in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*", contact.fact):
        assert address.endswith(".example"), address


# --- the shipped candidate profiles -----------------------------------------------------------

# What each known behaviour implies for a criterion; None = the behaviour alone does not decide.
_DERIVED: dict[str, dict[Any, str | None]] = {
    "answer_style": {"star": "pass", "polished": "pass", "rambling": None,
                     "one_liner": "fail", "vague": "fail"},
    "questions": {"informed": "pass", "none": "fail", "salary_first": "fail", "generic": None},
    "asks_for_job": {"confident": "pass", "begs": "fail", "never": "fail"},
}


def _derived_verdicts(profile: CandidateProfile) -> dict[str, str]:
    b = profile.behaviour
    out: dict[str, str | None] = {
        "sar_answers": _DERIVED["answer_style"][b.answer_style],
        "asked_questions": _DERIVED["questions"][b.questions],
        "asked_for_job": _DERIVED["asks_for_job"][b.asks_for_job],
        "next_steps": "pass" if b.confirms_next_steps else "fail",
        "closing_recap": "pass" if b.closing_recap else "fail",
        "follow_up": "pass" if b.follow_up else "fail",
    }
    if b.answer_style in ("rambling", "one_liner"):
        out["answer_balance"] = "fail"
    elif b.answer_style in ("star", "polished"):
        out["answer_balance"] = "pass"
    return {k: v for k, v in out.items() if v is not None}


def test_at_least_seven_known_answer_candidates_ship() -> None:
    profiles = list_candidates()
    assert len(profiles) >= 7
    required = {
        "strong-closer", "nervous-rambler", "one-liner", "salary-first", "beggar",
        "polished-never-closes", "next-steps-no-ask",
    }
    assert required <= {c.id for c in profiles}
    # Every criterion is expected to fail for at least one profile and pass for another.
    for criterion in CRITERIA:
        verdicts = {c.expected.get(criterion) for c in profiles}
        assert {"pass", "fail"} <= verdicts, criterion


@pytest.mark.parametrize("path", CANDIDATE_FILES, ids=lambda p: p.stem)
def test_candidate_profile_is_complete(path: Path) -> None:
    assert path.read_text(encoding="utf-8").splitlines()[0] == (
        "# yaml-language-server: $schema=../schema/candidate.schema.json"
    )
    profile = load_candidate(path.stem)
    assert 2 <= len(profile.resume.experience) <= 3
    assert profile.resume.education and profile.resume.skills
    numbers = [h for job in profile.resume.experience for h in job.highlights
               if re.search(r"\d", h)]
    assert len(numbers) >= 2, "highlights should be quantified"
    assert len(profile.behaviour.instructions.split()) >= 60
    assert set(profile.expected) <= CRITERIA
    known = {f.stem for f in PERSONA_FILES}
    assert profile.fits and set(profile.fits) <= known


@pytest.mark.parametrize("path", CANDIDATE_FILES, ids=lambda p: p.stem)
def test_expected_verdicts_follow_from_the_behaviour(path: Path) -> None:
    profile = load_candidate(path.stem)
    for criterion, verdict in _derived_verdicts(profile).items():
        assert profile.expected.get(criterion) == verdict, criterion


def test_strong_closer_expects_a_pass_everywhere() -> None:
    profile = load_candidate("strong-closer")
    assert profile.expected == dict.fromkeys(CRITERIA, "pass")


def test_beggar_pleads_in_words_the_rubric_detects() -> None:
    text = " ".join(load_candidate("beggar").behaviour.instructions.lower().split())
    assert "i really need this job, please" in text
    assert "i'll do anything" in text


# --- loading: ids, paths, folders -------------------------------------------------------------


def test_load_by_path_and_by_id_agree() -> None:
    by_id = load_persona("nurse-manager")
    assert load_persona(PERSONAS / "nurse-manager.yaml") == by_id
    assert load_persona(str(PERSONAS / "nurse-manager.yaml")) == by_id
    assert load_candidate(CANDIDATES / "beggar.yaml") == load_candidate("beggar")


def test_load_from_another_folder_accepts_yml(tmp_path: Path) -> None:
    shutil.copy(PERSONAS / "sales-director.yaml", tmp_path / "my-director.yml")
    persona = load_persona("my-director", folder=tmp_path)
    assert persona.id == "my-director"
    assert persona.interviewer.name == "Nadia Petrakis"
    assert [p.id for p in list_personas(tmp_path)] == ["my-director"]


def test_default_persona_dir_resolves_from_the_checkout() -> None:
    folder = default_persona_dir()
    assert sorted(p.name for p in folder.glob("*.yaml")) == [p.name for p in PERSONA_FILES]
    assert sorted(p.name for p in (folder / "candidates").glob("*.yaml")) == [
        p.name for p in CANDIDATE_FILES
    ]


@pytest.mark.parametrize("ref", ["../../etc/passwd", "a/../../x", "/etc/passwd", "..", "",
                                 "Alice", "alice\n", "x" * 65])
def test_invalid_ids_are_rejected_before_touching_the_disk(ref: str) -> None:
    with pytest.raises(ConfigError, match="invalid persona id"):
        load_persona(ref)
    with pytest.raises(ConfigError, match="invalid candidate profile id"):
        load_candidate(ref)


def test_traversal_cannot_reach_a_valid_file_outside_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "personas"
    folder.mkdir()
    shutil.copy(PERSONAS / "nurse-manager.yaml", tmp_path / "secret.yaml")
    with pytest.raises(ConfigError, match="invalid persona id"):
        load_persona("../secret", folder=folder)
    # A symlink inside the folder that points out of it is refused too.
    (folder / "sneaky.yaml").symlink_to(tmp_path / "secret.yaml")
    with pytest.raises(ConfigError, match="resolves outside"):
        load_persona("sneaky", folder=folder)


def test_unknown_id_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError) as info:
        load_persona("warm-hr-screner")
    message = str(info.value)
    assert "did you mean 'warm-hr-screener'" in message
    for persona_file in PERSONA_FILES:
        assert persona_file.stem in message
    with pytest.raises(ConfigError, match="known: .*strong-closer"):
        load_candidate("no-such-candidate")


def test_missing_path_and_bad_file_name_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no persona file here") as info:
        load_persona(tmp_path / "absent.yaml")
    assert str(tmp_path / "absent.yaml") in str(info.value)
    odd = tmp_path / "My Persona.yaml"
    shutil.copy(PERSONAS / "nurse-manager.yaml", odd)
    with pytest.raises(ConfigError, match="file name must be a valid persona id"):
        load_persona(odd)


def test_listing_skips_badly_named_files_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shutil.copy(PERSONAS / "nurse-manager.yaml", tmp_path / "nurse-manager.yaml")
    shutil.copy(PERSONAS / "nurse-manager.yaml", tmp_path / "Nurse Copy.yaml")
    with caplog.at_level(logging.WARNING, logger="roleplay"):
        assert [p.id for p in list_personas(tmp_path)] == ["nurse-manager"]
    assert "Nurse Copy.yaml" in caplog.text


def test_listing_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no persona folder here"):
        list_personas(tmp_path / "nowhere")
    with pytest.raises(ConfigError, match="no candidate profile folder here"):
        list_candidates(tmp_path / "nowhere")


# --- loading: bad files -----------------------------------------------------------------------

# (fixture, field the message must name, words the message must contain)
BAD_PERSONAS = [
    ("missing-field.yaml", "stage: ", "required field is missing"),
    ("unknown-key.yaml", "style.loudness: ", "unknown key; allowed keys: warmth, verbosity"),
    ("typo-key.yaml", "opneing: ", "did you mean 'opening'"),
    ("wrong-type.yaml", "style.warmth: ", "unable to parse string as an integer (got 'very')"),
    ("out-of-range.yaml", "style.scepticism: ", "less than or equal to 5 (got 9)"),
    ("bad-stage.yaml", "stage: ", "'phone_screen', 'hiring_manager', 'panel' or 'final'"),
    ("blank-marker.yaml", "hidden_facts.decision_maker.markers.0: ", "at least 2 characters"),
    ("python-tag.yaml", "interviewer.name (line 2): ", "YAML tag !!python/object/apply:os.system"),
    ("duplicate-key.yaml", "style.warmth (line 16): ", "duplicate key 'warmth'"),
    ("invalid-yaml.yaml", "line 10: ", "invalid YAML: expected ',' or ']'"),
    ("id-mismatch.yaml", "id: ", "must be 'id-mismatch' (the file name) or left out"),
    ("not-a-mapping.yaml", "", "expected a mapping of fields at the top level, got a list"),
    ("empty.yaml", "", "the file is empty"),
]


@pytest.mark.parametrize(("name", "field", "words"), BAD_PERSONAS, ids=[b[0] for b in BAD_PERSONAS])
def test_bad_persona_file_names_the_file_and_the_field(name: str, field: str, words: str) -> None:
    path = BAD / name
    with pytest.raises(ConfigError) as info:
        load_persona(path)
    message = str(info.value)
    assert message.startswith(f"{path}: {field}"), message
    assert words in message
    assert info.value.path == str(path)
    assert "\n" not in message


def test_bad_candidate_file_names_the_file_and_the_field() -> None:
    path = BAD / "candidate-bad-verdict.yaml"
    with pytest.raises(ConfigError) as info:
        load_candidate(path)
    assert str(info.value).startswith(f"{path}: expected.asked_for_job: ")
    assert info.value.field == "expected.asked_for_job"
    assert "'pass' or 'fail'" in str(info.value)


def test_python_tags_are_never_executed(tmp_path: Path) -> None:
    canary = tmp_path / "pwned"
    evil = tmp_path / "evil.yaml"
    evil.write_text(f'interviewer: !!python/object/apply:os.system ["touch {canary}"]\n',
                    encoding="utf-8")
    with pytest.raises(ConfigError, match="not allowed"):
        load_persona(evil)
    assert not canary.exists()


def test_several_errors_are_summarised_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "sparse.yaml"
    path.write_text("interviewer: {name: A, title: B}\nstage: panel\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_persona(path)
    message = str(info.value)
    assert message.startswith(f"{path}: company: required field is missing (and ")
    assert "role" in message and "style" in message


def test_comment_only_file_counts_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "blank.yaml"
    path.write_text("# yaml-language-server: $schema=schema/persona.schema.json\n\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError, match="the file is empty"):
        load_persona(path)


def test_yaml_merge_keys_still_work(tmp_path: Path) -> None:
    """Rejecting duplicate keys must not break a legitimate ``<<:`` merge with an override."""
    text = (BAD / "missing-field.yaml").read_text(encoding="utf-8").replace(
        "hidden_facts:\n",
        "stage: panel\nhidden_facts:\n"
        "  other:\n"
        "    parking: &parking {fact: Park in bay C7., markers: [bay C7, level minus two]}\n"
        "    bikes: {<<: *parking, fact: Bikes go in bay C7 too.}\n",
    )
    path = tmp_path / "merged.yaml"
    path.write_text(text, encoding="utf-8")
    other = load_persona(path).hidden_facts.other
    assert other["bikes"].fact == "Bikes go in bay C7 too."
    assert other["bikes"].markers == ["bay C7", "level minus two"]


# --- JSON Schema ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["persona", "candidate"])
def test_published_schema_matches_the_models(kind: str) -> None:
    committed = (SCHEMAS / f"{kind}.schema.json").read_text(encoding="utf-8")
    # Regenerate with: roleplay personas --schema <kind> > personas/schema/<kind>.schema.json
    assert committed == persona_json_schema(kind) + "\n"  # type: ignore[arg-type]
    schema = json.loads(committed)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    # Files leave `id` out; the loader fills it from the file name.
    assert "id" in schema["properties"] and "id" not in schema["required"]
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("path", PERSONA_FILES + CANDIDATE_FILES,
                         ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_file_validates_against_the_published_schema(path: Path) -> None:
    kind = "candidate" if path.parent == CANDIDATES else "persona"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(_schema(kind)).validate(data)


@pytest.mark.parametrize("name", ["missing-field.yaml", "unknown-key.yaml", "typo-key.yaml",
                                  "wrong-type.yaml", "out-of-range.yaml", "bad-stage.yaml",
                                  "blank-marker.yaml"])
def test_schema_and_loader_reject_the_same_mistakes(name: str) -> None:
    data = yaml.safe_load((BAD / name).read_text(encoding="utf-8"))
    assert not jsonschema.Draft202012Validator(_schema("persona")).is_valid(data)


def test_unknown_schema_kind_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="choose persona or candidate"):
        persona_json_schema("rubric")  # type: ignore[arg-type]


# --- roleplay personas ------------------------------------------------------------------------


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    # Only this sub-command, so the test does not depend on the others being importable.
    monkeypatch.setattr(cli, "_COMMANDS", ("personas",))
    monkeypatch.setenv("COLUMNS", "250")

    def run(*argv: str) -> tuple[int, str, str]:
        code = cli.main(["personas", *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_cli_lists_personas_as_a_table(run_cli: Any) -> None:
    code, out, err = run_cli()
    assert code == 0 and err == ""
    for persona in list_personas():
        assert persona.id in out
        assert persona.role.title in out
    assert "Hannah Oyelaran, Senior Talent Partner @ Fernleaf Software" in out
    assert "warm 5 / chatty 4 / sceptic 1 / steady" in out
    assert "phone screen" in out
    assert "never invites questions" in out  # terse-vp-final


def test_cli_lists_candidates(run_cli: Any) -> None:
    code, out, _ = run_cli("--candidates")
    assert code == 0
    for profile in list_candidates():
        assert profile.id in out and profile.name in out
    assert "asks for job: begs" in out


def test_cli_json_lists_personas_without_spoiling_hidden_facts(run_cli: Any) -> None:
    code, out, _ = run_cli("--json")
    assert code == 0
    listed = json.loads(out)
    personas = list_personas()
    assert [item["id"] for item in listed] == [p.id for p in personas]
    assert listed[0]["style"].keys() == {"warmth", "verbosity", "scepticism", "pace"}
    for persona in personas:
        for _, hidden in persona.hidden_facts.items():
            for marker in hidden.markers:
                assert marker not in out


def test_cli_json_lists_candidates_with_expected_verdicts(run_cli: Any) -> None:
    code, out, _ = run_cli("--candidates", "--json")
    assert code == 0
    by_id = {item["id"]: item for item in json.loads(out)}
    assert by_id["one-liner"]["expected"]["answer_balance"] == "fail"
    assert by_id["salary-first"]["behaviour"]["questions"] == "salary_first"


@pytest.mark.parametrize("kind", ["persona", "candidate"])
def test_cli_prints_the_schema(run_cli: Any, kind: str) -> None:
    code, out, _ = run_cli("--schema", kind)
    assert code == 0
    assert out == (SCHEMAS / f"{kind}.schema.json").read_text(encoding="utf-8")


def test_cli_reads_another_folder(run_cli: Any, tmp_path: Path) -> None:
    shutil.copy(PERSONAS / "chatty-founder.yaml", tmp_path / "my-founder.yaml")
    code, out, _ = run_cli("--dir", str(tmp_path), "--json")
    assert code == 0
    assert [item["id"] for item in json.loads(out)] == ["my-founder"]


def test_cli_reports_a_bad_persona_as_a_config_error(run_cli: Any, tmp_path: Path) -> None:
    shutil.copy(BAD / "wrong-type.yaml", tmp_path / "broken.yaml")
    code, out, err = run_cli("--dir", str(tmp_path))
    assert code == 2
    assert out == ""
    assert err.strip() == (
        f"roleplay: {tmp_path / 'broken.yaml'}: style.warmth: Input should be a valid integer, "
        "unable to parse string as an integer (got 'very')"
    )


def test_cli_rejects_schema_with_candidates(run_cli: Any) -> None:
    with pytest.raises(SystemExit) as info:
        run_cli("--candidates", "--schema", "persona")
    assert info.value.code == 2
