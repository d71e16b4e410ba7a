"""What an exercise is made of: checks with points, a metric and a threshold, and what they run with."""
from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import numpy as np

from grader.bundle import RecordingExecutor, ReplayExecutor
from grader.config import GradingConfig
from grader.worker.client import Executor

PUBLIC_SEED = 231
"""The notebooks' own seed: checks labelled ``notebook`` use it, so students see the same inputs."""


class CheckFailure(Exception):
    """Raised by a check when the student's code breaks the contract (wrong type, shape, values...).

    ``details`` land in the report next to the message (e.g. ``expected``/``got`` excerpts).
    """

    def __init__(self, message: str, metric_value: float | None = None, *, blame: tuple[str, ...] = (),
                 diagnosis: str = "", unimplemented: bool = False, **details: Any):
        super().__init__(message)
        self.message = message
        self.metric_value = metric_value
        self.blame = tuple(blame)
        """The functions at fault when the check itself can tell (e.g. which one modified its input)."""
        self.diagnosis = diagnosis
        """The id of the catalogued misconception the check recognised itself, if any."""
        self.unimplemented = unimplemented
        """The student's code returned nothing (None, an empty model) where a value was due, as an untouched
        TODO does: no catalogued wrong implementation can give that answer (each returns a value), so diagnosis
        runs none of them on this check."""
        self.details = details


class Undecided(Exception):
    """Raised by a check that cannot decide here: self-check, without the reference, cannot measure what the
    student's code produced (its own measure disagrees with the reference's on recorded values). The check is
    neither passed nor failed: status "skipped", no points either way, and the message says why. Never raised
    in the instructor's grading, which always decides (the runner puts ``grader.model.UNDECIDED`` before the
    message)."""

    def __init__(self, message: str, **details: Any):
        super().__init__(message)
        self.message = message
        self.details = details


@dataclass
class Outcome:
    """What a check returns: the metric's value (judged against the check's threshold) and a message."""

    metric_value: float | None = None
    message: str = ""
    passed: bool | None = None
    """Set it for checks without a metric; with a metric, the runner decides from the threshold."""
    blame: tuple[str, ...] = ()
    """On failure, the functions at fault when the check itself can tell (a contract check knows which
    function modified its input); otherwise the runner localizes the fault."""
    diagnosis: str = ""
    """On failure, the id of a catalogued misconception the check recognised itself."""
    threshold: float | None = None
    """The threshold this run's metric is judged against, where the check derives it from the reference's own
    result on the same inputs in the same run (a training run: machine-independent); None: the check's."""


@dataclass
class CheckContext:
    """Everything a running check may use. ``student`` and ``reference`` are worker executors."""

    check: "Check"
    config: GradingConfig
    student: Executor
    reference: Executor
    fixtures: dict[str, Any]
    details: dict[str, Any] = field(default_factory=dict)
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    probing: bool = True
    """False in the grader's reruns of a check (localization's swaps, the catalogue's matching), whose messages
    nobody reads: ``probe`` then runs nothing."""

    def probe(self, run: Callable[[], Any], default: Any = "") -> Any:
        """``run()``: probes (#18), extra requests to the student's worker that only add words to a failing
        check's message; ``default`` in a rerun. Their answers stay out of the transcript the catalogue's
        mistakes are matched against, as the reruns make none."""
        if not self.probing:
            return default
        kept, self.student.transcript = self.student.transcript, None
        try:
            return run()
        finally:
            self.student.transcript = kept

    @property
    def seed(self) -> int:
        """The hidden seed of this check: fresh per grading run, stable per check id within a run."""
        digest = hashlib.sha256(("%d:%s" % (self.config.seed, self.check.id)).encode()).digest()
        return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF

    def rng(self) -> np.random.Generator:
        return np.random.default_rng(self.seed)

    @property
    def self_check(self) -> bool:
        """The reference is an answer bundle's replay (a student's self-check): it answers only the requests
        the check made when the bundle was made, never one on values the student's code produced. A check that
        judges such values anyway does it here with the student's own (verified) functions and what it
        ``record``-ed, and says in its message that this verdict is weaker than the instructor's."""
        return not self.reference.live

    def once_per_batch(self, name: str, compute: Callable[[], Any]) -> Any:
        """``compute()``, a value made from the live reference's answers alone (it must depend on nothing but
        this check's seed and fixtures), computed once for every submission of a batch that shares the
        reference's memo (``grader.memo.ReferenceMemo.derived``); computed each time without a memo."""
        memo = getattr(self.reference, "memo", None)
        if memo is None:
            return compute()
        return memo.derived("%s\0%d\0%s" % (self.check.id, self.seed, name), compute)

    def record(self, name: str, compute: Callable[[], Any]) -> None:
        """While an answer bundle is made, keep ``compute()`` (plain values: numbers, arrays, lists, dicts) in
        it under ``name`` for this check's self-check (``recorded``); never called otherwise, so grading does
        not pay for it."""
        if isinstance(self.reference, RecordingExecutor):
            self.reference.keep(name, compute)

    def recorded(self, name: str) -> Any:
        """In self-check, the value this check ``record``-ed under ``name`` when the bundle was made (a bundle
        without it makes the check ``skipped``)."""
        if not isinstance(self.reference, ReplayExecutor):
            raise RuntimeError("recorded(%r) is for self-check only (see CheckContext.self_check)" % name)
        return self.reference.recorded(name)

    @contextlib.contextmanager
    def unrecorded(self) -> Iterator[None]:
        """Reference requests on values the student's code produced (which self-check never makes): while a
        bundle is made, their answers are not kept in it."""
        if isinstance(self.reference, RecordingExecutor):
            with self.reference.unrecorded():
                yield
        else:
            yield

    def source(self, module: str) -> str:
        """The student's source of ``module`` (``style_transfer_tensorflow``) as graded, for checks that read
        code rather than run it; empty if the submission lacks the file."""
        assignment = self.config.assignment
        path = assignment.module_file(module) if assignment else None
        if path is None:
            raise ValueError("%s is not a student file of the assignment" % module)
        file = Path(self.student.root) / assignment.package / path
        return file.read_text(encoding="utf-8", errors="replace") if file.is_file() else ""

    def note_inputs(self, **arrays: Any) -> None:
        """Record the inputs' shapes and dtypes for the report."""
        inputs = self.details.setdefault("inputs", {})
        for name, value in arrays.items():
            if isinstance(value, np.ndarray):
                inputs[name] = "%s %s" % (value.dtype, tuple(value.shape))
            else:
                inputs[name] = repr(value)[:80]


CheckFunction = Callable[[CheckContext], Outcome]


@dataclass(frozen=True)
class Check:
    """One gradable claim about a student's code."""

    id: str
    title: str
    targets: tuple[str, ...]
    """The student functions this check grades."""
    points: float
    run: CheckFunction
    modules: tuple[str, ...]
    """The student modules (below the package, e.g. ``rnn_layers``) it imports: a broken one fails the check
    without running it."""
    uses: tuple[str, ...] = ()
    """Other student functions it calls to get there (a backward's check calls the forward): a failure is
    blamed on them only when localization shows one of them is at fault."""
    metric: str | None = None
    threshold: float | None = None
    timeout_factor: float = 1.0
    """Multiplies the run's per-check timeout (slow checks such as training runs get more)."""
    instructor_only: bool = False
    """Needs the live reference on values the student's code produced: skipped in self-check."""
    exercise: str = ""


@dataclass(frozen=True)
class Exercise:
    """A notebook question: its checks, its points (the sum of the checks' points) and shared fixtures."""

    id: str
    title: str
    checks: tuple[Check, ...]
    fixtures: Callable[[GradingConfig], dict[str, Any]] | None = None
    """Builds data the checks share (once per grading run, in the grader's process)."""
    runtime: str = "numpy"
    """The kind of worker its checks run in (see ``grader.runtimes``): numpy-only exercises never load
    TensorFlow."""
    couplings: tuple[tuple[str, ...], ...] = ()
    """Student functions that share private state (a forward and the backward that reads its cache): fault
    localization swaps each group for the reference's as one."""
    track: str = ""
    """The framework track its notebook belongs to (``tensorflow``, ``pytorch``), for notebooks offered on
    several; see ``grader.tracks``."""
    twin: str = ""
    """The id of the exercise this one stands in for on another track (the same notebook): one of the two
    counts towards the score."""

    @property
    def points(self) -> float:
        return round(sum(c.points for c in self.checks), 4)


class CheckList:
    """Collects checks with a decorator, so an exercise module reads as a list of small functions."""

    def __init__(self, exercise: str, modules: tuple[str, ...]):
        self.exercise = exercise
        self.modules = modules
        self.checks: list[Check] = []

    def add(self, id: str, title: str, targets: str | tuple[str, ...], points: float, *,
            uses: tuple[str, ...] = (), metric: str | None = None, threshold: float | None = None,
            timeout_factor: float = 1.0, modules: tuple[str, ...] | None = None, instructor_only: bool = False
            ) -> Callable[[CheckFunction], CheckFunction]:
        targets = (targets,) if isinstance(targets, str) else tuple(targets)

        def register(fn: CheckFunction) -> CheckFunction:
            self.checks.append(Check(
                id=id, title=title, targets=targets, uses=tuple(dict.fromkeys(u for u in uses if u not in targets)),
                points=points, run=fn, modules=modules or self.modules, metric=metric,
                threshold=threshold, timeout_factor=timeout_factor, instructor_only=instructor_only,
                exercise=self.exercise))
            return fn
        return register
