"""What the eval runner needs to know about a rubric: its id, criteria and pass marks."""

from __future__ import annotations

import os
from dataclasses import dataclass

from roleplay.rubric import Rubric, load_rubric

__all__ = ["RubricInfo", "rubric_info"]


@dataclass(frozen=True)
class RubricInfo:
    """The parts of a rubric that labels are checked and scored against."""

    id: str
    """Rubric id."""
    version: str | None
    """Rubric version."""
    criteria: tuple[str, ...]
    """Criterion ids in rubric order."""
    thresholds: dict[str, int]
    """Pass mark per criterion."""


def rubric_info(rubric: Rubric | str | os.PathLike[str]) -> RubricInfo:
    """Describe ``rubric`` (a loaded `Rubric`, an id or a path).

    Raises:
        ConfigError: the rubric cannot be loaded.
    """
    loaded = rubric if isinstance(rubric, Rubric) else load_rubric(rubric)
    return RubricInfo(
        id=loaded.id,
        version=loaded.version,
        criteria=tuple(c.id for c in loaded.criteria),
        thresholds={c.id: c.pass_threshold for c in loaded.criteria},
    )
