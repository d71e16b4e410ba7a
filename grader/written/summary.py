"""What the class summaries (``grades.csv``, the dashboard) show of the written part besides the reports: the
questions and their points, the roster's mismatches, and the students who submitted nothing."""
from __future__ import annotations

from typing import Any

from grader.model import Report
from grader.written.grades import ClassGrades


def class_info(grades: ClassGrades, reports: list[Report]) -> dict[str, Any]:
    """The ``config.class_info`` the summary writers receive."""
    names = [r.submission.id for r in reports]
    mismatches = grades.roster_mismatches(names)
    return {
        "questions": [{"id": q.id, "title": q.title, "points": q.points or 0.0,
                       "rubric": [{"id": i.id, "points": i.points, "comment": i.comment} for i in q.rubric]}
                      for q in grades.questions],
        "roster": grades.roster is not None,
        "unmatched": mismatches["unmatched"],
        "missing": [{"id": r.student, "name": r.name, "email": r.email, "submission": r.submission or r.student}
                    for r in grades.missing_students(names)],
        "late_policy": grades.course.late.policy if grades.course.late.due is not None else "none",
    }
