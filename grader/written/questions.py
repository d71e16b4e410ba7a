"""Written questions as the assignment declares them: a unique id, points, a default rubric, and the notebooks
that ask it.

A question may be asked in several notebooks (a TensorFlow notebook and its PyTorch twin ask the same
questions): each declaration names the notebooks and labels it is asked under, and declarations of one id are
merged. Only one answer per student and id is graded (``graded_rows``): the answered one; when both twins are
answered, the one in the notebook declared first, and the other row says so.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

ID = re.compile(r"[a-z][a-z0-9_-]*(?:\.[a-z0-9_-]+)*")
"""A question id: short, lower case, dotted (``rnn.q1``, ``gan.q3``)."""


class QuestionError(Exception):
    """Declarations of written questions that contradict each other, or a malformed one."""


@dataclass(frozen=True)
class RubricItem:
    """One click of the rubric: points (negative for a deduction) and the comment the student reads."""

    id: str
    points: float
    comment: str


@dataclass(frozen=True)
class WrittenQuestion:
    """A written question of the assignment.

    ``asked_in`` maps each notebook asking it to the label it is asked under there (``"Inline Question 1"``).
    A declaration with ``points=None`` only adds notebooks to a question declared elsewhere (a twin notebook's
    pack). ``scoring``: ``"positive"`` (a score starts at 0 and items add) or ``"negative"`` (it starts at the
    question's points and items deduct).
    """

    id: str
    asked_in: dict[str, str] = field(default_factory=dict)
    title: str = ""
    points: float | None = None
    rubric: tuple[RubricItem, ...] = ()
    scoring: str = "positive"

    def item(self, item_id: str) -> RubricItem | None:
        return next((i for i in self.rubric if i.id == item_id), None)


def merge_questions(parts: Iterable[Iterable[WrittenQuestion]]) -> tuple[WrittenQuestion, ...]:
    """One declaration per id, in order of first appearance: the notebooks of every declaration of an id (in
    order), the points, title and rubric of the one that gives points. Two declarations giving points, or one
    notebook label claimed by two ids, is an error."""
    merged: dict[str, WrittenQuestion] = {}
    places: dict[tuple[str, str], str] = {}
    for part in parts:
        for q in part:
            _validate(q)
            for place in q.asked_in.items():
                if places.setdefault(place, q.id) != q.id:
                    raise QuestionError("%s of %s is declared as both %s and %s" % (place[1], place[0],
                                                                                   places[place], q.id))
            known = merged.get(q.id)
            if known is None:
                merged[q.id] = q
                continue
            if known.points is not None and q.points is not None:
                raise QuestionError("the written question %s is declared twice with points" % q.id)
            base, extra = (q, known) if known.points is None and q.points is not None else (known, q)
            asked_in = {**known.asked_in, **{n: l for n, l in q.asked_in.items() if n not in known.asked_in}}
            merged[q.id] = WrittenQuestion(q.id, asked_in, base.title or extra.title, base.points, base.rubric,
                                           base.scoring)
    return tuple(merged.values())


def _validate(q: WrittenQuestion) -> None:
    if not ID.fullmatch(q.id):
        raise QuestionError("%r is not a question id (lower case, dotted: rnn.q1)" % q.id)
    if q.scoring not in ("positive", "negative"):
        raise QuestionError("%s: scoring must be positive or negative, not %r" % (q.id, q.scoring))
    if q.points is not None and not q.points >= 0:
        raise QuestionError("%s: points must be 0 or more" % q.id)
    ids = [i.id for i in q.rubric]
    if len(set(ids)) != len(ids):
        raise QuestionError("%s: a rubric item id is used twice" % q.id)


def question_id(notebook: str, label: str, declared: Iterable[WrittenQuestion]) -> str:
    """The id of the question asked as ``label`` in ``notebook``: the declared one, else one made of the
    notebook's stem and the label (``MyPack.inline-question-1``), unique but not graded."""
    for q in declared:
        if q.asked_in.get(notebook) == label:
            return q.id
    stem = re.sub(r"\.ipynb$", "", notebook)
    return "%s.%s" % (stem, re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") or "question")


def graded_rows(questions: list[dict[str, Any]], declared: Iterable[WrittenQuestion]) -> dict[str, dict[str, Any]]:
    """Per declared question id, the one ``report.json`` ``questions`` row that is graded: the answered one; of
    two answered (twin notebooks), the one in the notebook declared first; of none answered, the first found
    in a notebook that is there. Rows not chosen get ``graded: False`` and a ``note`` (changed in place)."""
    chosen: dict[str, dict[str, Any]] = {}
    for q in declared:
        rows = [r for r in questions if r.get("id") == q.id]
        if not rows:
            continue
        order = list(q.asked_in)
        rows.sort(key=lambda r: (not r.get("answered"), bool(r.get("missing")),
                                 order.index(r["notebook"]) if r.get("notebook") in order else len(order)))
        best = rows[0]
        best["graded"] = True
        for other in rows[1:]:
            other["graded"] = False
            if other.get("answered"):
                other["note"] = "also answered here: the answer in %s is the one graded" % best["notebook"]
            else:
                other["note"] = "not graded: the question is answered in %s" % best["notebook"] if best.get(
                    "answered") else "not graded: the question is graded in %s" % best["notebook"]
        chosen[q.id] = best
    return chosen


def normalized_answer(text: str) -> str:
    """An answer as it is compared for grouping: case and runs of white space ignored."""
    return " ".join(str(text).split()).casefold()


def answer_digest(row: dict[str, Any] | None) -> str:
    """The sha256 of a graded answer's text (images included): a hand grade made on another digest is
    "changed since graded"."""
    if row is None:
        return hashlib.sha256(b"").hexdigest()
    images = row.get("images") or {}
    payload = str(row.get("answer") or "") + "\0" + "\0".join("%s=%s" % (k, images[k]) for k in sorted(images))
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()
