"""The written part of the grade: question ids and twin notebooks, rubrics from the course file (and re-scoring
when they change), hand grades with history and conflicts, the roster, every late policy and the hook, scores
import/export (each bad input refused with nothing written), the Canvas export, and a resubmission's changed
answer flagged."""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from conftest import ROOT
from grader import hookimpl
from grader.assignment import Assignment, AssignmentError, merge
from grader.cli import main
from grader.gradebook.store import Gradebook
from grader.notebooks import read_notebooks
from grader.plugins import get_plugin_manager
from grader.submission import UsageError
from grader.written.answers import class_answers
from grader.written.course import iso, load_course
from grader.written.grades import ClassGrades, question_score
from grader.written.late import builtin_penalty, lateness
from grader.written.questions import RubricItem, WrittenQuestion, graded_rows
from grader.written.store import Conflict, HandGrades, NewGrade
from handgrading import ASSIGNMENT, make_class, record, rewrite

DAY = 86400.0
TF, TORCH = "Generative_Adversarial_Networks_TF.ipynb", "Generative_Adversarial_Networks_PyTorch.ipynb"


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def report(out: Path, name: str) -> dict:
    return json.loads((out / name / "report.json").read_text())


@pytest.fixture
def graded(tmp_path) -> Path:
    out = tmp_path / "out"
    make_class(out)
    return out


# ---- question ids, twin notebooks ------------------------------------------------------------------------
def test_every_written_question_has_an_id_unique_across_the_assignment_in_report_json():
    written = merge([ASSIGNMENT]).written
    ids = [q.id for q in written]
    assert ids == ["rnn.q1", "lstm.q1", "netvis.q1", "gan.q1", "gan.q2", "gan.q3"] and len(set(ids)) == len(ids)
    assert sum(q.points for q in written) == 16  # the PyTorch twins add notebooks, not points
    assert {n for q in written for n in q.asked_in} == set(ASSIGNMENT.notebooks) - {"StyleTransfer-TensorFlow.ipynb",
                                                                                  "StyleTransfer-PyTorch.ipynb"}
    seed = (ROOT / "submissions" / "skeleton")
    found = read_notebooks({n: (seed / n).read_bytes() for n in ASSIGNMENT.notebooks if (seed / n).is_file()},
                           ASSIGNMENT).questions
    assert [(q["id"], q["label"]) for q in found] == [
        ("rnn.q1", "Inline Question 1"), ("lstm.q1", "Inline Question"), ("netvis.q1", "Inline Question"),
        ("gan.q1", "Inline Question 1"), ("gan.q2", "Inline Question 2"), ("gan.q3", "Inline Question 3")]


def test_a_twin_notebook_declares_the_same_question_and_only_one_answer_is_graded():
    twin = Assignment(notebooks=(TORCH,), written=(WrittenQuestion("gan.q1", {TORCH: "Inline Question 1"}),))
    merged = merge([ASSIGNMENT, twin])
    gan = next(q for q in merged.written if q.id == "gan.q1")
    assert gan.asked_in == {TF: "Inline Question 1", TORCH: "Inline Question 1"} and gan.points == 4
    assert merged.questions[TORCH] == ("Inline Question 1", "Inline Question 2", "Inline Question 3")

    def row(notebook, answer):
        return {"notebook": notebook, "id": "gan.q1", "answered": bool(answer), "answer": answer}

    only_torch = [row(TF, ""), row(TORCH, "zero")]
    assert graded_rows(only_torch, merged.written)["gan.q1"]["notebook"] == TORCH
    assert only_torch[0]["graded"] is False and "answered in %s" % TORCH in only_torch[0]["note"]
    both = [row(TORCH, "zero, from torch"), row(TF, "zero, from tf")]
    assert graded_rows(both, merged.written)["gan.q1"]["answer"] == "zero, from tf"  # the notebook declared first
    assert both[0]["graded"] is False and both[0]["note"].startswith("also answered here")


def test_contradicting_declarations_are_refused():
    with pytest.raises(AssignmentError, match="declared twice with points"):
        merge([ASSIGNMENT, Assignment(written=(WrittenQuestion("gan.q1", {TORCH: "Q"}, points=3),))])
    with pytest.raises(AssignmentError, match="both rnn.q1 and other.q1"):
        merge([ASSIGNMENT, Assignment(written=(WrittenQuestion("other.q1", {"RNN_Captioning.ipynb":
                                                                            "Inline Question 1"}),))])


# ---- rubrics ------------------------------------------------------------------------------------------------
def test_scores_follow_the_rubric_positive_or_negative_and_stay_within_the_points():
    q = WrittenQuestion("x.q1", points=4, rubric=(RubricItem("a", 2, ""), RubricItem("b", 3, ""),
                                                  RubricItem("minus", -1, "")))
    from grader.written.store import HandGrade

    def g(items, adjustment=0.0, points=None):
        return HandGrade(1, "s", "x.q1", "", tuple(items), adjustment, points, "", "t", "review", None, 0.0)

    assert question_score(q, g(["a"]))[0] == 2 and question_score(q, g(["a", "b"]))[0] == 4  # capped
    assert question_score(q, g(["minus"]))[0] == 0 and question_score(q, g(["a"], 0.5))[0] == 2.5
    negative = WrittenQuestion("x.q1", points=4, rubric=(RubricItem("minus", -1, ""),), scoring="negative")
    assert question_score(negative, g([]))[0] == 4 and question_score(negative, g(["minus"]))[0] == 3
    assert question_score(q, g(["gone"]))[2] == ["gone"] and question_score(q, g([], points=3.5))[0] == 3.5


def test_the_course_file_overrides_points_and_rubrics_and_editing_it_rescores(graded):
    gb_path = graded / "gradebook.sqlite"
    with Gradebook(gb_path) as gb:
        answers = class_answers(gb, ClassGrades(gb, ASSIGNMENT.written))
        HandGrades(gb).save([NewGrade(s, "rnn.q1", answers[s]["rnn.q1"].digest, ("correct",))
                             for s in ("alice", "bob")], "ta1")
    rewrite(graded)
    assert report(graded, "alice")["grade"]["manual"] == 4
    toml = graded / "gradebook.toml"
    toml.write_text('[questions."rnn.q1"]\npoints = 6\n[[questions."rnn.q1".rubric]]\nid = "correct"\npoints = 6\n'
                    '[[questions."rnn.q1".rubric]]\nid = "half"\npoints = 3\ncomment = "Half."\n')
    rewrite(graded)
    doc = report(graded, "alice")
    entry = next(q for q in doc["written"]["questions"] if q["id"] == "rnn.q1")
    assert entry["points"] == 6 and entry["max_points"] == 6 and entry["feedback"] == "Correct and complete."
    assert doc["grade"]["manual_max"] == 18 and doc["grade"]["final"] == 7
    assert rows(graded / "grades.csv")[0]["rnn.q1"] == "6.0"
    toml.write_text('[questions."rnn.q9"]\npoints = 1\n')
    with pytest.raises(UsageError, match="rnn.q9"):
        rewrite(graded)
    toml.write_text("[questions\n")
    assert main(["scores", "export", str(graded / "x.csv"), "--out", str(graded)]) == 2
    toml.write_text('[late]\npolicy = "sometimes"\n')
    with pytest.raises(UsageError, match="late.policy"):
        load_course(toml)


# ---- hand grades: history and conflicts -----------------------------------------------------------------
def test_a_stale_save_is_a_conflict_and_both_entries_stay_in_the_history(graded):
    with Gradebook(graded / "gradebook.sqlite") as gb:
        store = HandGrades(gb)
        [first] = store.save([NewGrade("dave", "gan.q3", "d", ("incorrect",))], "ta1")
        store.save([NewGrade("dave", "gan.q3", "d", ("correct",), replaces=first.id)], "ta2")
        with pytest.raises(Conflict) as conflict:
            store.save([NewGrade("dave", "gan.q3", "d", ("partial",), replaces=first.id)], "ta3")
        assert conflict.value.current[0].grader == "ta2"
        store.save([NewGrade("dave", "gan.q3", "d", ("partial",), replaces=first.id)], "ta3", overwrite=True)
        assert [(e.grader, e.items) for e in store.history("dave", "gan.q3")] == [
            ("ta1", ("incorrect",)), ("ta2", ("correct",)), ("ta3", ("partial",))]
        with pytest.raises(UsageError, match="no submission"):
            store.save([NewGrade("zed", "gan.q3", "d")], "ta1")


# ---- late policies ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("policy, days, expected", [
    ({"policy": "none"}, 3.0, 0.0),
    ({"policy": "zero"}, 0.01, 50.0),
    ({"policy": "zero"}, 0.0, 0.0),
    ({"policy": "percent", "percent_per_day": 10, "max_percent": 100}, 1.1, 10.0),  # 2 started days
    ({"policy": "percent", "percent_per_day": 10, "max_percent": 30}, 9.0, 15.0),  # the cap
    ({"policy": "grace", "grace_days": 2}, 1.5, 0.0),
    ({"policy": "grace", "grace_days": 2}, 2.5, 50.0),  # past the grace days, no percentage: no credit
    ({"policy": "grace", "grace_days": 2, "percent_per_day": 20, "max_percent": 100}, 3.5, 20.0),
])
def test_each_built_in_late_policy(policy, days, expected):
    due = 1_000_000.0
    info = lateness("s", None, due + days * DAY - (0.5 if days % 1 == 0 and days else 0), "roster", due)
    assert builtin_penalty(info, 50.0, policy) == pytest.approx(expected)


def test_the_late_penalty_shows_in_the_report_the_csv_and_the_dashboard(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    due = 1_600_000_000.0
    (out / "gradebook.toml").write_text('[late]\ndue = "%s"\npolicy = "percent"\npercent_per_day = 25\n'
                                        '[late.extensions]\nbob = 2\n'
                                        % iso(due))
    with Gradebook(out / "gradebook.sqlite") as gb:
        gb.seed(lambda: 5)
        record(gb, "alice", {}, when=due + 1.5 * DAY)  # 2 days late: 50%
        record(gb, "bob", {}, when=due + 1.5 * DAY)  # on time with his extension
    rewrite(out)
    alice, bob = report(out, "alice"), report(out, "bob")
    assert alice["late"]["late_days"] == 2 and alice["late"]["source"] == "file mtimes"
    assert alice["grade"]["late_penalty"] == 0.5 and alice["grade"]["final"] == 0.5
    assert bob["late"]["late_days"] == 0 and bob["grade"]["final"] == 1
    csv_rows = {r["submission"]: r for r in rows(out / "grades.csv")}
    assert csv_rows["alice"]["late_penalty"] == "0.5" and csv_rows["alice"]["final"] == "0.5"
    assert "Late: 1 submission" in (out / "index.html").read_text()
    assert "late penalty -0.5" in json.loads((out / "alice" / "results.json").read_text())["output"]


class HalfAPointPerDay:
    """A course's own rule, from a plugin: half a point per started day, whatever the policy says."""

    @hookimpl
    def grader_late_penalty(self, lateness, points, max_points, policy):
        return 0.5 * lateness.late_days if lateness.student != "exempt" else None


def test_hook_grader_late_penalty_replaces_the_built_in_policy(tmp_path):
    pm = get_plugin_manager(autoload=False)
    pm.register(HalfAPointPerDay(), "half-a-point")
    out = tmp_path / "out"
    out.mkdir()
    (out / "gradebook.toml").write_text('[late]\ndue = 2020-05-27T23:59:00Z\npolicy = "zero"\n')
    with Gradebook(out / "gradebook.sqlite") as gb:
        gb.seed(lambda: 5)
        due = load_course(out / "gradebook.toml").late.due
        record(gb, "late", {}, when=due + 1.2 * DAY)
        grades = ClassGrades(gb, ASSIGNMENT.written, pm)
        assert grades.penalty(lateness("late", None, due + 1.2 * DAY, "x", due), 1.0, 17.0) == 1.0
        assert grades.penalty(lateness("late", None, due + 0.2 * DAY, "x", due), 1.0, 17.0) == 0.5
        # a plugin answering None leaves the decision to the built-in policy ("zero" here)
        assert grades.penalty(lateness("late", "exempt", due + 0.2 * DAY, "x", due), 1.0, 17.0) == 1.0
        # the penalty stays within the raw score
        assert grades.penalty(lateness("late", None, due + 9 * DAY, "x", due), 1.0, 17.0) == 1.0


# ---- roster ---------------------------------------------------------------------------------------------
def test_the_roster_keys_grades_by_student_and_the_dashboard_lists_mismatches(graded, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student,name,email,submission,section,submitted_at\n"
                      "s1,Alice A,alice@x.edu,alice,S1,2020-05-27T10:00:00Z\ns2,Bob B,bob@x.edu,bob,S1,\n"
                      "s3,Carol C,carol@x.edu,carol,S2,\ns9,Nobody N,nobody@x.edu,,S2,\n")
    assert main(["roster", "import", str(roster), "--out", str(graded)]) == 0
    by = {r["student"]: r for r in rows(graded / "grades.csv")}
    assert by["s1"]["submission"] == "alice" and by["s1"]["name"] == "Alice A"
    assert by["s9"]["submission"] == "" and by["s9"]["final"] == ""  # a student with no submission
    assert by[""]["submission"] in ("dave", "erin")  # submissions matching no student
    alice = report(graded, "alice")
    assert alice["student"] == {"id": "s1", "name": "Alice A", "email": "alice@x.edu"}
    assert alice["late"]["source"] == "roster" and alice["late"]["submitted_at"] == "2020-05-27T10:00:00Z"
    page = (graded / "index.html").read_text()
    unmatched = page.split('id="unmatched"')[1].split("</p>")[0]
    assert "dave" in unmatched and "erin" in unmatched and "alice" not in unmatched
    assert "s9" in page.split('id="missing"')[1].split("</ul>")[0]

    canvas = graded / "canvas.csv"
    assert main(["scores", "export", str(canvas), "--out", str(graded), "--format", "canvas"]) == 0
    lines = list(csv.reader(canvas.read_text().splitlines()))
    assert lines[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Assignment 3"]
    assert lines[1][0] == "Points Possible" and lines[1][5] == "17"
    assert ["Alice A", "", "s1", "alice@x.edu", "S1", "1"] in lines
    assert ["Nobody N", "", "s9", "nobody@x.edu", "S2", ""] in lines

    bad = tmp_path / "bad.csv"
    for text, message in (("name\nx\n", "no student column"), ("student\ns1\ns1\n", "listed twice"),
                          ("student,submission\na,x\nb,x\n", "two students"),
                          ("student,submitted_at\na,yesterday\n", "not a date")):
        bad.write_text(text)
        assert main(["roster", "import", str(bad), "--out", str(graded)]) == 2, message
    assert rows(graded / "grades.csv")[0]["student"]  # the good roster is still the one used


def test_canvas_export_needs_a_roster(graded, capsys):
    assert main(["scores", "export", str(graded / "c.csv"), "--out", str(graded), "--format", "canvas"]) == 2
    assert "needs a roster" in capsys.readouterr().err and not (graded / "c.csv").exists()


# ---- scores import / export ---------------------------------------------------------------------------
def test_scores_export_import_round_trip_and_the_outputs_follow(graded, tmp_path):
    offline = tmp_path / "offline.csv"
    offline.write_text("submission,question,points,comment\nalice,rnn.q1,3.5,\"Good, but: see \"\"x\"\".\"\n"
                       "bob,gan.q2,2,\ncarol,rnn.q1,,\n")
    assert main(["scores", "import", str(offline), "--out", str(graded)]) == 0
    alice = report(graded, "alice")
    entry = next(q for q in alice["written"]["questions"] if q["id"] == "rnn.q1")
    assert entry["points"] == 3.5 and entry["feedback"] == 'Good, but: see "x".' and entry["status"] == "graded"
    assert alice["grade"]["final"] == 4.5 and rows(graded / "grades.csv")[0]["final"] == "4.5"
    assert '"written: rnn.q1' in (graded / "alice" / "results.json").read_text()
    assert "Good, but: see" in (graded / "alice" / "report.html").read_text()

    first = tmp_path / "first.csv"
    assert main(["scores", "export", str(first), "--out", str(graded)]) == 0
    other = tmp_path / "other"
    make_class(other)
    assert main(["scores", "import", str(first), "--out", str(other)]) == 0
    second = tmp_path / "second.csv"
    assert main(["scores", "export", str(second), "--out", str(other)]) == 0
    keep = ("submission", "question", "points", "max_points", "status", "comment")
    assert [{k: r[k] for k in keep} for r in rows(first)] == [{k: r[k] for k in keep} for r in rows(second)]
    assert sum(r["status"] == "graded" for r in rows(second)) == 2
    assert main(["scores", "import", str(first), "--out", str(other)]) == 0  # the same again: nothing new
    with Gradebook(other / "gradebook.sqlite") as gb:
        assert HandGrades(gb).count() == 2


@pytest.mark.parametrize("text, message", [
    ("submission,question,points\nzed,rnn.q1,1\n", "no submission 'zed'"),
    ("student,question,points\ns1,rnn.q1,1\n", "no roster"),
    ("submission,question,points\nalice,rnn.q7,1\n", "no written question 'rnn.q7'"),
    ("submission,question,points\nalice,rnn.q1,5\n", "worth 0 to 4"),
    ("submission,question,points\nalice,rnn.q1,-1\n", "worth 0 to 4"),
    ("submission,question,points\nalice,rnn.q1,three\n", "not a number"),
    ("submission,question,points\nalice,rnn.q1,nan\n", "worth 0 to 4"),
    ("submission,question,points\nalice,rnn.q1,1\nalice,rnn.q1,2\n", "already given on line 3"),
    ("submission,points\nalice,1\n", "lacks question"),
])
def test_a_bad_import_is_refused_whole_with_one_line_and_nothing_written(graded, text, message, capsys):
    before = {p.name: p.read_bytes() for p in (graded / "grades.csv", graded / "alice" / "report.json")}
    bad = graded / "bad.csv"
    bad.write_text("submission,question,points\nbob,gan.q2,2\n" + text.split("\n", 1)[1] if text.startswith(
        "submission,question,points") else text)
    assert main(["scores", "import", str(bad), "--out", str(graded)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    with Gradebook(graded / "gradebook.sqlite") as gb:
        assert HandGrades(gb).count() == 0  # bob's good row on line 2 is not written either
    assert {p.name: p.read_bytes() for p in (graded / "grades.csv", graded / "alice" / "report.json")} == before


# ---- regrading keeps hand grades; a changed answer is flagged ------------------------------------------
def test_a_resubmission_with_a_changed_answer_is_flagged_changed_since_graded(tmp_path):
    """Graded for real (two cheap numpy checks): hand grades survive a regrade; the student's new answer is
    flagged in report.json, report.html, grades.csv, results.json and the dashboard, and its grade kept."""
    student = tmp_path / "class" / "alice"
    shutil.copytree(ROOT / "submissions" / "skeleton", student)
    out = tmp_path / "out"
    only = ["--only", "rnn_layers.rnn_step_forward", "--seed", "3"]
    assert main(["grade", str(tmp_path / "class"), "--out", str(out), *only]) == 0
    offline = tmp_path / "grades.csv"
    offline.write_text("submission,question,points,comment\nalice,lstm.q1,2,Right.\nalice,gan.q3,1,Half.\n")
    assert main(["scores", "import", str(offline), "--out", str(out)]) == 0
    assert main(["grade", str(tmp_path / "class"), "--out", str(out), *only, "--force"]) == 0
    assert report(out, "alice")["written"]["graded"] == 2  # a regrade keeps them

    notebook = student / "LSTM_Captioning.ipynb"
    doc = json.loads(notebook.read_text())
    cell = next(c for c in doc["cells"] if c["cell_type"] == "markdown" and "Your Answer" in "".join(c["source"]))
    cell["source"] = "".join(cell["source"]) + "\n\nA sigmoid keeps each gate between 0 and 1."
    notebook.write_text(json.dumps(doc))
    assert main(["grade", str(tmp_path / "class"), "--out", str(out), *only]) == 0
    alice = report(out, "alice")
    status = {q["id"]: (q["status"], q["points"]) for q in alice["written"]["questions"]}
    assert status["lstm.q1"] == ("changed", 2) and status["gan.q3"] == ("graded", 1)
    assert alice["grade"]["changed"] == 1 and alice["grade"]["manual"] == 3
    assert rows(out / "grades.csv")[0]["changed_since_graded"] == "lstm.q1"
    assert "changed since graded" in (out / "alice" / "report.html").read_text()
    assert "Your answer changed after it was graded" in (out / "alice" / "results.json").read_text()
    page = (out / "index.html").read_text()
    assert '<tr class="written" data-question="lstm.q1">' in page
    lstm_row = page.split('data-question="lstm.q1">')[1].split("</tr>")[0]
    assert '<span class="warn">1</span>' in lstm_row


def test_images_attached_to_an_answer_are_drawn_and_nothing_else_is_loaded():
    from grader.writers.html_report import answer_images, markdown_html

    png = "iVBORw0KGgo="
    cells = [{"cell_type": "markdown", "source": "## Inline Question 1\n\nWhy?"},
             {"cell_type": "markdown", "source": "**Your Answer:** see ![plot](attachment:p.png) and "
                                                  "![far](http://example.com/x.png)",
              "attachments": {"p.png": {"image/png": png}, "unused.png": {"image/png": png}}}]
    data = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}).encode()
    [row] = [q for q in read_notebooks({"RNN_Captioning.ipynb": data}, ASSIGNMENT).questions
             if q["notebook"] == "RNN_Captioning.ipynb"]
    assert row["images"] == {"p.png": "data:image/png;base64," + png}  # only what the answer shows
    html = str(markdown_html(row["answer"], answer_images(row)))
    assert '<img src="data:image/png;base64,%s" alt="plot">' % png in html
    assert "example.com" not in html.split("[image:")[0] and "[image: far]" in html
    assert "<img" not in str(markdown_html(row["answer"], {"p.png": "javascript:alert(1)"}))
