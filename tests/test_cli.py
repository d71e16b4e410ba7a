"""The command line: outputs per submission and per batch, exit codes, one-line usage errors, determinism."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, grade

RNN_STEP = "rnn_layers.rnn_step_forward,rnn_layers.rnn_step_backward"


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader.cli", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=300)


def test_list_shows_every_check_with_points():
    proc = run_cli("list")
    assert proc.returncode == 0
    assert "rnn_captioning" in proc.stdout and "lstm_captioning" in proc.stdout
    assert "(29 points)" in proc.stdout and "(23 points)" in proc.stdout
    assert proc.stdout.count("classifiers.rnn.CaptioningRNN.") == 14


@pytest.mark.parametrize("args, words", [
    (["grade", "no/such/folder", "--out", "x"], "does not exist"),
    (["grade", "pyproject.toml", "--out", "x"], "neither a folder nor a .zip"),
    (["grade", "submissions/skeleton", "--out", "x", "--only", "nonsense"], "unknown exercise or check id"),
    (["grade", "submissions/skeleton", "--out", "x", "--jobs", "0"], "must be at least 1"),
    (["grade", "submissions/skeleton", "--out", "x", "--coco-dir", "no/such/dir"], "--coco-dir"),
    (["check", "no/such/folder"], "does not exist"),
    (["frobnicate"], "invalid choice"),
])
def test_usage_errors_are_one_line_with_exit_code_2(args, words, tmp_path):
    args = [a if a != "x" else str(tmp_path / "out") for a in args]
    proc = run_cli(*args)
    assert proc.returncode == 2, proc.stderr
    assert words in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len([line for line in proc.stderr.splitlines() if line.startswith("grader")]) == 1


def test_corrupt_zip_is_a_usage_error(tmp_path):
    bad = tmp_path / "student.zip"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    proc = run_cli("grade", str(bad), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "not a readable zip" in proc.stderr and "Traceback" not in proc.stderr


def test_grade_writes_every_output(tmp_path):
    out = tmp_path / "out"
    reports = grade([ROOT / "submissions" / "skeleton", ROOT / "reference"], out, "--seed", "7", "--only", RNN_STEP)
    assert set(reports) == {"skeleton", "reference"}
    for sub in ("skeleton", "reference"):
        for name in ("report.json", "report.html", "results.json", "junit.xml"):
            assert (out / sub / name).is_file(), name
    report = reports["reference"]
    assert report["schema"] == "grader.report/1"
    assert report["grader"]["seed"] == 7 and report["grader"]["isolation"]
    assert report["submission"]["sha256"] and report["submission"]["path"]
    assert {c["status"] for c in report["checks"]} == {"passed"}
    assert report["score"] == report["max_score"] == 6.0
    gradescope = json.loads((out / "skeleton" / "results.json").read_text())
    checks = [t for t in gradescope["tests"] if "written" not in t["tags"]]
    assert gradescope["score"] == 0 and len(checks) == 6
    assert all(t["status"] == "failed" for t in gradescope["tests"])
    written = [t for t in gradescope["tests"] if "written" in t["tags"]]  # one per written question, not graded
    assert [t["tags"][1] for t in written] == ["rnn.q1", "lstm.q1", "netvis.q1", "gan.q1", "gan.q2", "gan.q3"]
    assert all(t["output"] == "Not graded yet." and t["score"] == 0 for t in written)
    suites = ET.parse(out / "skeleton" / "junit.xml").getroot()
    assert suites.find("testsuite").get("failures") == "6"
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert [r["submission"] for r in rows] == ["reference", "skeleton"]
    assert float(rows[0]["rnn_captioning"]) == 6.0 and float(rows[1]["rnn_captioning"]) == 0.0
    html = (out / "skeleton" / "report.html").read_text()
    assert "rnn_step_backward" in html and "<details" in html


def test_zip_and_folder_grade_alike(tmp_path):
    archive = tmp_path / "student.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in (ROOT / "reference" / "cs231n").rglob("*.py"):
            zf.write(f, "assignment3/cs231n/" + f.relative_to(ROOT / "reference" / "cs231n").as_posix())
    a = grade([archive], tmp_path / "a", "--seed", "3", "--only", RNN_STEP)["student"]
    b = grade([ROOT / "reference"], tmp_path / "b", "--seed", "3", "--only", RNN_STEP)["reference"]
    assert a["submission"]["sha256"] == b["submission"]["sha256"]
    assert a["score"] == b["score"] == a["max_score"]


def without_durations(report: dict) -> dict:
    for c in report["checks"]:
        c.pop("duration_s")
    return report


@pytest.mark.slow  # the whole captioning part twice (20 s); test_determinism diffs a TF submission by default
def test_same_seed_same_report(samples, tmp_path):
    args = ("--seed", "99", "--only", "rnn_layers.rnn_backward,classifiers.rnn.CaptioningRNN.loss[rnn]")
    first = grade([samples / "bug_rnn_backward_no_carry"], tmp_path / "1", *args)
    second = grade([samples / "bug_rnn_backward_no_carry"], tmp_path / "2", *args)
    assert without_durations(first["bug_rnn_backward_no_carry"]) == without_durations(second["bug_rnn_backward_no_carry"])


def test_different_seeds_change_hidden_inputs(tmp_path):
    only = ("--only", "rnn_layers.rnn_forward/hidden")
    a = grade([ROOT / "reference"], tmp_path / "a", "--seed", "1", *only)["reference"]["checks"][0]
    b = grade([ROOT / "reference"], tmp_path / "b", "--seed", "2", *only)["reference"]["checks"][0]
    assert a["details"]["inputs"] != b["details"]["inputs"]


def test_check_exit_codes_and_junit(samples, tmp_path):
    ok = run_cli("check", str(samples / "reference"), "--only", RNN_STEP, "--junit", str(tmp_path / "ok.xml"))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "total: 6 / 6" in ok.stdout
    bad = run_cli("check", "--only", "rnn_layers.rnn_backward", "--junit", str(tmp_path / "bad.xml"),
                  cwd=samples / "bug_rnn_backward_no_carry")
    assert bad.returncode == 1
    assert "FAIL" in bad.stdout and "rnn_backward/numeric-gradient" in bad.stdout
    assert ET.parse(tmp_path / "bad.xml").getroot().find("testsuite").get("failures") == "2"


def test_grade_runs_from_a_thread_other_than_the_main_one(samples, tmp_path):
    """``main`` called from worker threads (a test's or a tool's pool): SIGTERM's handler is the main thread's
    business only."""
    import threading

    from grader.cli import main

    codes = []
    threads = [threading.Thread(target=lambda seed=seed: codes.append(main(
        ["grade", str(samples / "reference"), "--out", str(tmp_path / str(seed)), "--seed", str(seed),
         "--only", "rnn_layers.rnn_step_forward"]))) for seed in (3, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [0, 0]
