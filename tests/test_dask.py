"""Grading on a Dask cluster: a real ``dask scheduler`` and two ``dask worker`` processes started from the command
line, as docs/dask.md says. The cluster grades as a local run does, and a worker killed in the middle of a
submission loses nothing: its task runs again on the other worker, and every report arrives once."""
from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, grade, main, write_submission
from test_determinism import without_timing
from test_slots import REFERENCE_LAYERS

if os.environ.get("GRADER_REQUIRE_DASK") != "1":
    pytest.importorskip("distributed", reason="Dask is an extra: pip install -e '.[dask]' (.ci/run does)")
from distributed import Client  # noqa: E402

DASK = Path(sys.executable).parent / "dask"
CHECKS = "rnn_layers.rnn_step_forward/notebook,rnn_layers.word_embedding_backward/hidden"


class Cluster:
    """A scheduler and two workers, each in a process group of its own (the workers without a nanny, so that a
    killed worker stays dead)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.processes: dict[str, subprocess.Popen] = {}
        file = folder / "scheduler.json"
        self.start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                   "--scheduler-file", str(file))
        deadline = time.monotonic() + 120
        while not file.is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.address = json.loads(file.read_text())["address"]
        for name in ("w1", "w2"):
            self.start(name, "worker", "--scheduler-file", str(file), "--nthreads", "1", "--no-nanny",
                       "--no-dashboard", "--name", name)
        self.client = Client(self.address, timeout=60)
        self.client.wait_for_workers(2, timeout=180)

    def start(self, name: str, *args: str) -> None:
        log = open(self.folder / ("%s.log" % name), "w")
        self.processes[name] = subprocess.Popen([str(DASK), *args], stdout=log, stderr=subprocess.STDOUT,
                                                start_new_session=True, cwd=self.folder)

    def address_of(self, name: str) -> str:
        return next(a for a, w in self.client.scheduler_info()["workers"].items() if w["name"] == name)

    def kill(self, name: str) -> None:
        os.killpg(self.processes[name].pid, signal.SIGKILL)
        self.processes[name].wait()

    def stop(self) -> None:
        self.client.close()
        for process in self.processes.values():
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()


@pytest.fixture
def cluster(tmp_path):
    folder = tmp_path / "cluster"
    folder.mkdir()
    running = Cluster(folder)
    yield running
    running.stop()


def test_the_cluster_grades_as_a_local_run(cluster, samples, tmp_path, capsys):
    subs = [samples / name for name in ("reference", "skeleton", "bug_embedding_no_add_at", "bug_tanh_projection")]
    remote = grade(subs, tmp_path / "remote", "--seed", "9", "--only", CHECKS, "--scheduler", cluster.address)
    printed = capsys.readouterr().out
    local = grade(subs, tmp_path / "local", "--seed", "9", "--only", CHECKS)
    assert sorted(remote) == sorted(local) == sorted(s.name for s in subs)
    for name in remote:
        assert without_timing(remote[name]) == without_timing(local[name]), name
    assert {c["status"] for r in remote.values() for c in r["checks"]} == {"passed", "failed"}
    assert "grading on the Dask cluster at %s (2 worker(s)" % cluster.address in printed
    assert len(re.findall(r"check\(s\) graded, [\d.]+ s on tcp://", printed)) == len(subs)  # the progress lines
    for name in ("report.html", "results.json", "junit.xml"):
        assert all((tmp_path / "remote" / s.name / name).is_file() for s in subs)
    assert (tmp_path / "remote" / "grades.csv").read_text().count("\n") == len(subs) + 1


@pytest.mark.slow  # about 20 s: a batch on the cluster, a worker killed mid-run
def test_a_lost_worker_loses_nothing_and_records_nothing_twice(cluster, tmp_path):
    slow = REFERENCE_LAYERS.replace("    next_h = np.tanh(x.dot(Wx)", "    import time\n    time.sleep(3)\n"
                                    "    next_h = np.tanh(x.dot(Wx)", 1)
    subs = [write_submission(tmp_path / "class" / ("s%d" % i), rnn_layers=slow + "\n# %d\n" % i) for i in range(6)]
    out = tmp_path / "out"
    grading = subprocess.Popen([sys.executable, "-m", "grader.cli", "grade", str(tmp_path / "class"), "--out", str(out),
                                "--seed", "9", "--only", CHECKS, "--scheduler", cluster.address],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    doomed = cluster.address_of("w1")
    deadline = time.monotonic() + 300
    running: list[str] = []
    while not running and time.monotonic() < deadline and grading.poll() is None:
        running = [str(key) for key in cluster.client.processing().get(doomed, [])]
        time.sleep(0.05)
    assert running, "w1 never got a task"
    time.sleep(1.5)  # well into the task: its student worker sleeps in rnn_step_forward
    cluster.kill("w1")
    output, _ = grading.communicate(timeout=600)
    assert grading.returncode == 0, output
    interrupted = re.match(r"grade-(s\d)-", running[0]).group(1)
    survivor = cluster.address_of("w2")
    assert re.search(r"%s .*graded.* on %s\)" % (interrupted, re.escape(survivor)), output), output
    assert "was not graded" not in output
    reports = {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/report.json")}
    assert sorted(reports) == sorted(s.name for s in subs)
    assert all(c["status"] == "passed" for r in reports.values() for c in r["checks"])
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        run = db.execute("SELECT MAX(id) FROM runs").fetchone()[0]
        per_attempt = db.execute("SELECT COUNT(*) FROM attempt_reports WHERE run_id = ? GROUP BY attempt_id",
                                 (run,)).fetchall()
        per_check = db.execute("SELECT COUNT(*) FROM results WHERE run_id = ? GROUP BY attempt_id, check_id",
                               (run,)).fetchall()
    assert sorted(per_attempt) == [(1,)] * len(subs)
    assert sorted(per_check) == [(1,)] * (len(subs) * len(CHECKS.split(",")))


def test_options_naming_local_files_are_refused_with_a_cluster(tmp_path, capsys):
    sub = write_submission(tmp_path / "one")
    code = main(["grade", str(sub), "--out", str(tmp_path / "out"), "--scheduler", "tcp://127.0.0.1:1",
                 "--coco-dir", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--coco-dir names files on this machine" in err


def test_a_worker_with_other_check_definitions_refuses_to_grade():
    from grader.config import GradingConfig
    from grader.distributed import DefinitionsDiffer, _Run, settings
    from grader.gradebook.fingerprint import check_fingerprints
    from grader.plugins import get_plugin_manager
    from grader.session import collect_assignment, collect_exercises

    check = CHECKS.split(",")[0]
    pm = get_plugin_manager()
    assignment = collect_assignment(pm)
    config = GradingConfig(seed=1, only=(check,), assignment=assignment, plugins=pm.plugins_in_use())
    prints = check_fingerprints(collect_exercises(pm, config), config, assignment)
    assert _Run(settings(config, prints)).selected  # the same definitions: it grades
    with pytest.raises(DefinitionsDiffer, match="checks defined differently: %s" % re.escape(check)):
        _Run(settings(config, {**prints, check: "0" * 64}))
