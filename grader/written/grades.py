"""A submission's whole grade: the automatic points, the written answers' hand grades, the late penalty, and
the final number every output shows.

``ClassGrades`` reads, once for a class, what besides the check results a grade depends on (the course
file, the hand grades, the roster, the submission times) and adds to each ``report.json`` document its
``student``, ``written``, ``late`` and ``grade`` parts.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from grader.gradebook.store import Gradebook
from grader.written.course import Course, course_path, iso, load_course
from grader.written.late import Lateness, builtin_penalty, lateness
from grader.written.questions import WrittenQuestion, answer_digest, graded_rows
from grader.written.store import HandGrade, HandGrades, RosterRow

STATUSES = ("graded", "ungraded", "changed")
"""A written answer's state: graded, not yet, or graded on an answer the student has changed since."""


def question_score(q: WrittenQuestion, grade: HandGrade) -> tuple[float, list[dict[str, Any]], list[str]]:
    """The points ``grade`` gives (today's rubric, between 0 and the question's points), the items applied
    (id, points, comment) and the ids of applied items the rubric no longer has."""
    applied, unknown = [], []
    for item_id in grade.items:
        item = q.item(item_id)
        if item is None:
            unknown.append(item_id)
        else:
            applied.append({"id": item.id, "points": item.points, "comment": item.comment})
    if grade.points is not None:
        raw = grade.points
    else:
        base = (q.points or 0.0) if q.scoring == "negative" else 0.0
        raw = base + sum(i["points"] for i in applied) + grade.adjustment
    return round(min(max(raw, 0.0), q.points or 0.0), 4), applied, unknown


def feedback(applied: list[dict[str, Any]], comment: str) -> str:
    """What the student reads: the applied items' comments, then the grader's own."""
    return "\n".join([i["comment"] for i in applied if i["comment"]] + ([comment] if comment.strip() else []))


@dataclass
class StudentMatch:
    """The roster row of a submission, if any."""

    row: RosterRow | None

    def to_json(self) -> dict[str, Any] | None:
        if self.row is None:
            return None
        return {"id": self.row.student, "name": self.row.name, "email": self.row.email}


class ClassGrades:
    """What a class's grades depend on besides the check results, read once."""

    def __init__(self, gradebook: Gradebook, written: tuple[WrittenQuestion, ...], pm=None,
                 course: Course | None = None):
        self.course = course or load_course(course_path(gradebook.path))
        self.questions = self.course.apply(tuple(written))
        store = HandGrades(gradebook)
        self.latest = store.latest()
        self.roster = store.roster()
        self.times = store.attempt_times()
        self.pm = pm
        self._by_submission: dict[str, RosterRow] = {}
        for row in self.roster or []:
            self._by_submission.setdefault(row.submission or row.student, row)
        self._base = "|".join([self.course.digest, store.roster_digest()])

    @property
    def written_max(self) -> float:
        return round(sum(q.points or 0.0 for q in self.questions), 4)

    def student(self, submission: str) -> RosterRow | None:
        return self._by_submission.get(submission)

    def question(self, question_id: str) -> WrittenQuestion | None:
        return next((q for q in self.questions if q.id == question_id), None)

    # ------------------------------------------------------------------ one submission
    def annotate(self, document: dict[str, Any], attempt_id: int) -> str:
        """Add ``student``, ``written``, ``late`` and ``grade`` to a ``report.json`` document (its ``questions``
        rows get ``graded`` flags); returns a digest of what they came from."""
        submission = document["submission"]["id"]
        row = self.student(submission)
        written = self.written_part(submission, document.get("questions") or [])
        automatic, automatic_max = float(document.get("score") or 0.0), float(document.get("max_score") or 0.0)
        raw = round(automatic + written["score"], 4)
        maximum = round(automatic_max + written["max_score"], 4)
        late = self.late_part(submission, attempt_id, row, raw, maximum)
        document["student"] = StudentMatch(row).to_json()
        document["written"] = written
        document["late"] = late
        document["grade"] = {"automatic": round(automatic, 4), "automatic_max": round(automatic_max, 4),
                             "manual": written["score"], "manual_max": written["max_score"],
                             "late_penalty": late["penalty"], "final": round(raw - late["penalty"], 4),
                             "max": maximum, "ungraded": written["ungraded"], "changed": written["changed"]}
        grades = sorted(g.id for (s, _), g in self.latest.items() if s == submission)
        return hashlib.sha256(json.dumps([self._base, grades, document["grade"], late]).encode()).hexdigest()

    def written_part(self, submission: str, questions: list[dict[str, Any]]) -> dict[str, Any]:
        chosen = graded_rows(questions, self.questions)
        entries = []
        for q in self.questions:
            answer = chosen.get(q.id)
            grade = self.latest.get((submission, q.id))
            entry: dict[str, Any] = {
                "id": q.id, "title": q.title, "max_points": q.points or 0.0,
                "notebook": answer.get("notebook") if answer else None,
                "answered": bool(answer and answer.get("answered")),
                "status": "ungraded", "points": None, "items": [], "adjustment": 0.0, "comment": "",
                "feedback": "", "graded_by": None, "graded_at": None}
            if grade is not None:
                points, applied, unknown = question_score(q, grade)
                changed = grade.answer_sha256 != answer_digest(answer)
                entry.update(status="changed" if changed else "graded", points=points, items=applied,
                             adjustment=grade.adjustment, comment=grade.comment,
                             feedback=feedback(applied, grade.comment), graded_by=grade.grader,
                             graded_at=iso(grade.graded_at), grade_id=grade.id)
                if unknown:
                    entry["unknown_items"] = unknown
            entries.append(entry)
        return {"score": round(sum(e["points"] or 0.0 for e in entries), 4),
                "max_score": round(sum(e["max_points"] for e in entries), 4),
                "graded": sum(e["status"] == "graded" for e in entries),
                "ungraded": sum(e["status"] == "ungraded" for e in entries),
                "changed": sum(e["status"] == "changed" for e in entries),
                "questions": entries}

    def late_part(self, submission: str, attempt_id: int, row: RosterRow | None, points: float, maximum: float
                  ) -> dict[str, Any]:
        late = self.course.late
        when, source = self.submission_time(submission, attempt_id, row)
        due = None
        if late.due is not None:
            extension = late.extensions.get(row.student if row else "", late.extensions.get(submission, 0.0))
            due = late.due + 86400.0 * (extension + (row.extension_days if row else 0.0))
        info = lateness(submission, row.student if row else None, when, source, due)
        penalty = self.penalty(info, points, maximum)
        return {"submitted_at": iso(when), "source": source, "due": iso(due), "days_late": round(info.days_late, 4),
                "late_days": info.late_days, "policy": late.policy if due is not None else "none",
                "penalty": penalty}

    def submission_time(self, submission: str, attempt_id: int, row: RosterRow | None) -> tuple[float | None, str]:
        """The submission's time and where it comes from: the roster, the metadata file, or its files."""
        if row is not None and row.submitted_at is not None:
            return row.submitted_at, "roster"
        late = self.course.late
        if submission in late.times:
            return late.times[submission], "metadata file %s" % late.times_file
        when, source = self.times.get(attempt_id, (None, ""))
        return when, source or "unknown"

    def penalty(self, info: Lateness, points: float, maximum: float) -> float:
        """The hook's answer (a course's rule) or the built-in policies', kept between 0 and ``points``."""
        settings = self.course.late.settings()
        value = None
        if self.pm is not None:
            value = self.pm.hook.grader_late_penalty(lateness=info, points=points, max_points=maximum,
                                                     policy=settings)
        if value is None:
            value = builtin_penalty(info, points, settings)
        return round(min(max(float(value), 0.0), max(points, 0.0)), 4)

    # ------------------------------------------------------------------ the class
    def roster_mismatches(self, submissions: list[str]) -> dict[str, list[str]]:
        """Where a roster exists: submissions matching no roster row, and students with no submission."""
        if self.roster is None:
            return {"unmatched": [], "missing": []}
        have = set(submissions)
        return {"unmatched": sorted(s for s in submissions if s not in self._by_submission),
                "missing": sorted(r.student for r in self.roster if (r.submission or r.student) not in have)}

    def missing_students(self, submissions: list[str]) -> list[RosterRow]:
        have = set(submissions)
        return [r for r in self.roster or [] if (r.submission or r.student) not in have]
