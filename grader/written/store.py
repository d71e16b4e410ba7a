"""Hand grades and the roster in the gradebook (schema version 2): every grade is a new row, never changed,
so the history of who graded what and when is kept; the latest row per submission and question counts.

A save names the grade its author saw (``replaces``): when another grader saved in between, the save is
refused with a ``Conflict`` naming that grade, unless the author chose to overwrite it. Either way both
entries stay in the history.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Iterable

from grader.gradebook.store import Gradebook
from grader.submission import UsageError


@dataclass(frozen=True)
class HandGrade:
    """One entry: the rubric items applied, an adjustment, a comment; or an absolute ``points`` (an import)."""

    id: int
    submission: str
    question: str
    answer_sha256: str
    items: tuple[str, ...]
    adjustment: float
    points: float | None
    comment: str
    grader: str
    source: str
    replaces: int | None
    graded_at: float

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "items": list(self.items), "adjustment": self.adjustment, "points": self.points,
                "comment": self.comment, "grader": self.grader, "source": self.source,
                "graded_at": self.graded_at}


@dataclass(frozen=True)
class NewGrade:
    submission: str
    question: str
    answer_sha256: str
    items: tuple[str, ...] = ()
    adjustment: float = 0.0
    comment: str = ""
    points: float | None = None
    replaces: int | None = None
    """The id of the latest grade its author saw (None: there was none)."""


class Conflict(Exception):
    """Another grader saved a grade of the same answer since the author last saw it."""

    def __init__(self, current: list[HandGrade]):
        self.current = current
        first = current[0]
        super().__init__("%s graded %s of %s in the meantime" % (first.grader, first.question, first.submission))


@dataclass(frozen=True)
class RosterRow:
    student: str
    name: str
    email: str
    submission: str | None
    submitted_at: float | None
    extension_days: float
    data: dict[str, str]


_COLUMNS = ("g.id, s.name, g.question, g.answer_sha256, g.items, g.adjustment, g.points, g.comment, g.grader, "
            "g.source, g.replaces, g.graded_at")


def _grade(row: tuple) -> HandGrade:
    return HandGrade(row[0], row[1], row[2], row[3], tuple(json.loads(row[4])), row[5], row[6], row[7], row[8],
                     row[9], row[10], row[11])


class HandGrades:
    """The hand-grading tables of one gradebook."""

    def __init__(self, gradebook: Gradebook):
        self.gradebook = gradebook

    def latest(self) -> dict[tuple[str, str], HandGrade]:
        """The current grade of every (submission, question) graded."""
        rows = self.gradebook.query(
            "SELECT %s FROM written_grades g JOIN submissions s ON s.id = g.submission_id WHERE g.id IN ("
            "SELECT MAX(id) FROM written_grades GROUP BY submission_id, question)" % _COLUMNS)
        return {(g.submission, g.question): g for g in map(_grade, rows)}

    def history(self, submission: str, question: str) -> list[HandGrade]:
        """Every grade saved for one answer, oldest first."""
        rows = self.gradebook.query(
            "SELECT %s FROM written_grades g JOIN submissions s ON s.id = g.submission_id "
            "WHERE s.name = ? AND g.question = ? ORDER BY g.id" % _COLUMNS, (submission, question))
        return [_grade(r) for r in rows]

    def count(self) -> int:
        return self.gradebook.query("SELECT COUNT(*) FROM written_grades")[0][0]

    def save(self, grades: Iterable[NewGrade], grader: str, source: str = "review", overwrite: bool = False
             ) -> list[HandGrade]:
        """Record ``grades`` in one transaction (all or none) and return them as stored. Unless ``overwrite``,
        raises ``Conflict`` when a grade's ``replaces`` is not the current grade of its answer."""
        grades = list(grades)
        now = time.time()
        with self.gradebook.transaction() as db:
            ids = dict(db.execute("SELECT name, id FROM submissions").fetchall())
            stale = []
            for g in grades:
                if g.submission not in ids:
                    raise UsageError("no submission %r in the gradebook" % g.submission)
                current = db.execute("SELECT MAX(id) FROM written_grades WHERE submission_id = ? AND question = ?",
                                     (ids[g.submission], g.question)).fetchone()[0]
                if current != g.replaces and not overwrite:
                    stale.append(current)
            if stale:
                rows = db.execute("SELECT %s FROM written_grades g JOIN submissions s ON s.id = g.submission_id "
                                  "WHERE g.id IN (%s)" % (_COLUMNS, ",".join("?" * len(stale))), stale).fetchall()
                raise Conflict([_grade(r) for r in rows])
            stored = []
            for g in grades:
                row = db.execute(
                    "INSERT INTO written_grades (submission_id, question, answer_sha256, items, adjustment, points, "
                    "comment, grader, source, replaces, graded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (ids[g.submission], g.question, g.answer_sha256, json.dumps(list(g.items)), float(g.adjustment),
                     g.points, g.comment, grader, source, g.replaces, now)).lastrowid
                stored.append(HandGrade(row, g.submission, g.question, g.answer_sha256, tuple(g.items),
                                        float(g.adjustment), g.points, g.comment, grader, source, g.replaces, now))
        return stored

    # ------------------------------------------------------------------ roster
    def roster(self) -> list[RosterRow] | None:
        """The roster last imported, by student id; None where none was."""
        latest = self.gradebook.query("SELECT MAX(id) FROM roster_imports")[0][0]
        if latest is None:
            return None
        rows = self.gradebook.query("SELECT student, name, email, submission, submitted_at, extension_days, data "
                                    "FROM roster WHERE import_id = ? ORDER BY student", (latest,))
        return [RosterRow(*r[:6], json.loads(r[6])) for r in rows]

    def roster_digest(self) -> str:
        return str(self.gradebook.query("SELECT MAX(id) FROM roster_imports")[0][0])

    def import_roster(self, rows: list[RosterRow], path: str, sha256: str) -> int:
        """Make ``rows`` the roster (earlier imports are kept as history); returns the import's id."""
        with self.gradebook.transaction() as db:
            import_id = db.execute("INSERT INTO roster_imports (path, sha256, imported_at) VALUES (?, ?, ?)",
                                   (path, sha256, time.time())).lastrowid
            db.executemany("INSERT INTO roster (import_id, student, name, email, submission, submitted_at, "
                           "extension_days, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           [(import_id, r.student, r.name, r.email, r.submission, r.submitted_at, r.extension_days,
                             json.dumps(r.data, sort_keys=True)) for r in rows])
        return import_id

    # ------------------------------------------------------------------ submission times
    def attempt_times(self) -> dict[int, tuple[float | None, str]]:
        """Per attempt: the latest time among its files and where that time comes from."""
        return {a: (t, s) for a, t, s in self.gradebook.query("SELECT attempt_id, submitted_at, source "
                                                              "FROM attempt_times")}
