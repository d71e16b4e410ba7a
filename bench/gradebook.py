"""Benchmark: the gradebook's targets on the 2-core machine.

    python bench/gradebook.py [--count 100] [--only IDS] [--jobs 2] [--reports DIR] [--class-size 700]
                              [--screenshot FILE] [--work DIR]

1. Reuse. ``--count`` distinct copies of the samples (reference, skeleton, every bug_*; a comment makes
   each copy's files distinct) are graded once with ``--only IDS`` (default ``rnn_layers``: every layer
   check of Q1 and Q2), then graded again unchanged. Target: the second run takes 10 s or less and regrades
   nothing.
2. ``--only`` one check. ``rnn_layers.rnn_step_forward/hidden --force`` over the same copies; compared with
   that check's own time (its durations in the gradebook; each submission also starts its worker), with the
   first run, and (given ``--reports``) with a whole regrade of the assignment estimated from the checks'
   durations in those reports. Target: the check's time, not a whole regrade.
3. Dashboard. A gradebook of ``--class-size`` submissions is filled with stored results: the reports of
   ``--reports DIR`` (e.g. the README's ``reports/``: the whole assignment graded per sample), or of step 1,
   recorded again under distinct names. Its ``index.html`` is built from the gradebook and loaded in
   headless Chromium. Target: under 1 s to load and under 5 MB.

Every ``grader grade`` runs as its own process (the command an instructor types), timed from outside.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.gradebook.reports import report_document  # noqa: E402
from grader.gradebook.store import Gradebook  # noqa: E402
from grader.model import Report  # noqa: E402
from grader.plugins import get_plugin_manager  # noqa: E402
from grader.config import GradingConfig  # noqa: E402
from grader.session import collect_exercises  # noqa: E402
from grader.writers.dashboard import render_dashboard  # noqa: E402

ONE_CHECK = "rnn_layers.rnn_step_forward/hidden"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def make_copies(dest: Path, count: int) -> list[str]:
    """``count`` submissions cycling through the samples, each with distinct file contents."""
    spec = importlib.util.spec_from_file_location("make_buggy", ROOT / "submissions" / "make_buggy.py")
    make_buggy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_buggy)
    samples = dest / "_samples"
    for bug in make_buggy.BUGS:
        make_buggy.make(bug, samples)
    shutil.copytree(ROOT / "reference", samples / "reference", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "submissions" / "skeleton", samples / "skeleton")
    kinds = sorted(p.name for p in samples.iterdir())
    for i in range(count):
        target = dest / "class" / ("s%03d-%s" % (i, kinds[i % len(kinds)]))
        shutil.copytree(samples / kinds[i % len(kinds)], target)
        for f in (target / "cs231n").rglob("*.py"):
            f.write_text(f.read_text() + "\n# copy %d\n" % i)
    return kinds


def grader(*args: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "grader.cli", "grade", *args], cwd=ROOT, capture_output=True,
                          text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit("grader grade failed:\n%s\n%s" % (done.stdout[-3000:], done.stderr[-3000:]))
    return seconds, done.stdout


def summary_line(stdout: str) -> str:
    return next((line for line in stdout.splitlines() if "submission(s) found" in line), "?")


def check_seconds(gradebook: Path, check_id: str, run: int) -> float:
    with Gradebook(gradebook) as gb:
        rows = gb._read("SELECT data FROM results WHERE check_id = ? AND run_id = ?", (check_id, run))
    return sum(json.loads(data)["duration_s"] for (data,) in rows)


def bench_reuse_and_only(work: Path, count: int, only: str, jobs: int) -> tuple[Path, float]:
    kinds = make_copies(work, count)
    out = work / "out"
    print("1. %d distinct copies of %d samples, graded with --only %s --jobs %d" % (count, len(kinds), only, jobs))
    first, text = grader(str(work / "class"), "--out", str(out), "--only", only, "--jobs", str(jobs))
    print("   first run:             %7.1f s   (%s)" % (first, summary_line(text)))
    second, text = grader(str(work / "class"), "--out", str(out), "--only", only, "--jobs", str(jobs))
    reused = "%d unchanged (results reused); 0 to grade (0 check(s))" % count in text
    print("   second run, unchanged: %7.1f s   (%s)  target <= 10 s, nothing regraded: %s" % (
        second, summary_line(text), "met" if second <= 10 and reused else "MISSED"))
    third, text = grader(str(work / "class"), "--out", str(out), "--only", ONE_CHECK, "--force", "--jobs", str(jobs))
    with Gradebook(out / "gradebook.sqlite") as gb:
        run = gb.runs()[-1]["id"]
    own = check_seconds(out / "gradebook.sqlite", ONE_CHECK, run)
    print("2. --only %s --force: %7.1f s   (%s)" % (ONE_CHECK, third, summary_line(text)))
    print("   that check's own time over %d submissions: %.1f s (sum of durations; plus one worker start each, "
          "on %d job(s))" % (count, own, jobs))
    print("   the first run (%s) took %.1f s: --only one check costs %.0f%% of it" % (only, first, 100 * third / first))
    return out, third


def whole_regrade(reports_dir: Path, count: int, jobs: int, only_seconds: float) -> None:
    """What regrading the whole assignment would cost, from the checks' durations in fully graded reports."""
    reports = [json.loads(p.read_text()) for p in sorted(reports_dir.glob("*/report.json"))]
    per_submission = sum(sum(c["duration_s"] for c in r["checks"]) for r in reports) / len(reports)
    print("   a whole regrade of the assignment: %.1f s of checks per submission (mean over the %d reports of %s), "
          "about %.0f s for %d submissions on %d job(s): --only one check costs %.1f%% of it" % (
              per_submission, len(reports), reports_dir, per_submission * count / jobs, count, jobs,
              100 * only_seconds / (per_submission * count / jobs)))


def fill_class(reports: list[dict], size: int, path: Path) -> float:
    """Record ``reports`` again and again under distinct names until the gradebook holds ``size`` submissions."""
    from grader.submission import Submission

    start = time.perf_counter()
    with Gradebook(path) as gb:
        run = gb.start_run(version="bench", seed=reports[0]["grader"]["seed"], isolation="bench", fingerprints={},
                           checks=[], selection=[], forced=False)
        for i in range(size):
            doc = reports[i % len(reports)]
            sub = Submission(id="student%03d-%s" % (i, doc["submission"]["id"]), path=Path("/class/%d" % i),
                             files={"rnn_layers.py": b"# %d" % i})
            attempt = gb.attempt(sub)
            for check in doc["checks"]:
                gb.record_result(attempt.id, run, check, "bench", doc["grader"]["seed"])
            gb.record_report(attempt.id, run, doc)
        gb.finish_run(run)
    return time.perf_counter() - start


def bench_dashboard(work: Path, reports_dir: Path, size: int, screenshot: Path | None) -> None:
    reports = [json.loads(p.read_text()) for p in sorted(reports_dir.glob("*/report.json"))]
    if not reports:
        sys.exit("no */report.json in %s" % reports_dir)
    checks = len({c["id"] for r in reports for c in r["checks"]})
    print("3. dashboard of %d submissions from the %d reports of %s (%d checks)" % (size, len(reports), reports_dir,
                                                                                 checks))
    path = work / ("class-%d.sqlite" % size)
    path.unlink(missing_ok=True)
    filled = fill_class(reports, size, path)
    exercises = collect_exercises(get_plugin_manager(), GradingConfig(seed=0))
    start = time.perf_counter()
    with Gradebook(path) as gb:
        light = [Report.from_json(report_document(gb, a, exercises, artifacts=False)[0]) for a in gb.graded_attempts()]
    rebuilt = time.perf_counter() - start
    start = time.perf_counter()
    page = render_dashboard(light)
    rendered = time.perf_counter() - start
    index = work / "dashboard" / "index.html"
    index.parent.mkdir(parents=True, exist_ok=True)
    index.write_text(page, encoding="utf-8")
    size_mb = index.stat().st_size / 2**20
    print("   gradebook filled in %.1f s (%.0f MB); reports rebuilt from it in %.2f s; page rendered in %.2f s" % (
        filled, path.stat().st_size / 2**20, rebuilt, rendered))
    load, sort = load_in_chromium(index, screenshot)
    print("   index.html: %.2f MB (target < 5 MB: %s); load in Chromium %.0f ms (target < 1 s: %s), best of 3; "
          "sorting %d rows by score %.0f ms" % (size_mb, "met" if size_mb < 5 else "MISSED", load * 1000,
                                                "met" if load < 1 else "MISSED", size, sort * 1000))


def load_in_chromium(index: Path, screenshot: Path | None) -> tuple[float, float]:
    """Best of three loads (navigation start to the end of the load event, from the page's own timing) and the
    time of one sort of the student table."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        loads = []
        for _ in range(3):
            page.goto(index.as_uri(), wait_until="load")
            loads.append(page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd") / 1000)
        sort = page.evaluate("""() => { const th = [...document.querySelectorAll('#student-table th')]
                                          .find(h => h.textContent.trim() === 'Score');
                                        const t = performance.now(); th.click(); return performance.now() - t; }""")
        if screenshot:
            page.goto(index.as_uri(), wait_until="load")
            page.screenshot(path=str(screenshot))
            print("   screenshot: %s" % screenshot)
        browser.close()
        if errors:
            sys.exit("the dashboard raised errors in Chromium: %s" % errors)
    return min(loads), sort / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--only", default="rnn_layers")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--reports", type=Path, help="graded reports to fill the dashboard's class with")
    parser.add_argument("--class-size", type=int, default=700)
    parser.add_argument("--screenshot", type=Path, help="save the dashboard of the large class as a PNG")
    parser.add_argument("--work", type=Path, help="working folder (default: a temporary one)")
    parser.add_argument("--skip-grading", action="store_true", help="only the dashboard (needs --reports)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-gradebook-"))
    if args.work and not args.skip_grading:
        shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    out = None
    if not args.skip_grading:
        out, only_seconds = bench_reuse_and_only(work, args.count, args.only, args.jobs)
        if args.reports:
            whole_regrade(args.reports, args.count, args.jobs, only_seconds)
    bench_dashboard(work, args.reports or out, args.class_size, args.screenshot)


if __name__ == "__main__":
    main()
