"""One grading run: collect the exercises from the plugins, build their fixtures, grade, write outputs."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

import pluggy

from grader import tracks
from grader.assignment import Assignment, AssignmentError, merge
from grader.checks import Exercise
from grader.config import GradingConfig
from grader.misconceptions import Misconception, catalog
from grader.model import Report
from grader.runner import Grader, known_ids, names_match, select
from grader.bundle import INSTALLED_BUNDLE, Bundle, BundleError, RecordingExecutor, ReplayExecutor, load_bundle, \
    write_bundle
from grader.runtimes import worker_env
from grader.staging import provided_sources
from grader.submission import Submission, UsageError, load_folder


INSTRUCTOR_ONLY = "instructor command: the reference is not in the student package"


def collect_assignment(pm: pluggy.PluginManager) -> Assignment:
    """The assignment the plugins describe, their parts merged in registration order."""
    try:
        return merge(reversed(pm.hook.grader_assignment()))
    except AssignmentError as exc:
        raise UsageError(str(exc)) from None


def answers_for(path: Path | None, assignment: Assignment) -> Bundle | None:
    """The bundle self-check uses: ``path``, else the installed one, else None (the live reference, where it
    is installed)."""
    path = path or (INSTALLED_BUNDLE if INSTALLED_BUNDLE.is_file() else None)
    if path is None:
        if assignment.reference is None:
            raise UsageError("no answer bundle: pass --answers FILE (your course provides it)")
        return None
    try:
        return load_bundle(path)
    except BundleError as exc:
        raise UsageError(str(exc)) from None


def collect_exercises(pm: pluggy.PluginManager, config: GradingConfig) -> list[Exercise]:
    """All exercises the plugins contribute, in registration order, with ``--only`` applied. A check id given
    twice, or a check that needs a module or runtime the assignment does not have, is a usage error."""
    exercises: list[Exercise] = []
    for contributed in reversed(pm.hook.grader_exercises(config=config)):
        exercises.extend(contributed)
    seen: set[str] = set()
    assignment = config.assignment
    for ex in exercises:
        if assignment is not None and ex.runtime not in assignment.runtimes:
            raise UsageError("exercise %s runs in the runtime %r, which the assignment does not define (it has %s)"
                             % (ex.id, ex.runtime, ", ".join(assignment.runtimes)))
        for c in ex.checks:
            if c.id in seen:
                raise UsageError("two plugins define the check id %s" % c.id)
            seen.add(c.id)
            unknown = [m for m in c.modules if assignment is not None and assignment.module_file(m) is None]
            if unknown:
                raise UsageError("check %s imports %s, which is not a student file of the assignment (student "
                                 "files: %s)" % (c.id, ", ".join("%s/%s.py" % (assignment.package, m.replace(".", "/"))
                                                                 for m in unknown),
                                                 ", ".join(assignment.student_files)))
    unknown = [key for key in config.only if not any(names_match(key, i) for i in known_ids(exercises))]
    if unknown:
        raise UsageError("unknown exercise or check id: %s (see `grader list`)" % ", ".join(unknown))
    if config.track_policy not in tracks.policies(exercises):
        raise UsageError("--track-policy %s: choose one of %s" % (config.track_policy,
                                                                  ", ".join(tracks.policies(exercises))))
    return select(exercises, config.only)


def collect_misconceptions(pm: pluggy.PluginManager, config: GradingConfig) -> dict[str, Misconception]:
    """Every plugin's catalogued misconceptions, by id."""
    try:
        return catalog(pm.hook.grader_misconceptions(config=config))
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def inspector(pm: pluggy.PluginManager, config: GradingConfig) -> Callable[[Report, Submission], None]:
    """What the runner calls to let plugins read a submission's files into its report."""
    def inspect(report: Report, submission: Submission) -> None:
        pm.hook.grader_inspect_submission(report=report, submission=submission, config=config)
    return inspect


def build_fixtures(exercises: list[Exercise], config: GradingConfig) -> dict[str, dict[str, Any]]:
    return {ex.id: ex.fixtures(config) if ex.fixtures else {} for ex in exercises}


def grade_all(submissions: list[Submission], exercises: list[Exercise], config: GradingConfig,
              pm: pluggy.PluginManager, out_dir: Path | None, jobs: int = 1,
              on_report: Callable[[Report, float], None] | None = None, bundle: Bundle | None = None
              ) -> list[Report]:
    """Grade every submission (``jobs`` at a time), writing each one's outputs as soon as it is done.

    With a ``bundle`` (self-check) the reference's answers come from it instead of the live reference.
    """
    fixtures = build_fixtures(exercises, config)
    replay = {"reference_factory": lambda runtime: ReplayExecutor(bundle), "provided": bundle.provided} if bundle else {}
    misconceptions = collect_misconceptions(pm, config)
    local = threading.local()
    graders: list[Grader] = []
    lock = threading.Lock()

    def grade_one(sub: Submission) -> Report:
        if not hasattr(local, "grader"):
            local.grader = Grader(exercises, config, fixtures, catalog=misconceptions, inspect=inspector(pm, config),
                                  **replay)
            with lock:
                graders.append(local.grader)
        start = time.monotonic()
        report = local.grader.grade(sub)
        if out_dir is not None:
            target = out_dir / sub.id
            target.mkdir(parents=True, exist_ok=True)
            pm.hook.grader_write_report(report=report, out_dir=target, config=config)
        if on_report:
            on_report(report, time.monotonic() - start)
        return report

    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            reports = list(pool.map(grade_one, submissions))
    finally:
        for g in graders:
            g.close()
    if out_dir is not None:
        pm.hook.grader_write_summary(reports=reports, out_dir=out_dir, config=config)
    return reports


def make_bundle(pm: pluggy.PluginManager, config: GradingConfig, path: Path) -> tuple[Report, int]:
    """Grade the reference against the live reference at ``config.seed``, recording every answer, and write
    the bundle. Refuses to write one if the reference does not pass its own checks."""
    assignment = config.assignment
    root = assignment.reference
    if root is None:
        raise UsageError(INSTRUCTOR_ONLY)
    exercises = collect_exercises(pm, config)
    recorders: list[RecordingExecutor] = []

    instructor_only = frozenset(c.id for ex in exercises for c in ex.checks if c.instructor_only)

    def recorder(runtime: str) -> RecordingExecutor:
        recorders.append(RecordingExecutor(root, "the reference", assignment.package,
                                           env=worker_env(assignment.runtime(runtime)), skip=instructor_only))
        return recorders[-1]

    grader = Grader(exercises, config, build_fixtures(exercises, config), reference_factory=recorder,
                    inspect=inspector(pm, config))
    try:
        report = grader.grade(load_folder(root, assignment, "reference"))
    finally:
        grader.close()
    failing = [c.id for c in report.checks if c.status != "passed"]
    if failing:
        raise UsageError("the reference fails its own checks (%s): no bundle written" % ", ".join(failing))
    answers = {key: value for r in recorders for key, value in r.answers.items()}
    records = {check: values for r in recorders for check, values in r.records.items()}
    write_bundle(path, config.seed, answers, provided_sources(assignment), records)
    return report, len(answers)
