"""The package's imports run one way: from the stages' inputs to their outputs, never back.

Every `import` of the package is read from the source (those inside functions and under
TYPE_CHECKING too), as `python -m tests.test_architecture` prints them. A module may import
its own package, the core (`models`, `errors`, `config`) and the packages before its own in
`LAYERS`; nothing imports the entry points. No module reaches itself through imports.
`testing` (the model's stand-ins for tests and offline runs) may import every stage, and
nothing in the package imports it: a briefing never runs on a stand-in by accident.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "summarizer"
# In the order data flows; each may import those before it (docs/architecture.md).
LAYERS = (
    "core",
    "text",
    "storage",
    "runtime",
    "inputs",
    "extraction",
    "grounding",
    "briefing",
    "render",
    "testing",
    "entry",
)
CORE = frozenset({"summarizer.models", "summarizer.errors", "summarizer.config"})
ENTRY = frozenset({"summarizer", "summarizer.__main__", "summarizer.cli", "summarizer.pipeline"})


def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(path: Path, known: set[str]) -> Iterator[str]:
    """The package's modules that the file imports, wherever in the file."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        for name in names:
            # `import summarizer.text.dates` names the module; `from x import f` names x.
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                yield name


def layer(module: str) -> int:
    if module in CORE:
        return 0
    if module in ENTRY:
        return len(LAYERS) - 1
    return LAYERS.index(module.split(".")[1])


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    edges = {name: set(imports(path, known)) - {name} for name, path in found.items()}
    # A module's package (its __init__) is imported on the way to it: not an edge of note.
    return {
        name: {t for t in targets if not name.startswith(t + ".")}
        for name, targets in edges.items()
    }


def test_every_module_belongs_to_a_layer() -> None:
    for name in modules():
        assert name in CORE | ENTRY or name.split(".")[1] in LAYERS, name


def test_no_import_runs_back_up_the_stages() -> None:
    back = [
        f"{source} -> {target}"
        for source, targets in graph().items()
        for target in targets
        if layer(target) > layer(source)
    ]
    assert back == []


def _in_testing(module: str) -> bool:
    return module == "summarizer.testing" or module.startswith("summarizer.testing.")


def test_nothing_outside_testing_imports_it() -> None:
    importers = [
        f"{source} -> {target}"
        for source, targets in graph().items()
        for target in targets
        if _in_testing(target) and not _in_testing(source)
    ]
    assert importers == []


def test_the_core_imports_nothing_but_the_core() -> None:
    for name in CORE:
        assert graph()[name] <= CORE, name


def test_no_module_imports_itself_round_a_circle() -> None:
    edges = graph()
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            raise AssertionError(" -> ".join([*path[path.index(name) :], name]))
        if name in done:
            return
        for target in sorted(edges[name]):
            visit(target, [*path, name])
        done.add(name)

    for name in sorted(edges):
        visit(name, [])


if __name__ == "__main__":
    for source, targets in sorted(graph().items()):
        print(f"{source} [{LAYERS[layer(source)]}] -> {', '.join(sorted(targets)) or '-'}")
