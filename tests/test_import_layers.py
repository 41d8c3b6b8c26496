"""The package's import layers: no module imports a higher layer, no package-level cycle.

Layers, low to high (a module may import its own layer and the ones below):

0. ``_version``, ``errors``, ``units``, ``constants``, ``materials``, ``config``, ``cache``,
   ``_numba_extensions``
1. ``physics``, ``models``, ``stats`` (``models`` uses ``physics``, never the reverse)
2. ``beam``, ``detector``
3. ``generate``
4. ``reco``, ``select``
5. ``pipeline``
6. ``background``
7. ``io``, ``run``, ``plots``
8. ``reach``
9. ``cli``, ``__main__``

The imports are read from the source with :mod:`ast` (every ``import`` statement, also
those inside functions), so a lazy import cannot hide a dependency.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "na64"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("_version", "errors", "units", "constants", "materials", "config", "cache",
     "_numba_extensions"),
    ("physics", "models", "stats"),
    ("beam", "detector"),
    ("generate",),
    ("reco", "select"),
    ("pipeline",),
    ("background",),
    ("io", "run", "plots"),
    ("reach",),
    ("cli", "__main__"),
)
LEVEL = {name: i for i, names in enumerate(LAYERS) for name in names}
#: Imports forbidden although the layers allow them.
FORBIDDEN = {("physics", "models")}


def _unit(module: str) -> str:
    """Top-level unit of ``na64.<unit>...``; ``na64`` itself for the package root."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "na64"


def _imports() -> dict[str, set[str]]:
    """Module (dotted) -> na64 modules it imports."""
    out: dict[str, set[str]] = defaultdict(set)
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC.parent).with_suffix("")
        parts = list(rel.parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        module = ".".join(parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = parts if is_pkg else parts[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    target = ".".join([*base, *([node.module] if node.module else [])])
                    names = [f"{target}.{a.name}" for a in node.names] if not node.module \
                        else [target]
                else:
                    names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            out[module].update(n for n in names if n == "na64" or n.startswith("na64."))
    return out


IMPORTS = _imports()


def test_every_unit_has_a_layer() -> None:
    units = {_unit(m) for m in IMPORTS} | {p.stem if p.is_file() else p.name
                                          for p in SRC.iterdir()
                                          if (p.suffix == ".py" or (p / "__init__.py").exists())
                                          and p.name != "__init__.py"}
    assert units - {"na64"} <= set(LEVEL), f"units without a layer: {units - set(LEVEL)}"


@pytest.mark.parametrize("module", sorted(IMPORTS))
def test_no_module_imports_a_higher_layer(module: str) -> None:
    unit = _unit(module)
    if unit == "na64":  # the package root imports only the version and errors
        assert {_unit(t) for t in IMPORTS[module]} <= {"_version", "errors", "na64"}
        return
    bad = []
    for target in IMPORTS[module]:
        t_unit = _unit(target)
        if t_unit == "na64":
            bad.append(f"{target} (the package root, from inside the package)")
        elif LEVEL[t_unit] > LEVEL[unit] or (unit, t_unit) in FORBIDDEN:
            bad.append(target)
    assert not bad, f"{module} imports a higher layer: {sorted(bad)}"


def test_no_package_level_cycles() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for module, targets in IMPORTS.items():
        for t in targets:
            a, b = _unit(module), _unit(t)
            if a != b:
                graph[a].add(b)
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, stack: list[str]) -> bool:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle.extend([*stack[stack.index(nxt):], nxt] if nxt in stack else [node, nxt])
                return True
            if nxt not in state and visit(nxt, [*stack, nxt]):
                return True
        state[node] = 2
        return False

    for node in sorted(graph):
        if node not in state and visit(node, [node]):
            break
    assert not cycle, f"package-level import cycle: {' -> '.join(cycle)}"


def test_the_checker_sees_lazy_imports() -> None:
    # the reach job imports the N-1 module; cli imports reach inside its functions
    assert any(t.startswith("na64.reach") for t in IMPORTS["na64.cli.reach"])
    assert "na64.pipeline" in {".".join(t.split(".")[:2]) for t in IMPORTS["na64.run.sources"]}
