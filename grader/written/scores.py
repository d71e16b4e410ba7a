"""``grader scores import|export FILE.csv``: hand grades in and out, for staff who grade offline or in another
tool, and the final grades for the LMS (``--format canvas``).

The grades CSV has a row per submission and written question: ``submission`` (or ``student``, where a
roster exists), ``question`` (the id in ``report.json`` ``questions``), ``points``, ``comment``; an export
adds ``student``, ``max_points``, ``status``, ``rubric_items``, ``graded_by``, ``graded_at``, which an import
ignores. An import is all or nothing: an unknown student or question, points that are not a number or
outside 0..the question's points, a row given twice, and nothing is written. A row whose ``points`` is
empty grades nothing (an export lists the answers not graded yet that way).
"""
from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

from grader.atomic import write_atomic
from grader.gradebook.store import Gradebook
from grader.submission import UsageError
from grader.written.answers import Answer, class_answers
from grader.written.course import iso
from grader.written.grades import ClassGrades, feedback, question_score
from grader.written.roster import read_csv
from grader.written.store import HandGrades, NewGrade

EXPORT_COLUMNS = ("submission", "student", "question", "points", "max_points", "status", "comment",
                  "rubric_items", "graded_by", "graded_at")
CANVAS_IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
"""The identity columns of a Canvas gradebook CSV (docs/written-answers.md cites the documentation)."""


def import_scores(gradebook: Gradebook, grades: ClassGrades, path: Path, grader: str) -> tuple[int, int]:
    """Record the grades of ``path`` (all or none); returns how many were new and how many unchanged."""
    header, rows, _ = read_csv(path)
    key = "submission" if "submission" in header else "student" if "student" in header else None
    missing = [c for c in ("question", "points") if c not in header]
    if key is None or missing:
        raise UsageError("%s needs the columns submission (or student), question, points and comment; it lacks %s"
                         % (path, ", ".join((["submission"] if key is None else []) + missing)))
    if key == "student" and grades.roster is None:
        raise UsageError("%s names students, but no roster was imported (grader roster import)" % path)
    answers = class_answers(gradebook, grades)
    by_student = {r.student: (r.submission or r.student) for r in grades.roster or []}
    new, same, seen = [], 0, {}
    for line, row in enumerate(rows, start=2):
        where = "%s line %d" % (path, line)
        who = row.get(key, "")
        submission = by_student.get(who) if key == "student" else who
        if key == "student" and submission is None:
            raise UsageError("%s: no student %r in the roster" % (where, who))
        if submission not in answers:
            raise UsageError("%s: no submission %r in the gradebook" % (where, submission))
        question = grades.question(row.get("question", ""))
        if question is None:
            raise UsageError("%s: no written question %r (known: %s)" % (where, row.get("question", ""),
                                                                       ", ".join(q.id for q in grades.questions)))
        if (submission, question.id) in seen:
            raise UsageError("%s: %s of %s is already given on line %d" % (where, question.id, who,
                                                                           seen[(submission, question.id)]))
        seen[(submission, question.id)] = line
        text = row.get("points", "")
        if text == "":
            continue
        try:
            points = float(text)
        except ValueError:
            raise UsageError("%s: points %r is not a number" % (where, text)) from None
        if not math.isfinite(points) or points < 0 or points > (question.points or 0.0):
            raise UsageError("%s: %s points for %s, which is worth 0 to %g" % (where, text, question.id,
                                                                              question.points or 0.0))
        answer = answers[submission][question.id]
        comment = row.get("comment", "")
        current = grades.latest.get((submission, question.id))
        if current is not None and current.answer_sha256 == answer.digest:
            score, applied, _ = question_score(question, current)
            if score == points and feedback(applied, current.comment) == comment:
                same += 1
                continue
        new.append(NewGrade(submission, question.id, answer.digest, points=points, comment=comment))
    HandGrades(gradebook).save(new, grader, source="import", overwrite=True)
    return len(new), same


def export_rows(grades: ClassGrades, answers: dict[str, dict[str, Answer]]) -> list[dict[str, Any]]:
    rows = []
    for submission in sorted(answers):
        student = grades.student(submission)
        for q in grades.questions:
            grade = grades.latest.get((submission, q.id))
            row = {"submission": submission, "student": student.student if student else "", "question": q.id,
                   "points": "", "max_points": "%g" % (q.points or 0.0), "status": "ungraded", "comment": "",
                   "rubric_items": "", "graded_by": "", "graded_at": ""}
            if grade is not None:
                points, applied, _ = question_score(q, grade)
                changed = grade.answer_sha256 != answers[submission][q.id].digest
                row.update(points="%g" % points, status="changed since graded" if changed else "graded",
                           comment=feedback(applied, grade.comment), rubric_items=";".join(grade.items),
                           graded_by=grade.grader, graded_at=iso(grade.graded_at) or "")
            rows.append(row)
    return rows


def export_scores(gradebook: Gradebook, grades: ClassGrades, path: Path) -> int:
    rows = export_rows(grades, class_answers(gradebook, grades))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_atomic(path, buffer.getvalue())
    return len(rows)


def export_canvas(reports: list[dict[str, Any]], grades: ClassGrades, path: Path) -> int:
    """A Canvas gradebook CSV: one row per roster student, the final grade in the assignment's column (blank
    for a student with no submission), after a "Points Possible" row."""
    if grades.roster is None:
        raise UsageError("the Canvas export needs a roster, to name each student as Canvas does "
                         "(grader roster import roster.csv)")
    finals = {r["submission"]["id"]: r["grade"] for r in reports}
    maximum = max((g["max"] for g in finals.values()), default=0.0)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*CANVAS_IDENTITY, grades.course.canvas_column])
    writer.writerow(["Points Possible", "", "", "", "", "%g" % maximum])
    for student in grades.roster:
        grade = finals.get(student.submission or student.student)
        writer.writerow([student.name, student.data.get("canvas_id", ""),
                         student.data.get("sis_user_id", student.student),
                         student.data.get("sis_login_id", student.email), student.data.get("section", ""),
                         "" if grade is None else "%g" % grade["final"]])
    write_atomic(path, buffer.getvalue())
    return len(grades.roster)
