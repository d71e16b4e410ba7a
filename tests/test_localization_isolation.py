"""Fault localization runs student code next to the reference's copy of the package: it must happen in the
submission's own sandboxed worker, and nothing from those reruns (printed output, tracebacks, files,
details) may reach a report or the grader's output."""
from __future__ import annotations

from pathlib import Path

from conftest import ROOT, grade, write_submission
from grader.sandbox import bubblewrap
from exercises.assignment import ASSIGNMENT
from grader.worker.client import Executor

REF_LAYERS = (ROOT / "reference" / "cs231n" / "rnn_layers.py").read_text()
SECRET = "One timestep of a vanilla RNN with a tanh nonlinearity."
"""A line of the reference's rnn_layers.py that the student's file does not have."""

LEAKY_STEP = '''
import os as _os
import sys as _sys


def _steal():
    """Where the reference's copy is importable (a localizing worker), print it, hide it, raise it."""
    for root in _sys.path:
        path = _os.path.join(root, "cs231n_reference", "rnn_layers.py")
        if _os.path.exists(path):
            source = open(path).read()
            print(source)
            _sys.stderr.write(source)
            for folder in (_os.getcwd(), _os.environ.get("HOME", "."), "/tmp"):
                try:
                    with open(_os.path.join(folder, "stolen.txt"), "w") as f:
                        f.write(source)
                except OSError:
                    pass
            return source
    for folder in (_os.getcwd(), _os.environ.get("HOME", "."), "/tmp"):
        try:
            return open(_os.path.join(folder, "stolen.txt")).read()
        except OSError:
            pass
    print("STEP RAN WITHOUT THE REFERENCE")
    return None


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    stolen = _steal()
    if stolen:
        raise RuntimeError(stolen[:3000])
    next_h = np.tanh(x.dot(Wx) + prev_h.dot(Wh) + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)
'''


def leaky_submission(root: Path) -> Path:
    """rnn_forward keeps h0 in its output (wrong), so rnn_forward/notebook fails and localization reruns it;
    the student's rnn_step_forward tries to steal the reference wherever it runs."""
    layers = REF_LAYERS.replace("    states, step_caches = [], []\n    prev_h = h0\n",
                                "    states, step_caches = [h0], []\n    prev_h = h0\n", 1)
    start = layers.index("def rnn_step_forward(")
    end = layers.index("def rnn_step_backward(")
    layers = layers[:start] + LEAKY_STEP.strip() + "\n\n\n" + layers[end:]
    assert SECRET not in layers.replace('"""One timestep', "")  # the docstring went with the replaced function
    return write_submission(root, rnn_layers=layers)


def test_nothing_from_a_localizing_rerun_reaches_the_reports(tmp_path, capsys):
    sub = leaky_submission(tmp_path / "leaky")
    out = tmp_path / "out"
    report = grade([sub], out, "--seed", "3", "--only", "rnn_layers.rnn_forward")["leaky"]
    verdicts = {name: v["status"] for name, v in report["functions"].items()}
    assert verdicts["rnn_layers.rnn_forward"] == "failed"
    assert "with the reference's `rnn_forward`" in " ".join(c["message"] for c in report["checks"])
    printed = " ".join(c["details"].get("stdout", "") for c in report["checks"])
    assert "STEP RAN WITHOUT THE REFERENCE" in printed  # the ordinary workers ran it and showed its output
    captured = capsys.readouterr()
    for text in [captured.out, captured.err] + [p.read_text(errors="replace") for p in out.rglob("*") if p.is_file()]:
        assert SECRET not in text


def test_reruns_happen_only_in_the_submissions_sandboxed_worker(tmp_path, monkeypatch):
    """Reruns that mix the student's functions with the reference's run in the submission's sandboxed worker;
    the reference's own worker only ever runs the project's code (catalogued misconceptions at most)."""
    seen: list[tuple[Path, tuple, dict]] = []
    original = Executor.request

    def spy(self, message):
        seen.append((self.root, self.command_prefix, dict(self.substitution or {})))
        return original(self, message)

    monkeypatch.setattr(Executor, "request", spy)
    sub = leaky_submission(tmp_path / "leaky")
    grade([sub], tmp_path / "out", "--seed", "3", "--only", "rnn_layers.rnn_forward")
    mixed = [(root, prefix) for root, prefix, swap in seen if set(swap.values()) & {"student", "reference"}]
    assert mixed, "localization did not rerun anything"
    assert all(root.name == "pkg-localize" for root, _ in mixed)
    in_reference = [swap for root, _, swap in seen if root == ASSIGNMENT.reference]
    assert all(":" in source for swap in in_reference for source in swap.values())
    if bubblewrap():
        assert all(prefix and prefix[0] == bubblewrap() for _, prefix in mixed)


def test_localization_can_be_turned_off(tmp_path):
    sub = leaky_submission(tmp_path / "leaky")
    report = grade([sub], tmp_path / "out", "--seed", "3", "--only", "rnn_layers.rnn_forward",
                   "--localize-budget", "0")["leaky"]
    # without reruns the conservative rule blames the targets of the failing check
    assert report["functions"]["rnn_layers.rnn_forward"]["status"] == "failed"
    assert "with the reference's" not in " ".join(c["message"] for c in report["checks"])
