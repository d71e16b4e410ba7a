"""``grader grade`` against the gradebook: reuse, the stored seed, attempts and history, ``--force``, ``--only``
merges, stale checks from changed definitions, Ctrl-C and ``kill -9`` mid-batch, graders running at once."""
from __future__ import annotations

import csv
import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, write_submission
from grader import hookimpl
from grader.checks import CheckContext, CheckList, Exercise, Outcome
from grader.cli import main
from grader.compare import expect_array, expect_tuple
from grader.plugins import get_plugin_manager

STEP = "rnn_layers.rnn_step_forward/notebook"
REFERENCE_LAYERS = (ROOT / "reference" / "cs231n" / "rnn_layers.py").read_text()


def make_class(root: Path, count: int, layers: str = REFERENCE_LAYERS) -> Path:
    """``count`` submissions with the reference's files, each made distinct by a comment."""
    for i in range(count):
        write_submission(root / ("student%02d" % i), rnn_layers=layers + "\n# student %d\n" % i)
    return root


def rows(gradebook: Path, sql: str, args: tuple = ()) -> list[tuple]:
    db = sqlite3.connect("file:%s?mode=ro" % gradebook, uri=True)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def grade(capsys, *args: str) -> str:
    assert main(["grade", *map(str, args)]) == 0
    return capsys.readouterr().out


def report(out: Path, name: str) -> dict:
    return json.loads((out / name / "report.json").read_text())


def test_an_unchanged_class_is_reused_whole_and_outputs_stay(tmp_path, capsys):
    subs, out = make_class(tmp_path / "class", 2), tmp_path / "out"
    first = grade(capsys, subs, "--out", out, "--only", STEP)
    assert "0 unchanged" in first and "2 to grade (2 check(s))" in first
    for name in ("gradebook.sqlite", "grades.csv", "index.html", "student00/report.html"):
        assert (out / name).is_file(), name
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("*/*") if p.is_file()}
    second = grade(capsys, subs, "--out", out, "--only", STEP)
    assert "2 unchanged (results reused); 0 to grade (0 check(s))" in second
    assert "graded 0 submission(s)" in second
    assert rows(out / "gradebook.sqlite", "SELECT COUNT(*) FROM results") == [(2,)]
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps  # nothing rewritten: nothing changed


def test_the_seed_is_the_first_runs_and_reports_say_which(tmp_path, capsys):
    subs, out = make_class(tmp_path / "class", 1), tmp_path / "out"
    grade(capsys, subs, "--out", out, "--only", STEP)
    (stored,) = rows(out / "gradebook.sqlite", "SELECT value FROM settings WHERE key = 'seed'")[0]
    assert report(out, "student00")["grader"]["seed"] == int(stored)
    assert "seed %s (the gradebook's)" % stored in grade(capsys, subs, "--out", out, "--only", STEP)
    other = int(stored) + 1
    again = grade(capsys, subs, "--out", out, "--only", STEP, "--seed", other)
    assert "1 to grade (1 check(s))" in again  # another seed: the hidden inputs differ
    assert report(out, "student00")["grader"]["seed"] == other
    assert "1 to grade" in grade(capsys, subs, "--out", out, "--only", STEP)  # back to the stored one
    assert report(out, "student00")["grader"]["seed"] == int(stored)
    assert rows(out / "gradebook.sqlite", "SELECT value FROM settings WHERE key = 'seed'") == [(stored,)]


def test_a_changed_submission_is_a_new_attempt_and_grades_use_the_latest(tmp_path, capsys):
    subs, out = make_class(tmp_path / "class", 2), tmp_path / "out"
    grade(capsys, subs, "--out", out, "--only", STEP)
    broken = REFERENCE_LAYERS.replace("np.tanh(", "np.sinh(", 1)
    assert broken != REFERENCE_LAYERS
    write_submission(subs / "student01", rnn_layers=broken)
    text = grade(capsys, subs, "--out", out, "--only", STEP)
    assert "1 unchanged (results reused); 1 to grade (1 check(s))" in text
    with open(out / "grades.csv") as f:
        scores = {row["submission"]: float(row["score"]) for row in csv.DictReader(f)}
    assert scores == {"student00": 1.5, "student01": 0.0}
    assert report(out, "student01")["checks"][0]["status"] == "failed"
    history = rows(out / "gradebook.sqlite",
                   "SELECT a.id, r.status FROM attempts a JOIN submissions s ON s.id = a.submission_id "
                   "JOIN results r ON r.attempt_id = a.id WHERE s.name = 'student01' ORDER BY a.id")
    assert [status for _, status in history] == ["passed", "failed"] and history[0][0] != history[1][0]


def test_force_regrades_and_only_merges_into_the_stored_results(tmp_path, capsys):
    subs, out = make_class(tmp_path / "class", 2), tmp_path / "out"
    grade(capsys, subs, "--out", out, "--only", STEP)
    kept = rows(out / "gradebook.sqlite", "SELECT id FROM results ORDER BY id")
    other = "rnn_layers.rnn_step_forward/hidden"
    assert "2 to grade (2 check(s))" in grade(capsys, subs, "--out", out, "--only", other)
    doc = report(out, "student00")
    assert [c["id"] for c in doc["checks"]] == [STEP, other] and doc["score"] == 2.0
    assert rows(out / "gradebook.sqlite", "SELECT id FROM results WHERE check_id = ? ORDER BY id", (STEP,)) == kept
    both = STEP + "," + other
    assert "0 to grade" in grade(capsys, subs, "--out", out, "--only", both)
    forced = grade(capsys, subs, "--out", out, "--only", both, "--force")
    assert "0 unchanged (results reused); 2 to grade (4 check(s))" in forced
    assert rows(out / "gradebook.sqlite", "SELECT COUNT(*) FROM results") == [(8,)]


def test_notebooks_are_rendered_again_only_for_a_new_attempt(tmp_path, capsys):
    subs, out = make_class(tmp_path / "class", 1), tmp_path / "out"
    notebook = subs / "student00" / "RNN_Captioning.ipynb"
    shutil.copy(ROOT / "reference" / "RNN_Captioning.ipynb", notebook)
    grade(capsys, subs, "--out", out, "--only", STEP)
    page, report_json = out / "student00" / "notebooks" / "RNN_Captioning.html", out / "student00" / "report.json"
    before = (page.stat().st_mtime_ns, report_json.stat().st_mtime_ns)
    grade(capsys, subs, "--out", out, "--only", STEP, "--force")
    assert page.stat().st_mtime_ns == before[0] and report_json.stat().st_mtime_ns != before[1]
    doc = json.loads(notebook.read_text())
    doc["cells"].append({"cell_type": "markdown", "id": "new-note", "metadata": {}, "source": "A new note"})
    notebook.write_text(json.dumps(doc))
    assert "1 to grade" in grade(capsys, subs, "--out", out, "--only", STEP)  # a changed notebook: a new attempt
    assert "A new note" in page.read_text()


class Pack:
    """A tiny exercise pack whose definitions a test changes between runs."""

    def __init__(self) -> None:
        self.threshold, self.points = 1.0, 1.0

    @hookimpl
    def grader_exercises(self, config):
        checks = CheckList("pack", modules=("rnn_layers",))
        threshold, points = self.threshold, self.points

        def step(ctx: CheckContext) -> np.ndarray:
            rng = ctx.rng()
            x, h, wx, wh, b = (rng.standard_normal(s) for s in ((2, 3), (2, 4), (3, 4), (4, 4), (4,)))
            next_h, _ = expect_tuple(ctx.student.call("rnn_layers.rnn_step_forward", x, h, wx, wh, b, keep=[1]),
                                     ("next_h", "cache"), "rnn_step_forward")
            return expect_array(next_h, "next_h", (2, 4))

        @checks.add("pack.range", "|next_h| stays below the threshold", "rnn_layers.rnn_step_forward", 1.0,
                    metric="max_abs", threshold=threshold)
        def in_range(ctx: CheckContext) -> Outcome:
            return Outcome(float(np.abs(step(ctx)).max()))

        @checks.add("pack.finite", "next_h is finite", "rnn_layers.rnn_step_forward", points)
        def finite(ctx: CheckContext) -> Outcome:
            return Outcome(passed=bool(np.isfinite(step(ctx)).all()))

        return [Exercise("pack", "A test pack", tuple(checks.checks))]


def test_a_changed_definition_regrades_exactly_the_checks_it_affects(tmp_path, capsys, monkeypatch):
    pack = Pack()
    monkeypatch.setattr("grader.cli.get_plugin_manager", lambda **kw: get_plugin_manager(extra_plugins=[pack], **kw))
    subs, out = make_class(tmp_path / "class", 2), tmp_path / "out"
    gradebook = out / "gradebook.sqlite"
    grade(capsys, subs, "--out", out, "--only", "pack")
    assert "2 unchanged" in grade(capsys, subs, "--out", out, "--only", "pack")
    pack.threshold = 1e-3
    assert "2 to grade (2 check(s))" in grade(capsys, subs, "--out", out, "--only", "pack")
    assert rows(gradebook, "SELECT check_id, COUNT(*) FROM results GROUP BY check_id ORDER BY check_id") == [
        ("pack.finite", 2), ("pack.range", 4)]
    assert report(out, "student00")["checks"][0]["status"] == "failed"
    pack.points = 2.0
    assert "2 to grade (2 check(s))" in grade(capsys, subs, "--out", out, "--only", "pack")
    assert rows(gradebook, "SELECT check_id, COUNT(*) FROM results GROUP BY check_id ORDER BY check_id") == [
        ("pack.finite", 4), ("pack.range", 4)]
    assert report(out, "student00")["max_score"] == 3.0


# ------------------------------------------------------------------------------------------ interruptions

SLOW_STEP = REFERENCE_LAYERS.replace(
    "def rnn_step_forward(x, prev_h, Wx, Wh, b):\n",
    "def rnn_step_forward(x, prev_h, Wx, Wh, b):\n    import time; time.sleep(0.8)\n", 1)


def default_sigint() -> None:
    """Ctrl-C as in a terminal, even when the tests run as a background job (which ignores SIGINT, and so
    would the grader: Python installs its KeyboardInterrupt handler only where SIGINT is not ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_until_graded(subs: Path, out: Path, graded: int, sig: int) -> tuple[int, str]:
    """Start ``grader grade`` as a process, send ``sig`` once ``graded`` submissions are recorded and a
    check of the next one is running; its exit code and output."""
    proc = subprocess.Popen([sys.executable, "-m", "grader.cli", "grade", str(subs), "--out", str(out), "--only",
                             "rnn_layers.rnn_step_forward/hidden"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, preexec_fn=default_sigint)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
            try:
                done = rows(out / "gradebook.sqlite", "SELECT COUNT(*) FROM attempt_reports")[0][0]
            except sqlite3.Error:
                continue
            if done >= graded:
                time.sleep(0.3)  # the next submission's check is in its student's sleep now
                proc.send_signal(sig)
                break
        output, _ = proc.communicate(timeout=60)
    finally:
        proc.kill()
    return proc.returncode, output


def assert_consistent(out: Path) -> None:
    """Whole rows and whole report files only, and every report agrees with the gradebook."""
    gradebook = out / "gradebook.sqlite"
    assert rows(gradebook, "PRAGMA integrity_check") == [("ok",)]
    results = rows(gradebook, "SELECT s.name, r.check_id, r.status, r.data FROM results r JOIN attempts a "
                              "ON a.id = r.attempt_id JOIN submissions s ON s.id = a.submission_id")
    assert all(json.loads(data)["status"] == status == "passed" for _, _, status, data in results)
    for name in {n for n, *_ in results}:
        path = out / name / "report.json"
        if path.exists():
            assert [c["status"] for c in json.loads(path.read_text())["checks"]] == ["passed"]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_an_interrupted_batch_loses_nothing_and_the_next_run_continues(tmp_path, sig):
    subs, out = make_class(tmp_path / "class", 4, SLOW_STEP), tmp_path / "out"
    code, output = run_until_graded(subs, out, 2, sig)
    gradebook = out / "gradebook.sqlite"
    if sig == signal.SIGINT:
        assert code == 130 and "interrupted after 2 submission(s)" in output, output
        assert rows(gradebook, "SELECT status FROM runs") == [("interrupted",)]
        assert (out / "grades.csv").read_text().count("student") == 2  # the outputs agree with the gradebook
    else:
        assert code == -signal.SIGKILL
    kept = rows(gradebook, "SELECT COUNT(*) FROM results")[0][0]
    assert 2 <= kept <= 3  # the check running at the stop is recorded only if it ended before
    assert_consistent(out)
    again = subprocess.run([sys.executable, "-m", "grader.cli", "grade", str(subs), "--out", str(out), "--only",
                            "rnn_layers.rnn_step_forward/hidden"], cwd=ROOT, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert "%d unchanged" % kept in again.stdout and "%d to grade" % (4 - kept) in again.stdout
    if sig == signal.SIGKILL:
        assert "had been stopped before the end" in again.stdout
    assert rows(gradebook, "SELECT COUNT(*), COUNT(DISTINCT attempt_id) FROM results") == [(4, 4)]
    assert_consistent(out)
    assert not list(out.rglob("*.partial"))
    assert [r[0] for r in rows(gradebook, "SELECT status FROM runs ORDER BY id")] == ["interrupted", "finished"]


def test_graders_running_at_once_share_one_gradebook(tmp_path):
    subs, out = make_class(tmp_path / "class", 4), tmp_path / "out"
    gradebook = tmp_path / "shared.sqlite"
    procs = [subprocess.Popen([sys.executable, "-m", "grader.cli", "grade", *(str(subs / ("student%02d" % i))
                                                                            for i in half),
                               "--out", str(out), "--gradebook", str(gradebook), "--only", STEP, "--seed", "7"],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for half in ((0, 1), (2, 3))]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert rows(gradebook, "PRAGMA integrity_check") == [("ok",)]
    assert rows(gradebook, "SELECT COUNT(*), COUNT(DISTINCT attempt_id) FROM results") == [(4, 4)]
    with open(out / "grades.csv") as f:  # the grader that wrote last had read what the other recorded
        assert sorted(row["submission"] for row in csv.DictReader(f)) == ["student%02d" % i for i in range(4)]
    again = subprocess.run([sys.executable, "-m", "grader.cli", "grade", str(subs), "--out", str(out), "--gradebook",
                            str(gradebook), "--only", STEP, "--seed", "7"], cwd=ROOT, capture_output=True, text=True)
    assert "4 unchanged" in again.stdout, again.stdout + again.stderr


def test_progress_is_plain_lines_when_not_a_terminal(tmp_path, capsys):
    subs, out = make_class(tmp_path / "class", 2), tmp_path / "out"
    text = grade(capsys, subs, "--out", out, "--only", STEP)
    assert "[1/2] student00" in text and "[2/2] student01" in text and "ETA" in text
    assert "\x1b[" not in text and "\r" not in text
