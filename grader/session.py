"""One grading run: collect the exercises from the plugins, build their fixtures, grade, write outputs."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

import pluggy

from grader.checks import Exercise
from grader.config import GradingConfig
from grader.model import Report
from grader.runner import Grader, known_ids, select
from grader.submission import Submission, UsageError


def collect_exercises(pm: pluggy.PluginManager, config: GradingConfig) -> list[Exercise]:
    """All exercises the plugins contribute, in registration order, with ``--only`` applied."""
    exercises: list[Exercise] = []
    for contributed in reversed(pm.hook.grader_exercises(config=config)):
        exercises.extend(contributed)
    seen: set[str] = set()
    for ex in exercises:
        for c in ex.checks:
            if c.id in seen:
                raise UsageError("two plugins define the check id %s" % c.id)
            seen.add(c.id)
    unknown = [key for key in config.only if not any(_is_prefix(key, i) for i in known_ids(exercises))]
    if unknown:
        raise UsageError("unknown exercise or check id: %s (see `grader list`)" % ", ".join(unknown))
    return select(exercises, config.only)


def _is_prefix(key: str, ident: str) -> bool:
    return ident == key or any(ident.startswith(key + sep) for sep in "./[")


def build_fixtures(exercises: list[Exercise], config: GradingConfig) -> dict[str, dict[str, Any]]:
    return {ex.id: ex.fixtures(config) if ex.fixtures else {} for ex in exercises}


def grade_all(submissions: list[Submission], exercises: list[Exercise], config: GradingConfig,
              pm: pluggy.PluginManager, out_dir: Path | None, jobs: int = 1,
              on_report: Callable[[Report, float], None] | None = None) -> list[Report]:
    """Grade every submission (``jobs`` at a time), writing each one's outputs as soon as it is done."""
    fixtures = build_fixtures(exercises, config)
    local = threading.local()
    graders: list[Grader] = []
    lock = threading.Lock()

    def grade_one(sub: Submission) -> Report:
        if not hasattr(local, "grader"):
            local.grader = Grader(exercises, config, fixtures)
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
