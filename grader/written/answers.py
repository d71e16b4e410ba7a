"""Every student's answer to one written question, and the answer groups graded at once: empty answers, the
notebook's template text left as it was, and answers identical up to case and white space."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from grader.gradebook.store import Gradebook
from grader.written.grades import ClassGrades
from grader.written.questions import answer_digest, graded_rows, normalized_answer

KINDS = ("empty", "template", "identical", "single")


@dataclass
class Answer:
    """One submission's graded answer to a question (``row``: its ``report.json`` ``questions`` row, or None)."""

    submission: str
    row: dict[str, Any] | None
    digest: str

    @property
    def text(self) -> str:
        return str((self.row or {}).get("answer") or "")


@dataclass
class Group:
    """Answers graded together: ``kind`` says why they are grouped."""

    key: str
    kind: str
    answers: list[Answer] = field(default_factory=list)

    @property
    def members(self) -> list[str]:
        return [a.submission for a in self.answers]


def class_answers(gradebook: Gradebook, grades: ClassGrades) -> dict[str, dict[str, Answer]]:
    """Per submission (its attempt graded last), per declared question id, its graded answer."""
    out: dict[str, dict[str, Answer]] = {}
    for attempt in gradebook.graded_attempts():
        stored = gradebook.latest_report(attempt.id)
        questions = (stored[1].get("questions") if stored else None) or []
        chosen = graded_rows(questions, grades.questions)
        out[attempt.submission] = {q.id: Answer(attempt.submission, chosen.get(q.id), answer_digest(chosen.get(q.id)))
                                   for q in grades.questions}
    return out


def group_key(answer: Answer) -> tuple[str, str]:
    """(kind, key) of an answer's group: empty, the template's text, or its normalized text and images."""
    text = normalized_answer(answer.text)
    if answer.row is None or answer.row.get("missing") or not text:
        return "empty", "empty"
    if not answer.row.get("answered"):
        return "template", "template"
    images = answer.row.get("images") or {}
    return "identical", hashlib.sha256((text + "\0" + "\0".join(sorted(map(str, images.values())))).encode(
        "utf-8", "surrogatepass")).hexdigest()[:16]


def answer_groups(answers: list[Answer]) -> list[Group]:
    """The groups of one question's answers: empty and template groups first, then the largest groups of
    identical answers, then the answers no one else gave, in submission order."""
    groups: dict[str, Group] = {}
    for answer in sorted(answers, key=lambda a: a.submission):
        kind, key = group_key(answer)
        groups.setdefault(key, Group(key, kind)).answers.append(answer)
    for group in groups.values():
        if group.kind == "identical" and len(group.answers) == 1:
            group.kind, group.key = "single", "s-" + group.key
    order = {"empty": 0, "template": 1, "identical": 2, "single": 3}
    return sorted(groups.values(), key=lambda g: (order[g.kind], -len(g.answers), g.members[0]))
