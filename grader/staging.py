"""Laying out a gradable ``cs231n`` package: the grader's trusted provided modules plus the student's files."""
from __future__ import annotations

from pathlib import Path

from grader.submission import STUDENT_FILES, Submission


def reference_root() -> Path | None:
    """The folder holding the reference ``cs231n`` package, or None where it is not installed (self-check)."""
    try:
        import reference
    except ImportError:
        return None
    return Path(reference.__file__).resolve().parent


REFERENCE_ROOT = reference_root()


def provided_sources() -> dict[str, bytes]:
    """The provided modules (everything but the student files), by path below ``cs231n/``."""
    root = reference_root()
    if root is None:
        raise RuntimeError("the reference package is not installed")
    source = root / "cs231n"
    return {p.relative_to(source).as_posix(): p.read_bytes() for p in sorted(source.rglob("*.py"))
            if p.relative_to(source).as_posix() not in STUDENT_FILES}


def stage(submission: Submission, dest: Path, provided: dict[str, bytes] | None = None) -> Path:
    """Build ``dest/cs231n``: every provided module (the grader's own), then the student's files only.

    ``provided`` defaults to the reference's provided modules; the reference's own solutions of the student
    files are never copied, so they are not there to read.
    """
    package = dest / "cs231n"
    for rel, content in {**(provided if provided is not None else provided_sources()), **submission.files}.items():
        target = package / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return dest


REFERENCE_COPY = "cs231n_reference"
"""Where a localizing worker finds the reference's copy of the package (``grader.worker.substitution``)."""


def stage_reference_copy(dest: Path) -> Path:
    """Copy the whole reference package to ``dest/cs231n_reference``: only for the sandboxed worker that runs
    a failing check again with some student functions replaced by the reference's."""
    root = reference_root()
    if root is None:
        raise RuntimeError("the reference package is not installed")
    source = root / "cs231n"
    for path in sorted(source.rglob("*.py")):
        target = dest / REFERENCE_COPY / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    return dest
