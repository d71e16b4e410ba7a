"""The gradebook's tables, and the migrations that bring an older gradebook up to date.

``PRAGMA user_version`` holds the schema version: version N is what ``MIGRATIONS[:N]`` builds. A new
version appends a migration; migrations already released are never edited.
"""
from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: submissions, their attempts, grading runs, check results with history, per-function verdicts
    """
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE submissions (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at REAL NOT NULL
    );
    CREATE TABLE attempts (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        content_sha256 TEXT NOT NULL,     -- student files and notebooks: a change is a new attempt
        sha256 TEXT NOT NULL,             -- student files only (the report's submission.sha256)
        path TEXT NOT NULL,
        files TEXT NOT NULL,              -- JSON: name -> sha256 of each student file and notebook
        created_at REAL NOT NULL,
        seen_at REAL NOT NULL,            -- when a run last found these files (a revert makes it current again)
        UNIQUE (submission_id, content_sha256)
    );
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        started_at REAL NOT NULL,
        finished_at REAL,
        status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'interrupted')),
        grader_version TEXT NOT NULL,
        seed INTEGER NOT NULL,
        isolation TEXT NOT NULL,
        fingerprint TEXT NOT NULL,        -- of the definitions of the checks it selected
        selection TEXT NOT NULL,          -- JSON: the --only ids ([] for all)
        forced INTEGER NOT NULL,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL
    );
    CREATE TABLE run_checks (
        run_id INTEGER NOT NULL REFERENCES runs(id),
        check_id TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        points REAL NOT NULL,
        metric TEXT,
        threshold REAL,
        PRIMARY KEY (run_id, check_id)
    );
    CREATE TABLE results (
        id INTEGER PRIMARY KEY,
        attempt_id INTEGER NOT NULL REFERENCES attempts(id),
        run_id INTEGER NOT NULL REFERENCES runs(id),
        check_id TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        seed INTEGER NOT NULL,
        status TEXT NOT NULL,
        score REAL NOT NULL,
        max_score REAL NOT NULL,
        message TEXT NOT NULL,
        diagnosis TEXT,                   -- details.diagnosis.id, where a known misconception was named
        data TEXT NOT NULL,               -- JSON: the check's entry of report.json, without artifacts
        artifacts TEXT,                   -- JSON list; emptied when a newer result of the same check arrives
        graded_at REAL NOT NULL
    );
    CREATE INDEX results_latest ON results (attempt_id, check_id, id);
    CREATE TABLE functions (
        id INTEGER PRIMARY KEY,
        attempt_id INTEGER NOT NULL REFERENCES attempts(id),
        run_id INTEGER NOT NULL REFERENCES runs(id),
        target TEXT NOT NULL,
        status TEXT NOT NULL,
        data TEXT NOT NULL                -- JSON: the target's entry of report.json's functions
    );
    CREATE INDEX functions_latest ON functions (attempt_id, target, id);
    CREATE TABLE attempt_reports (
        id INTEGER PRIMARY KEY,
        attempt_id INTEGER NOT NULL REFERENCES attempts(id),
        run_id INTEGER NOT NULL REFERENCES runs(id),
        data TEXT NOT NULL                -- JSON: questions, notebooks and problems of report.json
    );
    CREATE INDEX attempt_reports_latest ON attempt_reports (attempt_id, id);
    CREATE TABLE outputs (
        out_dir TEXT NOT NULL,
        submission TEXT NOT NULL,
        digest TEXT NOT NULL,             -- of the rows the report files were written from, and the writers
        attempt_id INTEGER NOT NULL,      -- whose notebooks were rendered there
        writers TEXT NOT NULL,            -- grader version and writer plugins that wrote them
        PRIMARY KEY (out_dir, submission)
    );
    """,
]

LATEST_VERSION = len(MIGRATIONS)
