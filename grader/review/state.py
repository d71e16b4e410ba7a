"""What the review pages show, computed from the gradebook: per question its answer groups, each answer with
its current grade, and the progress of the class."""
from __future__ import annotations

from typing import Any

from grader.written.answers import Answer, Group, answer_groups, class_answers
from grader.written.grades import ClassGrades, feedback, question_score
from grader.written.questions import WrittenQuestion
from grader.written.store import HandGrade

KIND_LABELS = {"empty": "Empty answers", "template": "Template text left as is", "identical": "Identical answers",
               "single": "Answer"}


class AnswerCache:
    """The class's answers, read again only when a grading run has recorded a report since."""

    def __init__(self, session):
        self.session = session
        self._key: tuple | None = None
        self._answers: dict[str, dict[str, Answer]] = {}

    def get(self, grades: ClassGrades) -> dict[str, dict[str, Answer]]:
        key = tuple(self.session.gradebook.query("SELECT MAX(id), COUNT(*) FROM attempt_reports")[0]) + (
            tuple(q.id for q in grades.questions),)
        if key != self._key:
            self._answers, self._key = class_answers(self.session.gradebook, grades), key
        return self._answers


def grade_view(q: WrittenQuestion, answer: Answer, grade: HandGrade | None) -> dict[str, Any]:
    """One answer's grade as the page shows it (``grade_id``: what a save from this page replaces)."""
    if grade is None:
        return {"submission": answer.submission, "status": "ungraded", "points": None, "items": [],
                "adjustment": 0.0, "comment": "", "feedback": "", "grader": None, "graded_at": None,
                "grade_id": None}
    points, applied, unknown = question_score(q, grade)
    return {"submission": answer.submission,
            "status": "changed" if grade.answer_sha256 != answer.digest else "graded",
            "points": points, "items": [i["id"] for i in applied] + unknown, "adjustment": grade.adjustment,
            "comment": grade.comment, "feedback": feedback(applied, grade.comment), "grader": grade.grader,
            "graded_at": grade.graded_at, "grade_id": grade.id, "imported": grade.points is not None}


def progress(q: WrittenQuestion, answers: dict[str, dict[str, Answer]], grades: ClassGrades) -> dict[str, int]:
    counts = {"graded": 0, "ungraded": 0, "changed": 0}
    for submission, by_question in answers.items():
        counts[grade_view(q, by_question[q.id], grades.latest.get((submission, q.id)))["status"]] += 1
    return {**counts, "total": len(answers)}


def question_state(q: WrittenQuestion, answers: dict[str, dict[str, Answer]], grades: ClassGrades
                   ) -> dict[str, Any]:
    """The question page's data: rubric, progress and groups (members with their grades; no answer text)."""
    groups = answer_groups([by_question[q.id] for by_question in answers.values()])
    return {
        "question": {"id": q.id, "title": q.title, "points": q.points or 0.0, "scoring": q.scoring},
        "rubric": [{"id": i.id, "points": i.points, "comment": i.comment} for i in q.rubric],
        "progress": progress(q, answers, grades),
        "groups": [group_state(q, g, grades) for g in groups],
    }


def group_state(q: WrittenQuestion, group: Group, grades: ClassGrades) -> dict[str, Any]:
    members = [grade_view(q, a, grades.latest.get((a.submission, q.id))) for a in group.answers]
    return {"key": group.key, "kind": group.kind, "label": KIND_LABELS[group.kind], "size": len(members),
            "members": members, "done": all(m["status"] == "graded" for m in members)}


def groups_with_answers(q: WrittenQuestion, answers: dict[str, dict[str, Answer]]) -> list[tuple[Group, Answer]]:
    """Each group with the answer shown for it (its first member's)."""
    return [(g, g.answers[0]) for g in answer_groups([by_question[q.id] for by_question in answers.values()])]
