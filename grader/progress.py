"""Progress of a batch: a live bar (count, rate, ETA) on a terminal, plain lines in CI logs and pipes."""
from __future__ import annotations

import os
import sys
import threading
import time
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn, TimeRemainingColumn
from rich.text import Text


def is_live(stream: TextIO) -> bool:
    """A bar only for a person at a terminal: not when piped, not in CI, not on a dumb terminal."""
    return (hasattr(stream, "isatty") and stream.isatty() and not os.environ.get("CI")
            and os.environ.get("TERM") != "dumb")


class BatchProgress:
    """Counts checks (the unit of work) and submissions; thread-safe. Use it as a context manager."""

    def __init__(self, submissions: int, checks: int, stream: TextIO | None = None, live: bool | None = None):
        self.stream = stream or sys.stdout
        self.live = is_live(self.stream) if live is None else live
        self.submissions, self.checks = submissions, checks
        self.done_submissions = self.done_checks = 0
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._bar: Progress | None = None

    def __enter__(self) -> "BatchProgress":
        if self.live and self.checks:
            self._bar = Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TextColumn("checks ·"),
                                 TextColumn("{task.fields[subs]}/%d submissions ·" % self.submissions), _RateColumn(),
                                 TextColumn("· ETA"), TimeRemainingColumn(),
                                 console=Console(file=self.stream), transient=True)
            self._bar.start()
            self._task = self._bar.add_task("grading", total=self.checks, subs=0)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def check_done(self) -> None:
        with self._lock:
            self.done_checks += 1
        if self._bar is not None:
            self._bar.advance(self._task)

    def submission_done(self, line: str) -> None:
        """Print ``line`` about a submission just graded, with the batch's count, rate and ETA when plain."""
        with self._lock:
            self.done_submissions += 1
            if self._bar is not None:
                self._bar.update(self._task, subs=self.done_submissions)
                self._bar.console.print(line, highlight=False, markup=False)
                return
            print("[%*d/%d] %s  (%s)" % (len(str(self.submissions)), self.done_submissions, self.submissions, line,
                                         self._estimate()), file=self.stream, flush=True)

    def _estimate(self) -> str:
        elapsed = time.monotonic() - self._started
        if not self.done_checks or not elapsed:
            return "%d/%d checks" % (self.done_checks, self.checks)
        rate = self.done_checks / elapsed
        left = (self.checks - self.done_checks) / rate
        return "%d/%d checks, %.2g checks/s, ETA %s" % (self.done_checks, self.checks, rate, _duration(left))


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("%.2g checks/s" % speed if speed else "-- checks/s")


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return "%ds" % seconds
    if seconds < 3600:
        return "%dm%02ds" % divmod(seconds, 60)
    return "%dh%02dm" % (seconds // 3600, seconds % 3600 // 60)
