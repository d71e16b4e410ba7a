"""Grading on a Dask cluster (``grader grade ... --scheduler tcp://HOST:8786``): one task per submission.

A task carries the submission's files as the bytes of a zip (no shared file system is assumed) and the run's
settings. The Dask worker grades it exactly as a local run would (the same code builds the same sandbox,
limits, embedded data and reference from the same settings, with a job slot of its own per thread) and
returns the report as plain JSON. This machine keeps the gradebook and writes every output. A worker lost
in the middle of a task is Dask's to handle: the scheduler runs the task again on another worker, and each
submission is recorded once, when its result arrives here.

Before grading, a worker checks that its check definitions are the client's (the fingerprints the gradebook
records), so that one class is never graded by two versions of the grader.
"""
from __future__ import annotations

import hashlib
import io
import json
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from grader import __version__
from grader.config import GradingConfig
from grader.memo import ReferenceMemo
from grader.submission import Submission, UsageError, load_zip

CONNECT_TIMEOUT_S = 30
INSTALL_HINT = "pip install 'cs231n-a3-grader[dask]'"


class DefinitionsDiffer(RuntimeError):
    """A Dask worker would grade with other check definitions (another grader version or other plugins)."""


# ---------------------------------------------------------------------------------------------- the client side


def connect(address: str) -> Any:
    """A Dask client of the scheduler at ``address``; a usage error when Dask is missing or it cannot be reached."""
    try:
        from distributed import Client
    except ImportError:
        raise UsageError("--scheduler needs Dask on this machine and on the workers: %s" % INSTALL_HINT) from None
    try:
        return Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError("cannot reach the Dask scheduler at %s (%s)" % (address, exc)) from None


def check_options(config: GradingConfig) -> None:
    """Options naming files on this machine cannot reach the workers' file systems: a usage error."""
    paths = sorted("--" + name.replace("_", "-") for name, value in config.options.items() if isinstance(value, Path))
    if paths:
        raise UsageError("%s name%s files on this machine, which Dask workers do not share: grade without "
                         "--scheduler to use %s" % (", ".join(paths), "s" if len(paths) == 1 else "",
                                                     "it" if len(paths) == 1 else "them"))


def settings(config: GradingConfig, fingerprints: dict[str, str]) -> dict[str, Any]:
    """What a worker needs to grade as this run does: plain data, the same for every task."""
    return {"version": __version__, "seed": config.seed, "timeout_s": config.timeout_s, "only": list(config.only),
            "options": config.options, "sandbox": config.sandbox, "localize_budget_s": config.localize_budget_s,
            "diagnose_budget_s": config.diagnose_budget_s, "submission_timeout_s": config.submission_timeout_s,
            "strict_env": config.strict_env, "plugins": [p["name"] for p in config.plugins],
            "fingerprints": fingerprints, "track_policy": config.track_policy}


def package(submission: Submission, assignment_package: str) -> bytes:
    """The submission's files as a zip: the package folder and the notebooks beside it, as they were read here."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in sorted(submission.files.items()):
            zf.writestr("%s/%s" % (assignment_package, name), data)
        for name, data in sorted(submission.notebooks.items()):
            zf.writestr(name, data)
    return buffer.getvalue()


@dataclass
class Lost:
    """A submission no worker could finish (the task failed on every worker it was given to)."""

    submission: str
    reason: str


def grade_on_cluster(client: Any, jobs: Iterable[tuple[Any, Submission, list[str]]], run: dict[str, Any],
                     assignment_package: str, on_report: Callable[[Any, dict[str, Any]], None],
                     lost: Callable[[Lost], None]) -> None:
    """Send one task per ``(job, submission, check ids)`` and hand what each returns (``report``, ``seconds``,
    ``worker``) to ``on_report(job, graded)`` as it arrives, once per job whatever the retries; a task that ends
    in an error is ``lost``."""
    from distributed import as_completed

    futures = {}
    for job, submission, checks in jobs:
        task = hashlib.sha256(json.dumps([submission.sha256, checks, run], sort_keys=True, default=str).encode())
        future = client.submit(grade_submission, package(submission, assignment_package), submission.id,
                               list(submission.problems), checks, run, pure=False,
                               key="grade-%s-%s" % (submission.id, task.hexdigest()[:16]))
        futures[future] = (job, submission)
    done: set[str] = set()
    try:
        for future in as_completed(futures, loop=client.loop):
            job, submission = futures[future]
            if submission.id in done:
                continue
            try:
                text = future.result()
            except DefinitionsDiffer:
                raise
            except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker: Dask gave up after several lost workers
                done.add(submission.id)
                lost(Lost(submission.id, "%s: %s" % (type(exc).__name__, exc)))
                continue
            done.add(submission.id)
            future.release()
            on_report(job, json.loads(text))
    finally:
        client.cancel([f for f in futures if not f.done()])


# ---------------------------------------------------------------------------------------------- the worker side


class _Run:
    """One run's grading state in a worker process: plugins, exercises, fixtures, one ``Grader`` per thread."""

    def __init__(self, run: dict[str, Any]):
        from grader.gradebook.fingerprint import check_fingerprints
        from grader.plugins import get_plugin_manager
        from grader.session import (build_fixtures, collect_assignment, collect_exercises, collect_misconceptions,
                                    inspector)

        self.pm = pm = get_plugin_manager(autoload=False, allow=run["plugins"])
        assignment = collect_assignment(pm)
        self.config = config = GradingConfig(
            seed=run["seed"], timeout_s=run["timeout_s"], only=tuple(run["only"]), options=run["options"],
            sandbox=run["sandbox"], localize_budget_s=run["localize_budget_s"],
            diagnose_budget_s=run["diagnose_budget_s"], submission_timeout_s=run["submission_timeout_s"],
            strict_env=run["strict_env"], assignment=assignment, plugins=pm.plugins_in_use(),
            track_policy=run.get("track_policy", "best"))
        self.assignment = assignment
        self.selected = collect_exercises(pm, config)
        mine = check_fingerprints(self.selected, config, assignment)
        theirs = run["fingerprints"]
        differ = sorted(c for c in mine if theirs.get(c) != mine[c])
        used = sorted(p["name"] for p in config.plugins)
        if differ or used != sorted(run["plugins"]) or run["version"] != __version__:
            raise DefinitionsDiffer(
                "this Dask worker runs grader %s with plugins %s; the client runs grader %s with plugins %s%s: "
                "install the same grader and packs on every worker" % (
                    __version__, ", ".join(used), run["version"], ", ".join(sorted(run["plugins"])),
                    "; checks defined differently: %s" % ", ".join(differ[:5]) if differ else ""))
        self.fixtures = build_fixtures(self.selected, config)
        self.misconceptions = collect_misconceptions(pm, config)
        self.inspect = inspector(pm, config)
        self.memo = ReferenceMemo()


KEPT_RUNS = 2
"""Runs whose state a worker process keeps (a new run's first task drops the oldest)."""
_runs: dict[str, _Run] = {}
_runs_lock = threading.Lock()
_local = threading.local()


def _grader(run: dict[str, Any]) -> tuple[_Run, Any]:
    """This thread's grader for ``run`` (made on first use); a thread's graders of earlier runs are closed."""
    from grader.runner import Grader

    key = json.dumps(run, sort_keys=True, default=str)
    with _runs_lock:
        if key not in _runs:
            _runs[key] = _Run(run)
            while len(_runs) > KEPT_RUNS:
                _runs.pop(next(iter(_runs)))
        state = _runs[key]
    mine = getattr(_local, "graders", {})
    for other in [k for k in mine if k != key]:
        mine.pop(other).close()
    if key not in mine:
        mine[key] = Grader(state.selected, state.config, state.fixtures, catalog=state.misconceptions,
                           inspect=state.inspect, memo=state.memo)
    _local.graders = mine
    return state, mine[key]


def grade_submission(data: bytes, submission_id: str, problems: list[str], checks: list[str],
                     run: dict[str, Any]) -> str:
    """The Dask task: grade one submission (a zip's bytes); JSON text of its report, the seconds it took and
    the worker's address."""
    from distributed import get_worker

    from grader.writers._format import json_safe

    start = time.monotonic()
    state, grader = _grader(run)
    with tempfile.TemporaryDirectory(prefix="grader-dask-") as tmp:
        path = Path(tmp) / "submission.zip"
        path.write_bytes(data)
        submission = load_zip(path, state.assignment, submission_id)
        submission.problems = list(problems)
        report = grader.grade(submission, only=set(checks))
    return json.dumps({"report": json_safe(report.to_json()), "seconds": round(time.monotonic() - start, 1),
                       "worker": get_worker().address}, allow_nan=False)
