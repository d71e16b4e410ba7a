"""The class gradebook: every grading run, attempt and check result in SQLite, and incremental regrading."""
