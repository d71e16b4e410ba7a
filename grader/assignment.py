"""What the core knows of the assignment it grades: nothing of its own. Plugins describe it.

The assignment plugin (``exercises.assignment`` for CS231n's 2020 assignment 3, for example) returns an
``Assignment`` from the ``grader_assignment`` hook: the package students write, its student files and
notebooks, the inline questions, the kinds of worker its checks run in, and where the reference lives. An
exercise pack for another file of the same package returns a part with only what it adds (its student
file, notebook, questions, and the folder holding its reference module); the parts are merged.
"""
from __future__ import annotations

import importlib.util
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from grader.sandbox import Limits
from grader.written.questions import QuestionError, WrittenQuestion, merge_questions


class AssignmentError(Exception):
    """Plugins that describe no assignment, or contradict each other."""


@dataclass(frozen=True)
class Runtime:
    """A kind of worker: the environment it adds (e.g. TensorFlow's settings) and its resource limits."""

    env: dict[str, str] = field(default_factory=dict)
    limits: Limits = Limits(address_space_mb=3072)
    requires: tuple[str, ...] = ()
    """Modules its workers need that the grader's own install may lack (an optional extra, such as PyTorch):
    where one is missing, the runtime's checks are not run and the report says what to install."""
    install_hint: str = ""
    """How to install ``requires`` (``pip install -e '.[pytorch]'``), for that message."""

    def missing(self) -> tuple[str, ...]:
        """The modules of ``requires`` not installed here (workers run the grader's own interpreter)."""
        return tuple(name for name in self.requires if importlib.util.find_spec(name) is None)
    preload: tuple[str, ...] = ()
    """Modules its workers start with, imported once into the template they are forked from
    (``grader.worker.template``) rather than by each worker (TensorFlow: seconds of CPU each time)."""


@dataclass(frozen=True)
class Assignment:
    """One assignment, or the part of it a plugin adds (``package`` empty: it extends another's)."""

    package: str = ""
    """The Python package students write in, as a submission holds it (``cs231n``)."""
    student_files: tuple[str, ...] = ()
    """The student's work, relative to the package folder. Every other module comes from the reference."""
    notebooks: tuple[str, ...] = ()
    """Notebook files next to the package folder."""
    questions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Per notebook, the inline questions it must hold (by label)."""
    runtimes: dict[str, Runtime] = field(default_factory=dict)
    references: tuple[Path, ...] = ()
    """Folders that hold ``<package>/`` with reference solutions and provided modules (none in a student's
    self-check package)."""
    name: str = ""
    """A name for people (``CS231n 2020 assignment 3``)."""
    starters: tuple[Path, ...] = ()
    """Folders that hold ``<package>/`` with the starter code students were given (the skeleton): what the
    similarity search leaves out (``grader similarity``). The first holding a student file gives it."""
    written: tuple[WrittenQuestion, ...] = ()
    """The written questions graded by hand: a unique id each, points, a default rubric and the notebooks that
    ask it (``grader.written.questions``); their labels count as ``questions`` of those notebooks."""
    twins: dict[str, str] = field(default_factory=dict)
    """Notebooks that stand in for another on a second track (``NetworkVisualization-PyTorch.ipynb`` ->
    ``NetworkVisualization-TensorFlow.ipynb``): a submission needs one of each pair, so neither is missing
    while the other is there."""

    @property
    def reference(self) -> Path | None:
        """The one folder holding the complete reference package: the only one given, or a merged copy of
        several (a pack's reference module beside the assignment's). None where no reference is installed."""
        roots = [r for r in self.references if (r / self.package).is_dir()]
        if not roots:
            return None
        if len(roots) == 1:
            return roots[0]
        return _merged_reference(self.package, tuple(roots))

    def module_file(self, module: str) -> str | None:
        """``classifiers.rnn`` -> ``classifiers/rnn.py`` if that is a student file, else None."""
        path = module.replace(".", "/") + ".py"
        return path if path in self.student_files else None

    def runtime(self, name: str) -> Runtime:
        if name not in self.runtimes:
            raise AssignmentError("unknown runtime %r (known: %s)" % (name, ", ".join(self.runtimes) or "none"))
        return self.runtimes[name]


def merge(parts: Iterable[Assignment | None]) -> Assignment:
    """One assignment from the plugins' parts: exactly one names the package; the others add to it."""
    parts = [p for p in parts if p is not None]
    bases = [p for p in parts if p.package]
    if not bases:
        raise AssignmentError("no plugin describes the assignment to grade (the grader_assignment hook)")
    if len({p.package for p in bases}) > 1:
        raise AssignmentError("plugins describe different assignments: %s" % ", ".join(p.package for p in bases))
    base = bases[0]
    out = Assignment(package=base.package, name=base.name)
    student_files, notebooks, questions, runtimes, references, starters, twins = [], [], {}, {}, [], [], {}
    ordered = [base] + [p for p in parts if p is not base]
    try:
        written = merge_questions(part.written for part in ordered)
    except QuestionError as exc:
        raise AssignmentError(str(exc)) from None
    for part in ordered:
        twins.update(part.twins)
        student_files += [f for f in part.student_files if f not in student_files]
        notebooks += [n for n in part.notebooks if n not in notebooks]
        for notebook, labels in part.questions.items():
            questions[notebook] = tuple(dict.fromkeys(questions.get(notebook, ()) + tuple(labels)))
        for name, runtime in part.runtimes.items():
            if name in runtimes and runtimes[name] != runtime:
                raise AssignmentError("two plugins define the runtime %r differently" % name)
            runtimes[name] = runtime
        references += [Path(r) for r in part.references if Path(r) not in references]
        starters += [Path(s) for s in part.starters if Path(s) not in starters]
    for question in written:
        for notebook, label in question.asked_in.items():
            questions[notebook] = tuple(dict.fromkeys(questions.get(notebook, ()) + (label,)))
    return Assignment(out.package, tuple(student_files), tuple(notebooks), questions, runtimes, tuple(references),
                      out.name, tuple(starters), written, twins)


_MERGED: dict[tuple[str, tuple[Path, ...]], Path] = {}


def _merged_reference(package: str, roots: tuple[Path, ...]) -> Path:
    """A folder holding ``package`` copied from every root in turn (later roots add files), made once."""
    key = (package, roots)
    if key not in _MERGED:
        folder = Path(tempfile.mkdtemp(prefix="grader-reference-"))
        for root in roots:
            shutil.copytree(root / package, folder / package, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__"))
        _MERGED[key] = folder
    return _MERGED[key]
