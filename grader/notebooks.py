"""The notebooks of a submission, read with nbformat: inline answers and what the student saw.

A built-in plugin (``grader_inspect_submission``): the assignment says which notebooks there are and which
inline questions each asks.

``read_notebooks`` is a pure function of the notebooks' bytes. It never raises on a bad notebook: a missing,
unreadable or malformed one becomes a one-line problem, and whatever can still be read is read.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Mapping

from grader import hookimpl
from grader.assignment import Assignment
from grader.config import GradingConfig
from grader.model import Report
from grader.submission import Submission
from grader.written.questions import graded_rows, question_id

MAX_ANSWER_CHARS = 20_000
MAX_ANSWER_IMAGES_CHARS = 1_000_000
"""Most base64 of the images (cell attachments) kept with one answer; the rest are left out."""
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif")
MAX_CHECK_LINES = 200
MAX_ERRORS = 20
EXCERPT_CHARS = 90

_PLACEHOLDERS = re.compile(r"fill\s+this\s+in|your\s+answer\s+here|write\s+your\s+answer\s+here|\btodo\b", re.I)
_LABEL = re.compile(r"^(?:\d+(?:\.\d+)*\s+)?inline\s+question\b\s*#?\s*(\d+)?\s*[:.)-]?\s*", re.I)
_ANSWER_MARK = re.compile(r"^(?:\d+(?:\.\d+)*\s+)?your\s+answers?\b\s*[:.-]?\s*", re.I)
_ANSWER_HEADING = re.compile(r"\banswers?\b", re.I)
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)"
_METRIC_LINE = re.compile(r"^(?P<name>[A-Za-z][\w .'\[\]()/-]{0,60}?)\s*(?::|\bis\b|=)\s*(?P<value>%s)$" % _NUMBER)
_METRIC_NAME = re.compile(r"error|loss|difference|diff\b", re.I)
_VERDICT_LINE = re.compile(r"tests? passed|(?:in)?correct number of parameters", re.I)
_TABLE_LABEL = re.compile(r"^\$?\s*([xy])\s*_?\s*\{?\s*(\d+|t)?\s*\}?\s*\$?$", re.I)
HTML_COMMENT = re.compile(r"<!--(?:-?>|[\s\S]*?(?:-->|\Z))")
"""An HTML comment, hidden in Jupyter; one left open runs to the end of the text, as in a browser."""


@dataclass
class NotebookSummary:
    """What ``read_notebooks`` found: ``questions`` (report.json rows), per-notebook ``facts``, ``problems``."""

    questions: list[dict[str, Any]] = field(default_factory=list)
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def read_notebooks(notebooks: Mapping[str, bytes], assignment: Assignment) -> NotebookSummary:
    """Read each of the assignment's notebooks in ``notebooks`` (file name -> bytes); missing ones are problems.
    An inline question the assignment lists that a notebook lacks is listed unanswered. A notebook with a twin
    on another track (``Assignment.twins``) is needed only where its twin is missing too (then the primary
    one is reported missing)."""
    summary = NotebookSummary()
    primaries = {primary: twin for twin, primary in assignment.twins.items()}
    for name in assignment.notebooks:
        if name not in notebooks and (name in assignment.twins or primaries.get(name) in notebooks):
            continue
        facts: dict[str, Any] = {"present": name in notebooks, "html": None, "problem": None, "nbformat": None,
                                 "code_cells": 0, "executed_cells": 0, "executed": False, "checks": [], "errors": []}
        cells: list[dict[str, Any]] = []
        if name not in notebooks:
            facts["problem"] = "%s is missing (not found next to %s/)" % (name, assignment.package)
        else:
            facts["html"] = "notebooks/%s" % html_name(name)
            doc, problem = parse_notebook(notebooks[name])
            facts["problem"] = problem and "%s %s" % (name, problem)
            if doc is not None:
                cells = [c for c in doc.get("cells") or [] if isinstance(c, dict)]
                facts["nbformat"] = "%s.%s" % (doc.get("nbformat"), doc.get("nbformat_minor"))
                facts.update(_execution_facts(cells))
        questions = find_questions(cells, name)
        found = {q["id"] for q in questions}
        expected = assignment.questions.get(name, ())
        if len(questions) < len(expected):
            questions += [_not_found(name, qid, facts["present"]) for qid in expected if qid not in found]
        for q in questions:
            q["label"] = q["id"]
            q["id"] = question_id(name, q["label"], assignment.written)
        facts["questions"] = len(questions)
        facts["answered"] = sum(q["answered"] for q in questions)
        summary.questions += questions
        summary.facts[name] = facts
        if facts["problem"]:
            summary.problems.append(facts["problem"])
    graded_rows(summary.questions, assignment.written)
    return summary


def html_name(notebook: str) -> str:
    """The rendered notebook's file name: ``RNN_Captioning.ipynb`` -> ``RNN_Captioning.html``."""
    return PurePath(notebook).stem + ".html"


def parse_notebook(data: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """The notebook as an nbformat 4 node (or, when it breaks the schema, its raw JSON) and a problem or None.

    The problem is worded to follow the notebook's name (``"is not valid JSON (...)"``).
    """
    import nbformat  # only when there are notebooks: ``grader list`` and friends stay quick

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, "is not UTF-8 text (byte %d)" % exc.start
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError) as exc:
        return None, "is not valid JSON (%s)" % _first_line(exc)
    if not isinstance(raw, dict):
        return None, "is not a notebook (the JSON is not an object)"
    version = raw.get("nbformat")
    if version not in (3, 4):
        return None, "has an unsupported notebook format (nbformat %s; 4 expected)" % json.dumps(version)[:20]
    try:
        return nbformat.reads(text, as_version=4), None
    except Exception as exc:  # noqa: BLE001 - any reader failure is the notebook's problem, never the grader's
        problem = "does not follow the notebook format (%s); what could be read was read" % _first_line(exc)
        if version == 4 and isinstance(raw.get("cells"), list):
            return raw, problem
        return None, problem.split(";")[0]


def find_questions(cells: list[dict[str, Any]], notebook: str) -> list[dict[str, Any]]:
    """Each inline question in ``cells`` with the answer that follows it (report.json ``questions`` rows).

    A question is a markdown cell whose first line reads "Inline Question [N]" (any case, heading or bold);
    its answer is the text after a "Your Answer:" mark in that cell plus the markdown cells after it, up to
    the next question, heading (other than a "Your answer" heading) or code cell.
    """
    questions: list[dict[str, Any]] = []
    unnumbered = 0
    for index, cell in enumerate(cells):
        label = _question_label(cell)
        if label is None:
            continue
        number, rest = label
        if number is None:
            unnumbered += 1
        qid = "Inline Question" + (" %s" % number if number else (" #%d" % unnumbered if unnumbered > 1 else ""))
        prompt, answer_parts = _split_answer(rest)
        images = _images(cell)
        for following in cells[index + 1:]:
            if following.get("cell_type") != "markdown" or _question_label(following) is not None:
                break
            text = _source(following)
            first = _first_text_line(text)
            if first.lstrip().startswith("#") and not _ANSWER_HEADING.search(first):
                break
            answer_parts.append(_drop_answer_mark(text))
            images.update(_images(following))
        answer = "\n\n".join(p.strip("\n") for p in answer_parts if _has_content(p)).strip()[:MAX_ANSWER_CHARS]
        table = parse_xy_table(answer)
        question = {
            "notebook": notebook,
            "id": qid,
            "question": "%s: %s" % (qid, _excerpt(prompt)) if _plain(prompt) else qid,
            "prompt": prompt.strip()[:MAX_ANSWER_CHARS],
            "answered": is_answered(answer),
            "answer": answer,
        }
        if table is not None:
            question["table"] = table
        shown = {n: uri for n, uri in images.items() if "attachment:" + n in answer}
        if shown:
            question["images"] = shown
        questions.append(question)
    return questions


def _images(cell: dict[str, Any]) -> dict[str, str]:
    """A markdown cell's image attachments as data URIs (name -> URI), within ``MAX_ANSWER_IMAGES_CHARS``."""
    found, size = {}, 0
    attachments = cell.get("attachments")
    for name, bundle in (attachments.items() if isinstance(attachments, dict) else []):
        for mime in IMAGE_TYPES:
            data = _join(bundle.get(mime)) if isinstance(bundle, dict) else ""
            data = "".join(data.split())
            if data and re.fullmatch(r"[A-Za-z0-9+/=]+", data) and size + len(data) <= MAX_ANSWER_IMAGES_CHARS:
                found[str(name)] = "data:%s;base64,%s" % (mime, data)
                size += len(data)
                break
    return found


def is_answered(answer: str) -> bool:
    """True when ``answer`` holds more than the template: prose, or a table with values filled in."""
    prose = "\n".join(line for line in answer.splitlines() if not line.lstrip().startswith("|"))
    return _has_prose(prose) or any(_filled_cells(rows) for rows in _tables(answer))


def _has_prose(text: str) -> bool:
    """Words other than the template's placeholders ("*fill this in*")."""
    return bool(re.search(r"\w", _PLACEHOLDERS.sub(" ", _plain(text))))


def _has_content(part: str) -> bool:
    """An answer part worth keeping: words, or a table (even the template's, so that it shows)."""
    return _has_prose(part) or bool(_tables(part))


def parse_xy_table(markdown: str) -> dict[str, list[str]] | None:
    """The (x_t, y_t) values of the GAN question's table in ``markdown``: ``{"x": [...], "y": [...]}``.

    Two layouts are understood: label rows (``| y_0 | y_1 | ...``) each followed by a row of values (the
    notebook's template), and columns headed ``x``/``y`` (``| t | x_t | y_t |``) with a row per step.
    Cells are kept as the student wrote them (``""`` when empty); ``None`` when no such table is found.
    """
    for rows in _tables(markdown):
        values: dict[str, list[str]] = {}
        for i, row in enumerate(rows[:-1]):
            axes = {_TABLE_LABEL.match(_plain(c)).group(1).lower() for c in row if _TABLE_LABEL.match(_plain(c))}
            if len(axes) == 1 and all(_TABLE_LABEL.match(_plain(c)) for c in row):
                values.setdefault(axes.pop(), _row_values(rows[i + 1], len(row)))
        if not values and rows:
            header = [_TABLE_LABEL.match(_plain(c)) for c in rows[0]]
            columns = {m.group(1).lower(): j for j, m in enumerate(header) if m}
            if columns:
                values = {axis: [_cell_text(row, j) for row in rows[1:]] for axis, j in columns.items()}
        if values:
            return {axis: values[axis] for axis in ("x", "y") if axis in values}
    return None


def check_lines(text: str) -> list[dict[str, Any]]:
    """The check results in printed ``text``: ``{"text", "name", "value"}`` for lines like ``dx error: 3e-10``.

    Lines reporting an error, loss or difference with one number are kept (``value`` a float), and verdicts
    such as "All tests passed!" (``name``/``value`` None); training-progress lines are not.
    """
    found = []
    for line in re.split(r"[\r\n]+", text):
        line = " ".join(line.split())
        match = _METRIC_LINE.match(line)
        if match and _METRIC_NAME.search(match.group("name")):
            found.append({"text": line, "name": match.group("name").strip(), "value": float(match.group("value"))})
        elif line and len(line) < 200 and _VERDICT_LINE.search(line):
            found.append({"text": line, "name": None, "value": None})
    return found


def _execution_facts(cells: list[dict[str, Any]]) -> dict[str, Any]:
    """Whether the code cells ran, what check results they printed and which exceptions they showed."""
    code = [c for c in cells if c.get("cell_type") == "code" and _source(c).strip()]
    ran = [c for c in code if c.get("execution_count") is not None or c.get("outputs")]
    checks: list[dict[str, Any]] = []
    errors: list[str] = []
    for cell in code:
        for output in cell.get("outputs") or []:
            if not isinstance(output, dict):
                continue
            if output.get("output_type") == "error":
                errors.append(("%s: %s" % (output.get("ename", ""), output.get("evalue", "")))[:300])
                continue
            if output.get("output_type") == "stream":
                text = output.get("text") if output.get("name") == "stdout" else None
            else:
                data = output.get("data")
                text = data.get("text/plain") if isinstance(data, dict) else None
            for found in check_lines(_join(text)):
                found["cell"] = cell.get("execution_count")
                checks.append(found)
    return {
        "code_cells": len(code),
        "executed_cells": len(ran),
        "executed": bool(ran),
        "checks": checks[:MAX_CHECK_LINES],
        "errors": errors[:MAX_ERRORS],
    }


def _not_found(notebook: str, qid: str, present: bool) -> dict[str, Any]:
    where = "not found in the notebook" if present else "the notebook is missing or unreadable"
    return {"notebook": notebook, "id": qid, "question": "%s (%s)" % (qid, where), "prompt": "",
            "answered": False, "answer": "", "missing": True}


def _question_label(cell: dict[str, Any]) -> tuple[str | None, str] | None:
    """(number or None, the cell's text after the label) for a question cell; None for any other cell."""
    if cell.get("cell_type") != "markdown":
        return None
    text = _source(cell)
    first = _first_text_line(text)
    match = _LABEL.match(_plain(first))
    if match is None:
        return None
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip())
    after_label = _after_mark(lines[at], r"question\W*(?:\d+)?", _plain(lines[at])[match.end():])
    return match.group(1), "\n".join([after_label] + lines[at + 1:])


def _split_answer(text: str) -> tuple[str, list[str]]:
    """A question cell's text split at its "Your Answer:" mark: (prompt, [answer text]) ."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if _ANSWER_MARK.match(_plain(line)):
            return "\n".join(lines[:i]), [_drop_answer_mark("\n".join(lines[i:]))]
    return text, []


def _drop_answer_mark(text: str) -> str:
    """``text`` without its leading "Your Answer:" mark (bold, LaTeX-coloured or a heading)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        match = _ANSWER_MARK.match(_plain(line))
        if match:
            return "\n".join([_after_mark(line, r"answers?\b", _plain(line)[match.end():])] + lines[i + 1:])
        break
    return text


def _after_mark(line: str, word: str, fallback: str) -> str:
    """What follows a mark ("Your Answer:", "Inline Question 1") in ``line``, the student's markup kept."""
    found = re.search(word, line, re.I)
    if found is None:
        return fallback
    rest = re.sub(r"^[\s*_}$:.)#-]*", "", line[found.end():])
    return rest if _plain(rest) else ""


def _plain(text: str) -> str:
    """Markdown/HTML/LaTeX decoration and HTML comments removed: ``**Your Answer:**`` -> ``Your Answer:``."""
    text = HTML_COMMENT.sub(" ", text)
    text = re.sub(r"<[^>]*>", " ", text)
    text = re.sub(r"\\(?:color|textcolor)\s*\{[^}]*\}|\\(?:text(?:it|bf|rm)?|it|bf|mathbf)\b", " ", text)
    text = re.sub(r"[*#`$>{}]|(?<!\w)_+|_+(?!\w)", " ", text)
    return " ".join(text.split())


def _excerpt(prompt: str) -> str:
    text = _plain(prompt)
    if len(text) <= EXCERPT_CHARS:
        return text
    return text[:EXCERPT_CHARS].rsplit(" ", 1)[0] + "…"


def _tables(markdown: str) -> list[list[list[str]]]:
    """Markdown tables as rows of stripped cells (separator rows left out)."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] | None = None
    for line in markdown.splitlines():
        line = line.strip()
        if not line.startswith("|"):
            current = None
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if current is None:
            current = []
            tables.append(current)
        if not all(re.fullmatch(r":?-+:?", c) for c in cells):
            current.append(cells)
    return [t for t in tables if t]


def _filled_cells(rows: list[list[str]]) -> int:
    """Cells a student filled in: not labels, not the first column (the template gives the start there)."""
    return sum(1 for row in rows for j, cell in enumerate(row)
               if j > 0 and _plain(cell) and not _TABLE_LABEL.match(_plain(cell)))


def _row_values(row: list[str], width: int) -> list[str]:
    return [_cell_text(row, j) for j in range(width)]


def _cell_text(row: list[str], j: int) -> str:
    return _plain(row[j]) if j < len(row) else ""


def _source(cell: dict[str, Any]) -> str:
    return _join(cell.get("source"))


def _join(value: Any) -> str:
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return value if isinstance(value, str) else ""


def _first_text_line(text: str) -> str:
    return next((line for line in text.splitlines() if line.strip()), "")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]


def attach_notebooks(report: Report, submission: Submission, assignment: Assignment) -> None:
    """Fill ``report`` from the submission's notebooks: questions, per-notebook facts, problems, sources."""
    summary = read_notebooks(submission.notebooks, assignment)
    report.questions = summary.questions
    report.notebooks = summary.facts
    report.problems += summary.problems
    report.notebook_sources = dict(submission.notebooks)


@hookimpl
def grader_inspect_submission(report: Report, submission: Submission, config: GradingConfig) -> None:
    """The notebooks' answers and facts in every report."""
    attach_notebooks(report, submission, config.assignment)
