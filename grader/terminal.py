"""Plain-text output for people at a terminal: the check list and a self-check summary."""
from __future__ import annotations

from grader.checks import Exercise
from grader.model import Report

MARKS = {"passed": "PASS", "failed": "FAIL", "error": "ERROR", "timeout": "TIMEOUT", "skipped": "SKIP"}


def print_exercise_list(exercises: list[Exercise]) -> None:
    for ex in exercises:
        print("%s  %s  (%g points)" % (ex.id, ex.title, ex.points))
        for c in ex.checks:
            metric = " [%s <= %g]" % (c.metric, c.threshold) if c.metric else ""
            print("    %-62s %5g  %s%s" % (c.id, c.points, c.title, metric))


def print_check_summary(report: Report) -> None:
    print("submission %s (seed %d)" % (report.submission.id, report.grader.seed))
    for problem in report.problems:
        print("  ! %s" % problem)
    for ex in report.exercises:
        print("\n%s  %s: %g / %g" % (ex.id, ex.title, ex.score, ex.max_score))
        for c in (c for c in report.checks if c.exercise == ex.id):
            print("  %-7s %-60s %5g/%g" % (MARKS.get(c.status, c.status), c.id, c.score, c.max_score))
            if c.status != "passed":
                for line in c.message.splitlines()[:6]:
                    print("          %s" % line)
                tb = c.details.get("traceback")
                if tb:
                    for line in tb.strip().splitlines()[-8:]:
                        print("          | %s" % line)
    print("\ntotal: %g / %g" % (report.score, report.max_score))
