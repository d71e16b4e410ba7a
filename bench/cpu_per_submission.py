"""Benchmark: CPU seconds per submission, cold (the first of a batch) and warm (the ones after it).

    python bench/cpu_per_submission.py [--sample reference] [--count 3] [--track both|tensorflow|pytorch]
                                        [--only IDS] [--seed N] [--profile FILE]

``--count`` distinct copies of one sample (a comment makes each copy's files distinct) are graded in one
``grader grade`` run with ``--jobs 1``, in this process, through the command line's own code (gradebook,
reports, rendered notebooks). The CPU time of this process and of every worker it starts (sampled from
/proc every 50 ms: sandboxed workers die with their sandbox and are never reaped here) is read after each
submission, so each submission's share is the difference: the grader's own, the student's workers', the
reference's. Warm is the mean over every submission after the first. Target: 15 s or less for a warm
complete submission. CPU time, unlike wall time, barely depends on the machine's load.

``--profile FILE`` also writes a cProfile of the grader's grading threads over the warm submissions.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from classes import TRACKS, make_class  # noqa: E402

from grader import cli  # noqa: E402
from grader.gradebook import regrade  # noqa: E402
from grader.worker.client import descendants  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> tuple[tuple[int, int], float, str] | None:
    """``((pid, start time), CPU seconds of its own, role)`` of a running process, None once it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            argv = f.read().replace(b"\0", b" ").split()  # a forked worker's is one string (its rewritten title)
    except OSError:
        return None
    role = "student"
    if b"grader.worker.server" in argv:
        root = argv[argv.index(b"grader.worker.server") + 1].decode(errors="replace")
        role = "reference" if "/reference" in root or "grader-reference-" in root else "student"
    return (pid, int(fields[19])), (int(fields[11]) + int(fields[12])) / TICK, role


class Sampler(threading.Thread):
    """Reads the CPU time of every descendant process every ``interval`` seconds and keeps the last value seen
    of each: processes killed with their sandbox are never reaped by this one, so rusage cannot count them.
    What a process spends in its last ``interval`` is missed."""

    def __init__(self, interval: float = 0.05):
        super().__init__(daemon=True)
        self.interval = interval
        self.seen: dict[tuple[int, int], tuple[float, str]] = {}
        self.own = 0.0
        """This thread's own CPU time (subtracted from the grader's)."""
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.sample()
            self.own = time.thread_time()
            time.sleep(self.interval)

    def sample(self) -> None:
        for pid in descendants(os.getpid()):
            found = process_cpu(pid)
            if found:
                with self.lock:
                    self.seen[found[0]] = found[1:]

    def totals(self) -> dict[str, float]:
        self.sample()
        with self.lock:
            out = {"student": 0.0, "reference": 0.0}
            for cpu, role in self.seen.values():
                out[role] += cpu
        return out


SAMPLER = Sampler()


def snapshot() -> dict[str, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return {"grader": own.ru_utime + own.ru_stime - SAMPLER.own, **SAMPLER.totals(), "wall": time.perf_counter()}


class Metered(regrade.BatchProgress):
    """The batch's progress, also taking a CPU snapshot each time a submission is done."""

    marks: list[dict[str, float]] = []

    def __enter__(self):
        Metered.marks.append(snapshot())
        return super().__enter__()

    def submission_done(self, line: str) -> None:
        Metered.marks.append(snapshot())
        super().submission_done(line)


def profiled(function, profiler: cProfile.Profile):
    """``function`` run under ``profiler`` once the first submission is done (grading runs on pool threads)."""
    def wrapper(*args, **kwargs):
        if len(Metered.marks) < 2:
            return function(*args, **kwargs)
        profiler.enable()
        try:
            return function(*args, **kwargs)
        finally:
            profiler.disable()
    return wrapper


class PerCheck:
    """CPU per check (student and reference workers, grader process), summed over the warm submissions."""

    totals: dict[str, dict[str, float]] = {}

    @classmethod
    def wrap(cls, run):
        def metered(self, check, *args, **kwargs):
            if len(Metered.marks) < 2:
                return run(self, check, *args, **kwargs)
            before = snapshot()
            try:
                return run(self, check, *args, **kwargs)
            finally:
                after = snapshot()
                row = cls.totals.setdefault(check.id, {"student": 0.0, "reference": 0.0, "grader": 0.0})
                for key in row:
                    row[key] += after[key] - before[key]
        return metered

    @classmethod
    def show(cls, submissions: int, top: int = 25) -> None:
        if not cls.totals or not submissions:
            return
        rows = sorted(cls.totals.items(), key=lambda kv: -sum(kv[1].values()))
        print("\nCPU per warm submission by check (the %d largest of %d; localization, diagnosis and reports are "
              "outside checks):" % (min(top, len(rows)), len(rows)))
        print("%-62s %8s %8s %9s %8s" % ("check", "total", "student", "reference", "grader"))
        for check_id, row in rows[:top]:
            print("%-62s %8.2f %8.2f %9.2f %8.2f" % (check_id[:62], sum(row.values()) / submissions,
                                                     row["student"] / submissions, row["reference"] / submissions,
                                                     row["grader"] / submissions))
        every = {k: sum(r[k] for r in cls.totals.values()) / submissions for k in ("student", "reference", "grader")}
        print("%-62s %8.2f %8.2f %9.2f %8.2f" % ("all checks", sum(every.values()), every["student"],
                                                 every["reference"], every["grader"]))


class CountedMemo(regrade.ReferenceMemo):
    made: list[regrade.ReferenceMemo] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        CountedMemo.made.append(self)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", default="reference",
                        help="the sample(s) to copy, in turn (reference, skeleton, bug_...; comma-separated)")
    parser.add_argument("--count", type=int, default=3)
    parser.add_argument("--only", default="")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--track", choices=TRACKS, default="both",
                        help="what each copy hands in: both tracks as the sample has them (default), or one "
                        "track, the other track's modules left as the starter's")
    parser.add_argument("--profile", type=Path)
    parser.add_argument("grade_args", nargs="*", help="more options for grader grade (after --)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="grader-bench-cpu-"))
    make_class(work, args.count, args.sample.split(","), args.track)
    regrade.BatchProgress = Metered
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        regrade.Grader.grade = profiled(regrade.Grader.grade, profiler)
        regrade.write_submission = profiled(regrade.write_submission, profiler)
    regrade.Grader._run = PerCheck.wrap(regrade.Grader._run)
    regrade.ReferenceMemo = CountedMemo
    SAMPLER.start()
    argv = ["grade", str(work / "class"), "--out", str(work / "out"), "--seed", str(args.seed), "--jobs", "1",
            *(["--only", args.only] if args.only else []), *args.grade_args]
    code = cli.main(argv)
    if profiler:
        profiler.disable()
        profiler.dump_stats(str(args.profile))
    if code != 0:
        sys.exit("grader grade exited with %d" % code)
    marks = Metered.marks
    rows = []
    for before, after in zip(marks, marks[1:]):
        rows.append({k: after[k] - before[k] for k in after})
    print("%d copies of %s (track: %s), seed %d, --only %s; load average %s" % (
        args.count, args.sample, args.track, args.seed, args.only or "(all)", " ".join("%.2f" % x for x in os.getloadavg())))
    print("%-36s %8s %8s %8s %8s %9s" % ("submission", "wall s", "CPU s", "grader", "student", "reference"))
    names = sorted(p.name for p in (work / "class").iterdir())
    for i, row in enumerate(rows):
        total = row["grader"] + row["student"] + row["reference"]
        label = "%s %s" % ("cold" if i == 0 else "warm", names[i] if i < len(names) else "")
        print("%-36s %8.2f %8.2f %8.2f %8.2f %9.2f" % (label, row["wall"], total,
                                                       row["grader"], row["student"], row["reference"]))
    warm = [r["grader"] + r["student"] + r["reference"] for r in rows[1:]]
    if warm:
        print("warm complete submission: %.2f s CPU (mean of %d; median %.2f); target <= 15 s: %s" % (
            statistics.mean(warm), len(warm), statistics.median(warm), "met" if statistics.mean(warm) <= 15 else
            "MISSED"))
    for memo in CountedMemo.made:
        print("reference memo: %d answers reused, %d asked live, %d replayed to the worker; %.1f MB kept" % (
            memo.hits, memo.misses, memo.replayed, memo.bytes / 2**20))
    PerCheck.show(len(rows) - 1)
    print("(grader: this process, reports included; student: the submission's sandboxed workers; reference: the "
          "reference's and the misconceptions' workers, kept for the batch)")


if __name__ == "__main__":
    main()
