"""A class for the hand-grading tests, built straight into a gradebook (no submission graded): each student with
one check result and the notebooks' questions as ``grader grade`` records them."""
from __future__ import annotations

from pathlib import Path

from grader.gradebook.store import Gradebook
from grader.plugins import get_plugin_manager
from grader.session import collect_assignment
from grader.submission import Submission

ASSIGNMENT = collect_assignment(get_plugin_manager(autoload=False))
CHECK = "rnn_layers.rnn_step_forward/notebook"
WHERE = {q.id: next(iter(q.asked_in.items())) for q in ASSIGNMENT.written}


def question_rows(answers: dict[str, str]) -> list[dict]:
    """``report.json`` rows for every declared question: the answers given (by id), the others unanswered."""
    rows = []
    for qid, (notebook, label) in WHERE.items():
        text = answers.get(qid, "")
        rows.append({"notebook": notebook, "id": qid, "label": label, "question": label, "prompt": "Why?",
                     "answered": bool(text.strip()) and "fill this in" not in text, "answer": text, "graded": True})
    return rows


def record(gb: Gradebook, name: str, answers: dict[str, str], passed: bool = True, when: float | None = None,
           code: str = "def f(): pass\n") -> int:
    """Record one graded attempt of ``name``; returns its attempt id."""
    sub = Submission(id=name, path=Path("/class") / name, files={"rnn_layers.py": code.encode()},
                     notebooks={"RNN_Captioning.ipynb": repr(sorted(answers.items())).encode()},
                     submitted_at=when, time_source="file mtimes" if when else "")
    attempt = gb.attempt(sub)
    run = gb.start_run(version="t", seed=5, isolation="test", fingerprints={CHECK: "fp"},
                       checks=[{"id": CHECK, "points": 1.0, "metric": None, "threshold": None}], selection=[],
                       forced=False)
    gb.record_result(attempt.id, run, {
        "id": CHECK, "exercise": "rnn_captioning", "targets": ["rnn_layers.rnn_step_forward"],
        "status": "passed" if passed else "failed", "score": 1.0 if passed else 0.0, "max_score": 1.0,
        "message": "" if passed else "wrong", "metric": None, "duration_s": 0.1, "details": {}, "artifacts": []},
        "fp", 5)
    gb.record_report(attempt.id, run, {"grader": {"version": "t", "seed": 5, "isolation": "test"},
                                       "questions": question_rows(answers), "notebooks": {}, "problems": []})
    gb.finish_run(run)
    return attempt.id


CLASS = {
    "alice": {"rnn.q1": "Smaller vocabulary; but longer sequences.", "gan.q2": "No, it cycles."},
    "bob": {"rnn.q1": "smaller   vocabulary; but LONGER sequences.", "gan.q2": "No, it cycles."},
    "carol": {"rnn.q1": "*fill this in*"},
    "dave": {},
    "erin": {"rnn.q1": "Characters are <script>window.__pwned = 1</script> fewer "
                       "<img src=x onerror=\"window.__pwned = 2\"> [link](javascript:window.__pwned=3) $x^2$"},
}
"""Answer groups of rnn.q1: alice and bob identical (case and spaces aside), carol the template, dave empty,
erin alone (a hostile answer)."""


def make_class(out: Path, students: dict[str, dict[str, str]] = CLASS, **kwargs) -> Path:
    """A graded class in ``out`` (gradebook and outputs written); returns the gradebook's path."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "gradebook.sqlite"
    with Gradebook(path) as gb:
        gb.seed(lambda: 5)
        for name, answers in students.items():
            record(gb, name, answers, **kwargs)
    rewrite(out)
    return path


def rewrite(out: Path) -> None:
    """Write the class outputs from the gradebook, as every command that changes it does."""
    from grader.written.commands import ClassSession

    pm = get_plugin_manager(autoload=False)
    with Gradebook(out / "gradebook.sqlite") as gb:
        ClassSession(pm, ASSIGNMENT, gb, out).rewrite()
