"""The gradebook file: schema and migrations, seed, attempts and history, results merged across runs,
per-function verdicts and diagnoses, and several writers (threads and processes) at once."""
from __future__ import annotations

import json
import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from grader.gradebook import schema, store
from grader.gradebook.reports import report_document
from grader.gradebook.store import Gradebook
from grader.submission import Submission, UsageError


def sub(name: str, code: str = "def f(): pass\n", notebook: bytes | None = None) -> Submission:
    s = Submission(id=name, path=Path("/class") / name, files={"rnn_layers.py": code.encode()})
    if notebook is not None:
        s.notebooks["RNN_Captioning.ipynb"] = notebook
    return s


def start(gb: Gradebook, seed: int = 1, checks=("a/one", "a/two")) -> int:
    return gb.start_run(version="t", seed=seed, isolation="test", fingerprints={c: "fp-" + c for c in checks},
                        checks=[{"id": c, "points": 1.0, "metric": None, "threshold": None} for c in checks],
                        selection=[], forced=False)


def check(check_id: str, status: str = "passed", **extra) -> dict:
    passed = status == "passed"
    return {"id": check_id, "exercise": check_id.split("/")[0], "targets": ["mod.fn"], "status": status,
            "score": 1.0 if passed else 0.0, "max_score": 1.0, "message": "" if passed else "wrong by 0.5",
            "metric": {"name": "rel_error", "value": 0.5, "threshold": 1e-6}, "duration_s": 0.1,
            "details": {}, "artifacts": [], **extra}


def report(name: str, *checks: dict, **extra) -> dict:
    return {"schema": "grader.report/1", "submission": {"id": name, "path": "/class/" + name, "sha256": "x"},
            "grader": {"version": "t", "seed": 1, "isolation": "test"}, "checks": list(checks),
            "questions": [{"notebook": "RNN_Captioning.ipynb", "id": "Q1", "question": "Why?", "answered": False,
                           "answer": ""}], "problems": [], "notebooks": {}, **extra}


class Exercises:
    """Stand-ins for the current definitions: two exercises, ``a`` with two checks and ``b`` with one."""

    def __init__(self, ids=("a/one", "a/two", "b/three")):
        from grader.checks import Check, Exercise

        def make(i):
            return Check(id=i, title=i, targets=("mod.fn",), points=1.0, run=lambda ctx: None, modules=("rnn_layers",))

        self.list = [Exercise(ex, ex.upper(), tuple(make(i) for i in ids if i.startswith(ex + "/")))
                     for ex in dict.fromkeys(i.split("/")[0] for i in ids)]


def test_a_new_gradebook_uses_wal_at_the_latest_schema(tmp_path):
    with Gradebook(tmp_path / "g.sqlite") as gb:
        assert gb.version == schema.LATEST_VERSION >= 1
    db = sqlite3.connect(tmp_path / "g.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_migrations_upgrade_an_older_gradebook_and_keep_its_rows(tmp_path, monkeypatch):
    path = tmp_path / "g.sqlite"
    with Gradebook(path) as gb:
        gb.attempt(sub("alice"))
    newer = schema.MIGRATIONS + ["ALTER TABLE submissions ADD COLUMN note TEXT DEFAULT 'none';\n"
                                 "CREATE INDEX submissions_note ON submissions (note);"]
    monkeypatch.setattr(store, "MIGRATIONS", newer)
    monkeypatch.setattr(store, "LATEST_VERSION", len(newer))
    with Gradebook(path) as gb:
        assert gb.version == len(newer)
        assert gb._read("SELECT name, note FROM submissions") == [("alice", "none")]


def test_a_gradebook_from_a_newer_grader_or_not_a_gradebook_is_refused(tmp_path):
    path = tmp_path / "g.sqlite"
    Gradebook(path).close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(UsageError, match="newer grader"):
        Gradebook(path)
    (tmp_path / "notes.txt").write_text("not a database, just text " * 100)
    with pytest.raises(UsageError, match="not a usable gradebook"):
        Gradebook(tmp_path / "notes.txt")


def test_the_first_seed_is_kept(tmp_path):
    with Gradebook(tmp_path / "g.sqlite") as gb:
        assert gb.seed(lambda: 5) == 5
        assert gb.seed(lambda: 9) == 5


def test_changed_files_are_a_new_attempt_and_history_is_kept(tmp_path):
    with Gradebook(tmp_path / "g.sqlite") as gb:
        run = start(gb)
        first = gb.attempt(sub("alice", "v1"))
        assert gb.attempt(sub("alice", "v1")) == first
        gb.record_result(first.id, run, check("a/one", "failed"), "fp-a/one", 1)
        gb.record_report(first.id, run, report("alice"))
        second = gb.attempt(sub("alice", "v2"))
        assert second.id != first.id
        assert gb.attempt(sub("alice", "v2", notebook=b"{}")).id not in (first.id, second.id)  # a notebook counts
        gb.record_result(second.id, run, check("a/one"), "fp-a/one", 1)
        assert [a.id for a in gb.graded_attempts()] == [first.id]  # the new one is not graded to the end yet
        gb.record_report(second.id, run, report("alice"))
        assert [a.id for a in gb.graded_attempts()] == [second.id]
        history = gb._read("SELECT a.id, r.score FROM attempts a JOIN results r ON r.attempt_id = a.id ORDER BY a.id")
        assert history == [(first.id, 0.0), (second.id, 1.0)]
        assert gb.attempt(sub("alice", "v1")).id == first.id  # a revert makes the old attempt current again
        assert [a.id for a in gb.graded_attempts()] == [first.id]


def test_the_latest_result_of_each_check_wins_and_old_pictures_are_dropped(tmp_path):
    with Gradebook(tmp_path / "g.sqlite") as gb:
        ex = Exercises().list
        attempt = gb.attempt(sub("alice"))
        run1 = start(gb)
        picture = [{"kind": "images", "title": "t", "images": []}]
        gb.record_result(attempt.id, run1, check("a/one", "failed", artifacts=picture), "fp1", 1)
        gb.record_result(attempt.id, run1, check("a/two"), "fp1", 1)
        gb.record_report(attempt.id, run1, report("alice"))
        doc, digest = report_document(gb, attempt, ex)
        assert [(c["id"], c["status"], c["artifacts"]) for c in doc["checks"]] == [
            ("a/one", "failed", picture), ("a/two", "passed", [])]
        run2 = start(gb, checks=("a/one",))
        gb.record_result(attempt.id, run2, check("a/one"), "fp2", 1)
        merged, digest2 = report_document(gb, attempt, ex)
        assert [(c["id"], c["status"]) for c in merged["checks"]] == [("a/one", "passed"), ("a/two", "passed")]
        assert merged["score"] == 2.0 and merged["exercises"] == [{"id": "a", "title": "A", "score": 2.0,
                                                                    "max_score": 2.0, "track": "",
                                                                    "counted": True, "twin": ""}]
        assert digest2 != digest
        assert gb._read("SELECT COUNT(*) FROM results WHERE artifacts IS NOT NULL AND check_id = 'a/one'") == [(1,)]
        assert gb._read("SELECT COUNT(*) FROM results") == [(3,)]  # history: every result stays
        assert report_document(gb, attempt, Exercises(("a/two",)).list)[0]["checks"][0]["id"] == "a/two"


def test_per_function_verdicts_are_recomputed_from_the_merged_results(tmp_path):
    diagnosis = {"id": "helper.wrong", "message": "your helper is wrong: fix it"}
    failing = check("a/one", "failed", uses=["mod.helper"], blame=["mod.helper"],
                    attribution="fails because of your `helper`", details={"diagnosis": diagnosis})
    with Gradebook(tmp_path / "g.sqlite") as gb:
        attempt, run = gb.attempt(sub("alice")), start(gb)
        gb.record_result(attempt.id, run, failing, "fp", 1)
        gb.record_result(attempt.id, run, check("a/two"), "fp", 1)
        gb.record_report(attempt.id, run, report("alice", failing))
        doc, _ = report_document(gb, attempt, Exercises(("a/one", "a/two")).list)
        assert doc["checks"][0]["uses"] == ["mod.helper"] and doc["checks"][0]["details"]["diagnosis"] == diagnosis
        assert gb._read("SELECT diagnosis FROM results") == [("helper.wrong",), (None,)]
        verdicts = doc["functions"]
        assert verdicts["mod.fn"]["status"] == "passed"  # a/one failed because of the helper it calls
        assert verdicts["mod.helper"]["status"] == "failed" and verdicts["mod.helper"]["diagnosis"] == diagnosis
        gb.record_result(attempt.id, start(gb, checks=("a/one",)), check("a/one"), "fp2", 1)  # fixed, regraded
        merged = report_document(gb, attempt, Exercises(("a/one", "a/two")).list)[0]["functions"]
        assert {name: v["status"] for name, v in merged.items()} == {"mod.fn": "passed"}


def _write_many(path: str, worker: int, count: int, seeds: list) -> None:
    """One process: opens the gradebook (maybe creating it) and records ``count`` results from two threads."""
    import threading

    gb = Gradebook(Path(path))
    seeds.append(gb.seed(lambda: 1000 + worker))
    run = start(gb)
    attempt = gb.attempt(sub("student-%d" % (worker % 3), "code %d" % (worker % 3)))

    def write(thread: int) -> None:
        for i in range(count):
            gb.record_result(attempt.id, run, check("a/%d-%d-%d" % (worker, thread, i)), "fp", 1)

    threads = [threading.Thread(target=write, args=(t,)) for t in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    gb.record_report(attempt.id, run, report("student-%d" % (worker % 3)))
    gb.finish_run(run)
    gb.close()


def test_concurrent_processes_and_threads_lose_no_row(tmp_path):
    path = tmp_path / "g.sqlite"
    ctx = multiprocessing.get_context("fork")
    with ctx.Manager() as manager:
        seeds = manager.list()
        procs = [ctx.Process(target=_write_many, args=(str(path), w, 60, seeds)) for w in range(6)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(120)
        assert [p.exitcode for p in procs] == [0] * 6
        assert len(set(seeds)) == 1  # every process got the seed the first one stored
    with Gradebook(path) as gb:
        assert gb._read("PRAGMA integrity_check") == [("ok",)]
        rows = gb._read("SELECT check_id, data FROM results")
        assert len(rows) == 6 * 2 * 60 == len({r[0] for r in rows})
        assert all(json.loads(data)["status"] == "passed" for _, data in rows)
        assert gb._read("SELECT COUNT(*) FROM attempts") == [(3,)]
        assert [r["status"] for r in gb.runs()] == ["finished"] * 6
