"""The import rules of the package, checked on the source (cheap; keeps the layers honest)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "roleplay"

# Lower number = lower layer. A module may import only from its own layer or lower ones.
LAYERS: list[tuple[str, int]] = [
    ("roleplay._version", 0),
    ("roleplay._display", 0),
    ("roleplay.errors", 0),
    ("roleplay.llm", 1),
    ("roleplay.tokens", 1),
    ("roleplay.transcript", 1),
    ("roleplay.importing", 1),
    ("roleplay.persona", 1),
    ("roleplay.rubric", 1),
    ("roleplay.cache", 1),
    ("roleplay.audio", 2),
    ("roleplay.prompts", 2),
    ("roleplay.candidates", 2),
    ("roleplay.leaks", 2),
    ("roleplay.session", 3),
    ("roleplay.evaluate", 4),
    ("roleplay.report", 5),
    ("roleplay._report_delivery", 5),
    ("roleplay.evals", 6),
    ("roleplay.testing", 7),
    ("roleplay.web", 8),
    ("roleplay.cli", 8),
    ("roleplay.__main__", 8),
    ("roleplay", 9),  # the package __init__ re-exports everything
]


def layer_of(module: str) -> int | None:
    best: tuple[int, int] | None = None
    for prefix, layer in LAYERS:
        if module == prefix or module.startswith(prefix + "."):
            if best is None or len(prefix) > best[0]:
                best = (len(prefix), layer)
    return None if best is None else best[1]


def modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out.append((".".join(parts), path))
    return out


def imports(path: Path, module: str) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    is_pkg = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                if not is_pkg:
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append(name)
    return found


@pytest.mark.parametrize(("module", "path"), modules(), ids=lambda v: str(v))
def test_module_imports_only_lower_layers(module: str, path: Path) -> None:
    own = layer_of(module)
    assert own is not None, f"{module} is not assigned to a layer in tests/test_architecture.py"
    for name in imports(path, module):
        if not name.startswith("roleplay"):
            continue
        other = layer_of(name)
        assert other is not None, f"{module} imports unknown module {name}"
        if own == 9:
            continue
        assert other <= own, f"{module} (layer {own}) imports {name} (layer {other})"


@pytest.mark.parametrize(("module", "path"), modules(), ids=lambda v: str(v))
def test_sdk_imports_stay_in_their_adapters(module: str, path: Path) -> None:
    names = imports(path, module)
    if module not in ("roleplay.llm.openai", "roleplay.llm.openai_audio"):
        assert not any(n == "openai" or n.startswith("openai.") for n in names), module
    if module != "roleplay.tokens":
        assert not any(n == "tiktoken" or n.startswith("tiktoken") for n in names), module


def test_evaluate_never_imports_session() -> None:
    for module, path in modules():
        if module.startswith("roleplay.evaluate"):
            assert not any(n.startswith("roleplay.session") for n in imports(path, module))
