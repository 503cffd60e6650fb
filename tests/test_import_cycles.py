"""A house rule, checked on the source tree: no import circles in assistant/ and ui/.

The graph is built from the source with `ast`: an edge from a module to every module of the
project it imports. Every import counts, wherever it is written: at module level, inside a
function, under `if TYPE_CHECKING:`. An import put inside a function to dodge a circle at
import time still ties the two modules to each other (each needs the other to work, and
neither can be understood or moved alone), so it is a circle here too; a function-level
import is fine for loading something heavy late, as long as nothing imports back.
`from package import name` is an edge to `package.name` when that is a module, else to the
package (its `__init__.py`); relative imports are resolved the same way.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("assistant", "ui")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {module_name(p): p for folder in FOLDERS for p in (ROOT / folder).rglob("*.py")}


def imports_of(path: Path, name: str, modules: dict[str, Path]) -> set[str]:
    """The project's modules that module `name` (the file `path`) imports: for each imported
    name, the nearest enclosing module of the project."""

    def known(dotted: str) -> str | None:
        while dotted and dotted not in modules:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {known(alias.name) for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            stem = ".".join([*base, *([node.module] if node.module else [])])
            found |= {known(f"{stem}.{alias.name}" if stem else alias.name)
                      for alias in node.names}
    return found - {None, name}


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports_of(path, name, modules) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as [a, b, ..., a], or None (depth-first search, no recursion)."""
    state: dict[str, str] = {}  # "open": on the current path; "done": no circle through it
    for root in sorted(graph):
        if root in state:
            continue
        path, todo = [root], [iter(sorted(graph[root]))]
        state[root] = "open"
        while todo:
            child = next(todo[-1], None)
            if child is None:
                state[path.pop()] = "done"
                todo.pop()
            elif state.get(child) == "open":
                return path[path.index(child):] + [child]
            elif child not in state:
                state[child] = "open"
                path.append(child)
                todo.append(iter(sorted(graph.get(child, ()))))
    return None


def test_there_are_no_import_circles():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def test_a_circle_is_found_and_named():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_an_import_inside_a_function_counts(tmp_path):
    (tmp_path / "one.py").write_text("import two\n")
    (tmp_path / "two.py").write_text("def late():\n    from one import thing\n")
    modules = {"one": tmp_path / "one.py", "two": tmp_path / "two.py"}
    assert imports_of(modules["two"], "two", modules) == {"one"}
    assert find_cycle({name: imports_of(path, name, modules) for name, path in modules.items()})


def test_relative_imports_are_resolved(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("from .a import x\n")
    (tmp_path / "pkg" / "a.py").write_text("from . import b\nfrom .. import top\n")
    modules = {"pkg": tmp_path / "pkg" / "__init__.py", "pkg.a": tmp_path / "pkg" / "a.py",
               "pkg.b": tmp_path / "pkg" / "b.py", "top": tmp_path / "top.py"}
    assert imports_of(modules["pkg"], "pkg", modules) == {"pkg.a"}
    assert imports_of(modules["pkg.a"], "pkg.a", modules) == {"pkg.b", "top"}
