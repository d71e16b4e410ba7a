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
    # 2: hand grades of the written questions (history kept), the roster, the time of each attempt
    """
    CREATE TABLE written_grades (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        question TEXT NOT NULL,           -- the question id of report.json questions (rnn.q1)
        answer_sha256 TEXT NOT NULL,      -- of the answer graded: another one now is "changed since graded"
        items TEXT NOT NULL,              -- JSON list of the rubric item ids applied (scored by today's rubric)
        adjustment REAL NOT NULL,         -- points added (or taken) besides the items
        points REAL,                      -- an absolute score instead of items and adjustment (an import)
        comment TEXT NOT NULL,
        grader TEXT NOT NULL,             -- who saved it
        source TEXT NOT NULL,             -- review, import
        replaces INTEGER,                 -- the grade the grader saw when saving (conflict detection)
        graded_at REAL NOT NULL
    );
    CREATE INDEX written_grades_latest ON written_grades (submission_id, question, id);
    CREATE TABLE roster_imports (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        imported_at REAL NOT NULL
    );
    CREATE TABLE roster (
        import_id INTEGER NOT NULL REFERENCES roster_imports(id),
        student TEXT NOT NULL,
        name TEXT NOT NULL,
        email TEXT NOT NULL,
        submission TEXT,                  -- the submission id (folder or zip name) of this student's work
        submitted_at REAL,                -- from the LMS, when the roster gives it
        extension_days REAL NOT NULL,
        data TEXT NOT NULL,               -- JSON: the row's other columns (section, LMS ids)
        PRIMARY KEY (import_id, student)
    );
    CREATE TABLE attempt_times (
        attempt_id INTEGER PRIMARY KEY REFERENCES attempts(id),
        submitted_at REAL,                -- the latest time among the submission's files
        source TEXT NOT NULL              -- zip entries, file mtimes
    );
    """,
]

LATEST_VERSION = len(MIGRATIONS)
