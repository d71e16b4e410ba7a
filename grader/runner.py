"""Running the selected checks on one submission and turning what happened into a verdict.

Every verdict is decided here, in the grader's process, from plain values: a check passes when its metric
is within threshold (or it says so without a metric) and nothing went wrong on the way.
"""
from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass
import math
import re
import logging
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Collection

from grader import __version__, tracks
from grader.checks import Check, CheckContext, CheckFailure, Exercise, Undecided
from grader.config import GradingConfig
from grader.model import UNDECIDED, CheckResult, GraderInfo, Metric, Report, SubmissionInfo
from grader.budget import SubmissionClock
from grader.bundle import NotInBundle
from grader.diagnosis import Diagnoser, Evidence
from grader.localization import FAILING, NO_EVIDENCE, Fault, Localizer, involved, listing
from grader import missing as missing_functions
from grader.memo import Diverged, MemoizingExecutor, ReferenceMemo
from grader.misconceptions import MatchingTranscript, Misconception
from grader.runtimes import worker_env
from grader.sandbox import Sandbox, hidden_paths
from grader.slots import claim_slot
from grader.staging import stage, stage_reference_copy
from grader.release import installed_release
from grader.verdicts import function_verdicts
from grader.submission import Submission
from grader.worker import compat
from grader.worker.client import Executor, ExecutorStats, StudentError, WorkerCrashed, WorkerTimeout
from grader.workspace import LOCALIZE_PACKAGE, Workspace

log = logging.getLogger(__name__)

IMPORT_TIMEOUT_S = 30.0
REFERENCE_LATE = "internal grader error: the reference did not answer in time"
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
                 provided: dict[str, bytes] | None = None, catalog: dict[str, Misconception] | None = None,
                 inspect: Callable[[Report, Submission], None] | None = None, memo: ReferenceMemo | None = None,
                 keep_workers: bool = False):
        """``reference_factory(runtime)`` replaces the live reference (a bundle's replay, a recorder);
        ``provided`` the provided modules' sources (from a bundle, when the reference is not installed);
        ``catalog`` the known misconceptions, by id; ``inspect(report, submission)`` adds what plugins read
        from the submission's files (the ``grader_inspect_submission`` hook); ``memo`` the live reference's
        answers shared by the graders of a batch (``grader.memo``); ``keep_workers``: keep the staged package
        and the student workers from one ``grade`` of a submission to the next (a notebook session: warm
        workers re-import what changed) until ``close``."""
        self.memo = memo
        self.catalog = catalog or {}
        self.inspect = inspect or (lambda report, submission: None)
        self.misconception_workers: dict[str, Executor] = {}
        self.exercises = exercises
        self.config = config
        self.fixtures = fixtures
        self.reference_factory = reference_factory
        self.provided = provided
        self.student_stats = ExecutorStats()
        self.reference_stats = ExecutorStats()
        self.references: dict[str, Executor] = {}
        self.assignment = config.assignment
        self.reference_root = self.assignment.reference
        self.sandbox = Sandbox(enabled=config.sandbox,
                               limits={n: r.limits for n, r in self.assignment.runtimes.items()})
        self.slot = claim_slot() if self.sandbox.uid is not None else None
        """This grader's job slot: its workers' own user id (only a root grader switches users)."""
        self.sandbox.slot_uid = self.slot.uid if self.slot else None
        self.keep_workers = keep_workers
        self.kept: Workspace | None = None

    def reference(self, runtime: str) -> Executor:
        """The trusted reference's worker (no sandbox: it runs only the project's own code)."""
        if runtime not in self.references:
            if self.reference_factory:
                self.references[runtime] = self.reference_factory(runtime)
            else:
                memo = {"memo": self.memo} if self.memo is not None else {}
                kind = self.assignment.runtime(runtime)
                self.references[runtime] = (MemoizingExecutor if memo else Executor)(
                    self.reference_root, "the reference", self.assignment.package, env=worker_env(kind),
                    stats=self.reference_stats, preload=kind.preload, **memo)
        return self.references[runtime]

    def student_executor(self, submission: Submission, scratch: Path, runtime: str, package: str = "pkg",
                         work: str = "work") -> Executor:
        """A sandboxed worker over the staged package ``scratch/<package>``, writing only to
        ``scratch/<work>-<runtime>``."""
        package_root, work_dir = scratch / package, scratch / ("%s-%s" % (work, runtime))
        self.sandbox.prepare(package_root, work_dir)
        references = [*self.assignment.references, *([self.reference_root] if self.reference_root else [])]
        hidden = hidden_paths(references, [p for p in (self.config.out_dir, submission.path, submission.path.parent,
                                                       *self.config.private_paths) if p])
        prefix = self.sandbox.wrap([], package_root, work_dir, hidden)
        kind = self.assignment.runtime(runtime)
        env = worker_env(kind, home=work_dir, extra={**self.sandbox.env(kind.limits),
                                                        **({} if self.config.strict_env else {compat.ENV: "1"})})
        return Executor(package_root, "the student's code", self.assignment.package, env=env, command_prefix=prefix,
                        stats=self.student_stats, cwd=work_dir, preload=kind.preload)

    def substitution_executor(self, submission: Submission, scratch: Path, runtime: str) -> Executor:
        """A sandboxed worker like the student's whose package also holds the reference's copy of it, so that
        a check can run again with some student functions replaced (only ever to localize a failure: nothing
        it produces but pass or fail reaches a report)."""
        package = scratch / LOCALIZE_PACKAGE
        if not package.exists():
            stage(submission, package, self.assignment, self.provided)
            stage_reference_copy(package, self.assignment)
        return self.student_executor(submission, scratch, runtime, LOCALIZE_PACKAGE, "work-localize")

    def close(self) -> None:
        for executor in [*self.references.values(), *self.misconception_workers.values()]:
            executor.close()
        if self.slot is not None:
            self.slot.release()
        if self.kept is not None:
            self.kept.remove()
            self.kept = None

    @contextlib.contextmanager
    def workspace(self, submission: Submission):
        """The submission staged with its student workers: a fresh one removed afterwards, or with
        ``keep_workers`` the kept one brought up to the submission's files. An interrupted grading (Ctrl-C in
        a notebook) removes it: its workers may be in the middle of a request."""
        if self.kept is not None and self.kept.path != submission.path:
            self.kept.remove()
            self.kept = None
        if self.kept is None:
            workspace = Workspace(submission, self.assignment, self.provided)
        else:
            workspace = self.kept
            workspace.update(submission)
        self.kept = workspace if self.keep_workers else None
        try:
            yield workspace
        except BaseException:
            self.kept = None
            workspace.remove()
            raise
        if not self.keep_workers:
            workspace.remove()

    def grade(self, submission: Submission, only: Collection[str] | None = None,
              on_result: Callable[[CheckResult], None] | None = None) -> Report:
        """Run the checks (those whose ids are in ``only``, when given) on ``submission``, then localize and
        diagnose the failures; ``on_result`` gets each final result in check order (an exception it raises
        stops the grading)."""
        self.declared: dict[str, Fault] = {}
        self.evidence: dict[str, Evidence] = {}
        self.clock = SubmissionClock(self.config.submission_timeout_s)
        asked = {ex.id: dataclasses.replace(ex, checks=tuple(c for c in ex.checks if only is None or c.id in only))
                 for ex in self.exercises}
        asked = {ex_id: ex for ex_id, ex in asked.items() if ex.checks}
        chosen = [asked[ex.id] for ex in tracks.graded(self.exercises, submission, self.assignment, set(asked))]
        with self.workspace(submission) as workspace:
            scratch, students = workspace.folder, workspace.students
            runtimes = list(dict.fromkeys(ex.runtime for ex in chosen if ex.checks))
            missing = {r: self.assignment.runtime(r).missing() for r in runtimes}
            try:
                pairs = []
                for runtime in runtimes:
                    if missing[runtime]:
                        pairs += [(ex, self._not_installed(check, ex, missing[runtime]))
                                  for ex in chosen if ex.runtime == runtime for check in ex.checks]
                        continue
                    if runtime not in students:
                        students[runtime] = self.student_executor(submission, scratch, runtime)
                    student = students[runtime]
                    exercises = [ex for ex in chosen if ex.runtime == runtime]
                    broken = self._import_modules(submission, student, exercises)
                    pairs += [(ex, self._run(check, ex, student, broken)) for ex in exercises for check in ex.checks]
            finally:
                if not self.keep_workers:
                    workspace.close_workers()
            results = {r.id: r for _, r in pairs}
            shims = sorted(set().union(*(students[r].compat for r in runtimes if r in students)))
            checks = [c for ex in chosen for c in ex.checks]
            faults = self.localize(submission, scratch, results, checks)
        diagnoses = self.diagnose(checks, faults)
        for check_id, fault in faults.items():
            result = results[check_id]
            result.blame, result.inconclusive, result.attribution = list(fault.culprits), list(fault.inconclusive), \
                fault.how
            if fault.how and fault.how not in result.message:
                result.message = "%s. %s" % (fault.how[0].upper() + fault.how[1:], result.message)
        for check_id, m in diagnoses.items():
            result = results[check_id]
            result.details["diagnosis"] = {"id": m.id, "message": m.sentence}
            result.message = "%s. %s" % (m.sentence[0].upper() + m.sentence[1:], result.message)
        ordered = [results[c.id] for c in checks]
        if on_result:
            for result in ordered:
                on_result(result)
        summaries = tracks.summaries(chosen, {ex.id: (sum(r.score for r in ordered if r.exercise == ex.id),
                                                      sum(r.max_score for r in ordered if r.exercise == ex.id))
                                              for ex in chosen if ex.checks}, self.config.track_policy)
        report = Report(
            submission=SubmissionInfo(submission.id, str(submission.path), submission.sha256),
            grader=GraderInfo(__version__, self.config.seed, self.config.isolation, self.config.strict_env,
                              [{"name": n, "note": compat.SHIMS[n].note} for n in shims], list(self.config.plugins),
                              installed_release(), self.config.track_policy),
            checks=ordered, exercises=summaries, problems=list(submission.problems)
            + ["%s/%s is missing" % (self.assignment.package, m) for m in self._missing(submission, chosen)]
            + [self._not_installed_problem(ex, missing[ex.runtime]) for ex in chosen
               if ex.checks and missing.get(ex.runtime)]
            + compat.notes(shims),
            functions=function_verdicts(checks, results))
        self.inspect(report, submission)
        return report

    def diagnose(self, checks: list[Check], faults: dict[str, Fault]) -> dict[str, Misconception]:
        """The catalogued mistake behind each failing check, where one is recognised."""
        if not self.evidence or not self.catalog:
            return {}
        live = self.reference_root is not None and self.reference_factory is None
        diagnoser = Diagnoser(self.catalog, self.misconception_transcript if live else None,
                              max(0.0, min(self.config.diagnose_budget_s, self.clock.left)))
        found = {}
        for check in checks:
            if check.id in self.evidence:
                try:
                    m = diagnoser.diagnose(check, faults.get(check.id), self.evidence[check.id])
                except Exception:  # recognising a mistake is a bonus: it never costs a report
                    log.warning("diagnosing %s failed", check.id, exc_info=True)
                    m = None
                if m is not None:
                    found[check.id] = m
        return found

    def misconception_transcript(self, check: Check, misconception: Misconception | None, timeout: float,
                                 student: list[tuple[str, Any]], tolerance: float) -> list[tuple[str, Any]] | None:
        """What a trusted worker of the project's own code answers when the check runs with the misconception
        standing in for its function (with ``None``, the reference's own; the student's code plays no part).
        None once an answer differs from the ``student`` transcript's by more than ``tolerance`` (the run stops
        there), and None if a misconception passes the check (it cannot be why the student's code fails it)."""
        exercise = next(ex for ex in self.exercises if check in ex.checks)
        if exercise.runtime not in self.misconception_workers:
            kind = self.assignment.runtime(exercise.runtime)
            self.misconception_workers[exercise.runtime] = Executor(
                self.reference_root, "a catalogued misconception", self.assignment.package, env=worker_env(kind),
                stats=self.reference_stats, preload=kind.preload)
        executor = self.misconception_workers[exercise.runtime]
        executor.substitution = (
            {substitution_path(misconception.function): misconception.implementation} if misconception else None)
        executor.transcript = matching = MatchingTranscript(student, tolerance)
        ctx = CheckContext(check, self.config, executor, self.reference(exercise.runtime),
                           self.fixtures.get(exercise.id, {}), probing=False)
        try:
            outcome = evaluate(ctx, min(timeout, self.config.timeout_s * check.timeout_factor), quiet=True)
            transcript = executor.transcript
        finally:
            executor.substitution = executor.transcript = None
            executor.stdout.clear()
        if matching.ruled_out or outcome.message.startswith("internal grader error"):
            return None
        if misconception is not None and outcome.status == "passed":
            return None
        return transcript

    def localize(self, submission: Submission, scratch: Path, results: dict[str, CheckResult],
                 checks: list[Check]) -> dict[str, Fault]:
        """Who is at fault in every failing check; reruns with the reference's functions where it is here."""
        if not any(r.status in FAILING for r in results.values()):
            return {}
        couplings = [group for ex in self.exercises for group in ex.couplings]
        rerun = None
        if self.config.localize_budget_s > 0 and self.reference_root is not None and self.reference_factory is None:
            rerun = Rerunner(self, submission, scratch, max(0.0, min(self.config.localize_budget_s, self.clock.left)))
        try:
            return Localizer(checks, results, couplings, rerun, self.declared,
                             self.missing_functions(submission, checks, results)).run()
        finally:
            if rerun is not None:
                rerun.close()

    def missing_functions(self, submission: Submission, checks: list[Check], results: dict[str, CheckResult]
                          ) -> dict[str, str]:
        """The functions the submission does not have (``grader.missing``): read from its files, and from the
        exceptions its failing checks got."""
        functions = list(dict.fromkeys(f for c in checks for f in involved(c)))
        sources = {}
        for module in {missing_functions.split_target(f)[0] for f in functions}:
            name = self.assignment.module_file(module)
            if name and name in submission.files:
                sources[module] = submission.files[name].decode("utf-8", "replace")
        found = missing_functions.stubs(sources, functions)
        for check in checks:
            result, evidence = results.get(check.id), self.evidence.get(check.id)
            if result is not None and result.status in FAILING and evidence is not None and evidence.exception:
                found.update({f: why for f, why in missing_functions.from_exception(
                    evidence.exception, result.details.get("traceback", ""), involved(check)).items()
                    if f not in found})
        return found

    def _missing(self, submission: Submission, graded: list[Exercise]) -> list[str]:
        needed = {self.assignment.module_file(m) for ex in graded for c in ex.checks for m in c.modules}
        return sorted(f for f in needed if f not in submission.files)

    def _not_installed(self, check: Check, exercise: Exercise, missing: tuple[str, ...]) -> CheckResult:
        """The result of a check whose runtime lacks a module here: not run, and it says what to install."""
        why = "not run: %s needs %s, which is not installed where this was graded (%s)" % (
            exercise.title, " and ".join(missing), self.assignment.runtime(exercise.runtime).install_hint
            or "install it")
        self.declared[check.id] = Fault((), tuple(check.targets), why)
        return CheckResult(id=check.id, exercise=exercise.id, targets=list(check.targets), uses=list(check.uses),
                           status="error", score=0.0, max_score=check.points, message=why,
                           metric=Metric(check.metric, None, check.threshold) if check.metric else None)

    def _not_installed_problem(self, exercise: Exercise, missing: tuple[str, ...]) -> str:
        track = "the %s track of " % exercise.track if exercise.track else ""
        hint = self.assignment.runtime(exercise.runtime).install_hint
        return ("this submission did %s%s, which needs %s, not installed where it was graded: %s, then grade it "
                "again" % (track, exercise.title, " and ".join(missing), hint or "install it"))

    def _import_modules(self, submission: Submission, student: Executor,
                        exercises: list[Exercise]) -> dict[str, tuple[str, dict[str, Any], str]]:
        """Import each needed student module once; a failure (message, details, the file) becomes the result of
        every check needing it."""
        broken: dict[str, tuple[str, dict[str, Any], str]] = {}
        modules = sorted({m for ex in exercises for c in ex.checks for m in c.modules})
        for module in modules:
            path = "%s/%s" % (self.assignment.package, self.assignment.module_file(module))
            if self.assignment.module_file(module) not in submission.files:
                broken[module] = ("%s is missing from the submission" % path, {}, path)
                continue
            limit, by_budget = self.clock.limit(min(IMPORT_TIMEOUT_S, self.config.timeout_s))
            if limit <= 0:
                continue  # no time left: every check is marked so
            student.deadline = time.monotonic() + limit
            try:
                student.import_module(module)
            except StudentError as exc:
                broken[module] = ("%s could not be imported: %s" % (path, exc),
                                  {"traceback": exc.traceback, "stdout": exc.stdout[:STDOUT_SHOWN]}, path)
            except WorkerTimeout:
                if not by_budget:  # else the submission's time ran out: its checks say so
                    broken[module] = ("importing %s did not finish within %.0f s" % (path, limit), {}, path)
            except WorkerCrashed as exc:
                broken[module] = ("importing %s crashed: %s" % (path, exc), {}, path)
        return broken

    def _out_of_time(self, check: Check, prefix: str) -> tuple[str, Fault]:
        """The message of a check the submission's budget left no time for, and its fault (none: its targets
        could not be judged)."""
        why = self.clock.out_of_time()
        return prefix + why, Fault((), tuple(check.targets), why)

    def _run(self, check: Check, exercise: Exercise, student: Executor, broken: dict) -> CheckResult:
        result = CheckResult(id=check.id, exercise=exercise.id, targets=list(check.targets), uses=list(check.uses),
                             status="error", score=0.0, max_score=check.points,
                             metric=Metric(check.metric, None, check.threshold) if check.metric else None)
        for module in check.modules:
            if module in broken:
                result.message, result.details = broken[module][0], dict(broken[module][1])
                self.declared[check.id] = broken_fault(check, {m: broken[m][2] for m in check.modules if m in broken})
                return result
        reference = self.reference(exercise.runtime)
        if check.instructor_only and not reference.live:
            result.status, result.max_score = "skipped", 0.0
            result.message = "instructor-only: needs the live reference on values your code produces"
            return result
        blocked = self.clock.blocked(check)
        limit, by_budget = self.clock.limit(self.config.timeout_s * check.timeout_factor)
        if blocked or limit <= 0:
            result.status = "timeout"
            result.message, self.declared[check.id] = blocked or self._out_of_time(check, "not run: ")
            return result
        ctx = CheckContext(check, self.config, student, reference, self.fixtures.get(exercise.id, {}))
        start = time.monotonic()
        student.stdout.clear()
        student.transcript = [] if self.catalog else None
        try:
            outcome = evaluate(ctx, limit)
        finally:
            transcript, student.transcript = student.transcript or [], None
        if by_budget and (outcome.status == "timeout" or outcome.message == REFERENCE_LATE):
            message, self.declared[check.id] = self._out_of_time(check, "stopped: ")
            outcome = Evaluation("timeout", message)
        else:
            stalled = self.clock.record(check, outcome.status, limit)
            if stalled:
                outcome.message += self.clock.note(stalled)
        if outcome.status in FAILING:
            self.evidence[check.id] = Evidence(outcome.diagnosis, outcome.exception, transcript, outcome.unimplemented)
        result.status, result.message = outcome.status, outcome.message
        if result.metric is not None:
            result.metric.value = outcome.metric_value
            if outcome.threshold is not None:
                result.metric.threshold = outcome.threshold
        if outcome.status == "skipped":
            result.max_score = 0.0
        if outcome.blame and outcome.status in FAILING:
            self.declared[check.id] = Fault(outcome.blame)
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


@dataclass
class Evaluation:
    """What running a check gave, before it becomes a ``CheckResult``."""

    status: str
    message: str = ""
    metric_value: float | None = None
    blame: tuple[str, ...] = ()
    """The culprits the check named itself, if it failed."""
    diagnosis: str = ""
    """The misconception the check recognised itself, if it failed."""
    exception: str = ""
    """``"Type: message"`` when the student's code raised."""
    threshold: float | None = None
    """The threshold the check derived for this run (``Outcome.threshold``); None: the check's own."""
    unimplemented: bool = False
    """The student's code returned nothing where a value was due (``CheckFailure.unimplemented``)."""


def evaluate(ctx: CheckContext, timeout: float, quiet: bool = False) -> Evaluation:
    """Run ``ctx.check`` with a deadline and judge what happened: the metric against the threshold, a
    failure the check raised, or what went wrong in a worker. ``ctx.details`` collects the details.
    ``quiet``: say nothing on the grader's own error output either (a localizing rerun). A check whose
    memoised reference answers turn out not to be the live reference's runs again, live (``grader.memo``)."""
    try:
        return _evaluate(ctx, timeout, quiet)
    except Diverged:
        ctx.details.clear()
        ctx.artifacts.clear()
        ctx.student.stdout.clear()
        if ctx.student.transcript is not None:  # the evidence is the transcript of the run that counts
            ctx.student.transcript.clear()
        return _evaluate(ctx, timeout, quiet)


def _evaluate(ctx: CheckContext, timeout: float, quiet: bool) -> Evaluation:
    check, student, reference = ctx.check, ctx.student, ctx.reference
    student.begin_check(check.id)
    reference.begin_check(check.id)
    student.deadline = reference.deadline = time.monotonic() + timeout
    try:
        for executor in (student, reference):  # the same global random state before every run of a check
            if executor.live:
                executor.seed(ctx.seed)
        outcome = check.run(ctx)
    except CheckFailure as failure:
        ctx.details.update(failure.details)
        return Evaluation("failed", failure.message, failure.metric_value, failure.blame, failure.diagnosis,
                          unimplemented=failure.unimplemented)
    except Undecided as undecided:
        ctx.details.update(undecided.details)
        return Evaluation("skipped", UNDECIDED + undecided.message)
    except NotInBundle as exc:
        return Evaluation("skipped", str(exc))
    except WorkerTimeout as exc:
        if exc.executor is reference:
            return Evaluation("error", REFERENCE_LATE)
        return Evaluation("timeout", "stopped after %.0f s without an answer (an infinite loop or a very slow "
                                     "implementation?)" % timeout)
    except StudentError as exc:
        ctx.details["traceback"] = exc.traceback
        if exc.executor is reference:
            return Evaluation("error", "internal grader error: the reference raised %s" % exc)
        raised = "%s: %s" % (exc.type_name, short_message(exc.message))
        return Evaluation("error", "%s raised %s" % (_targets(check), raised), exception=raised)
    except WorkerCrashed as exc:
        prefix = "internal grader error" if exc.executor is reference else _targets(check)
        return Evaluation("error", "%s: %s" % (prefix, exc))
    except Diverged:
        raise
    except Exception as exc:  # a bug of the grader itself: say so, keep grading
        ctx.details["traceback"] = traceback.format_exc()[-4000:]
        if not quiet:
            print("grader: internal error in check %s: %s" % (check.id, exc), file=sys.stderr)
        return Evaluation("error", "internal grader error: %s: %s" % (type(exc).__name__, exc))
    value = outcome.metric_value
    if check.metric is None:
        passed = bool(outcome.passed)
        return Evaluation("passed" if passed else "failed", outcome.message, None, outcome.blame, outcome.diagnosis)
    threshold = check.threshold if outcome.threshold is None else outcome.threshold
    passed = value is not None and math.isfinite(value) and value <= threshold
    verdict = ("%s %.3g %s threshold %.3g" % (check.metric, value, "<=" if passed else ">", threshold)
               if value is not None and math.isfinite(value) else "%s is %s" % (check.metric, value))
    if outcome.passed is False:
        passed = False
    return Evaluation("passed" if passed else "failed", "; ".join(m for m in (outcome.message, verdict) if m),
                      value, outcome.blame, outcome.diagnosis, threshold=outcome.threshold)


ARRAY_DUMP = re.compile(r"\[[-+0-9.eE\s,\[\]]{40,}\]?")
"""A printed array, over as many lines as it takes (TensorFlow prints the whole image it was given)."""


def short_message(text: str, limit: int = 300) -> str:
    """An exception's text for a one-line message: the first line, array dumps elided, at most ``limit``
    characters (the whole of it stays in the traceback)."""
    text = ARRAY_DUMP.sub(lambda m: "[...] " if m.group(0)[-1].isspace() else "[...]", str(text).strip())
    lines = [line for line in text.splitlines() if line.strip()]
    first = lines[0] if lines else ""
    if len(lines) > 1:
        first += " [...]"
    return first if len(first) <= limit else first[: limit - 5] + "[...]"


def broken_fault(check: Check, modules: dict[str, str]) -> Fault:
    """Student files that do not import (module -> its path): their functions are at fault, the others cannot
    be judged."""
    def in_broken(function: str) -> bool:
        return any(function.startswith(m + ".") for m in modules)

    culprits = tuple(f for f in involved(check) if in_broken(f))
    others = tuple(t for t in check.targets if not in_broken(t))
    return Fault(culprits, others, "" if not others else "%s does not import: this check cannot judge %s"
                 % (", ".join(modules.values()), listing(others)))


class Rerunner:
    """Runs a failing check again with chosen student functions replaced by the reference's, in a sandboxed
    worker of the submission's own, within a time budget. Only pass or fail comes out: the rerun's
    messages, details, printed output and pictures are dropped, since the reference's code ran there."""

    def __init__(self, grader: "Grader", submission: Submission, scratch: Path, budget_s: float):
        self.grader = grader
        self.submission = submission
        self.scratch = scratch
        self.deadline = time.monotonic() + budget_s
        self.executors: dict[str, Executor] = {}
        self.exercise_of = {c.id: ex for ex in grader.exercises for c in ex.checks}
        self.answers: dict[tuple[str, frozenset[str]], bool] = {}
        self.count = 0

    def __call__(self, check: Check, swapped: frozenset[str]) -> bool | None:
        key = (check.id, swapped)
        if key in self.answers:
            return self.answers[key]
        if any(f in self.grader.clock.stalled for f in involved(check) if f not in swapped):
            self.answers[key] = False  # it would call a function that did not finish: fails without running
            return False
        left = self.deadline - time.monotonic()
        if left <= 0:
            return None
        exercise = self.exercise_of[check.id]
        runtime = exercise.runtime
        if runtime not in self.executors:
            self.executors[runtime] = self.grader.substitution_executor(self.submission, self.scratch, runtime)
        executor = self.executors[runtime]
        executor.substitution = {substitution_path(f): "reference" if f in swapped else "student"
                                 for f in involved(check)}
        ctx = CheckContext(check, self.grader.config, executor, self.grader.reference(runtime),
                           self.grader.fixtures.get(exercise.id, {}), probing=False)
        try:
            outcome = evaluate(ctx, min(self.grader.config.timeout_s * check.timeout_factor, left), quiet=True)
            cut = OUTPUT_CUT in "".join(executor.stdout)
        finally:
            executor.substitution = None
            executor.stdout.clear()
            if executor.tainted:
                executor.discard()
        self.count += 1
        if outcome.status == "timeout" and time.monotonic() >= self.deadline:
            return None
        self.answers[key] = NO_EVIDENCE if ended_for_resources(outcome, cut) else outcome.status == "passed"
        return self.answers[key]

    def close(self) -> None:
        for executor in self.executors.values():
            executor.close()


OUTPUT_CUT = "more bytes of output cut ...]"
"""The note the worker's capture leaves where it dropped output over its cap (``grader.worker.capture``)."""


def ended_for_resources(outcome: Evaluation, output_cut: bool) -> bool:
    """Whether a rerun ended for time or resource reasons rather than on its merits: a timeout, output cut,
    running out of memory, a crashed worker or a grader error (an error without a student exception)."""
    if outcome.status == "passed":
        return False
    if outcome.status == "timeout" or output_cut:
        return True
    return outcome.status == "error" and (not outcome.exception or outcome.exception.startswith("MemoryError"))


def substitution_path(function: str) -> str:
    """The function a target names, without its branch: ``...CaptioningRNN.loss[rnn]`` -> ``...CaptioningRNN.loss``."""
    return function.partition("[")[0]


def _targets(check: Check) -> str:
    return ", ".join(t.split("[")[0].rsplit(".", 1)[-1] for t in check.targets)

