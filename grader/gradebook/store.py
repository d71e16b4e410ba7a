"""The gradebook file: SQLite in WAL mode, safe for several threads and several grader processes at once.

Every write is one short ``BEGIN IMMEDIATE`` transaction (a check result, an attempt's report), so a killed
grader leaves whole rows or none, and a second grader waits its turn instead of failing. Results are never
overwritten: each grading adds rows, and readers take the latest row per check.
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from grader.atomic import pid_alive
from grader.gradebook.schema import LATEST_VERSION, MIGRATIONS
from grader.submission import Submission, UsageError
from grader.writers._format import json_safe

BUSY_TIMEOUT_S = 120.0
"""How long a writer waits for another process's transaction before giving up."""


@dataclass(frozen=True)
class Attempt:
    """One version of a submission's files."""

    id: int
    submission: str
    sha256: str
    path: str


def content_digest(sub: Submission) -> tuple[str, dict[str, str]]:
    """The digest of the student files and notebooks together, and the sha256 of each (by name)."""
    files = {**{"package/" + n: hashlib.sha256(b).hexdigest() for n, b in sub.files.items()},
             **{n: hashlib.sha256(b).hexdigest() for n, b in sub.notebooks.items()}}
    digest = hashlib.sha256(json.dumps(sorted(files.items())).encode()).hexdigest()
    return digest, files


def _dumps(value: Any) -> str:
    return json.dumps(json_safe(value), allow_nan=False, separators=(",", ":"))


class Gradebook:
    """A gradebook file, opened (and created or migrated) on construction. Methods are thread-safe."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                       check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # with WAL: a killed grader still loses no commit
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise UsageError("%s is not a usable gradebook (%s)" % (path, exc)) from None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> "Gradebook":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ plumbing
    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction that holds the write lock from its start (no upgrade deadlock between processes)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _read(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    transaction = _write
    """One write transaction, for the modules that keep their own tables here (``grader.written``)."""
    query = _read

    @property
    def version(self) -> int:
        return self._read("PRAGMA user_version")[0][0]

    def _migrate(self) -> None:
        if self.version > LATEST_VERSION:
            raise UsageError("%s was written by a newer grader (gradebook schema %d; this grader knows up to %d)"
                             % (self.path, self.version, LATEST_VERSION))
        if self.version == LATEST_VERSION:
            return
        with self._write() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]  # another process may have migrated
            for number in range(version + 1, LATEST_VERSION + 1):
                for statement in _statements(MIGRATIONS[number - 1]):
                    db.execute(statement)
                db.execute("PRAGMA user_version = %d" % number)

    # ------------------------------------------------------------------ the assignment
    def seed(self, pick: Callable[[], int]) -> int:
        """The assignment's seed: the one stored by the first run, or ``pick()`` stored now."""
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO settings (key, value) VALUES ('seed', ?)", (str(pick()),))
            return int(db.execute("SELECT value FROM settings WHERE key = 'seed'").fetchone()[0])

    # ------------------------------------------------------------------ runs
    def start_run(self, *, version: str, seed: int, isolation: str, fingerprints: dict[str, str],
                  checks: list[dict[str, Any]], selection: list[str], forced: bool) -> int:
        """Record a run about to grade ``checks`` (dicts with id, points, metric, threshold)."""
        overall = hashlib.sha256(json.dumps(sorted((c["id"], fingerprints[c["id"]]) for c in checks)).encode())
        with self._write() as db:
            run = db.execute(
                "INSERT INTO runs (started_at, status, grader_version, seed, isolation, fingerprint, selection, "
                "forced, host, pid) VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?)",
                (time.time(), version, seed, isolation, overall.hexdigest(), json.dumps(selection), int(forced),
                 socket.gethostname(), os.getpid())).lastrowid
            db.executemany("INSERT INTO run_checks (run_id, check_id, fingerprint, points, metric, threshold) "
                           "VALUES (?, ?, ?, ?, ?, ?)",
                           [(run, c["id"], fingerprints[c["id"]], c["points"], c["metric"], c["threshold"])
                            for c in checks])
        return run

    def finish_run(self, run: int, status: str = "finished") -> None:
        with self._write() as db:
            db.execute("UPDATE runs SET status = ?, finished_at = ? WHERE id = ?", (status, time.time(), run))

    def close_abandoned_runs(self) -> list[int]:
        """Mark as interrupted the runs of this host still 'running' whose process is gone (killed)."""
        with self._write() as db:
            rows = db.execute("SELECT id, pid FROM runs WHERE status = 'running' AND host = ?",
                              (socket.gethostname(),)).fetchall()
            gone = [run for run, pid in rows if not pid_alive(pid)]
            db.executemany("UPDATE runs SET status = 'interrupted' WHERE id = ?", [(r,) for r in gone])
        return gone

    def runs(self) -> list[dict[str, Any]]:
        cols = ("id", "started_at", "finished_at", "status", "grader_version", "seed", "selection", "forced")
        return [dict(zip(cols, row)) for row in self._read("SELECT %s FROM runs ORDER BY id" % ", ".join(cols))]

    # ------------------------------------------------------------------ submissions and attempts
    def attempt(self, sub: Submission) -> Attempt:
        """The attempt holding ``sub``'s current files: the same one while they are unchanged, else a new one."""
        digest, files = content_digest(sub)
        now = time.time()
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO submissions (name, created_at) VALUES (?, ?)", (sub.id, now))
            (sub_id,) = db.execute("SELECT id FROM submissions WHERE name = ?", (sub.id,)).fetchone()
            db.execute("INSERT OR IGNORE INTO attempts (submission_id, content_sha256, sha256, path, files, "
                       "created_at, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (sub_id, digest, sub.sha256, str(sub.path), json.dumps(files, sort_keys=True), now, now))
            (attempt_id,) = db.execute("SELECT id FROM attempts WHERE submission_id = ? AND content_sha256 = ?",
                                       (sub_id, digest)).fetchone()
            db.execute("UPDATE attempts SET seen_at = ?, path = ? WHERE id = ?", (now, str(sub.path), attempt_id))
            db.execute("INSERT OR IGNORE INTO attempt_times (attempt_id, submitted_at, source) VALUES (?, ?, ?)",
                       (attempt_id, sub.submitted_at, sub.time_source))
        return Attempt(attempt_id, sub.id, sub.sha256, str(sub.path))

    def graded_attempts(self) -> list[Attempt]:
        """Per submission, the attempt seen last among those graded to the end once, by submission name."""
        rows = self._read(
            "SELECT a.id, s.name, a.sha256, a.path FROM submissions s JOIN attempts a ON a.id = ("
            "  SELECT b.id FROM attempts b WHERE b.submission_id = s.id AND EXISTS ("
            "    SELECT 1 FROM attempt_reports r WHERE r.attempt_id = b.id) ORDER BY b.seen_at DESC, b.id DESC LIMIT 1"
            ") ORDER BY s.name")
        return [Attempt(*row) for row in rows]

    # ------------------------------------------------------------------ results
    def record_result(self, attempt: int, run: int, check: dict[str, Any], fingerprint: str, seed: int) -> int:
        """Add one check's result (its ``report.json`` entry); older results of that check lose their artifacts."""
        data = {k: v for k, v in check.items() if k != "artifacts"}
        diagnosis = (check.get("details") or {}).get("diagnosis")
        with self._write() as db:
            row = db.execute(
                "INSERT INTO results (attempt_id, run_id, check_id, fingerprint, seed, status, score, max_score, "
                "message, diagnosis, data, artifacts, graded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (attempt, run, check["id"], fingerprint, seed, check["status"], check["score"], check["max_score"],
                 check.get("message") or "", diagnosis.get("id") if isinstance(diagnosis, dict) else None,
                 _dumps(data), _dumps(check.get("artifacts") or []), time.time())).lastrowid
            db.execute("UPDATE results SET artifacts = NULL WHERE attempt_id = ? AND check_id = ? AND id < ? "
                       "AND artifacts IS NOT NULL", (attempt, check["id"], row))
        return row

    def record_report(self, attempt: int, run: int, report: dict[str, Any]) -> None:
        """Close an attempt's grading: the submission-level part of its report and its per-function verdicts."""
        doc = {k: report.get(k) for k in ("grader", "questions", "notebooks", "problems")}
        functions = report.get("functions") or {}
        with self._write() as db:
            db.executemany("INSERT INTO functions (attempt_id, run_id, target, status, data) VALUES (?, ?, ?, ?, ?)",
                           [(attempt, run, t, str(v.get("status")), _dumps(v)) for t, v in functions.items()])
            db.execute("INSERT INTO attempt_reports (attempt_id, run_id, data) VALUES (?, ?, ?)",
                       (attempt, run, _dumps(doc)))

    def latest_results(self, attempt: int, artifacts: bool = False) -> dict[str, dict[str, Any]]:
        """The latest result of each check of an attempt: row id, fingerprint, seed, score, data (JSON text)."""
        rows = self._read(
            "SELECT r.id, r.check_id, r.fingerprint, r.seed, r.status, r.score, r.data, %s FROM results r "
            "JOIN (SELECT MAX(id) AS id FROM results WHERE attempt_id = ? GROUP BY check_id) m ON r.id = m.id"
            % ("r.artifacts" if artifacts else "NULL"), (attempt,))
        keys = ("id", "check_id", "fingerprint", "seed", "status", "score", "data", "artifacts")
        return {row[1]: dict(zip(keys, row)) for row in rows}

    def latest_report(self, attempt: int) -> tuple[int, dict[str, Any]] | None:
        rows = self._read("SELECT id, data FROM attempt_reports WHERE attempt_id = ? ORDER BY id DESC LIMIT 1",
                          (attempt,))
        return (rows[0][0], json.loads(rows[0][1])) if rows else None

    # ------------------------------------------------------------------ outputs
    def last_output(self, out_dir: Path, submission: str) -> tuple[str, int, str] | None:
        """What a submission's report files in ``out_dir`` were last written from: digest, attempt, writers."""
        rows = self._read("SELECT digest, attempt_id, writers FROM outputs WHERE out_dir = ? AND submission = ?",
                          (str(out_dir.resolve()), submission))
        return rows[0] if rows else None

    def set_output(self, out_dir: Path, submission: str, digest: str, attempt: int, writers: str) -> None:
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO outputs (out_dir, submission, digest, attempt_id, writers) "
                       "VALUES (?, ?, ?, ?, ?)", (str(out_dir.resolve()), submission, digest, attempt, writers))


def _statements(script: str) -> Iterator[str]:
    """The SQL statements of a migration script, one by one (``executescript`` would commit on its own)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
    if buffer.strip():
        raise ValueError("incomplete SQL statement in a migration: %r" % buffer.strip()[:80])
