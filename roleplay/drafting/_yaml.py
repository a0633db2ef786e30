"""A persona as commented YAML: the schema line, a header, and a note above each practice fact."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import yaml

from roleplay.errors import ConfigError
from roleplay.persona import ID_PATTERN, Persona, load_persona

__all__ = ["PRACTICE_NOTE", "persona_yaml", "write_persona"]

PRACTICE_NOTE: Final = "# PRACTICE FACT: not in the posting; replace it with the real one."
"""The comment written above every field listed in ``drafted``."""

_PRACTICE_HEADER: Final = """\
# Fields marked PRACTICE FACT were not in the posting: they are plausible inventions for
# practice, not the employer's real process. Replace them with the real ones (and drop their
# entries from `drafted` at the end), or leave them for practice only."""
_FORMAT: Final = ("# The format, field by field: README \"Persona format\", or "
                  "`roleplay personas --schema persona`.")


def _dump(key: str, value: Any) -> list[str]:
    text = yaml.safe_dump({key: value}, sort_keys=False, allow_unicode=True, width=96,
                          default_flow_style=False)
    return text.rstrip("\n").split("\n")


def _emit(key: str, value: Any, path: str, drafted: set[str], depth: int) -> list[str]:
    pad = "  " * depth
    lines = [pad + PRACTICE_NOTE] if path in drafted else []
    nested = any(d.startswith(path + ".") for d in drafted)
    if isinstance(value, dict) and value and nested:
        lines.append(f"{pad}{key}:")
        for child, child_value in value.items():
            lines += _emit(str(child), child_value, f"{path}.{child}", drafted, depth + 1)
        return lines
    return lines + [pad + line for line in _dump(key, value)]


def persona_yaml(persona: Persona, *, schema: str = "schema/persona.schema.json",
                 source: str | None = None) -> str:
    """``persona`` as YAML that `load_persona` reads back unchanged, with comments.

    Args:
        persona: The persona (its ``id`` is left out: the file name gives it).
        schema: The JSON Schema path for the ``yaml-language-server`` line.
        source: The posting's name, for the header.
    """
    data = persona.model_dump(exclude={"id"}, exclude_defaults=False)
    if not data.get("drafted"):
        data.pop("drafted", None)
    drafted = set(persona.drafted)
    lines = [f"# yaml-language-server: $schema={schema}"]
    if source:
        lines.append(f"# Drafted from a job posting ({source}). Review it before use.")
    if drafted:
        lines += _PRACTICE_HEADER.split("\n")
    lines.append(_FORMAT)
    for key, value in data.items():
        if key == "drafted":
            lines.append("# Every practice fact above, by field; remove an entry once you "
                         "replace its value.")
        lines += _emit(key, value, key, drafted, 0)
    return "\n".join(lines) + "\n"


def write_persona(persona: Persona, path: Path, *, source: str | None = None,
                  overwrite: bool = False) -> Persona:
    """Write ``persona`` to ``path`` as commented YAML and load it back (proof it is valid).

    Raises:
        ConfigError: the file name is not a valid persona id, the file exists (without
            ``overwrite``), it cannot be written, or it does not load back.
    """
    if path.suffix not in (".yaml", ".yml") or not ID_PATTERN.fullmatch(path.stem):
        raise ConfigError("the file name must be a persona id ending in .yaml (lower-case "
                          "letters, digits, '-' and '_', e.g. acme-backend.yaml)", path=str(path))
    if path.exists() and not overwrite:
        raise ConfigError("the file exists; choose another --out (or pass --force to replace "
                          "it)", path=str(path))
    text = persona_yaml(persona, source=source)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write the persona: {exc.strerror}", path=str(path)) from exc
    return load_persona(path)
