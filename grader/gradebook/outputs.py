"""Writing the outputs from the gradebook: each submission's report files, then the class summaries.

A submission's files are rewritten only when the gradebook rows they come from (or the grader's version or
writers) changed since they were last written into that folder, and its notebooks are rendered again only
for a new attempt; the summaries are rewritten every run.
"""
from __future__ import annotations

import fcntl
import hashlib
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Iterator

import pluggy

from grader import __version__
from grader.checks import Exercise
from grader.config import GradingConfig
from grader.gradebook.reports import report_document
from grader.gradebook.store import Attempt, Gradebook
from grader.model import Report
from grader.notebooks import html_name
from grader.submission import Submission
from grader.written.grades import ClassGrades
from grader.written.summary import class_info


def class_grades(gradebook: Gradebook, config: GradingConfig, pm: pluggy.PluginManager) -> ClassGrades:
    """The hand grades, roster, course file and late policy the reports' grades come from."""
    return ClassGrades(gradebook, config.assignment.written if config.assignment else (), pm)


def _writers(pm: pluggy.PluginManager) -> str:
    return "%s|%s" % (__version__, ",".join(sorted(str(pm.get_name(p)) for p in pm.get_plugins())))


def write_submission(gradebook: Gradebook, attempt: Attempt, exercises: list[Exercise], config: GradingConfig,
                     pm: pluggy.PluginManager, out_dir: Path, submission: Submission | None = None) -> Report:
    """Write one submission's report files from the gradebook and return the report; ``submission`` (its
    files, read this run) lets the notebooks be rendered too, unless the same writers already rendered this
    attempt's notebooks there."""
    doc, digest = report_document(gradebook, attempt, exercises, grades=class_grades(gradebook, config, pm))
    report = Report.from_json(doc)
    folder, writers = out_dir / attempt.submission, _writers(pm)
    last = gradebook.last_output(out_dir, attempt.submission)
    rendered = (last is not None and last[1:] == (attempt.id, writers) and submission is not None
                and all((folder / "notebooks" / html_name(n)).is_file() for n in submission.notebooks))
    if submission is not None and not rendered:
        report.notebook_sources = dict(submission.notebooks)
    pm.hook.grader_write_report(report=report, out_dir=folder, config=config)
    gradebook.set_output(out_dir, attempt.submission, _combined(digest, writers), attempt.id, writers)
    return report


def write_outputs(gradebook: Gradebook, exercises: list[Exercise], config: GradingConfig,
                  pm: pluggy.PluginManager, out_dir: Path, read: dict[str, tuple[int, Submission]]) -> list[Report]:
    """Bring every submission's files up to date, then write the summaries (``grades.csv``, ``index.html``).

    ``read``: the submissions read this run, by id, with their attempt id. Returns the reports given to the
    summary writers (without artifacts: a class of hundreds stays small in memory). Graders sharing
    ``out_dir`` take turns, so the last one to write has read everything the others recorded.
    """
    reports, writers = [], _writers(pm)
    with _turn(out_dir):
        grades = class_grades(gradebook, config, pm)
        for attempt in gradebook.graded_attempts():
            light, digest = report_document(gradebook, attempt, exercises, artifacts=False, grades=grades)
            last = gradebook.last_output(out_dir, attempt.submission)
            if last is None or last[0] != _combined(digest, writers) or not (
                    out_dir / attempt.submission / "report.json").is_file():
                attempt_id, sub = read.get(attempt.submission, (None, None))
                write_submission(gradebook, attempt, exercises, config, pm, out_dir,
                                 sub if attempt_id == attempt.id else None)
            reports.append(Report.from_json(light))
        pm.hook.grader_write_summary(reports=reports, out_dir=out_dir,
                                     config=replace(config, class_info=class_info(grades, reports)))
    return reports


@contextmanager
def _turn(out_dir: Path) -> Iterator[None]:
    """An exclusive lock on ``out_dir`` between grader processes (released when the process dies)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / ".grader.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _combined(digest: str, writers: str) -> str:
    return hashlib.sha256((digest + "|" + writers).encode()).hexdigest()
