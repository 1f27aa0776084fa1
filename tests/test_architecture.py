"""The layering of docs/architecture.md, checked from the source with `ast`.

* no import cycle between the modules of `zoo`, `export`, `benchmarks` and
  `web_demo` (every import counts, also those inside functions);
* `export/` imports nothing from `zoo` (it works on any Keras model);
* no decision by task name outside the family folders (`zoo/models/`) and
  the registry's own filter.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("zoo", "export", "benchmarks", "web_demo")


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules():
    """`{module name: path}` of every Python file of the packages."""
    return {module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def imported(path, name, known):
    """Modules of `known` that the file imports, at any depth of its syntax tree."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                anchor = anchor[:len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                       for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import zoo.x.y` of a package attribute
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def graph():
    known = modules()
    return {name: imported(path, name, known) for name, path in known.items()}


def cycles(edges):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_cycle_finder_finds_a_known_cycle_and_no_false_one():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_relative_and_nested_imports_are_edges(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from . import b\n    import pkg.c as c\n")
    known = {"pkg": pkg / "__init__.py", "pkg.a": pkg / "a.py", "pkg.b": None, "pkg.c": None}
    assert imported(pkg / "a.py", "pkg.a", known) == {"pkg.b", "pkg.c"}


def test_no_import_cycles():
    assert cycles(graph()) == []


def test_export_imports_nothing_from_zoo():
    bad = {m: sorted(t for t in targets if t.split(".")[0] == "zoo")
           for m, targets in graph().items() if m.split(".")[0] == "export"}
    assert {m: t for m, t in bad.items() if t} == {}


TASK_TEST = re.compile(r"\btask\s*(==|!=)|\btask\s+(not\s+)?in\s*\(")


@pytest.mark.parametrize("package", ["zoo", "export", "benchmarks"])
def test_no_task_branches_outside_the_family_folders(package):
    hits = []
    for path in sorted((ROOT / package).rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("zoo/models/") or rel == "zoo/registry.py":
            continue
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if TASK_TEST.search(line):
                hits.append(f"{rel}:{i}: {line.strip()}")
    assert hits == []
