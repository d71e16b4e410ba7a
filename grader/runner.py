"""Running the selected checks on one submission and turning what happened into a verdict.

Every verdict is decided here, in the grader's process, from plain values: a check passes when its metric
is within threshold (or it says so without a metric) and nothing went wrong on the way.
"""
from __future__ import annotations

import dataclasses
import math
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Callable

from grader import __version__
from grader.checks import Check, CheckContext, CheckFailure, Exercise
from grader.config import GradingConfig
from grader.model import CheckResult, ExerciseSummary, GraderInfo, Metric, Report, SubmissionInfo
from grader.notebooks import attach_notebooks
from grader.bundle import NotInBundle
from grader.runtimes import worker_env
from grader.sandbox import Sandbox, hidden_paths
from grader.staging import REFERENCE_ROOT, stage
from grader.submission import STUDENT_FILES, Submission
from grader.worker import compat
from grader.worker.client import Executor, ExecutorStats, StudentError, WorkerCrashed, WorkerTimeout

IMPORT_TIMEOUT_S = 30.0
STDOUT_SHOWN = 4000


def select(exercises: list[Exercise], only: tuple[str, ...]) -> list[Exercise]:
    """Keep the checks named by ``only`` (exercise ids, targets, check ids, or prefixes of those)."""
    if not only:
        return exercises
    picked = []
    for ex in exercises:
        checks = tuple(c for c in ex.checks if any(_matches(c, ex, key) for key in only))
        if checks:
            picked.append(dataclasses.replace(ex, checks=checks))
    return picked


def _matches(check: Check, exercise: Exercise, key: str) -> bool:
    return any(names_match(key, n) for n in (exercise.id, check.id, *check.targets))


def names_match(key: str, ident: str) -> bool:
    """``key`` names ``ident`` itself or a prefix of it (``rnn_layers.rnn_backward`` -> ``.../hidden``)."""
    return ident == key or any(ident.startswith(key + sep) for sep in "./[")


def known_ids(exercises: list[Exercise]) -> set[str]:
    ids = set()
    for ex in exercises:
        ids.add(ex.id)
        for c in ex.checks:
            ids.add(c.id)
            ids.update(c.targets)
    return ids


class Grader:
    """Grades submissions with one reference worker per runtime; not shared between threads."""

    def __init__(self, exercises: list[Exercise], config: GradingConfig, fixtures: dict[str, dict[str, Any]],
                 reference_factory: Callable[[str], Executor] | None = None,
                 provided: dict[str, bytes] | None = None):
        """``reference_factory(runtime)`` replaces the live reference (a bundle's replay, a recorder);
        ``provided`` the provided modules' sources (from a bundle, when the reference is not installed)."""
        self.exercises = exercises
        self.config = config
        self.fixtures = fixtures
        self.reference_factory = reference_factory
        self.provided = provided
        self.student_stats = ExecutorStats()
        self.reference_stats = ExecutorStats()
        self.references: dict[str, Executor] = {}
        self.sandbox = Sandbox(enabled=config.sandbox)

    def reference(self, runtime: str) -> Executor:
        """The trusted reference's worker (no sandbox: it runs only the project's own code)."""
        if runtime not in self.references:
            self.references[runtime] = (self.reference_factory(runtime) if self.reference_factory else
                                        Executor(REFERENCE_ROOT, "the reference", env=worker_env(runtime),
                                                 stats=self.reference_stats))
        return self.references[runtime]

    def student_executor(self, submission: Submission, scratch: Path, runtime: str) -> Executor:
        """A sandboxed worker over the staged package ``scratch/pkg``, writing only to ``scratch/work``."""
        package, work = scratch / "pkg", scratch / ("work-%s" % runtime)
        self.sandbox.prepare(package, work)
        hidden = hidden_paths([p for p in (self.config.out_dir, submission.path, submission.path.parent,
                                           *self.config.private_paths) if p])
        prefix = self.sandbox.wrap([], package, work, hidden)
        env = worker_env(runtime, home=work, extra={**self.sandbox.env(runtime),
                                                    **({} if self.config.strict_env else {compat.ENV: "1"})})
        return Executor(package, "the student's code", env=env, command_prefix=prefix, stats=self.student_stats,
                        cwd=work)

    def close(self) -> None:
        for executor in self.references.values():
            executor.close()

    def grade(self, submission: Submission) -> Report:
        with tempfile.TemporaryDirectory(prefix="grader-%s-" % submission.id) as scratch:
            stage(submission, Path(scratch) / "pkg", self.provided)
            students: dict[str, Executor] = {}
            try:
                results = []
                for runtime in dict.fromkeys(ex.runtime for ex in self.exercises):
                    student = students[runtime] = self.student_executor(submission, Path(scratch), runtime)
                    exercises = [ex for ex in self.exercises if ex.runtime == runtime]
                    broken = self._import_modules(submission, student, exercises)
                    results += [(ex, self._run(check, ex, student, broken)) for ex in exercises for check in ex.checks]
            finally:
                for student in students.values():
                    student.close()
        shims = sorted(set().union(*(s.compat for s in students.values())))
        order = {c.id: i for i, c in enumerate(c for ex in self.exercises for c in ex.checks)}
        results = [r for _, r in sorted(results, key=lambda pair: order[pair[1].id])]
        summaries = [ExerciseSummary(ex.id, ex.title, round(sum(r.score for r in results if r.exercise == ex.id), 4),
                                     round(sum(r.max_score for r in results if r.exercise == ex.id), 4))
                     for ex in self.exercises]
        report = Report(
            submission=SubmissionInfo(submission.id, str(submission.path), submission.sha256),
            grader=GraderInfo(__version__, self.config.seed, self.config.isolation, self.config.strict_env,
                              [{"name": n, "note": compat.SHIMS[n].note} for n in shims]),
            checks=results, exercises=summaries, problems=list(submission.problems)
            + ["cs231n/%s is missing" % m for m in self._missing(submission)] + compat.notes(shims))
        attach_notebooks(report, submission)
        return report

    def _missing(self, submission: Submission) -> list[str]:
        needed = {module_file(m) for ex in self.exercises for c in ex.checks for m in c.modules}
        return sorted(f for f in needed if f not in submission.files)

    def _import_modules(self, submission: Submission, student: Executor,
                        exercises: list[Exercise]) -> dict[str, tuple[str, dict[str, Any]]]:
        """Import each needed student module once; a failure becomes the result of every check needing it."""
        broken: dict[str, tuple[str, dict[str, Any]]] = {}
        modules = sorted({m for ex in exercises for c in ex.checks for m in c.modules})
        for module in modules:
            path = module_file(module)
            if path not in submission.files:
                broken[module] = ("cs231n/%s is missing from the submission" % path, {})
                continue
            student.deadline = time.monotonic() + min(IMPORT_TIMEOUT_S, self.config.timeout_s)
            try:
                student.import_module(module)
            except StudentError as exc:
                broken[module] = ("cs231n/%s could not be imported: %s" % (path, exc),
                                  {"traceback": exc.traceback, "stdout": exc.stdout[:STDOUT_SHOWN]})
            except WorkerTimeout:
                broken[module] = ("importing cs231n/%s did not finish within %.0f s" % (
                    path, min(IMPORT_TIMEOUT_S, self.config.timeout_s)), {})
            except WorkerCrashed as exc:
                broken[module] = ("importing cs231n/%s crashed: %s" % (path, exc), {})
        return broken

    def _run(self, check: Check, exercise: Exercise, student: Executor, broken: dict) -> CheckResult:
        result = CheckResult(id=check.id, exercise=exercise.id, targets=list(check.targets), status="error",
                             score=0.0, max_score=check.points,
                             metric=Metric(check.metric, None, check.threshold) if check.metric else None)
        for module in check.modules:
            if module in broken:
                result.message, result.details = broken[module][0], dict(broken[module][1])
                return result
        reference = self.reference(exercise.runtime)
        if check.instructor_only and not reference.live:
            result.status, result.max_score = "skipped", 0.0
            result.message = "instructor-only: needs the live reference on values your code produces"
            return result
        student.current_check = reference.current_check = check.id
        ctx = CheckContext(check, self.config, student, reference, self.fixtures.get(exercise.id, {}))
        timeout = self.config.timeout_s * check.timeout_factor
        start = time.monotonic()
        student.deadline = reference.deadline = start + timeout
        student.stdout.clear()
        try:
            for executor in (student, reference):  # the same global random state before every check
                if executor.live:
                    executor.seed(ctx.seed)
            outcome = check.run(ctx)
            value = outcome.metric_value
            if result.metric is not None:
                result.metric.value = value
                passed = value is not None and math.isfinite(value) and value <= check.threshold
                verdict = ("%s %.3g %s threshold %.3g" % (check.metric, value, "<=" if passed else ">", check.threshold)
                           if value is not None and math.isfinite(value) else "%s is %s" % (check.metric, value))
                if outcome.passed is False:
                    passed = False
                result.message = "; ".join(m for m in (outcome.message, verdict) if m)
            else:
                passed = bool(outcome.passed)
                result.message = outcome.message
            result.status = "passed" if passed else "failed"
        except CheckFailure as failure:
            result.status, result.message = "failed", failure.message
            if result.metric is not None and failure.metric_value is not None:
                result.metric.value = failure.metric_value
            ctx.details.update(failure.details)
        except NotInBundle as exc:
            result.status, result.max_score, result.message = "skipped", 0.0, str(exc)
        except WorkerTimeout as exc:
            if exc.executor is reference:
                result.message = "internal grader error: the reference did not answer in time"
            else:
                result.status = "timeout"
                result.message = ("stopped after %.0f s without an answer (an infinite loop or a very slow "
                                  "implementation?)" % timeout)
        except StudentError as exc:
            if exc.executor is reference:
                result.message = "internal grader error: the reference raised %s" % exc
                ctx.details["traceback"] = exc.traceback
            else:
                result.message = "%s raised %s" % (_targets(check), exc)
                ctx.details["traceback"] = exc.traceback
        except WorkerCrashed as exc:
            prefix = "internal grader error" if exc.executor is reference else _targets(check)
            result.message = "%s: %s" % (prefix, exc)
        except Exception as exc:  # a bug of the grader itself: say so, keep grading
            result.message = "internal grader error: %s: %s" % (type(exc).__name__, exc)
            ctx.details["traceback"] = traceback.format_exc()[-4000:]
            print("grader: internal error in check %s: %s" % (check.id, exc), file=sys.stderr)
        if student.tainted:
            ctx.details["leftovers"] = ("your code %s; the worker was stopped with all it started, and the next "
                                        "check started a fresh one" % "; ".join(
                                            student.taint or ["left threads or processes running"]))
            student.discard()
        result.duration_s = round(time.monotonic() - start, 3)
        result.score = check.points if result.status == "passed" else 0.0
        printed = "".join(student.stdout)
        if printed:
            ctx.details["stdout"] = printed[:STDOUT_SHOWN] + ("\n[... cut ...]" if len(printed) > STDOUT_SHOWN else "")
        result.details = ctx.details
        result.artifacts = ctx.artifacts
        return result

def module_file(module: str) -> str:
    """``classifiers.rnn`` -> ``classifiers/rnn.py``."""
    path = module.replace(".", "/") + ".py"
    assert path in STUDENT_FILES, path
    return path


def _targets(check: Check) -> str:
    return ", ".join(t.split("[")[0].rsplit(".", 1)[-1] for t in check.targets)

