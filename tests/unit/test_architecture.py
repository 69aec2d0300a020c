"""The domain is pure Python: it imports the standard library and itself, nothing else.

import-linter's contracts (pyproject.toml) keep the layers in order and named frameworks
out of the core; this test closes the gap they leave: any third-party import in domain/.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "domain"


def imported_top_level_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_domain_imports_only_the_standard_library_and_itself() -> None:
    files = sorted(DOMAIN.rglob("*.py"))
    assert files, "no domain modules found"
    allowed = set(sys.stdlib_module_names) | {"domain", "__future__"}
    offenders = {
        f"{path.relative_to(DOMAIN.parent)}: {name}"
        for path in files
        for name in imported_top_level_modules(path)
        if name not in allowed
    }
    assert not offenders, f"non-stdlib imports in the domain: {sorted(offenders)}"
