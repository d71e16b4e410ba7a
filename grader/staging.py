"""Laying out a gradable package: the grader's trusted provided modules plus the student's files."""
from __future__ import annotations

from pathlib import Path

from grader.assignment import Assignment
from grader.submission import Submission
from grader.worker.substitution import ALTERNATE_SUFFIX



def reference_modules(assignment: Assignment) -> dict[str, bytes]:
    """Every module of the reference package (solutions and provided ones), by path below the package."""
    root = assignment.reference
    if root is None:
        raise RuntimeError("the reference package is not installed")
    source = root / assignment.package
    return {p.relative_to(source).as_posix(): p.read_bytes() for p in sorted(source.rglob("*.py"))}


def provided_sources(assignment: Assignment) -> dict[str, bytes]:
    """The provided modules (everything but the student files), by path below the package."""
    return {path: content for path, content in reference_modules(assignment).items()
            if path not in assignment.student_files}


def stage(submission: Submission, dest: Path, assignment: Assignment, provided: dict[str, bytes] | None = None
          ) -> Path:
    """Build ``dest/<package>``: every provided module (the grader's own), then the student's files only.

    ``provided`` defaults to the reference's provided modules; the reference's own solutions of the student
    files are never copied, so they are not there to read.
    """
    package = dest / assignment.package
    for rel, content in {**(provided if provided is not None else provided_sources(assignment)),
                         **submission.files}.items():
        target = package / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return dest


def stage_reference_copy(dest: Path, assignment: Assignment) -> Path:
    """Copy the whole reference package to ``dest/<package>_reference``: only for the sandboxed worker that
    runs a failing check again with some student functions replaced by the reference's."""
    for rel, content in reference_modules(assignment).items():
        target = dest / (assignment.package + ALTERNATE_SUFFIX) / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return dest
