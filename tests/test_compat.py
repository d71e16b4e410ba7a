"""The course-environment layer (``grader.worker.compat``): 2020 code that used what today's NumPy,
TensorFlow/Keras and Python removed is graded as the course ran it, each shim it used is named in its report,
and ``--strict-env`` turns the layer off."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import ROOT, failing, grade, write_submission
from grader.cli import main
from grader.worker import compat
from grader.worker.client import Executor

REF = ROOT / "reference" / "cs231n"
DATA = ROOT / "tests" / "data"


def edited(text: str, *edits: str) -> str:
    for old, new in zip(edits[0::2], edits[1::2]):
        assert text.count(old) == 1, "the edit %r no longer applies" % old
        text = text.replace(old, new)
    return text


def note(name: str) -> str:
    return compat.SHIMS[name].note


# ------------------------------------------------------------------------------------------ what is shimmed


def test_every_shim_stands_for_something_todays_stack_lacks():
    """Shim only what really breaks: each name is missing here without the layer (TensorFlow's are below)."""
    probe = textwrap.dedent("""
        import collections, importlib, json, time
        import numpy as np
        present = [n for n in %r if hasattr(np, n)]
        present += ["collections." + n for n in %r if hasattr(collections, n)]
        present += ["time.clock"] if hasattr(time, "clock") else []
        for name in %r:
            try:
                importlib.import_module("numpy.lib." + name)
                present.append("numpy.lib." + name)
            except ImportError:
                importlib.import_module("numpy.lib._%%s_impl" %% name)  # its successor exists
        print(json.dumps(present))
    """ % (sorted(compat.NUMPY_ATTRS), compat.COLLECTIONS_ABCS, compat.LIB_MODULES))
    out = subprocess.run([sys.executable, "-I", "-W", "ignore", "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    assert json.loads(out) == []
    assert len(compat.SHIMS) == len(compat.NUMPY_ATTRS) + len(compat.LIB_MODULES) + len(compat.COLLECTIONS_ABCS) + 7


def test_notes_name_only_known_shims():
    assert compat.notes(["np.float", "<b>made up</b>", 3, "np.float"]) == [
        "uses `np.float` (removed in NumPy 1.24): graded with a compatibility shim"]


STUDENT = '''
import numpy as np
from numpy.lib.utils import safe_eval
from collections import Iterable

DTYPE = np.float


def use(x):
    return np.asarray(x, dtype=np.int).sum() + safe_eval("[1, 2]")[1], isinstance([], Iterable)


def forge():
    from grader.worker import compat
    compat._used.update({"made up", "np.NaN"})
'''

LIBRARY = '''
import numpy as np


def view():
    """Code outside the student's package (a library) sees today's NumPy."""
    try:
        import numpy.lib.utils
        module = True
    except ImportError:
        module = False
    return hasattr(np, "float"), hasattr(np, "product"), module
'''


@pytest.fixture
def package(tmp_path) -> Path:
    (tmp_path / "cs231n").mkdir()
    (tmp_path / "cs231n" / "__init__.py").write_text("")
    (tmp_path / "cs231n" / "old.py").write_text(STUDENT)
    (tmp_path / "cs231n" / "probe.py").write_text("def library_view():\n    import libprobe\n    return libprobe.view()\n")
    (tmp_path / "libprobe.py").write_text(LIBRARY)
    return tmp_path


def worker(package: Path, layer: bool) -> Executor:
    executor = Executor(package, "test", "cs231n", env={"PATH": "/usr/bin:/bin", **({compat.ENV: "1"} if layer else {})})
    executor.deadline = time.monotonic() + 60
    return executor


def test_shims_serve_the_students_code_only_and_are_recorded(package):
    executor = worker(package, layer=True)
    try:
        assert executor.compat == set()
        assert executor.call("probe.library_view") == (False, False, False)
        assert executor.compat == set()
        assert executor.call("old.use", [1.5, 2.5]) == (5, True)
        assert executor.compat == {"np.float", "np.int", "numpy.lib.utils", "collections.Iterable"}
        # library code (outside cs231n/) keeps today's NumPy names; a module the student's code imported is
        # imported for everyone, as it was in the course's NumPy
        assert executor.call("probe.library_view") == (False, False, True)
        executor.call("old.forge")  # a worker's claims are filtered by the grader: only known names count
        assert "made up" not in executor.compat and "np.NaN" in executor.compat
    finally:
        executor.close()


def test_without_the_layer_nothing_is_shimmed(package):
    executor = worker(package, layer=False)
    try:
        with pytest.raises(Exception, match="No module named 'numpy.lib.utils'"):
            executor.call("old.use", [1.5, 2.5])
        assert executor.compat == set()
    finally:
        executor.close()


# ------------------------------------------------------------------------------------------ graded submissions

NUMPY_2020 = {  # a correct submission written for NumPy 1.19: np.float, an unused import of numpy.lib.utils
    "rnn_layers": ("    dW = np.zeros(W_shape, dtype=np.result_type(W_dtype, dout.dtype))\n",
                   "    dW = np.zeros(W_shape, dtype=np.float)\n"),
    "rnn": ("import numpy as np\n", "import numpy as np\nfrom numpy.lib.utils import safe_eval\n"),
}
NUMPY_CHECKS = "rnn_layers.word_embedding_backward,classifiers.rnn.CaptioningRNN.loss[rnn]/notebook"


def numpy_2020(root: Path) -> Path:
    return write_submission(root, rnn_layers=edited((REF / "rnn_layers.py").read_text(), *NUMPY_2020["rnn_layers"]),
                            rnn=edited((REF / "classifiers" / "rnn.py").read_text(), *NUMPY_2020["rnn"]))


def test_numpy_2020_code_passes_with_notes_and_fails_strict(tmp_path, capsys):
    sub = numpy_2020(tmp_path / "np2020")
    report = grade([sub], tmp_path / "out", "--seed", "5", "--only", NUMPY_CHECKS)["np2020"]
    assert failing(report) == set(), [(c["id"], c["message"]) for c in report["checks"] if c["status"] != "passed"]
    notes = [note("np.float"), note("numpy.lib.utils")]
    assert report["grader"]["compat"] == [{"name": "np.float", "note": notes[0]},
                                          {"name": "numpy.lib.utils", "note": notes[1]}]
    assert report["grader"]["strict_env"] is False
    assert [p for p in report["problems"] if p.startswith("uses ")] == notes
    html = (tmp_path / "out" / "np2020" / "report.html").read_text()
    assert all(n in html for n in notes)

    capsys.readouterr()
    assert main(["check", str(sub), "--seed", "5", "--only", NUMPY_CHECKS]) == 0
    assert "! " + notes[0] in capsys.readouterr().out  # grader check shows the notes too

    strict = grade([sub], tmp_path / "strict", "--seed", "5", "--only", NUMPY_CHECKS, "--strict-env")["np2020"]
    checks = {c["id"]: c for c in strict["checks"]}
    assert failing(strict) == set(checks)
    assert strict["grader"] == {**strict["grader"], "strict_env": True, "compat": []}
    assert not any(p.startswith("uses ") for p in strict["problems"])
    loss = checks["classifiers.rnn.CaptioningRNN.loss[rnn]/notebook"]["message"]
    assert "classifiers/rnn.py could not be imported: ModuleNotFoundError: No module named 'numpy.lib.utils'" in loss
    backward = checks["rnn_layers.word_embedding_backward/hidden"]
    assert "module 'numpy' has no attribute 'float'" in backward["message"]
    assert 'File "cs231n/rnn_layers.py"' in backward["details"]["traceback"]


TF_2020 = {  # correct TensorFlow 2.2-2.4 code: X += dX on the tf.Variable, Adam(lr=...)
    "net_visualization_tensorflow.py": ("    X = X + learning_rate * dX\n", "    X += learning_rate * dX\n"),
    "gan_tf.py": ("    D_solver = tf.optimizers.Adam(learning_rate=learning_rate, beta_1=beta1)\n"
                  "    G_solver = tf.optimizers.Adam(learning_rate=learning_rate, beta_1=beta1)\n",
                  "    D_solver = tf.keras.optimizers.Adam(lr=learning_rate, beta_1=beta1)\n"
                  "    G_solver = tf.keras.optimizers.Adam(lr=learning_rate, beta_1=beta1)\n"),
}
TF_CHECKS = "net_visualization_tensorflow.class_visualization_update_step/variable,gan_tf.get_solvers"


@pytest.mark.slow  # about 20 s: two TensorFlow gradings
def test_tensorflow_2020_code_passes_with_notes_and_fails_strict(tmp_path):
    sources = {"net_visualization_tensorflow.py": DATA / "net_visualization_keras2_2020.py",
               "gan_tf.py": DATA / "gan_tf_keras2_2020.py"}
    sub = write_submission(tmp_path / "tf2020", files={
        name: edited(path.read_text(), *TF_2020[name]) for name, path in sources.items()})
    report = grade([sub], tmp_path / "out", "--seed", "5", "--only", TF_CHECKS)["tf2020"]
    assert failing(report) == set(), [(c["id"], c["message"]) for c in report["checks"] if c["status"] != "passed"]
    assert [c["name"] for c in report["grader"]["compat"]] == ["tf.Variable +=", compat.KERAS_LR]
    assert note("tf.Variable +=") in report["problems"] and note(compat.KERAS_LR) in report["problems"]

    strict = grade([sub], tmp_path / "strict", "--seed", "5", "--only", TF_CHECKS, "--strict-env")["tf2020"]
    checks = {c["id"]: c for c in strict["checks"]}
    assert failing(strict) == {"net_visualization_tensorflow.class_visualization_update_step/variable",
                               "gan_tf.get_solvers/arguments"}
    step = checks["net_visualization_tensorflow.class_visualization_update_step/variable"]
    assert "RuntimeError: `variable += value` with `tf.Variable`s is not supported" in step["message"]
    assert "X += learning_rate * dX" in step["details"]["traceback"]
    assert "learning" in checks["gan_tf.get_solvers/arguments"]["message"]  # today's Keras ignored lr=
