"""Ids of the YAML files a user names on the command line: personas, candidates, rubrics.

An id is a file name without ``.yaml``. Only an explicit path (a ``PathLike``, or a string ending
in ``.yaml``/``.yml``) is read as a file; any other string must be a plain id, looked up in a
folder, so ``"../../etc/passwd"`` never touches the disk.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
from pathlib import Path

from roleplay.errors import ConfigError

__all__ = ["ID_PATTERN", "list_ids", "require_folder", "resolve_ref"]

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
"""Persona, candidate, rubric, suite and case ids. Always use ``fullmatch`` (``match`` accepts a
trailing newline)."""

logger = logging.getLogger(__name__)


def resolve_ref(ref: str | os.PathLike[str], folder: Path, kind: str, *,
                name_is_id: bool = True) -> tuple[Path, str | None]:
    """The file ``ref`` names (an id in ``folder``, or a path), and the id it must carry.

    Args:
        ref: An id, or a path to a ``.yaml`` file.
        folder: Where ids are looked up.
        kind: What is loaded (``"persona"``, ``"rubric"`` ...), for messages.
        name_is_id: Whether a file given by path takes its id from its name (then the name must
            be a valid id); otherwise a path's id is whatever the file says (``None``).

    Raises:
        ConfigError: an invalid id (checked before the disk is touched), an unknown id (the
            message lists the known ones), an id that resolves outside ``folder``, or a path
            that is not a file.
    """
    if isinstance(ref, os.PathLike) or str(ref).endswith((".yaml", ".yml")):
        path = Path(ref)
        if not path.is_file():
            raise ConfigError(f"no {kind} file here", path=str(path))
        if not name_is_id:
            return path.resolve(), None
        if not ID_PATTERN.fullmatch(path.stem):
            raise ConfigError(f"the file name must be a valid {kind} id "
                              f"({ID_PATTERN.pattern}, e.g. 'my-{kind.split()[0]}.yaml')",
                              path=str(path))
        return path.resolve(), path.stem
    name = str(ref)
    if not ID_PATTERN.fullmatch(name):
        raise ConfigError(
            f"invalid {kind} id {name!r}: an id is a file name without '.yaml' made of "
            "lower-case letters, digits, '-' and '_' (at most 64 characters); "
            "to load a file, pass a path ending in .yaml"
        )
    base = folder.resolve()
    for suffix in (".yaml", ".yml"):
        path = (base / f"{name}{suffix}").resolve()
        if not path.is_relative_to(base):  # e.g. a symlink pointing out of the folder
            raise ConfigError(f"{kind} id {name!r} resolves outside {base}")
        if path.is_file():
            return path, name
    known = list_ids(base)
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ConfigError(f"no {kind} {name!r} in {base}{hint}; known: {', '.join(known) or 'none'}")


def list_ids(folder: Path) -> list[str]:
    """The ids of the ``.yaml``/``.yml`` files in ``folder``, sorted; bad names are skipped."""
    if not folder.is_dir():
        return []
    found: set[str] = set()
    for path in folder.iterdir():
        if path.suffix not in (".yaml", ".yml") or not path.is_file():
            continue
        if ID_PATTERN.fullmatch(path.stem):
            found.add(path.stem)
        else:
            logger.warning("skipping %s: the file name is not a valid id (%s)",
                           path, ID_PATTERN.pattern)
    return sorted(found)


def require_folder(folder: Path | None, default: Path, kind: str) -> Path:
    """``folder`` (or ``default``) when it is a folder.

    Raises:
        ConfigError: it is not a folder.
    """
    base = folder if folder is not None else default
    if not base.is_dir():
        raise ConfigError(f"no {kind} folder here", path=str(base))
    return base
