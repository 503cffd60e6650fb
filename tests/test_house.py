"""The house rules, checked on the source tree: the core runs without Qt, the product never
imports the evaluation tools, no file grows past 400 lines, and the code points only at
documents the project has."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = [p for folder in ("assistant", "ui") for p in (ROOT / folder).rglob("*.py")
           if "evaluation" not in p.relative_to(ROOT).parts]


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_the_product_never_imports_the_evaluation_tools():
    offenders = {str(p.relative_to(ROOT)) for p in PRODUCT
                 if any(m.startswith("assistant.evaluation") for m in imported_modules(p))}
    assert offenders == set()
    dynamic = [str(p.relative_to(ROOT)) for p in PRODUCT
               if re.search(r"import_module\(\s*f?[\"']assistant\.evaluation", p.read_text())]
    assert dynamic == []


def test_the_core_runs_without_qt():
    core = [p for p in PRODUCT if p.relative_to(ROOT).parts[0] == "assistant"]
    offenders = [str(p.relative_to(ROOT)) for p in core
                 if any(m.split(".")[0] in ("PySide6", "shiboken6") for m in imported_modules(p))]
    assert offenders == []


def test_no_python_file_is_over_400_lines():
    files = [p for folder in ("assistant", "ui", "tests") for p in (ROOT / folder).rglob("*.py")]
    long = {str(p.relative_to(ROOT)): n for p in files
            if (n := len(p.read_text().splitlines())) > 400}
    assert long == {}


def test_the_code_points_only_at_documents_the_project_has():
    mentioned = set()
    for path in [*PRODUCT, *(ROOT / "tests").rglob("*.py")]:
        mentioned |= set(re.findall(r"\b((?:docs/)?[A-Z][A-Z_]+\.md)\b", path.read_text()))
    missing = {name for name in mentioned if not (ROOT / name).exists()
               and not (ROOT / "docs" / name).exists()}
    assert missing == set()


def test_the_bundle_leaves_the_evaluation_tools_out():
    spec = (ROOT / "packaging" / "voice-assistant.spec").read_text()
    assert 'TOOLS = "assistant.evaluation"' in spec and '"assistant.evaluation"],' in spec
