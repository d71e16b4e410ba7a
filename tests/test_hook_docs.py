"""Every hook is documented and tested, as datasette checks its plugin hooks: the hookspec's docstring names
its arguments, the order results come in and the threads it runs on; the pack guide has a section for it; a
test named ``test_hook_<name>`` exercises it."""
from __future__ import annotations

import ast
import inspect
import re

import pytest

from conftest import ROOT
from grader import hookspecs
from grader.plugins import get_plugin_manager

HOOKS = sorted(name for name in dir(get_plugin_manager(autoload=False).hook) if name.startswith("grader_"))
GUIDE = ROOT / "examples" / "transformer-pack" / "README.md"
GUIDE_HOOKS = re.findall(r"^#+ `(\w+)`", GUIDE.read_text(), re.M)
THIS_FILE = "test_hook_docs.py"


def test_the_hooks_are_those_of_the_hookspec_module():
    assert HOOKS == sorted(n for n in vars(hookspecs) if n.startswith("grader_")) and len(HOOKS) >= 8


def test_the_hookspec_module_says_which_hooks_run_on_several_threads_and_in_what_order():
    doc = hookspecs.__doc__
    assert "--jobs" in doc and "several threads at once" in doc and "main thread" in doc
    assert "last registered first" in doc


@pytest.mark.parametrize("name", HOOKS)
def test_hook_docstring_names_its_arguments_the_order_of_results_and_its_thread(name):
    spec = getattr(hookspecs, name)
    doc = inspect.getdoc(spec) or ""
    assert doc, "%s has no docstring" % name
    for argument in inspect.signature(spec).parameters:
        assert "``%s``" % argument in doc, "%s: say what ``%s`` is" % (name, argument)
    assert "order" in doc, "%s: say the order its results (or implementations) come in" % name
    assert "several threads at once" in doc or "main thread" in doc, "%s: say which thread calls it" % name


def hook_tests() -> set[str]:
    """The names of test functions called ``test_hook_...`` in every test module but this one."""
    found = set()
    for path in (ROOT / "tests").glob("test_*.py"):
        if path.name != THIS_FILE:
            found |= {node.name for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.FunctionDef)
                      and node.name.startswith("test_hook_")}
    return found


@pytest.mark.parametrize("name", HOOKS)
def test_hook_has_a_test(name):
    assert any(t == "test_hook_" + name or t.startswith("test_hook_%s_" % name) for t in hook_tests()), \
        "write a test named test_hook_%s... that exercises it" % name


@pytest.mark.parametrize("name", HOOKS)
def test_hook_is_documented_in_the_pack_guide(name):
    assert name in GUIDE_HOOKS, "add a section \"### `%s`\" to %s" % (name, GUIDE.relative_to(ROOT))


def test_the_pack_guide_documents_no_hook_that_does_not_exist():
    assert set(GUIDE_HOOKS) <= set(HOOKS)
