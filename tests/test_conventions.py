"""The project's standing rules, checked on the source (our version of Zulip's lint rules)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.nodb

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "kuangan"
SOURCES = [p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts and "tests" not in p.parts]
TESTS = [*ROOT.joinpath("tests").rglob("test_*.py"), *PACKAGE.rglob("tests/test_*.py")]
WRITES = {"save", "delete", "update", "create", "bulk_create", "get_or_create", "update_or_create"}


def _tree(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


@pytest.mark.parametrize("path", [p for p in SOURCES if p.name in {"views.py", "api.py"}],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_views_and_endpoints_neither_query_models_nor_write(path):
    """Reads go through queries.py (the access policy), writes through actions.py."""
    problems = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Attribute) and node.attr == "objects":
            problems.append(f"line {node.lineno}: .objects")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WRITES:
            problems.append(f"line {node.lineno}: .{node.func.attr}()")
    assert not problems, problems


def test_time_comes_from_the_clock():
    banned = re.compile(r"datetime\.now\(|timezone\.now\(|date\.today\(|datetime\.utcnow\(")
    offenders = [str(p.relative_to(ROOT)) for p in SOURCES
                 if p.name != "clock.py" and banned.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_the_engine_has_no_per_row_python_callbacks():
    offenders = [str(p) for p in (PACKAGE / "engine").rglob("*.py") if "map_elements" in p.read_text()]
    assert offenders == []


def test_every_public_action_is_tested_with_assert_audited():
    audited_tests = "\n".join(t.read_text(encoding="utf-8") for t in TESTS if "assert_audited" in t.read_text())
    missing = []
    for path in PACKAGE.rglob("actions.py"):
        for node in _tree(path).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                if not re.search(rf"\b{node.name}\b", audited_tests):
                    missing.append(f"{path.relative_to(ROOT)}:{node.name}")
    assert missing == []


def test_public_actions_are_durable_transactions():
    """Entry-point actions run in their own transaction and never nest (CONVENTIONS §5.2)."""
    missing = []
    for path in PACKAGE.rglob("actions.py"):
        for node in _tree(path).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                decorators = [ast.unparse(d) for d in node.decorator_list]
                if "transaction.atomic(durable=True)" not in decorators:
                    missing.append(f"{path.relative_to(ROOT)}:{node.name}")
    assert missing == []


def test_templates_load_nothing_from_the_internet():
    pattern = re.compile(r"""(src|href)=["']https?://""")
    offenders = [str(p.relative_to(ROOT)) for p in PACKAGE.rglob("*.html") if pattern.search(p.read_text())]
    assert offenders == []


def test_a_form_error_is_shown_once():
    """`as_p` already prints the form's non-field errors at its top: printing them before it shows each
    message twice (issue 18, "seen by the user")."""
    twice = re.compile(r"\{\{\s*(\w+)\.non_field_errors\s*\}\}\s*\{\{\s*\1\.as_p\s*\}\}")
    offenders = [str(p.relative_to(ROOT)) for p in PACKAGE.rglob("templates/**/*.html")
                 if twice.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
