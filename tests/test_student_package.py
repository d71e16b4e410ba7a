"""The student package (``grader dist``): installed alone in a fresh venv it self-checks, gives the verdicts of
``grader check --answers``, refuses the instructor's commands, and holds no solution code anywhere."""
from __future__ import annotations

import ast
import json
import os
import re
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import CAPTIONING, ROOT, validate_junit
from grader import leaks
from grader.bundle import load_bundle

STUDENT_FILES = ("rnn_layers.py", "classifiers/rnn.py", "net_visualization_tensorflow.py",
                 "style_transfer_tensorflow.py", "gan_tf.py", "net_visualization_pytorch.py",
                 "style_transfer_pytorch.py", "gan_pytorch.py")
QUICK_SAMPLES = ("reference", pytest.param("bug_rnn_tanh_exp", marks=pytest.mark.slow))
"""The samples compared with the captioning bundle (the default run takes the reference)."""


def dist(out: Path, *args: str) -> Path:
    proc = subprocess.run([sys.executable, "-m", "grader.cli", "dist", "--out", str(out), *args],
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [wheel] = out.glob("*.whl")
    return wheel


def make_venv(folder: Path, wheel: Path) -> Path:
    """A fresh venv that reuses this venv's third-party packages (a ``.pth`` line naming its site-packages,
    whose own ``.pth`` files, the editable install of this repository among them, are not read), with only
    the wheel installed."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120)
    [packages] = (folder / "lib").glob("python*/site-packages")
    (packages / "project_libraries.pth").write_text(site.getsitepackages()[0] + "\n")
    proc = subprocess.run([sys.executable, "-m", "pip", "--python", str(folder / "bin" / "python"), "install",
                           "--quiet", "--no-deps", "--no-index", str(wheel)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return folder


def clean_env(venv: Path) -> dict[str, str]:
    """No PYTHONPATH, and a PATH without bubblewrap: the package as on Colab or a laptop."""
    return {"PATH": str(venv / "bin"), "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"}


@pytest.fixture(scope="module")
def wheel(captioning_bundle, tmp_path_factory) -> Path:
    return dist(tmp_path_factory.mktemp("dist"), "--answers", str(captioning_bundle))


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    return make_venv(tmp_path_factory.mktemp("student") / "venv", wheel)


def student_check(venv: Path, sample: Path, out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(venv / "bin" / "grader"), "check", str(sample), "--out", str(out), *args],
                          capture_output=True, text=True, timeout=900, env=clean_env(venv), cwd=sample)


def instructor_check(sample: Path, bundle: Path, out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader.cli", "check", str(sample), "--answers", str(bundle),
                           "--out", str(out), *args], capture_output=True, text=True, timeout=900)


def verdicts(out: Path, sample: str) -> dict[str, tuple[str, float, str]]:
    report = json.loads((out / sample / "report.json").read_text())
    return {c["id"]: (c["status"], c["score"], c["message"]) for c in report["checks"]}


# ------------------------------------------------------------------------------------------ installed alone

def compare_with_instructor(venv: Path, bundle: Path, sample: Path, tmp_path: Path, *args: str) -> int:
    """Check ``sample`` with the installed student package and with ``--answers bundle``: the same exit code
    (returned) and the same verdicts."""
    mine = student_check(venv, sample, tmp_path / "student", *args)
    theirs = instructor_check(sample, bundle, tmp_path / "instructor", *args)
    assert mine.returncode == theirs.returncode, sample.name + mine.stderr + theirs.stderr
    assert verdicts(tmp_path / "student", sample.name) == verdicts(tmp_path / "instructor", sample.name), sample.name
    return mine.returncode


def full_student_package(tmp_path: Path) -> tuple[Path, Path]:
    """``grader dist`` making its own bundle (every exercise), installed alone: the venv, and the bundle it
    ships (for ``--answers``)."""
    wheel = dist(tmp_path / "dist")
    venv = make_venv(tmp_path / "venv", wheel)
    bundle = tmp_path / "answers.npz"
    with zipfile.ZipFile(wheel) as z:
        bundle.write_bytes(z.read("grader/answers/answers.npz"))
    return venv, bundle



def test_the_student_venv_cannot_reach_the_repository(venv, wheel):
    code = ("import importlib.util, grader, exercises, sys\n"
            "print(grader.__file__); print(exercises.__file__)\n"
            "print(importlib.util.find_spec('reference'))\n"
            "print(importlib.util.find_spec('exercises.captioning.mistakes'))\n")
    proc = subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True,
                          env=clean_env(venv), cwd=venv, timeout=120)
    assert proc.returncode == 0, proc.stderr
    grader_file, exercises_file, reference, mistakes = proc.stdout.splitlines()
    assert grader_file.startswith(str(venv)) and exercises_file.startswith(str(venv))
    assert reference == "None" and mistakes == "None"
    version = subprocess.run([str(venv / "bin" / "grader"), "--version"], capture_output=True, text=True,
                             env=clean_env(venv), timeout=120).stdout
    assert version.strip() == "grader 0.1.0 (cs231n-a3-selfcheck %s)" % wheel.name.split("-")[1]


def test_the_student_package_self_checks_a_sample(venv, wheel, samples, tmp_path):
    proc = student_check(venv, samples / "bug_rnn_tanh_exp", tmp_path, "--only", CAPTIONING)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAIL    rnn_layers.rnn_step_forward/large-inputs" in proc.stdout
    assert "PASS    classifiers.rnn.CaptioningRNN.loss[rnn]/overfit" in proc.stdout  # judged without the reference
    assert "answer bundle" in proc.stdout and "instructor-only" not in proc.stdout
    [note] = [line for line in proc.stderr.splitlines() if "not isolated" in line.lower()]
    assert note == ("grader: note: not isolated (no bubblewrap here): your code runs in plain worker processes with "
                    "resource limits, which is fine for checking your own code")
    report = json.loads((tmp_path / "bug_rnn_tanh_exp" / "report.json").read_text())
    name, version = wheel.name.split("-")[:2]
    assert report["grader"]["release"]["name"].replace("-", "_") == name
    assert report["grader"]["release"]["version"] == version
    assert version.endswith("+" + report["grader"]["release"]["answers"][:12])
    assert report["grader"]["isolation"].startswith("NOT ISOLATED")  # and as root here, as on Colab


@pytest.mark.parametrize("command", [["grade", ".", "--out", "out"], ["bundle", "--out", "a.npz"],
                                     ["dist", "--out", "d"]])
def test_instructor_commands_refuse_in_the_student_package(venv, samples, command, tmp_path):
    proc = subprocess.run([str(venv / "bin" / "grader"), *command], capture_output=True, text=True, timeout=300,
                          env=clean_env(venv), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "grader: error: instructor command: the reference is not in the student package"
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("sample", QUICK_SAMPLES)
def test_the_student_package_gives_the_verdicts_of_check_with_answers(venv, captioning_bundle, samples, sample,
                                                                      tmp_path):
    code = compare_with_instructor(venv, captioning_bundle, samples / sample, tmp_path, "--only", CAPTIONING)
    assert code == (0 if sample == "reference" else 1)


FULL_PACKAGE_SAMPLES = {
    "reference": None,  # every check of every exercise
    "bug_style_loss_gram_of_targets": "style_transfer",  # the style runs, judged without the reference
    "bug_pt_tv_channel_axis": "style_transfer_pytorch",  # the PyTorch track's, too
}
"""What the slow test compares through a full student package (every sample: ``-m sweep``)."""


@pytest.mark.slow
def test_a_full_student_package_gives_the_verdicts_of_check_with_answers_on_every_exercise(samples, tmp_path):
    venv, bundle = full_student_package(tmp_path)
    for sample, exercise in FULL_PACKAGE_SAMPLES.items():
        compare_with_instructor(venv, bundle, samples / sample, tmp_path, *(["--only", exercise] if exercise else []))


@pytest.mark.slow
@pytest.mark.sweep
def test_every_sample_gets_the_same_verdicts_from_a_full_student_package(samples, tmp_path):
    """Every sample, every check (about two hours on two cores: run by hand with ``-m sweep``)."""
    venv, bundle = full_student_package(tmp_path)
    for sample in sorted(p.name for p in samples.iterdir()):
        compare_with_instructor(venv, bundle, samples / sample, tmp_path)


# ------------------------------------------------------------------------------------------ no solutions


def todo_functions() -> set[tuple[str, str]]:
    """The functions students write, from the untouched skeleton: those whose body differs from the
    reference's, as (file, name) (the two tracks' files share function names)."""
    out = set()
    for rel in STUDENT_FILES:
        skeleton = dict(leaks.functions(ast.parse((ROOT / "submissions" / "skeleton" / "cs231n" / rel).read_text())))
        for name, fn in leaks.functions(ast.parse((ROOT / "reference" / "cs231n" / rel).read_text())):
            if name not in skeleton or leaks.normalise(leaks.body(fn)) != leaks.normalise(leaks.body(skeleton[name])):
                out.add((rel, name))
    return out


def solutions() -> leaks.Solutions:
    from grader.config import GradingConfig
    from grader.plugins import get_plugin_manager
    from grader.session import collect_assignment, collect_exercises

    pm = get_plugin_manager()
    assignment = collect_assignment(pm)
    graded = {t for ex in collect_exercises(pm, GradingConfig(seed=1, assignment=assignment))
              for c in ex.checks for t in (*c.targets, *c.uses)}
    return leaks.reference_solutions(ROOT / "reference", "cs231n", STUDENT_FILES, graded)


def test_every_function_students_write_is_searched_for():
    todo = todo_functions()
    assert {"CaptioningRNN.loss", "CaptioningRNN.sample", "rnn_step_forward", "gram_matrix", "leaky_relu",
            "bce_loss", "build_dc_generator", "get_optimizer", "build_dc_classifier"} <= {name for _, name in todo}
    assert {rel for rel, _ in todo} == set(STUDENT_FILES)
    searched = set(solutions().bodies.values())
    for rel, name in sorted(todo):
        qualified = "%s.%s" % (rel[:-3].replace("/", "."), name)
        fn = dict(leaks.functions(ast.parse((ROOT / "reference" / "cs231n" / rel).read_text())))[name]
        if leaks.size(leaks.body(fn)) >= leaks.MIN_BODY_NODES:
            assert qualified in searched, qualified


def test_the_wheel_holds_no_solution_code(wheel):
    found = solutions()
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        for name in names:
            assert leaks.scan_file(name, z.read(name), found) == [], name
        provided = load_bundle_from(z)
    assert not any(n.startswith("reference/") or re.search(r"/mistakes(_\w+)?\.py$", n) or n.startswith("tests/")
                   for n in names)
    assert "grader/answers/answers.npz" in names and "grader/answers/release.json" in names
    assert not set(STUDENT_FILES) & set(provided)  # the bundle's provided modules: no student file
    for rel, source in provided.items():
        assert leaks.scan_source(rel, source.decode(), found) == [], rel


def test_the_student_package_holds_no_similarity_search(wheel, venv, tmp_path):
    """The staff's similarity search is neither in the wheel nor in its requirements nor its commands."""
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        [metadata] = [z.read(n).decode() for n in names if n.endswith(".dist-info/METADATA")]
    assert not any("similarity" in n for n in names)
    assert "copydetect" not in metadata.lower() and "Requires-Dist: numpy" in metadata
    proc = subprocess.run([str(venv / "bin" / "grader"), "similarity", ".", "--out", "out"], capture_output=True,
                          text=True, timeout=120, env=clean_env(venv), cwd=tmp_path)
    assert proc.returncode == 2 and "invalid choice: 'similarity'" in proc.stderr and not any(tmp_path.iterdir())
    usage = subprocess.run([str(venv / "bin" / "grader"), "grade", "--help"], capture_output=True, text=True,
                           timeout=120, env=clean_env(venv), cwd=tmp_path).stdout
    assert "--gradebook" in usage and "similarity" not in usage


def load_bundle_from(z: zipfile.ZipFile) -> dict[str, bytes]:
    path = Path(z.filename).with_suffix(".answers.npz")
    path.write_bytes(z.read("grader/answers/answers.npz"))
    try:
        return load_bundle(path).provided
    finally:
        path.unlink()


def test_the_wheel_is_small_apart_from_the_answer_bundle(wheel):
    with zipfile.ZipFile(wheel) as z:
        bundle = z.getinfo("grader/answers/answers.npz").compress_size
    assert wheel.stat().st_size - bundle <= 5 * 2**20


def test_the_search_finds_solutions_renamed_inlined_or_in_methods(tmp_path):
    found = solutions()
    renamed = ("import numpy as np\n\ndef helper(a, h, W1, W2, bias):\n    '''A copy with other names.'''\n"
               "    nh = np.tanh(a.dot(W1) + h.dot(W2) + bias)\n    c = (a, h, W1, W2, nh)\n    return nh, c\n")
    source = (ROOT / "reference" / "cs231n" / "rnn_layers.py").read_text()
    [step] = [fn for name, fn in leaks.functions(ast.parse(source)) if name == "rnn_step_forward"]
    assert leaks.normalise(leaks.body(step)) == leaks.normalise(leaks.body(ast.parse(renamed).body[1])), \
        "the planted copy must be the reference's body with other names"
    model = (ROOT / "reference" / "cs231n" / "classifiers" / "rnn.py").read_text()
    [loss] = [fn for name, fn in leaks.functions(ast.parse(model)) if name == "CaptioningRNN.loss"]
    method = "class Checker:\n    def run(self, features, captions):\n" + "".join(
        "        " + line + "\n" for line in ast.unparse(leaks.body(loss)).splitlines())
    planted = {"pkg/renamed.py": renamed, "pkg/method.py": method,
               "pkg/mistakes.py": (ROOT / "exercises" / "captioning" / "mistakes.py").read_text(),
               "pkg/clean.py": "def f(x):\n    return x + 1\n"}
    archive = tmp_path / "planted.whl"
    with zipfile.ZipFile(archive, "w") as z:
        for name, text in planted.items():
            z.writestr(name, text)
    flagged: dict[str, str] = {}
    for leak in leaks.scan_wheel(archive, found):
        flagged[leak.file] = flagged.get(leak.file, "") + str(leak) + "\n"
    assert set(flagged) == {"pkg/renamed.py", "pkg/method.py", "pkg/mistakes.py"}
    assert "rnn_layers.rnn_step_forward" in flagged["pkg/renamed.py"]
    assert "CaptioningRNN.loss" in flagged["pkg/method.py"]
    assert "rnn_layers.lstm_step_forward" in flagged["pkg/mistakes.py"]  # the inlined pre-activation


def test_dist_refuses_to_write_a_wheel_that_would_hold_a_solution(captioning_bundle, tmp_path, monkeypatch, capsys):
    """With the misconceptions' implementations no longer left out, the wheel would hold one: none is written."""
    from grader import dist as dist_module
    from grader.cli import main

    monkeypatch.setattr(dist_module, "_instructor_only_files", lambda pm, config: set())
    code = main(["dist", "--out", str(tmp_path), "--answers", str(captioning_bundle)])
    assert code == 2
    assert not list(tmp_path.glob("*.whl"))
    err = capsys.readouterr().err
    assert "would hold solution code" in err and "exercises/captioning/mistakes.py" in err


def test_a_notebook_checks_with_the_installed_package_alone(venv, wheel, samples, tmp_path, monkeypatch):
    """A kernel of the student venv (no PATH to bubblewrap, as on Colab): ``check`` needs no setup."""
    import nbformat
    from nbclient import NotebookClient

    spec = tmp_path / "kernels" / "student"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(venv / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "student", "language": "python", "env": clean_env(venv)}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    folder = tmp_path / "assignment3"
    shutil.copytree(samples / "reference", folder)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from grader.notebook import check\ncheck('rnn_step_forward')")])
    NotebookClient(nb, timeout=600, kernel_name="student", resources={"metadata": {"path": str(folder)}}).execute()
    html = "".join(o.get("data", {}).get("text/html", "") for o in nb.cells[0].outputs)
    version = wheel.name.split("-")[1]
    assert "rnn_step_forward: 3 of 3 check(s) pass" in html
    assert "checked against the answer bundle, seed 231 by cs231n-a3-selfcheck %s" % version in html
    assert "note: not isolated (no bubblewrap here)" in html


def test_the_documented_ci_workflow_installs_the_student_package_and_writes_junit(venv, samples, tmp_path):
    doc = (ROOT / "docs" / "ci.md").read_text()
    [install] = [line.strip() for line in doc.splitlines() if line.strip().startswith("run: pip install")]
    assert "_selfcheck-" in install and install.endswith('-py3-none-any.whl"') and "git+" not in doc
    command = next(line.strip() for line in doc.splitlines() if line.strip().startswith("grader check"))
    work = tmp_path / "repo"
    shutil.copytree(samples / "bug_rnn_backward_no_carry", work)
    args = command.replace('"$GITHUB_STEP_SUMMARY"', str(tmp_path / "summary.md")).split()[2:]
    proc = subprocess.run([str(venv / "bin" / "grader"), "check", *args, "--only", CAPTIONING], capture_output=True,
                          text=True, timeout=600, cwd=work, env=clean_env(venv))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    root = validate_junit(work / "reports" / "junit.xml")
    failures = {c.get("name") for c in root.iter("testcase") if c.find("failure") is not None}
    assert "rnn_layers.rnn_backward/numeric-gradient" in failures
    assert not any(c.find("skipped") is not None for c in root.iter("testcase"))  # self-check runs every check
    summary = (tmp_path / "summary.md").read_text()
    assert "rnn_backward/numeric-gradient" in summary and "| exercise | score |" in summary
