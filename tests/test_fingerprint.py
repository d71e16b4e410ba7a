"""Check fingerprints: a changed definition (threshold, points, code, a helper it calls, a value its closure
holds, the reference it compares with) changes exactly the checks it reaches; moving code changes nothing."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from conftest import ROOT
from exercises.assignment import STUDENT_FILES
from grader.assignment import Assignment
from grader.checks import CheckList, Exercise
from grader.config import GradingConfig
from grader.gradebook.fingerprint import check_fingerprints

PACK = '''
    """A tiny exercise pack: checks built by one helper (closures), a helper each, a module constant."""
    import numpy as np

    from grader.checks import CheckList, Exercise, Outcome

    LIMIT = 3

    def helper_a(x):
        return x + 1

    def helper_b(x):
        return x * 2

    def build(checks, name, threshold, points, values):
        @checks.add("pack.%s/notebook" % name, "t", "rnn_layers.rnn_step_forward", points, metric="rel_error",
                    threshold=threshold)
        def notebook(ctx):
            return Outcome(float(np.abs(values).max()) * threshold)

    def exercise():
        checks = CheckList("pack", modules=("rnn_layers",))
        build(checks, "first", 1e-7, 1.0, np.arange(3.0))
        build(checks, "second", 1e-6, 2.0, np.arange(4.0))

        @checks.add("pack.a", "uses helper_a", "rnn_layers.rnn_forward", 1.0)
        def a(ctx):
            return Outcome(passed=helper_a(1) == 2)

        @checks.add("pack.b", "uses helper_b and LIMIT", "rnn_layers.rnn_forward", 1.0,
                    modules=("rnn_layers", "classifiers.rnn"))
        def b(ctx):
            return Outcome(passed=helper_b(1) < LIMIT)

        return Exercise("pack", "Pack", tuple(checks.checks))
'''


def fingerprints(tmp_path: Path, source: str, reference: Path | None = None, **config) -> dict[str, str]:
    """Load ``source`` as the module ``fp_pack`` (the same name every time) and fingerprint its checks."""
    path = tmp_path / ("fp_pack_%d.py" % len(list(tmp_path.glob("fp_pack_*.py"))))
    path.write_text(textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location("fp_pack", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["fp_pack"] = module
    try:
        spec.loader.exec_module(module)
        assignment = Assignment("cs231n", STUDENT_FILES, references=tuple(filter(None, [reference])))
        return check_fingerprints([module.exercise()], GradingConfig(seed=1, **config), assignment)
    finally:
        del sys.modules["fp_pack"]


def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {k for k in before if before[k] != after[k]}


def test_the_same_definitions_give_the_same_fingerprints(tmp_path):
    first = fingerprints(tmp_path, PACK)
    assert len(set(first.values())) == 4
    assert fingerprints(tmp_path, PACK) == first


def test_a_threshold_or_points_given_to_a_shared_builder_changes_only_that_check(tmp_path):
    before = fingerprints(tmp_path, PACK)
    threshold = PACK.replace('build(checks, "first", 1e-7,', 'build(checks, "first", 1e-6,')
    assert changed(before, fingerprints(tmp_path, threshold)) == {"pack.first/notebook"}
    points = PACK.replace('"second", 1e-6, 2.0,', '"second", 1e-6, 2.5,')
    assert changed(before, fingerprints(tmp_path, points)) == {"pack.second/notebook"}
    values = PACK.replace("np.arange(4.0)", "np.arange(4.0) + 1")
    assert changed(before, fingerprints(tmp_path, values)) == {"pack.second/notebook"}


def test_a_changed_helper_or_constant_changes_only_the_checks_that_use_it(tmp_path):
    before = fingerprints(tmp_path, PACK)
    assert changed(before, fingerprints(tmp_path, PACK.replace("return x + 1", "return x + 2"))) == {"pack.a"}
    assert changed(before, fingerprints(tmp_path, PACK.replace("LIMIT = 3", "LIMIT = 4"))) == {"pack.b"}
    body = PACK.replace("float(np.abs(values).max()) * threshold", "float(np.abs(values).sum()) * threshold")
    assert changed(before, fingerprints(tmp_path, body)) == {"pack.first/notebook", "pack.second/notebook"}


def test_moving_code_or_rewording_docstrings_changes_nothing(tmp_path):
    before = fingerprints(tmp_path, PACK)
    moved = PACK.replace("    LIMIT = 3\n", "    # a comment\n\n\n    LIMIT = 3\n").replace(
        "def helper_a(x):\n", 'def helper_a(x):\n        """Adds one."""\n')
    moved = moved.replace('"""A tiny exercise pack', '"""A small exercise pack')
    assert fingerprints(tmp_path, moved) == before


def test_the_reference_sources_and_the_time_limit_count(tmp_path):
    reference = tmp_path / "ref"
    for rel in ("rnn_layers.py", "classifiers/rnn.py", "layers.py"):
        (reference / "cs231n" / rel).parent.mkdir(parents=True, exist_ok=True)
        (reference / "cs231n" / rel).write_text("# %s\n" % rel)
    before = fingerprints(tmp_path, PACK, reference)
    (reference / "cs231n" / "classifiers" / "rnn.py").write_text("# changed\n")
    assert changed(before, fingerprints(tmp_path, PACK, reference)) == {"pack.b"}
    (reference / "cs231n" / "layers.py").write_text("# a provided module changed: every check may use it\n")
    assert changed(before, fingerprints(tmp_path, PACK, reference)) == set(before)
    assert changed(before, fingerprints(tmp_path, PACK, None, timeout_s=5.0)) == set(before)


def test_real_layer_checks_built_from_one_code_object_differ_where_their_definitions_do():
    from exercises.captioning.layer_checks import add_forward_checks
    from exercises.rnn_captioning import RNN_STEP

    inputs = {"x": np.ones((2, 3)), "prev_h": np.ones((2, 4)), "Wx": np.ones((3, 4)), "Wh": np.ones((4, 4)),
              "b": np.ones(4)}

    def prints(threshold, expected):
        checks = CheckList("rnn_captioning", modules=("rnn_layers",))
        add_forward_checks(checks, RNN_STEP, inputs, {"next_h": expected}, threshold=threshold, points=(1.5, 1.0))
        return check_fingerprints([Exercise("rnn_captioning", "Q1", tuple(checks.checks))], GradingConfig(seed=1),
                                  Assignment("cs231n", STUDENT_FILES))

    before = prints(1e-7, np.zeros((2, 4)))
    assert changed(before, prints(1e-6, np.zeros((2, 4)))) == {"rnn_layers.rnn_step_forward/notebook"}
    assert changed(before, prints(1e-7, np.ones((2, 4)))) == {"rnn_layers.rnn_step_forward/notebook"}


def test_fingerprints_of_the_real_checks_are_stable_across_processes():
    script = ("import json\nfrom grader.plugins import get_plugin_manager\nfrom grader.session import collect_exercises\n"
              "from grader.config import GradingConfig\nfrom exercises.assignment import ASSIGNMENT\n"
              "from grader.gradebook.fingerprint import check_fingerprints\n"
              "config = GradingConfig(seed=1, assignment=ASSIGNMENT)\n"
              "print(json.dumps(check_fingerprints(collect_exercises(get_plugin_manager(), config), config, "
              "ASSIGNMENT), sort_keys=True))\n")
    outputs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True,
                              env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout for seed in (1, 2)]
    prints = json.loads(outputs[0])
    assert outputs[0] == outputs[1] and len(prints) >= 80 and len(set(prints.values())) == len(prints)
