"""Notebooks: inline answers, execution facts and printed checks (grader.notebooks), their rendering
(grader.writers.notebooks_html) and the report's manual-grading section. The notebooks are the team's own."""
from __future__ import annotations

import base64
import json
import re
import time
from pathlib import Path

import nbconvert
import nbformat
import numpy as np
import pytest
from nbformat import v4

from grader.config import GradingConfig
from grader.model import GraderInfo, Report, SubmissionInfo
from grader.pictures import png_bytes
from exercises.assignment import ASSIGNMENT
from grader.notebooks import attach_notebooks, check_lines, parse_xy_table, read_notebooks
from exercises.assignment import NOTEBOOKS
from grader.submission import Submission, load_folder
from grader.writers import html_report, json_report, notebooks_html
from grader.writers._format import json_safe

from conftest import ROOT, grade

TENSORFLOW_NOTEBOOKS = tuple(n for n in NOTEBOOKS if n not in ASSIGNMENT.twins)
"""A submission needs one notebook of each pair of tracks; the samples did the TensorFlow ones."""
RNN, LSTM, VIS, STYLE, GAN = TENSORFLOW_NOTEBOOKS
SCRIPT = "<script>alert('pwned')</script>"
CONFIG = GradingConfig(seed=1)
TEMPLATE_TABLE = ("| y_0 | y_1 | y_2 | y_3 | y_4 | y_5 | y_6 |\n|-------|-------|-------|-------|-------|-------|-------|\n"
                  "| 1 | | | | | | |\n| x_0 | x_1 | x_2 | x_3 | x_4 | x_5 | x_6 |\n| 1 | | | | | | |\n")
FILLED_TABLE = ("| y_0 | y_1 | y_2 | y_3 | y_4 | y_5 | y_6 |\n|---|---|---|---|---|---|---|\n| 1 | 2 | 1 | -1 | -2 | -1 | 1 |\n"
                "| x_0 | x_1 | x_2 | x_3 | x_4 | x_5 | x_6 |\n| 1 | -1 | -2 | -1 | 1 | 2 | 1 |\n")


def md(text: str) -> nbformat.NotebookNode:
    return v4.new_markdown_cell(text)


def code(source: str = "x = 1", printed: str | None = None, count: int | None = None, outputs=()):
    outs = list(outputs) + ([v4.new_output("stream", name="stdout", text=printed)] if printed else [])
    return v4.new_code_cell(source, execution_count=count, outputs=outs)


def notebook(*cells) -> bytes:
    nb = v4.new_notebook()
    nb.cells = list(cells)
    return nbformat.writes(nb).encode()


def questions_of(data: bytes, name: str = RNN) -> list[dict]:
    return [q for q in read_notebooks({name: data}, ASSIGNMENT).questions if q["notebook"] == name]


def only_question(data: bytes, name: str = RNN) -> dict:
    (question,) = questions_of(data, name)
    return question


# ---- inline questions and answers --------------------------------------------------------------------

def test_answer_in_the_next_cell():
    q = only_question(notebook(
        md("# INLINE QUESTION 1\n\nOne advantage and one disadvantage of a character-level model."),
        md("**Your Answer:** Fewer parameters.\n\nBut much longer sequences."), code()))
    assert q["label"] == "Inline Question 1" and q["id"] == "rnn.q1"
    assert q["question"] == "Inline Question 1: One advantage and one disadvantage of a character-level model."
    assert q["answered"] is True
    assert q["answer"] == "Fewer parameters.\n\nBut much longer sequences."


def test_answer_in_the_question_cell_after_the_mark():
    q = only_question(notebook(md("**Inline Question 1:** Why sigmoid gates?\n\n**Your Answer:** They stay in (0, 1).")))
    assert q["question"] == "Inline Question 1: Why sigmoid gates?"
    assert q["answered"] and q["answer"] == "They stay in (0, 1)."


@pytest.mark.parametrize("answer_cell", [
    "**Your Answer:**", "Your Answer:", "**Your Answer:** *fill this in*", "Your Answer: fill this in",
    "$\\color{blue}{\\textit Your Answer:}$\n\n\n", "### Your answer:\n\n", "  \n",
])
def test_empty_or_template_answers_are_unanswered(answer_cell):
    q = only_question(notebook(md("# INLINE QUESTION 1\n\nPrompt."), md(answer_cell), md("# Next part")))
    assert q["answered"] is False and q["answer"] == ""


def test_template_mark_in_the_question_cell_and_no_answer_cell():
    q = only_question(notebook(md("# INLINE QUESTION 1\n\nPrompt.\n\n**Your Answer:** *fill this in*"), code()))
    assert q["answered"] is False and q["answer"] == ""


def test_latex_coloured_mark_and_answer_heading_are_dropped():
    q = only_question(notebook(md("# INLINE QUESTION 1\n\nPrompt."),
                               md("$\\color{blue}{\\textit Your Answer:}$ Smaller vocabulary.")))
    assert q["answered"] and q["answer"] == "Smaller vocabulary."
    q = questions_of(notebook(md("## INLINE QUESTION 2\n\nPrompt."), md("### Your answer:\n\nNo, it cycles.")), GAN)[0]
    assert q["answered"] and q["answer"] == "No, it cycles."


@pytest.mark.parametrize("stop", [md("# 9 LSTM captioning model"), code("print(1)"), md("**Inline Question 2** next")])
def test_answer_stops_at_a_heading_a_code_cell_or_the_next_question(stop):
    data = notebook(md("# INLINE QUESTION 1\n\nPrompt."), md("**Your Answer:** first part"),
                    md("second part, no heading"), stop, md("not part of the answer"))
    q = questions_of(data)[0]
    assert q["answer"] == "first part\n\nsecond part, no heading"


def test_question_labels_in_any_case_and_format_and_not_in_running_text():
    data = notebook(md("<b>inline question 1</b>\n\nPrompt one."), md("Answer one, see the inline question above."),
                    md("## Inline Question #2:\n\nPrompt two."), md("Answer two."),
                    md("INLINE QUESTION\n\nPrompt three."), md("Answer three."))
    qs = questions_of(data, GAN)
    assert [q["label"] for q in qs] == ["Inline Question 1", "Inline Question 2", "Inline Question"]
    assert [q["answer"] for q in qs] == ["Answer one, see the inline question above.", "Answer two.", "Answer three."]


def test_cells_only_mentioning_inline_questions_are_not_questions():
    data = notebook(md("Inline questions are graded by hand."), md("# INLINE QUESTION 1\n\nPrompt."), md("ok"))
    assert [q["label"] for q in questions_of(data)] == ["Inline Question 1"]


def test_unnumbered_questions_in_one_notebook_get_distinct_ids():
    data = notebook(md("# INLINE QUESTION\n\nA?"), md("a"), md("# INLINE QUESTION\n\nB?"), md("b"))
    assert [q["label"] for q in questions_of(data, LSTM)] == ["Inline Question", "Inline Question #2"]


def test_long_prompt_is_cut_to_an_excerpt():
    q = only_question(notebook(md("# INLINE QUESTION 1\n\n" + "word " * 100), md("ok")))
    assert q["question"].endswith("…") and len(q["question"]) < 120
    assert q["prompt"].count("word") == 100


# ---- the GAN table -----------------------------------------------------------------------------------

def test_gan_table_answer_is_parsed_into_its_values():
    qs = questions_of(notebook(md("## INLINE QUESTION 1\n\nSix alternating steps from (1, 1)."),
                               md("### Your answer:\n\nmin max is 0.\n\n" + FILLED_TABLE)), GAN)
    q = qs[0]
    assert q["answered"] is True
    assert q["table"] == {"x": ["1", "-1", "-2", "-1", "1", "2", "1"], "y": ["1", "2", "1", "-1", "-2", "-1", "1"]}
    assert q["answer"].startswith("min max is 0.")


def test_gan_template_table_left_as_is_is_unanswered():
    q = questions_of(notebook(md("## INLINE QUESTION 1\n\nPrompt."), md("### Your answer:\n\n" + TEMPLATE_TABLE)), GAN)[0]
    assert q["answered"] is False
    assert q["table"] == {"x": ["1"] + [""] * 6, "y": ["1"] + [""] * 6}
    assert "| y_0 |" in q["answer"]  # kept, so the instructor sees the empty table


def test_gan_table_with_only_values_filled_is_answered():
    q = questions_of(notebook(md("## INLINE QUESTION 1\n\nPrompt."), md(TEMPLATE_TABLE.replace("| 1 | |", "| 1 | 2 |", 1))),
                     GAN)[0]
    assert q["answered"] is True and q["table"]["y"][:2] == ["1", "2"]


@pytest.mark.parametrize("markdown, expected", [
    ("| t | $x_t$ | $y_t$ |\n|---|---|---|\n| 0 | 1 | 1 |\n| 1 | -1 | 2 |\n", {"x": ["1", "-1"], "y": ["1", "2"]}),
    ("| $y_0$ | $y_{1}$ |\n|--|--|\n| **1** | 2 |\n| $x_0$ | $x_{1}$ |\n| 1 | -1 |", {"x": ["1", "-1"], "y": ["1", "2"]}),
    ("no table here", None),
    ("| a | b |\n|--|--|\n| 1 | 2 |", None),
])
def test_xy_table_layouts(markdown, expected):
    assert parse_xy_table(markdown) == expected


# ---- missing and malformed notebooks -----------------------------------------------------------------

def test_missing_notebooks_are_problems_and_their_questions_unanswered():
    summary = read_notebooks({}, ASSIGNMENT)
    assert summary.problems == ["%s is missing (not found next to cs231n/)" % n for n in TENSORFLOW_NOTEBOOKS]
    assert [(q["notebook"], q["label"]) for q in summary.questions] == [
        (RNN, "Inline Question 1"), (LSTM, "Inline Question"), (VIS, "Inline Question"),
        (GAN, "Inline Question 1"), (GAN, "Inline Question 2"), (GAN, "Inline Question 3")]
    assert all(q["answered"] is False and q.get("missing") for q in summary.questions)
    assert summary.facts[RNN]["present"] is False and summary.facts[RNN]["html"] is None


@pytest.mark.parametrize("data, problem", [
    (b'{"cells": [', "is not valid JSON"),
    (b"\xff\xfe not utf-8", "is not UTF-8 text"),
    (b"[1, 2]", "is not a notebook"),
    (b'{"nbformat": 5, "nbformat_minor": 0, "cells": [], "metadata": {}}', "unsupported notebook format (nbformat 5"),
    (b'{"cells": [], "metadata": {}}', "unsupported notebook format (nbformat null"),
    (b"", "is not valid JSON"),
])
def test_malformed_notebook_is_a_one_line_problem(data, problem):
    summary = read_notebooks({RNN: data}, ASSIGNMENT)
    (mine,) = [p for p in summary.problems if p.startswith(RNN)]
    assert problem in mine and "\n" not in mine
    assert summary.facts[RNN]["present"] is True and summary.facts[RNN]["executed"] is False
    assert [q["answered"] for q in summary.questions if q["notebook"] == RNN] == [False]


def test_notebook_breaking_the_schema_is_reported_and_still_read():
    doc = json.loads(notebook(md("# INLINE QUESTION 1\n\nPrompt."), md("**Your Answer:** still read")))
    del doc["cells"][0]["metadata"]
    summary = read_notebooks({RNN: json.dumps(doc).encode()}, ASSIGNMENT)
    assert any("does not follow the notebook format" in p for p in summary.problems)
    assert summary.questions[0]["answer"] == "still read"


def test_nbformat_3_notebook_is_converted():
    doc = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": [
        {"cell_type": "markdown", "source": "# INLINE QUESTION 1\n\nPrompt.", "metadata": {}},
        {"cell_type": "markdown", "source": "**Your Answer:** old format", "metadata": {}}], "metadata": {}}]}
    summary = read_notebooks({RNN: json.dumps(doc).encode()}, ASSIGNMENT)
    assert summary.problems[0].startswith(LSTM)  # only the other, missing notebooks
    assert summary.questions[0]["answer"] == "old format" and summary.facts[RNN]["nbformat"] == "4.5"


# ---- execution facts and printed check results -------------------------------------------------------

def test_executed_and_not_executed_notebooks():
    ran = notebook(code("a", "next_h error:  6.29e-09\n", 1), code("b", count=2), code("c"), code("   "))
    fresh = notebook(code("a"), code("b"), code(""))
    facts = read_notebooks({RNN: ran, LSTM: fresh}, ASSIGNMENT).facts
    assert (facts[RNN]["executed"], facts[RNN]["executed_cells"], facts[RNN]["code_cells"]) == (True, 2, 3)
    assert (facts[LSTM]["executed"], facts[LSTM]["executed_cells"], facts[LSTM]["code_cells"]) == (False, 0, 2)
    assert facts[LSTM]["checks"] == []


def test_printed_check_results_are_extracted_with_name_and_value():
    printed = ("next_h error:  6.292421426471037e-09\ndx error:  2.319932372313319e-10\n"
               "(Iteration 1 / 100) loss: 76.913486\nW_embed relative error: 2.331071e-09\n")
    data = notebook(
        code("a", printed, 7),
        code("b", count=8, outputs=[v4.new_output("execute_result", data={"text/plain": "Final loss:  0.0821"},
                                                  execution_count=8)]),
        code("c", count=9, outputs=[v4.new_output("stream", name="stderr", text="loss: 1.0\n"),
                                    v4.new_output("error", ename="ValueError", evalue="shapes (2,3) and (4,)",
                                                  traceback=["Traceback...", "ValueError: shapes"])]))
    facts = read_notebooks({RNN: data}, ASSIGNMENT).facts[RNN]
    assert [(c["name"], c["value"], c["cell"]) for c in facts["checks"]] == [
        ("next_h error", 6.292421426471037e-09, 7), ("dx error", 2.319932372313319e-10, 7),
        ("W_embed relative error", 2.331071e-09, 7), ("Final loss", 0.0821, 8)]
    assert facts["checks"][0]["text"] == "next_h error: 6.292421426471037e-09"
    assert facts["errors"] == ["ValueError: shapes (2,3) and (4,)"]


@pytest.mark.parametrize("line, name, value", [
    ("loss:  9.832355910027387", "loss", 9.832355910027387),
    ("expected loss:  9.83235591003", "expected loss", 9.83235591003),
    ("difference:  2.6130209107577684e-12", "difference", 2.6130209107577684e-12),
    ("Maximum error is 0.000", "Maximum error", 0.0),
    ("Maximum error: 1.2e-11", "Maximum error", 1.2e-11),
    ("Maximum error in d_loss: 6.02597e-17", "Maximum error in d_loss", 6.02597e-17),
    ("dWh error: nan", "dWh error", float("nan")),
    ("All tests passed!", None, None),
    ("Incorrect number of parameters in generator. 12 instead of 1858320. Check your architecture.", None, None),
])
def test_check_line_formats(line, name, value):
    (found,) = check_lines(line + "\n")
    assert found["name"] == name and found["text"] == " ".join(line.split())
    assert found["value"] == value or (value != value and found["value"] != found["value"])


@pytest.mark.parametrize("line", ["(Iteration 11 / 100) loss: 21.063153", "Iter: 250, D: 1.3, G:0.72", "x = 3",
                                  "base dir /data/coco", "error: something broke"])
def test_other_printed_lines_are_not_check_results(line):
    assert check_lines(line) == []


# ---- the report --------------------------------------------------------------------------------------

def bare_report() -> Report:
    return Report(SubmissionInfo("alice", "/subs/alice", "ab" * 32), GraderInfo("0.1.0", 1, "bwrap"), checks=[])


def full_submission() -> Submission:
    return Submission("alice", Path("/subs/alice"), notebooks={
        RNN: notebook(md("# INLINE QUESTION 1\n\nCharacter-level model?"),
                      md("**Your Answer:** Characters " + SCRIPT + " [x](javascript:alert(1)) ![i](http://evil/x.png)"),
                      code("a", "next_h error:  6.29e-09\n", 1)),
        LSTM: notebook(md("# INLINE QUESTION\n\nSigmoid gates?"), md("**Your Answer:** *fill this in*"), code("a")),
        GAN: notebook(md("## INLINE QUESTION 1\n\nSteps."), md("### Your answer:\n\n" + FILLED_TABLE)),
        STYLE: b"{broken",
    })


def test_attach_notebooks_fills_the_report_and_json_keeps_bytes_out():
    report = bare_report()
    report.problems.append("cs231n/gan_tf.py is missing")
    attach_notebooks(report, full_submission(), ASSIGNMENT)
    assert [q["answered"] for q in report.questions] == [True, False, False, True, False, False]
    assert report.problems[0] == "cs231n/gan_tf.py is missing"
    assert any(p.startswith(STYLE + " is not valid JSON") for p in report.problems)
    assert any(p.startswith(VIS + " is missing") for p in report.problems)
    assert set(report.notebook_sources) == {RNN, LSTM, GAN, STYLE}
    doc = report.to_json()
    assert set(doc["notebooks"]) == set(TENSORFLOW_NOTEBOOKS) and doc["notebooks"][RNN]["executed"] is True
    assert "notebook_sources" not in doc and "INLINE" not in repr(report)
    text = json.dumps(json_safe(doc), allow_nan=False)
    assert "next_h error" in text and SCRIPT in json.loads(text)["questions"][0]["answer"]


def test_report_json_has_questions_and_notebooks(tmp_path):
    report = bare_report()
    attach_notebooks(report, full_submission(), ASSIGNMENT)
    json_report.grader_write_report(report=report, out_dir=tmp_path, config=CONFIG)
    doc = json.loads((tmp_path / "report.json").read_text())
    for q in doc["questions"]:
        assert {"notebook", "question", "answered", "answer"} <= q.keys()
    assert doc["questions"][3]["table"]["y"][1] == "2"
    assert doc["notebooks"][RNN]["checks"][0] == {"text": "next_h error: 6.29e-09", "name": "next_h error",
                                                  "value": 6.29e-09, "cell": 1}


def test_manual_grading_section_escapes_and_shows_everything():
    report = bare_report()
    attach_notebooks(report, full_submission(), ASSIGNMENT)
    html = html_report.render_report(report)
    section = html.split('id="manual-grading"')[1]
    assert "<script" not in html and "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in section
    assert 'href="javascript' not in section and "<img" not in section and "[image: i]" in section
    assert '<a href="notebooks/RNN_Captioning.html"' in section
    assert 'href="notebooks/NetworkVisualization-TensorFlow.html"' not in section  # missing: no page, no link
    assert section.count('<span class="badge unanswered">unanswered</span>') == 4
    assert section.count('<span class="badge answered">answered</span>') == 2
    assert "1 of 1 code cells ran" in section and "not executed" in section
    assert "next_h error: 6.29e-09" in section and "6.29e-09" in section
    table = re.search(r'<table class="values">(.*?)</table>', section, re.S).group(1)
    assert re.findall(r'<td class="mono">([^<]*)</td>', table) == ["1", "-1", "-2", "-1", "1", "2", "1",
                                                                  "1", "2", "1", "-1", "-2", "-1", "1"]
    assert "is not valid JSON" in section
    assert "4 unanswered" in html and 'href="#manual-grading"' in html


def test_questions_without_notebook_facts_still_render():
    report = bare_report()
    report.questions = [{"notebook": RNN, "question": "Inline Question 1", "answered": False, "answer": ""}]
    section = html_report.render_report(report).split('id="manual-grading"')[1]
    assert "Inline Question 1" in section and "unanswered" in section and "rendered notebook" not in section


MATH_ANSWER = (r"**Your Answer:** the step is $h_t = \tanh(W_h h_{t-1})$ and" "\n\n"
               r"$$\sum_{i=1}^N x_i^2$$" "\n\n"
               r"also \\( \sigma(x) \\) and \\[ \frac{a}{b} \\]; code keeps `cost = $5 + $6`;" "\n"
               r"bad $\frac{a}{$ stays; $\text{<script>alert(1)</script>}$ " + SCRIPT + "\n\n"
               "```\nprice = $x$\n```\n")


def _math_displays(html: str) -> list[str]:
    """The ``display`` of each MathML formula in ``html``, in order."""
    return re.findall(r'<math [^>]*\bdisplay="(\w+)"', html)


def _tags(html: str) -> list[tuple[str, set[str]]]:
    """The elements of ``html`` as a browser would parse them: (tag, attribute names)."""
    from html.parser import HTMLParser

    found: list[tuple[str, set[str]]] = []
    parser = HTMLParser()
    parser.handle_starttag = lambda tag, attrs: found.append((tag, {name for name, _ in attrs}))
    parser.feed(html)
    return found


def test_answer_math_is_drawn_as_mathml_code_and_bad_latex_stay_text():
    report = bare_report()
    attach_notebooks(report, Submission("alice", Path("/subs/alice"), notebooks={
        RNN: notebook(md("# Inline Question 1\n\nWhy?"), md(MATH_ANSWER))}), ASSIGNMENT)
    answer = html_report.render_report(report).split('<div class="answer md">')[1].split("</div>")[0]
    assert _math_displays(answer) == ["inline", "block", "inline", "block", "inline"]
    assert answer.count('xmlns="http://www.w3.org/1998/Math/MathML"') == 5
    assert "<msub><mi>h</mi><mi>t</mi></msub>" in answer and "<mfrac>" in answer and "&#x02211;" in answer
    assert "<code>cost = $5 + $6</code>" in answer and "price = $x$" in answer
    assert r"bad $\frac{a}{$ stays" in answer
    assert "<script" not in answer and "&lt;script&gt;alert(1)&lt;/script&gt;" in answer


def test_mathml_keeps_only_presentation_elements_and_attributes():
    from grader.writers._math import latex_to_mathml

    assert latex_to_mathml(r"\left(x\right)", display=False).count('stretchy="true" fence="true"') == 2
    for latex in (r"\href{javascript:alert(1)}{x}", r"\style{background:url(x)}{x}", r"\class{evil}{x}",
                  r"\text{</math><img src=x onerror=alert(1)>}", r"\text{<a href='javascript:x'>y</a>}"):
        tags = _tags(latex_to_mathml(latex, display=False))
        assert tags and {tag for tag, _ in tags} <= {"math", "mrow", "mi", "mtext"}
        assert set().union(*(attrs for _, attrs in tags)) <= {"xmlns", "display"}
    assert latex_to_mathml("x" * 6000, display=True) == "$$" + "x" * 6000 + "$$"
    assert latex_to_mathml("{" * 3000, display=False) == "$" + "{" * 3000 + "$"


def test_html_comments_are_hidden_as_in_jupyter():
    answer = ("**Your Answer:** shown <!-- inline > note --> text\n\n<!--\nmulti-line note\n-->\n\nvisible "
              "`<!-- code keeps it -->`\n\n<!-- left open\n\nswallowed")
    report = bare_report()
    attach_notebooks(report, Submission("alice", Path("/subs/alice"), notebooks={
        RNN: notebook(md("# Inline Question 1\n\nWhy?"), md(answer)),
        LSTM: notebook(md("# Inline Question\n\nWhy?"), md("**Your Answer:** <!-- a -> b -->"))}), ASSIGNMENT)
    assert [q["answered"] for q in report.questions[:2]] == [True, False]
    section = html_report.render_report(report).split('id="manual-grading"')[1]
    shown = section.split('<div class="answer md">')[1].split("</div>")[0]
    assert "shown" in shown and "text" in shown and "visible" in shown
    assert "note" not in shown and "left open" not in shown and "swallowed" not in shown
    assert "<code>&lt;!-- code keeps it --&gt;</code>" in shown
    assert "&lt;!-- inline &gt; note --&gt;" in section  # the markdown source still shows what was written
    page = notebooks_html.render_notebook(RNN, notebook(md(answer)))
    assert "shown" in page and "visible" in page and "note" not in page and "swallowed" not in page


# ---- rendering with nbconvert ------------------------------------------------------------------------

def big_notebook() -> bytes:
    big_png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(3 * 2**20)).decode()
    small_png = base64.b64encode(png_bytes(np.eye(8))).decode()
    return notebook(
        md("# Captioning\n\n**Your Answer:** the answer text " + SCRIPT + '<img src="x" onerror="alert(1)">'),
        code("train()", "".join("(Iteration %d / 100) loss: 1.0\n" % i for i in range(5000)) + "Final loss: 0.08\n", 1),
        code("show()", count=2, outputs=[
            v4.new_output("display_data", data={"image/png": big_png, "text/plain": "<Figure big>"}),
            v4.new_output("display_data", data={"image/png": small_png, "text/plain": "<Figure small>"}),
            v4.new_output("display_data", data={"text/html": "<b>bold</b>" + SCRIPT, "text/plain": "b",
                                                "application/javascript": "alert(2)"}),
        ]))


def test_rendered_notebook_keeps_answers_and_images_and_trims_big_outputs(tmp_path):
    report = bare_report()
    report.notebook_sources = {RNN: big_notebook(), STYLE: b"{broken", "../../evil.ipynb": notebook()}
    notebooks_html.grader_write_report(report=report, out_dir=tmp_path, config=CONFIG)
    assert sorted(p.name for p in (tmp_path / "notebooks").iterdir()) == ["RNN_Captioning.html",
                                                                          "StyleTransfer-TensorFlow.html"]
    assert report.notebook_sources == {}  # dropped once rendered
    page = (tmp_path / "notebooks" / "RNN_Captioning.html").read_text()
    assert "the answer text" in page and "Final loss: 0.08" in page
    assert "characters left out by the grader" in page and page.count("(Iteration") < 1000
    assert "image/png image of 3.0 MB not shown" in page and len(page) < 1_000_000
    assert page.count('src="data:image/png;base64,') == 1  # the small picture is kept
    assert "<b>bold</b>" in page and "alert(" not in page.replace("&lt;script&gt;alert(", "")
    assert "onerror" not in page and "Content-Security-Policy" in page
    assert "rendered by the grader (scripts disabled; 3 part(s) cut or left out" in page and len(page) < 60_000 + 12_000
    assert "<script" not in page and "cdnjs" not in page
    broken = (tmp_path / "notebooks" / "StyleTransfer-TensorFlow.html").read_text()
    assert "is not valid JSON" in broken and "<script" not in broken


def test_rendered_notebook_draws_math_as_mathml_and_keeps_code():
    page = notebooks_html.render_notebook(RNN, notebook(
        md(MATH_ANSWER),
        code("cost = '$5 and $6'", count=1, outputs=[
            v4.new_output("display_data", data={"text/markdown": "loss $L_2$", "text/plain": "md"})])))
    body = page.split("<main>")[1]
    assert _math_displays(body) == ["inline", "block", "inline", "block", "inline", "inline"]
    assert "<msub><mi>h</mi><mi>t</mi></msub>" in body and "<msub><mi>L</mi><mn>2</mn></msub>" in body
    assert "<code>cost = $5 + $6</code>" in body and "price = $x$" in body and "$5 and $6" in body
    assert r"bad $\frac{a}{$ stays" in body
    assert "<script" not in page and "onerror" not in page


def test_notebook_sanitizer_keeps_mathml_but_not_links_styles_or_handlers():
    cleaned = notebooks_html.clean_html(
        '<math display="block" xmlns="http://www.w3.org/1998/Math/MathML"><mi mathvariant="bold" href="javascript:x" '
        'style="color:red" onclick="alert(1)">x</mi><maction actiontype="toggle"><mi>y</mi></maction>'
        '<annotation-xml encoding="text/html"><img src=x onerror=alert(1)></annotation-xml></math>')
    assert '<math display="block" xmlns="http://www.w3.org/1998/Math/MathML"><mi mathvariant="bold">x</mi>' in cleaned
    tags = _tags(cleaned)
    assert {tag for tag, _ in tags} <= {"math", "mi", "img"}
    assert set().union(*(attrs for _, attrs in tags)) <= {"display", "xmlns", "mathvariant"}


def test_notebook_nbconvert_cannot_render_gets_an_error_page(monkeypatch):
    def fail(self, nb, resources=None, **kw):
        raise RuntimeError("template <missing>")
    monkeypatch.setattr(nbconvert.HTMLExporter, "from_notebook_node", fail)
    page = notebooks_html.render_notebook(RNN, notebook(md("hi")))
    assert "could not be rendered (RuntimeError: template &lt;missing&gt;)" in page


def test_render_time_per_notebook():
    data = big_notebook()
    notebooks_html.render_notebook(RNN, data)  # templates loaded once per process
    start = time.perf_counter()
    notebooks_html.render_notebook(RNN, data)
    assert time.perf_counter() - start < 5


# ---- the sample submissions --------------------------------------------------------------------------

def test_reference_notebooks_are_answered_and_executed():
    summary = read_notebooks(load_folder(ROOT / "reference", ASSIGNMENT).notebooks, ASSIGNMENT)
    assert summary.problems == []
    assert len(summary.questions) == 6 and all(q["answered"] for q in summary.questions)
    assert all(f["executed"] and f["executed_cells"] == f["code_cells"] for f in summary.facts.values())
    gan1 = next(q for q in summary.questions if q["notebook"] == GAN and q["id"] == "gan.q1")
    assert gan1["table"] == {"x": ["1", "-1", "-2", "-1", "1", "2", "1"], "y": ["1", "2", "1", "-1", "-2", "-1", "1"]}
    assert summary.facts[RNN]["checks"][0]["text"] == "next_h error: 6.292421426471037e-09"


def test_skeleton_notebooks_are_unanswered_and_not_executed():
    summary = read_notebooks(load_folder(ROOT / "submissions" / "skeleton", ASSIGNMENT).notebooks, ASSIGNMENT)
    assert summary.problems == []
    assert len(summary.questions) == 6 and not any(q["answered"] for q in summary.questions)
    assert not any(f["executed"] for f in summary.facts.values())
    gan1 = next(q for q in summary.questions if q["notebook"] == GAN and q["id"] == "gan.q1")
    assert gan1["table"] == {"x": ["1"] + [""] * 6, "y": ["1"] + [""] * 6}


def test_grading_the_samples_reports_questions_and_renders_notebooks(samples, tmp_path):
    reports = grade([samples / "reference", samples / "skeleton"], tmp_path, "--only", "rnn_captioning")
    assert [q["answered"] for q in reports["reference"]["questions"]] == [True] * 6
    assert [q["answered"] for q in reports["skeleton"]["questions"]] == [False] * 6
    assert reports["skeleton"]["notebooks"][RNN]["executed"] is False
    for sub in ("reference", "skeleton"):
        assert sorted(p.name for p in (tmp_path / sub / "notebooks").iterdir()) == sorted(
            n.replace(".ipynb", ".html") for n in TENSORFLOW_NOTEBOOKS)
        assert "Manual grading" in (tmp_path / sub / "report.html").read_text()


def test_never_fatal_on_mangled_notebooks():
    """Values swapped for the wrong types anywhere in a notebook: a problem or an error page, never a crash."""
    import copy
    import random

    base = json.loads((ROOT / "reference" / GAN).read_text())
    rng = random.Random(231)
    odd = [None, 1, "x", [], {}, [1, "a", None], {"a": 1}, 1e308, True]

    def mangle(node, depth=0):
        keys = list(node) if isinstance(node, dict) else range(len(node)) if isinstance(node, list) else []
        if keys:
            key = rng.choice(list(keys))
            if depth > 4 or rng.random() < 0.4:
                node[key] = rng.choice(odd)
            else:
                mangle(node[key], depth + 1)

    for trial in range(120):
        doc = copy.deepcopy(base)
        for _ in range(rng.randint(1, 4)):
            mangle(doc)
        data = json.dumps(doc).encode()
        summary = read_notebooks({GAN: data}, ASSIGNMENT)
        json.dumps(summary.questions + [summary.facts])
        if trial % 6 == 0:
            assert "</html>" in notebooks_html.render_notebook(GAN, data)
