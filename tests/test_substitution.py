"""The worker's per-request substitution: every caller gets the chosen implementation while the request
runs, and everything is as before afterwards."""
from __future__ import annotations

import sys
import textwrap

import pytest

from grader.worker.substitution import Substitution

STUDENT = '''
def helper():
    return "student helper"

def top():
    return "student top with " + helper()

class Model:
    def loss(self):
        return "student loss with " + helper()
'''
REFERENCE = STUDENT.replace("student", "reference")
USER = '''
from ..m import *

def through():
    return helper()
'''
MISCONCEPTIONS = '''
def helper():
    return "a known mistake"
'''


@pytest.fixture
def package(tmp_path, monkeypatch):
    for name, m in (("subx", STUDENT), ("subx_reference", REFERENCE)):
        (tmp_path / name / "sub").mkdir(parents=True)
        (tmp_path / name / "__init__.py").write_text("")
        (tmp_path / name / "sub" / "__init__.py").write_text("")
        (tmp_path / name / "m.py").write_text(textwrap.dedent(m))
        (tmp_path / name / "sub" / "user.py").write_text(textwrap.dedent(USER))
    (tmp_path / "wrongs.py").write_text(MISCONCEPTIONS)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "subx"
    for name in [n for n in sys.modules if n.split(".")[0] in ("subx", "subx_reference", "wrongs")]:
        del sys.modules[name]


def modules():
    import subx.m
    import subx.sub.user
    return subx.m, subx.sub.user


def test_a_swapped_function_is_what_every_caller_gets(package):
    m, user = modules()
    with Substitution(package, {"m.helper": "reference", "m.top": "student"}):
        assert m.top() == "student top with reference helper"
        assert user.through() == "reference helper"  # a star import's copy is rebound too
        assert m.Model().loss() == "student loss with reference helper"
    assert m.top() == "student top with student helper" and user.through() == "student helper"


def test_the_reference_calls_the_students_other_functions(package):
    m, _ = modules()
    with Substitution(package, {"m.top": "reference", "m.helper": "student"}):
        assert m.top() == "reference top with student helper"
    assert m.top() == "student top with student helper"


def test_a_method_can_be_swapped(package):
    m, _ = modules()
    with Substitution(package, {"m.Model.loss": "reference", "m.helper": "student"}):
        assert m.Model().loss() == "reference loss with student helper"
    assert m.Model().loss() == "student loss with student helper"


def test_a_misconception_module_can_stand_in(package):
    m, _ = modules()
    with Substitution(package, {"m.helper": "wrongs:helper"}):
        assert m.top() == "student top with a known mistake"
    assert m.top() == "student top with student helper"


def test_everything_is_restored_after_an_exception(package):
    m, _ = modules()
    with pytest.raises(ZeroDivisionError):
        with Substitution(package, {"m.helper": "reference"}):
            1 / 0
    assert m.helper() == "student helper"


def test_an_unknown_function_is_an_error_and_changes_nothing(package):
    m, _ = modules()
    with pytest.raises(AttributeError):
        with Substitution(package, {"m.helper": "reference", "m.nothing": "reference"}):
            pass
    assert m.helper() == "student helper"
