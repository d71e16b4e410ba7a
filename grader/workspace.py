"""Where a submission is graded: its package staged in a scratch folder, and the student workers over it.

``grader grade`` uses a workspace once and removes it with its workers. A notebook session keeps one: each
call restages only the student files that changed and has the workers import the package again, so a warm
worker (TensorFlow loaded) serves the next call and still runs the files as they are now on disk.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from grader.assignment import Assignment
from grader.staging import stage
from grader.submission import Submission
from grader.worker.client import Executor

LOCALIZE_PACKAGE = "pkg-localize"
"""The staged copy that localization reruns use (see ``Grader.substitution_executor``); rebuilt after a change."""


class Workspace:
    def __init__(self, submission: Submission, assignment: Assignment, provided: dict[str, bytes] | None):
        self.folder = Path(tempfile.mkdtemp(prefix="grader-%s-" % submission.id))
        self.path = submission.path
        self.package = self.folder / "pkg" / assignment.package
        self.files = dict(submission.files)
        stage(submission, self.folder / "pkg", assignment, provided)
        self.students: dict[str, Executor] = {}
        """The student workers by runtime (the grader starts them)."""

    def update(self, submission: Submission) -> bool:
        """Bring the staged student files up to ``submission``'s (read again from disk); if any changed, the
        workers re-import the package. True when something changed."""
        changed = sorted(rel for rel in set(self.files) | set(submission.files)
                         if self.files.get(rel) != submission.files.get(rel))
        for rel in changed:
            target = self.package / rel
            if rel in submission.files:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(submission.files[rel])
                target.chmod(0o644)  # readable by a worker that runs as another user
            else:
                target.unlink(missing_ok=True)
        self.files = dict(submission.files)
        if changed:
            shutil.rmtree(self.folder / LOCALIZE_PACKAGE, ignore_errors=True)
            for student in self.students.values():
                student.reload()
        return bool(changed)

    def close_workers(self) -> None:
        for student in self.students.values():
            student.close()

    def remove(self) -> None:
        self.close_workers()
        shutil.rmtree(self.folder, ignore_errors=True)
