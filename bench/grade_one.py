"""Benchmark: grade one full submission from a cold start to reports written.

    python bench/grade_one.py [PATH] [--seed N] [--only IDS] [--warm-cache]

Prints the wall time, the peak memory of all processes together (grader + workers, sampled from /proc),
and where the time went: worker starts, student code, transport (encoding, pipes, decoding), the
reference, and the grader itself (imports, data, verdicts, writing reports). Targets on the 2-core
machine: the captioning half at most 20 s and 1 GB; the GAN exercise (``--only gans``: two TensorFlow
workers, three short training runs each) at most 25 s and 2.5 GB; network visualization and style transfer
together (``--only network_visualization,style_transfer``: two TensorFlow workers, a SqueezeNet in each)
at most 25 s and 2 GB; the whole assignment at most 60 s and 3 GB.
"""
from __future__ import annotations

import time

START = time.perf_counter()

import argparse  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


class PeakMemory(threading.Thread):
    """Samples the summed resident memory of this process and all its descendants."""

    def __init__(self, interval: float = 0.02):
        super().__init__(daemon=True)
        self.interval = interval
        self.peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, tree_rss(os.getpid()))
            time.sleep(self.interval)


def tree_rss(root: int) -> int:
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open("/proc/%s/status" % entry) as f:
                kb = next((int(line.split()[1]) for line in f if line.startswith("VmRSS:")), 0)
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = kb * 1024
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=ROOT / "reference")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", default="")
    parser.add_argument("--warm-cache", action="store_true", help="reuse the user's synthetic-data cache")
    args = parser.parse_args()
    if not args.warm_cache:
        os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="grader-bench-cache-")
    memory = PeakMemory()
    memory.start()

    from grader.config import GradingConfig
    from grader.plugins import get_plugin_manager
    from grader.runner import Grader
    from grader.session import build_fixtures, collect_assignment, collect_exercises, collect_misconceptions, inspector
    from grader.submission import discover

    t_import = time.perf_counter() - START
    pm = get_plugin_manager()
    ASSIGNMENT = collect_assignment(pm)
    config = GradingConfig(seed=args.seed, only=tuple(i for i in args.only.split(",") if i), assignment=ASSIGNMENT)
    exercises = collect_exercises(pm, config)
    t0 = time.perf_counter()
    fixtures = build_fixtures(exercises, config)
    t_fixtures = time.perf_counter() - t0
    [submission] = discover([args.path], ASSIGNMENT)
    grader = Grader(exercises, config, fixtures, catalog=collect_misconceptions(pm, config),
                    inspect=inspector(pm, config))
    t0 = time.perf_counter()
    report = grader.grade(submission)
    t_grade = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        pm.hook.grader_write_report(report=report, out_dir=Path(out), config=config)
        t_write = time.perf_counter() - t0
    grader.close()
    wall = time.perf_counter() - START
    memory.stop.set()
    memory.join()

    student, reference = grader.student_stats, grader.reference_stats
    outside = student.start_s + student.transport_s + reference.start_s + reference.roundtrip_s
    print("graded %s: %g / %g in %d checks (seed %d)" % (submission.id, report.score, report.max_score,
                                                        len(report.checks), args.seed))
    print("wall time, cold start to reports written : %6.2f s" % wall)
    print("peak memory, all processes together      : %6.0f MB" % (memory.peak / 2**20))
    print("  imports                                : %6.2f s" % t_import)
    print("  data (build + load)                    : %6.2f s" % t_fixtures)
    print("  grading                                : %6.2f s" % t_grade)
    print("    student worker starts (%2d)           : %6.2f s" % (student.starts, student.start_s))
    print("    student code                         : %6.2f s" % student.compute_s)
    print("    transport to/from student (%4d req)  : %6.2f s" % (student.requests, student.transport_s))
    print("    reference (%2d starts, %4d req)       : %6.2f s" % (
        reference.starts, reference.requests, reference.start_s + reference.roundtrip_s))
    own = t_grade - student.start_s - student.roundtrip_s - reference.start_s - reference.roundtrip_s
    if own >= 0:
        print("    grader's own work (verdicts, solver)  : %6.2f s" % own)
    else:  # the GAN training runs keep the reference busy while the student's code runs
        print("    reference overlapping student code   : >= %.2f s" % -own)
    print("  writing reports                        : %6.2f s" % t_write)
    print("outside student code (starts, transport, reference): %.2f s = %.0f%% of grading"
          % (outside, 100 * outside / t_grade))
    for ex in report.exercises:
        seconds = sum(c.duration_s for c in report.checks if c.exercise == ex.id)
        print("  exercise %-18s %6.2f s  %g / %g" % (ex.id, seconds, ex.score, ex.max_score))


if __name__ == "__main__":
    sys.exit(main())
