"""The one strict YAML loader: personas, candidate profiles, rubrics and eval suites use it.

Only plain YAML data is accepted (``yaml.SafeLoader``: object tags such as
``!!python/object/apply`` are refused) and duplicate keys, which PyYAML silently overwrites,
are refused too. The file is then validated as a pydantic model, and every error becomes a
`ConfigError` naming the file and the field (or line), with a "did you mean" for a mistyped key.
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from yaml.constructor import ConstructorError

from roleplay.errors import ConfigError

__all__ = ["load_yaml_model"]

M = TypeVar("M", bound=BaseModel)

_MERGE_TAG = "tag:yaml.org,2002:merge"
_TAG_PREFIX = "tag:yaml.org,2002:"


class _UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that rejects duplicate keys, which PyYAML silently overwrites."""

    def construct_mapping(
        self, node: yaml.MappingNode, deep: bool = False
    ) -> dict[Hashable, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue  # `<<: *base` merges may legitimately be overridden
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:
                continue  # unhashable: the base class reports it with a proper message
            if duplicate:
                raise ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _yaml_path_at(text: str, line: int, column: int) -> str | None:
    """The dotted key path of the node starting at (line, column), 0-based, if any."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    target = (line, column)
    visited: set[int] = set()

    def walk(node: yaml.Node, path: list[str]) -> list[str] | None:
        if id(node) in visited:  # aliases can make the node graph cyclic
            return None
        visited.add(id(node))
        children: list[tuple[str, yaml.Node | None, yaml.Node]] = []
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                name = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
                children.append((str(name), key_node, value_node))
        elif isinstance(node, yaml.SequenceNode):
            children = [(str(i), None, item) for i, item in enumerate(node.value)]
        for name, key_node, value_node in children:
            here = [*path, name]
            for candidate in (key_node, value_node):
                if candidate is not None and (
                    candidate.start_mark.line, candidate.start_mark.column
                ) == target:
                    return here
            found = walk(value_node, here)
            if found:
                return found
        return None

    found = walk(root, []) if root is not None else None
    return ".".join(found) if found else None


def _yaml_error(exc: yaml.YAMLError, text: str, path: Path) -> ConfigError:
    mark = getattr(exc, "problem_mark", None)
    problem = str(getattr(exc, "problem", None) or exc).strip()
    field: str | None = None
    if mark is not None:
        where = _yaml_path_at(text, mark.line, mark.column)
        field = f"{where} (line {mark.line + 1})" if where else f"line {mark.line + 1}"
    if isinstance(exc, ConstructorError) and "could not determine a constructor" in problem:
        tag = re.search(r"'([^']+)'", problem)
        shown = tag.group(1) if tag else "?"
        if shown.startswith(_TAG_PREFIX):
            shown = "!!" + shown[len(_TAG_PREFIX):]
        message = f"YAML tag {shown} is not allowed: these files hold plain data only"
    elif isinstance(exc, ConstructorError):
        message = problem
    else:
        context = getattr(exc, "context", None)
        message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    return ConfigError(" ".join(message.split()), path=str(path), field=field)


def _unwrap(tp: Any) -> Any:
    """Strip ``Annotated`` and ``Optional`` so the underlying type can be inspected."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _model_at(model: type[BaseModel], loc: Sequence[int | str]) -> type[BaseModel] | None:
    """The model class that validates the mapping at ``loc``, when it can be worked out."""
    tp: Any = model
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(part))
            if field is None:
                return None
            tp = field.annotation
        elif get_origin(tp) in (list, tuple, set, frozenset):
            tp = get_args(tp)[0]
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        else:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(err: ErrorDetails, model: type[BaseModel]) -> str:
    kind, loc = err["type"], err["loc"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        owner = _model_at(model, loc[:-1])
        message = "unknown key"
        if owner is not None:
            allowed = list(owner.model_fields)
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            if close:
                message += f" (did you mean {close[0]!r}?)"
            message += "; allowed keys: " + ", ".join(allowed)
        return message
    # A model validator's ValueError arrives as "Value error, <its message>".
    message = str(err["msg"]).removeprefix("Value error, ")
    return f"{message} (got {_shown(err.get('input'))})"


def _loc(err: ErrorDetails) -> str:
    return ".".join(str(p) for p in err["loc"])


def _format_error(exc: ValidationError, model: type[BaseModel]) -> tuple[str | None, str]:
    errors = exc.errors()
    first = errors[0]
    message = _describe(first, model)
    if len(errors) > 1:
        others = ", ".join(_loc(e) or "<top level>" for e in errors[1:4])
        more = "" if len(errors) <= 4 else ", ..."
        message += f" (and {len(errors) - 1} more: {others}{more})"
    return _loc(first) or None, message


def load_yaml_model(path: Path, model: type[M], *, extra: dict[str, Any] | None = None,
                    schema_hint: str | None = None) -> M:
    """Read ``path`` with a safe YAML loader and validate it as ``model``.

    Only plain YAML data is accepted: object tags such as ``!!python/object/apply`` are refused,
    and so are duplicate keys (which YAML would otherwise silently overwrite).

    Args:
        path: The YAML file.
        model: The pydantic model to validate the top-level mapping as.
        extra: Keys to add to the mapping (e.g. ``{"id": <file stem>}``); a file may repeat
            such a key only with the same value.
        schema_hint: Where the format is described, added to the message of a missing or
            unknown field.

    Raises:
        ConfigError: unreadable file, bad YAML, not a mapping, or a schema violation; the
            message names the file and the field (or line).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError("not UTF-8 text", path=str(path)) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read file: {exc.strerror}", path=str(path)) from exc
    try:
        # A SafeLoader subclass: plain data only, never arbitrary objects.
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, text, path) from exc
    if data is None:
        raise ConfigError("the file is empty; expected a mapping of fields", path=str(path))
    if not isinstance(data, dict):
        raise ConfigError(f"expected a mapping of fields at the top level, got {_shown(data)}",
                          path=str(path))
    if extra:
        for key, value in extra.items():
            if key in data and data[key] != value:
                raise ConfigError(f"must be {value!r} (the file name) or left out",
                                  path=str(path), field=key)
            data[key] = value
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        field, message = _format_error(exc, model)
        if schema_hint and exc.errors()[0]["type"] in ("missing", "extra_forbidden"):
            # A missing or unknown field means the format is not known yet: say where it is.
            message += f"; {schema_hint}"
        raise ConfigError(message, path=str(path), field=field) from exc
