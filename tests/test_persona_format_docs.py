"""A first persona with a field missing points to where the format is described, and it is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from roleplay.errors import ConfigError
from roleplay.persona import Persona, load_persona

ROOT = Path(__file__).resolve().parent.parent


def test_a_missing_required_field_names_the_schema_command(tmp_path: Path) -> None:
    data = yaml.safe_load((ROOT / "personas" / "warm-hr-screener.yaml").read_text())
    del data["hidden_facts"]["decision_maker"]
    path = tmp_path / "my-first.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as info:
        load_persona(path)
    message = str(info.value)
    assert "hidden_facts.decision_maker: required field is missing" in message
    assert "roleplay personas --schema persona" in message and "Persona format" in message


def test_the_readme_describes_every_persona_field() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Persona format", 1)[1].split("\n## ", 1)[0]
    assert "roleplay personas --schema persona" in section
    for name in Persona.model_fields:
        assert re.search(rf"`{name}`", section), f"{name} is not described"
