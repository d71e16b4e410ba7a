"""Self-check without the reference: the public answer bundle, same verdicts as the instructor, CI outputs."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import CAPTIONING, ROOT, grade, statuses, validate_junit
from grader.bundle import BundleError, load_bundle


@pytest.fixture(scope="module")
def bundle(captioning_bundle) -> Path:
    return captioning_bundle


def self_check(path: Path, bundle: Path, *args: str, block_reference: bool = True) -> subprocess.CompletedProcess:
    """``grader check`` in a fresh interpreter where the reference package cannot be imported at all."""
    code = ("import sys\n"
            + ("sys.modules['reference'] = None\n" if block_reference else "")
            + "from grader.cli import main\n"
            "code = main(sys.argv[1:])\n"
            "assert not any(m == 'reference' or m.startswith('reference.') for m in sys.modules if sys.modules[m])\n"
            "sys.exit(code)\n")
    return subprocess.run([sys.executable, "-c", code, "check", str(path), "--answers", str(bundle), *args],
                          capture_output=True, text=True, timeout=600, cwd=path)


def test_bundle_holds_answers_and_provided_modules_but_no_solutions(bundle):
    b = load_bundle(bundle)
    assert b.seed == 231 and b.answers
    assert "layers.py" in b.provided and "optim.py" in b.provided
    assert "rnn_layers.py" not in b.provided and "classifiers/rnn.py" not in b.provided
    with np.load(bundle, allow_pickle=False) as z:
        assert all(z[name].dtype == np.uint8 for name in z.files)


def test_a_damaged_bundle_is_refused(bundle, tmp_path):
    with np.load(bundle, allow_pickle=False) as z:
        arrays = {name: z[name].copy() for name in z.files}
    key = next(k for k in arrays if k.startswith("a") and arrays[k].size > 20)
    arrays[key][10] ^= 1
    bad = tmp_path / "bad.npz"
    np.savez(bad, **arrays)
    with pytest.raises(BundleError, match="checksum"):
        load_bundle(bad)
    proc = subprocess.run([sys.executable, "-m", "grader.cli", "check", str(ROOT / "reference"), "--answers", str(bad)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "checksum" in proc.stderr


@pytest.mark.parametrize("sample", ["reference", "skeleton", "bug_lstm_gate_order", "bug_start_in_column0",
                                    "bug_rnn_backward_no_carry", "bug_embedding_no_add_at", "bug_lstm_mutates_dnext_c",
                                    "bug_tanh_projection"])
def test_self_check_agrees_with_the_instructor_on_public_checks(samples, bundle, sample, tmp_path):
    out = tmp_path / "self"
    proc = self_check(samples / sample, bundle, "--only", CAPTIONING, "--out", str(out))
    assert proc.returncode == (0 if sample == "reference" else 1), proc.stdout + proc.stderr
    mine = json.loads((out / sample / "report.json").read_text())
    instructor = grade([samples / sample], tmp_path / "instructor", "--seed", "231", "--only", CAPTIONING)[sample]
    skipped = {c["id"] for c in mine["checks"] if c["status"] == "skipped"}
    assert skipped == {c["id"] for c in mine["checks"] if c["id"].endswith("/overfit")}
    public = {k: v for k, v in statuses(instructor).items() if k not in skipped}
    assert {k: v for k, v in statuses(mine).items() if k not in skipped} == public
    assert "instructor-only" in proc.stdout


def test_checking_one_function_is_quick_and_never_loads_tensorflow(bundle, samples):
    code = ("import sys, time\nsys.modules['reference'] = None\nfrom grader.cli import main\nt = time.time()\n"
            "code = main(sys.argv[1:])\nprint('took', time.time() - t)\nassert 'tensorflow' not in sys.modules\n"
            "sys.exit(code)\n")
    proc = subprocess.run([sys.executable, "-c", code, "check", str(samples / "reference"), "--answers", str(bundle),
                           "--only", "rnn_layers.rnn_step_forward"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert float(re.search(r"took ([\d.]+)", proc.stdout).group(1)) < 10  # typically ~0.3 s; generous for CI


def test_junit_is_written_even_when_a_check_times_out(tmp_path, bundle):
    from conftest import write_submission

    source = (ROOT / "reference" / "cs231n" / "rnn_layers.py").read_text()
    start = source.index("def rnn_step_forward(")
    body_start = source.index('    next_h = ', start)
    hung = source[:body_start] + "    while True:\n        pass\n" + source[source.index("    return next_h, cache", start) + 25:]
    sub = write_submission(tmp_path / "hung", rnn_layers=hung)
    proc = subprocess.run([sys.executable, "-m", "grader.cli", "check", str(sub), "--answers", str(bundle),
                           "--only", "rnn_layers.rnn_step_forward", "--timeout", "2", "--junit",
                           str(tmp_path / "j.xml")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    root = validate_junit(tmp_path / "j.xml")
    errors = [c.find("error") for c in root.iter("testcase")]
    assert errors and all(e is not None and e.get("type") == "timeout" for e in errors)
