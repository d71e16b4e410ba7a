"""Checks from inside a notebook (``grader.notebook.check``): run by nbclient in a real kernel, names as the
notebook writes them, files read again on every call, and warm workers that re-import what changed."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import grader.notebook as notebook
from grader.checks import PUBLIC_SEED
from grader.model import CheckResult, GraderInfo, Metric, Report, SubmissionInfo
from grader.notebook_view import CheckResults
from grader.runtimes import BASE_ENV
from grader.submission import UsageError
from grader.worker.client import Executor


def execute(cells: list[str], folder: Path) -> list[dict]:
    """Run the cells in a fresh kernel whose working folder is ``folder``; the outputs of each cell."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    return [cell.outputs for cell in nb.cells]


def rendered(outputs: list[dict], kind: str = "text/html") -> str:
    return "".join(o.get("data", {}).get(kind, "") for o in outputs if o.output_type == "execute_result")


def printed(outputs: list[dict]) -> str:
    return "".join(o.get("text", "") for o in outputs if o.output_type == "stream")


@pytest.fixture
def folder(samples, tmp_path) -> Path:
    """A student's assignment3/ with the reference's files, to be edited."""
    target = tmp_path / "assignment3"
    shutil.copytree(samples / "reference", target)
    return target


@pytest.fixture
def session():
    """The module's kernel-wide session, closed (its workers ended) after the test."""
    yield
    if notebook._session is not None:
        notebook._session.close()
        notebook._session = None


def test_a_notebook_checks_the_files_on_disk_at_every_call(folder, samples, captioning_bundle):
    buggy = samples / "bug_rnn_tanh_exp" / "cs231n" / "rnn_layers.py"
    call = "check('rnn_step_forward', answers=%r)" % str(captioning_bundle)
    outputs = execute([
        "from grader.notebook import check\n" + call,
        "import shutil\nshutil.copy(%r, 'cs231n/rnn_layers.py')  # the student's edit" % str(buggy),
        call,
        "import sys\nprint('tensorflow' in sys.modules, [m for m in sys.modules if m.split('.')[0] == 'cs231n'])",
    ], folder)
    first, _, second, modules = outputs
    html = rendered(first)
    assert "rnn_step_forward: 3 of 3 check(s) pass" in html and "FAIL" not in html
    assert "rnn_layers.rnn_step_forward/large-inputs" in html and "answer bundle, seed 231" in html
    assert "rnn_step_forward: 3 of 3 check(s) pass" in rendered(first, "text/plain")
    html = rendered(second)
    assert "rnn_step_forward: 2 of 3 check(s) pass" in html
    assert ">FAIL</td><td style='vertical-align:top'><code>rnn_layers.rnn_step_forward/large-inputs</code>" in html
    assert "returned NaN or infinite values in next_h for large pre-activations: use np.tanh" in html
    assert "<details><summary>details</summary>" in html
    assert printed(modules).strip() == "False []"  # no TensorFlow, no student module in the kernel


def test_names_as_the_notebook_writes_them():
    from grader.config import GradingConfig
    from grader.plugins import get_plugin_manager
    from grader.session import collect_assignment, collect_exercises

    pm = get_plugin_manager()
    exercises = collect_exercises(pm, GradingConfig(seed=1, assignment=collect_assignment(pm)))
    assert notebook.selected(exercises, "rnn_step_forward") == {
        "rnn_layers.rnn_step_forward/notebook", "rnn_layers.rnn_step_forward/hidden",
        "rnn_layers.rnn_step_forward/large-inputs"}
    loss = notebook.selected(exercises, "CaptioningRNN.loss")
    assert loss and all("CaptioningRNN.loss[" in i for i in loss) and any("[lstm]" in i for i in loss)
    assert notebook.selected(exercises, "CaptioningRNN.loss[rnn]") < loss
    rnn = notebook.selected(exercises, "rnn_captioning")
    assert notebook.selected(exercises, "RNN_Captioning.ipynb") == rnn and loss - rnn
    assert {"style_transfer_tensorflow.gram_matrix/notebook", "style_transfer_tensorflow.gram_matrix/hidden"} \
        <= notebook.selected(exercises, "gram_matrix()")
    assert notebook.selected(exercises, "rnn_layers.rnn_backward/hidden") == {"rnn_layers.rnn_backward/hidden"}
    assert len(notebook.selected(exercises, None)) == sum(len(ex.checks) for ex in exercises)
    with pytest.raises(UsageError, match="did you mean rnn_step_forward"):
        notebook.selected(exercises, "rnn_stepforward")


def test_outside_a_submission_folder_the_message_says_where_to_run(tmp_path, captioning_bundle, session):
    with pytest.raises(UsageError, match="no cs231n/ folder with your files in .*: run check\\(\\) from a notebook"):
        notebook.check("rnn_step_forward", path=tmp_path, answers=captioning_bundle)


def test_a_warm_worker_reimports_the_edited_file(folder, captioning_bundle, session):
    first = notebook.check("word_embedding_backward", path=folder, answers=captioning_bundle)
    assert first.passed
    worker = notebook._session.grader.kept.students["numpy"].worker.proc.pid
    source = folder / "cs231n" / "rnn_layers.py"
    source.write_text(source.read_text().replace("np.add.at(dW, x, dout)", "dW[x] += dout"))
    second = notebook.check("word_embedding_backward", path=folder, answers=captioning_bundle)
    assert not second.passed and "word_embedding_backward" in str(second)
    assert notebook._session.grader.kept.students["numpy"].worker.proc.pid == worker
    third = notebook.check("rnn_step_forward", path=folder, answers=captioning_bundle)
    assert third.passed and notebook._session.grader.kept.students["numpy"].worker.proc.pid == worker


@pytest.fixture(scope="module")
def leaky_relu_bundle(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bundle") / "answers.npz"
    proc = subprocess.run([sys.executable, "-m", "grader.cli", "bundle", "--out", str(path), "--only",
                           "gan_tf.leaky_relu"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return path


def test_tensorflow_checks_reuse_the_warm_worker(folder, leaky_relu_bundle, session):
    assert notebook.check("leaky_relu", path=folder, answers=leaky_relu_bundle).passed
    worker = notebook._session.grader.kept.students["tensorflow"].worker.proc.pid
    source = folder / "cs231n" / "gan_tf.py"
    right = source.read_text()
    source.write_text(right.replace("def leaky_relu(x, alpha=0.01):", "def leaky_relu(x, alpha=0.01):\n    return x\n",
                                    1))
    wrong = notebook.check("leaky_relu", path=folder, answers=leaky_relu_bundle)
    assert not wrong.passed and "gan_tf.leaky_relu/notebook" in str(wrong)
    source.write_text(right)
    assert notebook.check("leaky_relu", path=folder, answers=leaky_relu_bundle).passed
    assert notebook._session.grader.kept.students["tensorflow"].worker.proc.pid == worker


# ------------------------------------------------------------------------------------------ the reload op

PACKAGE_INIT = ""
MODULE = '''
import numpy as np
import mypkgx

VALUE = {value}


def value():
    return VALUE


def identities():
    return [mypkgx.TOKEN, id(np)]
'''
SIBLING = "import random\nTOKEN = random.random()\n"
TAMPERING = "import numpy as np\nnp.allclose = lambda *a, **k: True\n"


def worker_over(tmp_path: Path) -> tuple[Executor, Path]:
    root = tmp_path / "root"
    (root / "mypkg").mkdir(parents=True)
    (root / "mypkg" / "__init__.py").write_text(PACKAGE_INIT)
    (root / "mypkg" / "mod.py").write_text(MODULE.format(value=1))
    (root / "mypkg" / "tamper.py").write_text(TAMPERING)
    (root / "mypkgx.py").write_text(SIBLING)
    return Executor(root, "test code", "mypkg", env=dict(BASE_ENV)), root


def test_reload_drops_only_the_package_modules(tmp_path):
    executor, root = worker_over(tmp_path)
    try:
        assert executor.call("mod.value") == 1
        before = executor.call("mod.identities")
        pid = executor.worker.proc.pid
        (root / "mypkg" / "mod.py").write_text(MODULE.format(value=2))
        assert executor.call("mod.value") == 1  # without reload the worker keeps the module it imported
        executor.reload()
        assert executor.call("mod.value") == 2
        assert executor.call("mod.identities") == before  # mypkgx (a prefix, not the package) and numpy kept
        assert executor.worker.proc.pid == pid
    finally:
        executor.close()


def test_a_worker_whose_state_the_code_changed_is_replaced_instead(tmp_path):
    executor, root = worker_over(tmp_path)
    try:
        executor.import_module("tamper")
        pid = executor.worker.proc.pid
        executor.reload()
        assert executor.worker is None
        assert executor.call("mod.value") == 1 and executor.worker.proc.pid != pid
    finally:
        executor.close()


# ------------------------------------------------------------------------------------------ the display


def test_the_display_escapes_what_the_code_wrote_and_shows_metric_against_threshold():
    checks = [CheckResult("m.f/notebook", "ex", ["m.f"], "passed", 1.0, 1.0, "fine",
                          Metric("rel_error", 1e-9, 1e-7)),
              CheckResult("m.f/hidden", "ex", ["m.f"], "failed", 0.0, 2.0, "f printed <script>x</script>",
                          Metric("rel_error", 0.5, 1e-6), details={"got": "<b>1</b>", "traceback": "Trace <here>"})]
    report = Report(SubmissionInfo("a3", "/a3", "0" * 64), GraderInfo("0.1.0", PUBLIC_SEED, "bwrap"), checks)
    view = CheckResults("f", report, "answer bundle, seed 231", "not isolated (no bubblewrap here): ...")
    html = view._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;1&lt;/b&gt;" in html
    assert "rel_error 1e-09 (&le; 1e-07)" in html and "rel_error 0.5 (limit 1e-06)" in html
    assert "f: 1 of 2 check(s) pass, 1 / 3 points" in html and "not isolated" in html
    text = str(view)
    assert "FAIL    m.f/hidden" in text and "got: <b>1</b>" in text and "Trace <here>" in text
    assert not view.passed


def test_an_interrupted_check_starts_afresh(folder, captioning_bundle, session, monkeypatch):
    """Ctrl-C in the middle of a check leaves a worker mid-request: the next call must not read its answer."""
    assert notebook.check("rnn_step_forward", path=folder, answers=captioning_bundle).passed
    kept = notebook._session.grader.kept
    from grader import runner

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(runner, "evaluate", interrupted)
        with pytest.raises(KeyboardInterrupt):
            notebook.check("rnn_step_forward", path=folder, answers=captioning_bundle)
    assert notebook._session.grader.kept is None and not kept.folder.exists()
    assert notebook.check("rnn_step_forward", path=folder, answers=captioning_bundle).passed
