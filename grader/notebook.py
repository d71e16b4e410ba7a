"""Checks from inside a notebook: ``from grader.notebook import check; check("rnn_step_forward")``.

``check(name)`` runs the same worker-based checks as ``grader check`` on the student files as they are on disk
in the notebook's folder (``assignment3/``, the kernel's working folder), read again on every call: no kernel
restart after an edit. ``name`` is a function as the notebook names it (``rnn_step_forward``,
``CaptioningRNN.loss``), an exercise (``rnn_captioning``), a target or check id (``grader list``); no name
checks everything. The result shows as a compact table in Jupyter and Colab and as text elsewhere.

The kernel never imports the student's modules (workers do) and never loads TensorFlow for numpy checks.
One session per kernel keeps its workers: a later call re-imports what changed in a warm worker instead of
starting TensorFlow again.
"""
from __future__ import annotations

import atexit
import difflib
from pathlib import Path

from grader.bundle import ReplayExecutor
from grader.checks import PUBLIC_SEED, Check, Exercise
from grader.config import GradingConfig
from grader.notebook_view import CheckResults
from grader.plugins import get_plugin_manager
from grader.runner import Grader, names_match
from grader.sandbox import Sandbox
from grader.session import answers_for, collect_assignment, collect_exercises, collect_misconceptions
from grader.submission import UsageError, is_submission_dir, load_folder

_session: "NotebookSession | None" = None


def check(name: str | None = None, *, path: str | Path | None = None, answers: str | Path | None = None
          ) -> CheckResults:
    """Check ``name`` (a function, exercise, target or check id; everything when None) in the submission at
    ``path`` (default: the current folder) against the answer bundle ``answers`` (default: the installed
    one; the live reference where it is installed and there is none)."""
    global _session
    key = (Path(path or ".").resolve(), Path(answers).resolve() if answers else None)
    if _session is None or _session.key != key:
        if _session is not None:
            _session.close()
        _session = NotebookSession(*key)
    return _session.check(name)


class NotebookSession:
    """The plugins, the answer bundle, the fixtures built so far and a grader whose workers stay warm."""

    def __init__(self, folder: Path, answers: Path | None):
        self.key = (folder, answers)
        self.folder = folder
        pm = get_plugin_manager()
        self.assignment = collect_assignment(pm)
        self.bundle = answers_for(answers, self.assignment)
        self.config = GradingConfig(seed=self.bundle.seed if self.bundle else PUBLIC_SEED,
                                    assignment=self.assignment, plugins=pm.plugins_in_use())
        self.exercises = collect_exercises(pm, self.config)
        self.fixtures: dict[str, dict] = {}
        replay = ({"reference_factory": lambda runtime: ReplayExecutor(self.bundle),
                   "provided": self.bundle.provided} if self.bundle else {})
        self.grader = Grader(self.exercises, self.config, self.fixtures,
                             catalog=collect_misconceptions(pm, self.config), keep_workers=True, **replay)
        self.source = ("answer bundle, seed %d" % self.bundle.seed if self.bundle
                       else "live reference, seed %d" % PUBLIC_SEED)
        self.note = Sandbox(enabled=self.config.sandbox).self_check_note()
        atexit.register(self.close)

    def check(self, name: str | None) -> CheckResults:
        ids = selected(self.exercises, name)
        if not is_submission_dir(self.folder, self.assignment):
            raise UsageError("no %s/ folder with your files in %s: run check() from a notebook in assignment3/, or "
                             "pass path=\"/path/to/assignment3\"" % (self.assignment.package, self.folder))
        submission = load_folder(self.folder, self.assignment)
        for ex in self.exercises:
            if ex.id not in self.fixtures and any(c.id in ids for c in ex.checks):
                self.fixtures[ex.id] = ex.fixtures(self.config) if ex.fixtures else {}
        report = self.grader.grade(submission, only=ids)
        return CheckResults(name or "everything", report, self.source, self.note)

    def close(self) -> None:
        self.grader.close()


def selected(exercises: list[Exercise], name: str | None) -> set[str]:
    """The ids of the checks ``name`` stands for; a ``UsageError`` naming close matches if none."""
    everything = {c.id for ex in exercises for c in ex.checks}
    if name is None:
        return everything
    key = str(name).strip().removesuffix(".ipynb").removesuffix("()")
    ids = {c.id for ex in exercises for c in ex.checks if _names(key, ex, c)}
    if not ids:
        known = sorted({n for ex in exercises for c in ex.checks for n in (ex.id, *_short_names(c))})
        close = difflib.get_close_matches(key, known, n=3)
        raise UsageError("no check is named %r%s" % (name, "; did you mean %s?" % " or ".join(close) if close else
                                                      " (see `grader list`)"))
    return ids


def _names(key: str, exercise: Exercise, check: Check) -> bool:
    """``key`` is the exercise (``rnn_captioning``, ``RNN_Captioning``), the check or a target, in full or as
    the notebook names it (``rnn_step_forward``, ``CaptioningRNN.loss``, ``loss``)."""
    if key.lower().replace("-", "_") == exercise.id or names_match(key, exercise.id) or names_match(key, check.id):
        return True
    return any(names_match(key, t) for t in (*check.targets, *_short_names(check)))


def _short_names(check: Check) -> list[str]:
    """Targets without their module (``CaptioningRNN.loss[rnn]``) and the bare function (``loss[rnn]``)."""
    out = []
    for target in check.targets:
        for module in check.modules:
            if target.startswith(module + "."):
                short = target[len(module) + 1:]
                out += [short, short.rsplit(".", 1)[-1]]
    return out
