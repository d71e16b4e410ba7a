"""Exercise packs reach the grader only through its public API: ``grader.api`` (and ``grader.hookimpl``).

The grader's core modules may change; a pack that imports them breaks with them. This holds for this
repository's own packs (``exercises/``) and for the example pack in ``examples/``.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import ROOT

ALLOWED_MODULES = {"grader.api"}
ALLOWED_FROM_GRADER = {"api", "hookimpl"}

PACK_MODULES = sorted([*(ROOT / "exercises").rglob("*.py"), *(ROOT / "examples").rglob("*.py")])


def core_imports(path: Path) -> list[str]:
    """Every import of ``path`` that reaches the grader other than through ``grader.api``, as ``line: code``."""
    source = path.read_text()
    found = []
    for node in ast.walk(ast.parse(source, str(path))):
        if isinstance(node, ast.Import):
            bad = [a.name for a in node.names
                   if (a.name == "grader" or a.name.startswith("grader.")) and a.name not in ALLOWED_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module is not None:
            if node.module == "grader":
                bad = [a.name for a in node.names if a.name not in ALLOWED_FROM_GRADER]
            elif node.module.startswith("grader."):
                bad = [] if node.module in ALLOWED_MODULES else [node.module]
            else:
                continue
        else:
            continue
        if bad:
            found.append("%d: %s" % (node.lineno, ast.get_source_segment(source, node)))
    return found


@pytest.mark.parametrize("path", PACK_MODULES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_packs_import_the_grader_only_through_its_public_api(path):
    assert core_imports(path) == [], "import these names from grader.api instead"


def test_the_import_rule_sees_every_way_of_reaching_the_core(tmp_path):
    module = tmp_path / "pack.py"
    module.write_text("import grader.checks\nimport grader.api as api\nfrom grader import hookimpl, checks\n"
                      "from grader.compare import rel_error\nfrom grader.api import Outcome\nfrom . import sibling\n"
                      "def late():\n    from grader.worker.client import Executor\n")
    assert core_imports(module) == ["1: import grader.checks", "3: from grader import hookimpl, checks",
                                    "4: from grader.compare import rel_error",
                                    "8: from grader.worker.client import Executor"]
