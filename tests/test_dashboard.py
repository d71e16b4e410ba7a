"""The class dashboard's content: statistics, pass rates worst first, failure messages grouped with their
numbers normalised, per-function verdicts and diagnoses when reports have them, unanswered questions."""
from __future__ import annotations

import re

from grader.model import Report
from grader.writers.dashboard import (check_rates, diagnoses, function_rates, message_key, render_dashboard,
                                      shown_message, unanswered_questions)

TV_WRAPS = {"id": "tv-wraparound", "message": "tv_loss wraps around"}


def check(check_id: str, status: str = "passed", message: str = "", target: str | None = None, points=1.0,
          **details) -> dict:
    return {"id": check_id, "exercise": check_id.split(".")[0], "targets": [target or check_id.split("/")[0]],
            "status": status, "score": points if status == "passed" else 0.0, "max_score": points,
            "message": message, "metric": None, "duration_s": 0.1, "details": details, "artifacts": []}


def report(name: str, checks: list[dict], answered=(True, True), **extra) -> Report:
    """A report as the gradebook rebuilds it (``functions``: target -> {status, checks, blame})."""
    return Report.from_json({
        "submission": {"id": name, "path": "/class/" + name, "sha256": "0" * 64},
        "grader": {"version": "t", "seed": 7, "isolation": "test"}, "checks": checks,
        "exercises": [], "problems": extra.pop("problems", []), "notebooks": {},
        "questions": [{"notebook": "RNN_Captioning.ipynb", "id": "Inline Question %d" % (i + 1),
                       "question": "Inline Question %d: why?" % (i + 1), "answered": a, "answer": ""}
                      for i, a in enumerate(answered)], **extra})


def column0(n: int) -> str:
    return "column 0 of every caption is <START> (%d of %d rows); rel_error %.3g > threshold 1e-07" % (n, n + 2, n / 7)


CLASS = [
    report("alice", [check("style.tv_loss/hidden", "failed", "tv_loss off by 12.5%", details=None,
                           diagnosis=TV_WRAPS),
                     check("rnn.sample/greedy", "failed", column0(3)), check("rnn.step/notebook")],
           answered=(False, True)),
    report("bob", [check("style.tv_loss/hidden", "failed", "tv_loss off by 3.25%", diagnosis=TV_WRAPS),
                   check("rnn.sample/greedy", "failed", column0(5)), check("rnn.step/notebook", "error", "raised")],
           answered=(False, False)),
    report("carol", [check("style.tv_loss/hidden", "failed", "tv_loss off by 7%", diagnosis=TV_WRAPS),
                     check("rnn.sample/greedy"), check("rnn.step/notebook")], problems=["cs231n/gan_tf.py is missing"]),
    report("dave", [check("style.tv_loss/hidden"), check("rnn.sample/greedy", "failed", column0(9)),
                    check("rnn.step/notebook")]),
]


def test_messages_are_grouped_with_their_numbers_normalised():
    key, numbers = message_key(column0(3))
    assert message_key(column0(11))[0] == key and numbers == ("0", "3", "5", "0.429", "1e-07")
    grouped = [message_key(column0(n))[1] for n in (3, 11)]
    assert shown_message(key, grouped) == "column 0 of every caption is <START> (# of # rows); rel_error # > threshold 1e-07"
    text = "dc_generator(3) has 6,595,521 parameters instead of 6,580,801; range 50..1000\nTraceback ..."
    assert shown_message(*(lambda k, n: (k, [n, ("4", "1", "2", "50", "1000")]))(*message_key(text))) == (
        "dc_generator(#) has # parameters instead of #; range 50..1000")
    assert message_key("float64 and int32 (x2) kept")[1] == ()
    assert message_key("")[0] == "(no message)"


def test_pass_rates_are_worst_first_with_their_common_failures():
    rates = check_rates(CLASS)
    assert [(r.id, r.rate) for r in rates] == [("rnn.sample/greedy", 0.25), ("style.tv_loss/hidden", 0.25),
                                               ("rnn.step/notebook", 0.75)]
    greedy = rates[0]
    assert greedy.top_messages()[0][:2] == (
        "column 0 of every caption is <START> (# of # rows); rel_error # > threshold 1e-07", 3)
    assert greedy.students == {"alice", "bob", "dave"}
    assert rates[2].problems == [("error", 1)]


def test_functions_come_from_the_reports_verdicts():
    assert function_rates(CLASS) == []  # reports without verdicts
    with_functions = [report(r.submission.id, [c.to_json() for c in r.checks],
                             functions={"rnn.step": {"status": s, "checks": ["rnn.step/notebook"], "blame": "own"},
                                        "rnn.helper": {"status": "passed", "checks": [], "blame": "substitution"}})
                      for r, s in zip(CLASS, ("passed", "inconclusive", "passed", "failed"))]
    rates = function_rates(with_functions)
    step = next(r for r in rates if r.id == "rnn.step")
    assert step.rate == 0.5 and step.problems == [("failed", 1), ("inconclusive", 1)]
    assert [r.id for r in rates] == ["rnn.step", "rnn.helper"]


def test_diagnoses_and_unanswered_questions_are_counted_per_student():
    [tv] = diagnoses(CLASS)
    assert (tv.message, tv.students, tv.checks) == ("tv_loss wraps around", {"alice", "bob", "carol"},
                                                    {"style.tv_loss/hidden"})
    questions = unanswered_questions(CLASS)
    assert [(q["id"], q["asked"], q["students"]) for q in questions] == [
        ("Inline Question 1", 4, ["alice", "bob"]), ("Inline Question 2", 4, ["bob"])]


def test_the_page_shows_every_part_and_escapes_student_text():
    hostile = report("eve", [check("rnn.step/notebook", "failed", "raised <script>alert(1)</script>")])
    page = render_dashboard(CLASS + [hostile])
    text = re.sub(r"<[^>]+>", " ", page)
    assert re.search(r"tv_loss wraps around\s*: 3 students", text)
    assert re.search(r"3 students\s*:\s*column 0 of every caption is &lt;START&gt; \(# of # rows\)", text)
    assert "swapping in the reference" in page
    for name in ("alice", "bob", "carol", "dave", "eve"):
        assert 'href="%s/report.html"' % name in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert 'id="misconceptions"' in page
    assert 'id="misconceptions"' not in render_dashboard(CLASS[3:])  # no diagnosis, no section
    assert "cs231n/gan_tf.py is missing" in page
    assert re.search(r"Inline Question 1: why\?\s*</td>\s*<td class=\"num\">2 / 5", page)
