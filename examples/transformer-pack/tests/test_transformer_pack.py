"""The pack's own tests, through the ``grader`` command of the environment the pack is installed in: the
reference earns every point, the skeleton none (without a crash), and each realistic bug fails exactly the
checks meant to catch it, with a message that says what to change.

Run them with ``pytest tests`` in this folder after ``pip install -e .`` (next to the grader).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from transformer_pack.checks import NOTEBOOK_EXPECTED

PACK = Path(__file__).resolve().parents[1]
REFERENCE = (PACK / "transformer_pack_reference" / "cs231n" / "transformer_layers.py").read_text()
SKELETON = (PACK / "student" / "cs231n" / "transformer_layers.py").read_text()
NOTEBOOK = PACK / "student" / "Transformer_Attention.ipynb"
GRADER = Path(sys.executable).with_name("grader")
PREFIX = "transformer_layers.scaled_dot_product_attention/"
CHECKS = {"notebook", "hidden", "contract"}


def bug(old: str, new: str) -> str:
    assert old in REFERENCE, old
    return REFERENCE.replace(old, new)


BUGS = {
    "no_scaling": (bug(" / np.sqrt(query.shape[-1])", ""), {"notebook", "hidden"}, "rel_error"),
    "mask_ignored": (bug("        scores = np.where(mask, scores, -np.inf)\n", "        pass\n"), CHECKS,
                     "give masked scores -inf before the softmax"),
    "softmax_without_max": (bug("    scores = scores - scores.max(axis=-1, keepdims=True)\n", ""), {"contract"},
                            "subtract each row's largest score before np.exp"),
    "scales_the_query_in_place": (bug("    scores = query @", "    query /= np.sqrt(query.shape[-1])\n"
                                      "    scores = query * np.sqrt(query.shape[-1]) @"), {"contract"},
                                  "modified its input query in place"),
    "softmax_over_the_queries": (bug("weights.sum(axis=-1, keepdims=True)", "weights.sum(axis=1, keepdims=True)"),
                                 CHECKS, "each row of weights must sum to 1"),
    "hard_coded_notebook_values": (
        "import numpy as np\n\n\ndef scaled_dot_product_attention(query, key, value, mask=None):\n"
        "    return np.array(%r), np.array(%r)\n" % (NOTEBOOK_EXPECTED["out"].tolist(),
                                                   NOTEBOOK_EXPECTED["weights"].tolist()),
        {"hidden", "contract"}, "has shape"),
}
"""name -> (the student file, the checks it fails, words of the contract check's or first failure's message)."""
RIGHT_ANOTHER_WAY = {
    "mask_by_a_large_negative_score": bug("np.where(mask, scores, -np.inf)", "np.where(mask, scores, -1e9)"),
    "one_example_at_a_time": (
        "import numpy as np\n\n\ndef scaled_dot_product_attention(query, key, value, mask=None):\n"
        "    N, S, D = query.shape\n"
        "    out, weights = np.zeros((N, S, value.shape[2])), np.zeros((N, S, key.shape[1]))\n"
        "    for n in range(N):\n"
        "        scores = query[n].dot(key[n].T) / np.sqrt(D)\n"
        "        if mask is not None:\n"
        "            scores[~mask] = -np.inf\n"
        "        scores -= scores.max(axis=1, keepdims=True)\n"
        "        weights[n] = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)\n"
        "        out[n] = weights[n].dot(value[n])\n"
        "    return out, weights\n"),
}
"""Correct implementations written differently from the reference: full marks."""


def answered_notebook() -> str:
    notebook = json.loads(NOTEBOOK.read_text())
    cell = next(c for c in notebook["cells"] if "Your Answer:" in "".join(c["source"]))
    cell["source"] = ("**Your Answer:** the dot product of two random D-dimensional vectors grows like sqrt(D); "
                      "unscaled, the softmax saturates and almost all the weight goes to one key.")
    return json.dumps(notebook)


def write(folder: Path, source: str, notebook: str | None = None) -> None:
    (folder / "cs231n").mkdir(parents=True)
    (folder / "cs231n" / "transformer_layers.py").write_text(source)
    (folder / NOTEBOOK.name).write_text(notebook if notebook is not None else NOTEBOOK.read_text())


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, dict]:
    """Every sample graded in one run of ``grader grade``: only this pack's exercise, without the sandbox
    (which changes no verdict: the grader's own tests cover it)."""
    root = tmp_path_factory.mktemp("submissions")
    write(root / "reference", REFERENCE, answered_notebook())
    write(root / "skeleton", SKELETON)
    for name, (source, _, _) in BUGS.items():
        write(root / name, source)
    for name, source in RIGHT_ANOTHER_WAY.items():
        write(root / name, source)
    out = root.parent / (root.name + "-reports")
    proc = subprocess.run([str(GRADER), "grade", str(root), "--out", str(out), "--only", "transformer_attention",
                           "--seed", "7", "--jobs", "2", "--no-sandbox"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/report.json")}


def failed(report: dict) -> set[str]:
    return {c["id"].removeprefix(PREFIX) for c in report["checks"] if c["status"] != "passed"}


def test_the_reference_earns_every_point_and_its_answer_is_collected(reports):
    report = reports["reference"]
    assert failed(report) == set() and report["score"] == report["max_score"] == 5.0
    [question] = [q for q in report["questions"] if q["notebook"] == NOTEBOOK.name]
    assert question["label"] == "Inline Question 1" and question["answered"]


def test_the_skeleton_scores_zero_and_says_the_todo_is_left(reports):
    report = reports["skeleton"]
    assert failed(report) == CHECKS and report["score"] == 0
    assert all("is the TODO still a `pass`?" in c["message"] for c in report["checks"])
    assert not next(q for q in report["questions"] if q["notebook"] == NOTEBOOK.name)["answered"]


@pytest.mark.parametrize("name", BUGS)
def test_each_bug_fails_exactly_its_checks(reports, name):
    _, expected, words = BUGS[name]
    report = reports[name]
    assert failed(report) == expected
    messages = {c["id"].removeprefix(PREFIX): c["message"] for c in report["checks"]}
    shown = messages["contract"] if "contract" in expected else messages[sorted(expected)[0]]
    assert words in shown, shown


@pytest.mark.parametrize("name", RIGHT_ANOTHER_WAY)
def test_a_right_answer_written_differently_earns_every_point(reports, name):
    assert failed(reports[name]) == set()
