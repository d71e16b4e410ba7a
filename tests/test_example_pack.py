"""The out-of-tree example pack (``examples/transformer-pack``) installed as a course would install it.

A fresh virtual environment gets this repository (``pip install --no-deps -e``) and the pack (``pip install
--no-deps``, from a copy); its third-party packages come from the project's venv through a ``.pth`` line rather
than a second download. Its ``grader`` then grades, bundles and self-checks the pack's exercise, lists the pack,
and leaves it out when autoload is off unless the allow-list names it.

The runs in that environment go without bubblewrap (no ``bwrap`` on their ``PATH``): the project's venv lies
in the checkout, which the sandbox hides from workers. Isolation has tests of its own.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import re
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT, write_submission
from exercises.assignment import ASSIGNMENT
from grader.cli import main

PACK = ROOT / "examples" / "transformer-pack"
PACK_VERSION = re.search(r'^version = "(.+)"$', (PACK / "pyproject.toml").read_text(), re.M).group(1)
REFERENCE = (PACK / "transformer_pack_reference" / "cs231n" / "transformer_layers.py").read_text()
NOTEBOOK = PACK / "student" / "Transformer_Attention.ipynb"
EXERCISE = "transformer_attention"
PACK_CHECKS = ["transformer_layers.scaled_dot_product_attention/" + c for c in ("notebook", "hidden", "contract")]
OTHER = "rnn_layers.rnn_step_forward"
"""Another exercise's checks, graded alongside: the pack must not change them."""


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pack-venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    python = root / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (Path(site) / "project-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pack = root.parent / "transformer-pack"  # building in a copy leaves no build/ in the checkout
    shutil.copytree(PACK, pack, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", "tests"))
    # --ignore-installed: pip sees the project venv's own install of the grader through the .pth line and must
    # not try to replace it there
    pip = [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--ignore-installed"]
    subprocess.run(pip + ["-e", str(ROOT)], check=True, capture_output=True)
    subprocess.run(pip + [str(pack)], check=True, capture_output=True)
    return root


def run(venv: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The venv's ``grader`` with ``args``; no bubblewrap on its PATH, no plugin settings from outside."""
    base = {k: v for k, v in os.environ.items() if k not in ("GRADER_PLUGINS", "GRADER_DISABLE_PLUGIN_AUTOLOAD")}
    return subprocess.run([str(venv / "bin" / "grader"), *args], capture_output=True, text=True, timeout=600,
                          env={**base, "PATH": str(venv / "bin"), **(env or {})})


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """The reference's files, the pack's student file done right and its notebook answered."""
    root = write_submission(tmp_path_factory.mktemp("sample") / "sample", files={"transformer_layers.py": REFERENCE})
    notebook = json.loads(NOTEBOOK.read_text())
    cell = next(c for c in notebook["cells"] if "Your Answer:" in "".join(c["source"]))
    cell["source"] = "**Your Answer:** dot products grow like sqrt(D); unscaled, the softmax saturates."
    (root / NOTEBOOK.name).write_text(json.dumps(notebook))
    return root


def grade(venv: Path, sample: Path, out: Path, only: str, *flags: str, env: dict[str, str] | None = None) -> dict:
    proc = run(venv, *flags, "grade", str(sample), "--out", str(out), "--only", only, "--seed", "5", env=env)
    assert proc.returncode == 0, proc.stderr
    return json.loads((out / "sample" / "report.json").read_text())


@pytest.fixture(scope="module")
def graded(venv, sample, tmp_path_factory) -> dict:
    """The sample graded with the pack installed: its exercise and another one."""
    return grade(venv, sample, tmp_path_factory.mktemp("graded"), "%s,%s" % (EXERCISE, OTHER))


def verdicts(report: dict, prefix: str) -> dict[str, tuple[str, float]]:
    return {c["id"]: (c["status"], c["score"]) for c in report["checks"] if c["id"].startswith(prefix)}


def test_grader_plugins_lists_the_installed_pack_with_its_version_and_hooks(venv):
    proc = run(venv, "plugins")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("transformer "))
    assert lines[at].split() == ["transformer", PACK_VERSION, "entry", "point", "(cs231n-transformer-pack)"]
    assert lines[at + 1].split() == ["hooks:", "grader_assignment,", "grader_exercises"]


def test_a_sample_with_the_pack_file_is_graded_with_its_question_and_the_pack_recorded(graded):
    assert [c["id"] for c in graded["checks"] if c["exercise"] == EXERCISE] == PACK_CHECKS
    assert all(c["status"] == "passed" for c in graded["checks"]), graded["checks"]
    assert {"name": "transformer", "version": PACK_VERSION} in graded["grader"]["plugins"]
    [question] = [q for q in graded["questions"] if q["notebook"] == NOTEBOOK.name]
    assert question["label"] == "Inline Question 1" and question["answered"]
    assert "sqrt(D)" in question["answer"]


def test_a_bundle_made_by_grader_bundle_self_checks_the_pack(venv, sample, tmp_path):
    bundle = tmp_path / "answers.npz"
    made = run(venv, "bundle", "--out", str(bundle), "--only", EXERCISE)
    assert made.returncode == 0, made.stderr
    assert "for 3 checks at seed 231" in made.stdout
    checked = run(venv, "check", str(sample), "--answers", str(bundle), "--only", EXERCISE, "--out", str(tmp_path))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "answer bundle (seed 231)" in checked.stdout
    report = json.loads((tmp_path / "sample" / "report.json").read_text())
    assert [(c["id"], c["status"]) for c in report["checks"]] == [(c, "passed") for c in PACK_CHECKS]


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_with_autoload_off_the_pack_is_refused_and_the_other_checks_are_unchanged(venv, sample, graded, tmp_path,
                                                                                  how):
    flags, env = (["--no-plugin-autoload"], None) if how == "flag" else ([], {"GRADER_DISABLE_PLUGIN_AUTOLOAD": "1"})
    report = grade(venv, sample, tmp_path / "out", OTHER, *flags, env=env)
    assert verdicts(report, OTHER) == verdicts(graded, OTHER) and verdicts(report, OTHER)
    assert not [c for c in report["checks"] if c["exercise"] == EXERCISE]
    assert not [q for q in report["questions"] if q["notebook"] == NOTEBOOK.name]
    assert "transformer" not in [p["name"] for p in report["grader"]["plugins"]]
    listed = run(venv, *flags, "list", "--only", EXERCISE, env=env)
    assert listed.returncode == 2
    assert listed.stderr.strip().splitlines() == ["grader: error: unknown exercise or check id: %s (see `grader "
                                                  "list`)" % EXERCISE]
    plugins = run(venv, *flags, "plugins", env=env).stdout
    assert "(not loaded: plugin autoload is off)" in next(line for line in plugins.splitlines()
                                                          if line.startswith("transformer "))


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_the_allow_list_loads_the_pack_even_with_autoload_off_and_refuses_it_when_unnamed(venv, how):
    def allow(names: str) -> tuple[list[str], dict[str, str]]:
        off = {"GRADER_DISABLE_PLUGIN_AUTOLOAD": "1"}
        return (["--plugins", names], off) if how == "flag" else ([], {**off, "GRADER_PLUGINS": names})

    flags, env = allow("transformer")
    listed = run(venv, *flags, "list", "--only", EXERCISE, env=env)
    assert listed.returncode == 0, listed.stderr
    assert all(c in listed.stdout for c in PACK_CHECKS)
    flags, env = allow("some_other_pack")
    plugins = run(venv, *flags, "plugins", env=env).stdout
    assert "(not loaded: not in --plugins)" in next(line for line in plugins.splitlines()
                                                    if line.startswith("transformer "))


def test_the_pack_passes_its_own_tests_where_it_is_installed(venv):
    """The pack's test suite (the reference, the skeleton, each realistic bug) with the venv's grader."""
    proc = subprocess.run([str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(PACK / "tests")], capture_output=True, text=True, timeout=600, cwd=PACK,
                          env={**os.environ, "PATH": str(venv / "bin")})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout


# ------------------------------------------------------------------------------------------ a broken pack

BROKEN_PACK = textwrap.dedent('''
    from grader.api import CheckList, Exercise, Outcome, hookimpl

    checks = CheckList("broken_pack", modules=("extra_layers",))
    checks.add("extra_layers.f/always", "always passes", "extra_layers.f", 1.0)(lambda ctx: Outcome(passed=True))

    @hookimpl
    def grader_exercises(config):
        return [Exercise("broken_pack", "A pack naming a module that is no student file", tuple(checks.checks))]
''')


@pytest.fixture
def broken_pack(tmp_path, monkeypatch) -> None:
    """An installed pack (an entry point) whose check imports ``extra_layers``, which no plugin declares."""
    (tmp_path / "broken_pack.py").write_text(BROKEN_PACK)
    dist = tmp_path / "broken_pack-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-pack\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[grader]\nbroken = broken_pack\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("GRADER_PLUGINS", raising=False)
    monkeypatch.delenv("GRADER_DISABLE_PLUGIN_AUTOLOAD", raising=False)


@pytest.mark.parametrize("command", ["list", "grade"])
def test_a_check_importing_a_module_that_is_no_student_file_stops_at_collect_time(broken_pack, tmp_path, capsys,
                                                                                  command):
    args = ["grade", str(write_submission(tmp_path / "sub")), "--out", str(tmp_path / "out")] if command == "grade" \
        else ["list"]
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [
        "grader: error: check extra_layers.f/always imports cs231n/extra_layers.py, which is not a student file of "
        "the assignment (student files: %s)" % ", ".join(ASSIGNMENT.student_files)]
    assert not (tmp_path / "out").exists()
