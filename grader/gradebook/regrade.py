"""Grading a class incrementally against its gradebook.

Only what is stale is graded: a check whose latest result for the submission's current files was made with
another fingerprint (a changed definition) or another seed, or that was never graded. Each result is
committed the moment it is decided, so an interrupted run (Ctrl-C, ``kill -9``) loses only the checks that
were running, and the next run starts from there. Every output (reports, ``grades.csv``, ``index.html``) is
written from the gradebook, never from memory, so outputs and gradebook always agree.
"""
from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import pluggy

from grader import __version__, tracks
from grader.assignment import Assignment
from grader.checks import Exercise
from grader.config import GradingConfig
from grader.gradebook.fingerprint import check_fingerprints
from grader.gradebook.outputs import write_outputs, write_submission
from grader.gradebook.store import Attempt, Gradebook
from grader.memo import ReferenceMemo
from grader.progress import BatchProgress
from grader.runner import Grader
from grader.session import build_fixtures, collect_misconceptions, inspector
from grader.submission import Submission, UsageError
from grader.worker.client import descendants
from grader.writers._format import json_safe


class RunStopped(Exception):
    """Raised into a grading thread once the run is stopped: nothing it decides afterwards is recorded."""


@dataclass
class Task:
    submission: Submission
    attempt: Attempt
    checks: list[str]
    """The ids of the checks to (re)grade."""


@dataclass
class ClassRun:
    """What a run did, for the command's closing lines."""

    run: int
    seed: int
    tasks: list[Task]
    reused: int
    stale_kept: int = 0
    """Stale results outside an ``--only`` selection, kept as they are."""
    graded: int = 0
    interrupted: bool = False
    abandoned: list[int] = field(default_factory=list)
    """Earlier runs found unfinished (killed) and closed."""

    @property
    def checks(self) -> int:
        return sum(len(t.checks) for t in self.tasks)


class _Gate:
    """Lets results into the gradebook until the run is stopped, and none after: a stop kills the workers, and
    what the checks running then report is the kill, not the student's code."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.stopped = False

    def record(self, write, *args):
        with self._lock:
            if self.stopped:
                raise RunStopped()
            return write(*args)

    def stop(self) -> None:
        with self._lock:
            self.stopped = True


def plan_run(gradebook: Gradebook, submissions: list[Submission], exercises: list[Exercise],
             selected: list[Exercise], fingerprints: dict[str, str], seed: int, regrade_selected: bool,
             assignment: Assignment | None = None) -> tuple[list[Task], int, int]:
    """What to grade per submission, how many submissions are reused whole, and how many stale results
    outside the selection are kept. ``regrade_selected`` (``--force``) regrades every selected
    check whatever the gradebook holds. With the ``assignment``, a notebook's twin on the track a submission
    did not take is not graded (``grader.tracks``), so its checks never count as stale."""
    tasks, reused, stale_kept = [], 0, 0
    for sub in submissions:
        picked = {ex.id for ex in tracks.graded(exercises, sub, assignment, {ex.id for ex in selected})} \
            if assignment else None
        graded = {ex.id for ex in tracks.graded(exercises, sub, assignment)} if assignment else None
        chosen = [c.id for ex in selected for c in ex.checks if picked is None or ex.id in picked]
        others = [c.id for ex in exercises for c in ex.checks if c.id not in set(chosen)
                  and (graded is None or ex.id in graded)]
        attempt = gradebook.attempt(sub)
        latest = gradebook.latest_results(attempt.id)

        def stale(check_id: str) -> bool:
            row = latest.get(check_id)
            return row is None or (row["fingerprint"], row["seed"]) != (fingerprints[check_id], seed)

        todo = [c for c in chosen if regrade_selected or stale(c)]
        stale_kept += sum(1 for c in others if c in latest and stale(c))
        if todo or gradebook.latest_report(attempt.id) is None:
            tasks.append(Task(sub, attempt, todo))
        else:
            reused += 1
    return tasks, reused, stale_kept


def grade_class(gradebook: Gradebook, submissions: list[Submission], exercises: list[Exercise],
                selected: list[Exercise], config: GradingConfig, pm: pluggy.PluginManager, out_dir: Path,
                jobs: int = 1, force: bool = False, announce=print, cluster=None) -> ClassRun:
    """Grade what is stale among ``selected`` checks of ``submissions``, record it, rewrite the outputs.

    ``exercises`` are all the current definitions (reports hold every check the gradebook has a result of);
    ``selected`` the checks this run may grade. A KeyboardInterrupt stops the run cleanly: what was decided
    stays recorded, the outputs are written from the gradebook, and ``interrupted`` is set. With a Dask
    ``cluster`` (a client) the submissions are graded there (``grader.distributed``), ``jobs`` aside.
    """
    fingerprints = check_fingerprints(exercises, config, config.assignment)
    abandoned = gradebook.close_abandoned_runs()
    chosen = [c for ex in selected for c in ex.checks]
    run_id = gradebook.start_run(
        version=__version__, seed=config.seed, isolation=config.isolation, fingerprints=fingerprints,
        checks=[{"id": c.id, "points": c.points, "metric": c.metric, "threshold": c.threshold} for c in chosen],
        selection=list(config.only), forced=force)
    status = "interrupted"
    try:
        tasks, reused, stale_kept = plan_run(gradebook, submissions, exercises, selected, fingerprints,
                                             config.seed, regrade_selected=force, assignment=config.assignment)
        outcome = ClassRun(run_id, config.seed, tasks, reused, stale_kept, abandoned=abandoned)
        announce(_plan_line(outcome, len(submissions)))
        outcome.interrupted = _grade_tasks(gradebook, outcome, exercises, selected, config, pm, out_dir,
                                           fingerprints, jobs, cluster, announce)
        write_outputs(gradebook, exercises, config, pm, out_dir,
                      {t.submission.id: (t.attempt.id, t.submission) for t in tasks})
        status = "interrupted" if outcome.interrupted else "finished"
        return outcome
    finally:
        gradebook.finish_run(run_id, status)


def _plan_line(run: ClassRun, found: int) -> str:
    parts = ["%d submission(s) found" % found, "%d unchanged (results reused)" % run.reused,
             "%d to grade (%d check(s))" % (len(run.tasks), run.checks)]
    if run.abandoned:
        parts.append("run(s) %s had been stopped before the end: continuing" % ", ".join(map(str, run.abandoned)))
    return "; ".join(parts)


def _grade_tasks(gradebook: Gradebook, run: ClassRun, exercises: list[Exercise], selected: list[Exercise],
                 config: GradingConfig, pm: pluggy.PluginManager, out_dir: Path, fingerprints: dict[str, str],
                 jobs: int, cluster=None, announce=print) -> bool:
    """Grade the tasks on ``jobs`` threads (or on a Dask ``cluster``), each submission's files written as soon as
    it is done; True when a KeyboardInterrupt stopped them."""
    if not run.tasks:
        return False
    gate, lock = _Gate(), threading.Lock()

    def record(task: Task, check: dict, progress: BatchProgress) -> None:
        gate.record(gradebook.record_result, task.attempt.id, run.run, check, fingerprints[check["id"]], config.seed)
        progress.check_done()

    def finish(task: Task, report: dict, seconds: float, progress: BatchProgress, where: str = "") -> None:
        """Record the submission-level part of ``report`` (its checks are recorded), write its files."""
        gate.record(gradebook.record_report, task.attempt.id, run.run, report)
        merged = write_submission(gradebook, task.attempt, exercises, config, pm, out_dir, task.submission)
        with lock:
            run.graded += 1
        progress.submission_done("%-30s %7.2f / %-6g (%d check(s) graded, %.1f s%s)" % (
            task.submission.id, merged.score, merged.max_score, len(task.checks), seconds, where))

    with BatchProgress(len(run.tasks), run.checks) as progress:
        if cluster is not None:
            return _grade_remotely(cluster, run, config, fingerprints, record, finish, progress, gate, announce)
        return _grade_locally(run, selected, config, pm, record, finish, progress, gate, jobs)


def _grade_locally(run: ClassRun, selected: list[Exercise], config: GradingConfig, pm: pluggy.PluginManager,
                   record, finish, progress: BatchProgress, gate: _Gate, jobs: int) -> bool:
    fixtures = build_fixtures(selected, config)
    misconceptions = collect_misconceptions(pm, config)
    local, graders, lock, memo = threading.local(), [], threading.Lock(), ReferenceMemo()

    def grade_one(task: Task) -> None:
        if not hasattr(local, "grader"):
            local.grader = Grader(selected, config, fixtures, catalog=misconceptions, inspect=inspector(pm, config),
                                  memo=memo)
            with lock:
                graders.append(local.grader)
        start = time.monotonic()
        report = local.grader.grade(task.submission, only=set(task.checks),
                                    on_result=lambda result: record(task, json_safe(result.to_json()), progress))
        finish(task, json_safe({k: v for k, v in report.to_json().items() if k != "checks"}),
               time.monotonic() - start, progress)

    pool, futures = ThreadPoolExecutor(max_workers=max(1, jobs)), []
    try:
        futures += [pool.submit(grade_one, task) for task in run.tasks]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        for future in done:
            future.result()
        return False
    except KeyboardInterrupt:
        gate.stop()
        pool.shutdown(wait=False, cancel_futures=True)
        while not all(f.done() for f in futures):  # a check may start a fresh worker before it ends
            _kill_workers()
            wait(futures, timeout=0.2)
        return True
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for g in graders:
            g.close()


def _grade_remotely(cluster, run: ClassRun, config: GradingConfig, fingerprints: dict[str, str], record, finish,
                    progress: BatchProgress, gate: _Gate, announce) -> bool:
    """One Dask task per submission; each report is recorded and written here as it arrives."""
    from grader.distributed import DefinitionsDiffer, grade_on_cluster, settings

    lost = []

    def arrived(task: Task, graded: dict) -> None:
        report = graded["report"]
        for check in report.pop("checks"):
            record(task, check, progress)
        finish(task, report, graded["seconds"], progress, " on %s" % graded["worker"])

    try:
        grade_on_cluster(cluster, [(t, t.submission, t.checks) for t in run.tasks],
                         settings(config, {c: fingerprints[c] for t in run.tasks for c in t.checks}),
                         config.assignment.package, arrived, lost.append)
    except KeyboardInterrupt:
        gate.stop()
        return True
    except DefinitionsDiffer as exc:
        raise UsageError(str(exc)) from None
    for item in lost:
        announce("grader: %s was not graded: %s (nothing recorded; run the same command again to retry it)"
                 % (item.submission, item.reason))
    return False


def _kill_workers() -> None:
    """Kill every worker process of this grader (students' and the reference's), so running checks end now."""
    for pid in descendants(os.getpid()):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
