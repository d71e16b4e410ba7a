"""Laying out a gradable ``cs231n`` package: the grader's trusted provided modules plus the student's files."""
from __future__ import annotations

import shutil
from pathlib import Path

import reference
from grader.submission import STUDENT_FILES, Submission

REFERENCE_ROOT = Path(reference.__file__).resolve().parent
"""The folder holding the reference ``cs231n`` package (provided helpers + reference solutions)."""


def stage(submission: Submission, dest: Path) -> Path:
    """Build ``dest/cs231n``: every provided module from the reference, then the student's files only.

    The reference's own solutions of the student files are never copied, so they are not there to read.
    """
    package = dest / "cs231n"
    source = REFERENCE_ROOT / "cs231n"
    for path in sorted(source.rglob("*.py")):
        rel = path.relative_to(source).as_posix()
        if rel in STUDENT_FILES:
            continue
        target = package / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    for rel, content in submission.files.items():
        target = package / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return dest
