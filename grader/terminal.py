"""Text for people at a terminal: the check list and a self-check summary."""
from __future__ import annotations

from grader.checks import Exercise
from grader.localization import display_name
from grader.model import CheckResult, Report, settled, undecided

MARKS = {"passed": "PASS", "failed": "FAIL", "error": "ERROR", "timeout": "TIMEOUT", "skipped": "SKIP"}
SHOWN_DETAILS = ("expected", "got", "worst entries", "inputs")


def print_exercise_list(exercises: list[Exercise]) -> None:
    for ex in exercises:
        track = "; %s track%s" % (ex.track, ", twin of %s" % ex.twin if ex.twin else "") if ex.track else ""
        print("%s  %s  (%g points%s)" % (ex.id, ex.title, ex.points, track))
        for c in ex.checks:
            metric = " [%s <= %g]" % (c.metric, c.threshold) if c.metric else ""
            print("    %-62s %5g  %s%s" % (c.id, c.points, c.title, metric))


def metric_text(c: CheckResult) -> str:
    if c.metric is None or c.metric.value is None:
        return ""
    return "%s %.3g (threshold %.3g)" % (c.metric.name, c.metric.value, c.metric.threshold)


def detail_lines(c: CheckResult) -> list[str]:
    lines = []
    for key in SHOWN_DETAILS:
        value = c.details.get(key)
        if not value:
            continue
        if isinstance(value, dict):
            value = ", ".join("%s: %s" % kv for kv in value.items())
        text = str(value).splitlines()
        lines.append("%s: %s" % (key, text[0]))
        lines += ["    " + t for t in text[1:6]]
    tb = c.details.get("traceback")
    if tb:
        lines.append("your code's traceback:")
        lines += ["  | " + t for t in str(tb).strip().splitlines()[-12:]]
    return lines


def function_lines(report: Report) -> list[str]:
    """The per-function verdicts that are not a pass, one line each, after a count."""
    bad = [(name, v) for name, v in report.functions.items() if v.status != "passed"]
    if not report.functions:
        return []
    lines = ["functions: %d of %d pass" % (len(report.functions) - len(bad), len(report.functions))]
    lines += ["  %-12s %-34s %s" % (v.status.upper(), display_name(name), v.blame) for name, v in bad]
    return lines


def print_check_summary(report: Report, source: str = "") -> None:
    print("submission %s (seed %d%s%s)" % (report.submission.id, report.grader.seed, ", " + source if source else "",
                                         ", strict environment: no compatibility shims" if report.grader.strict_env
                                         else ""))
    for problem in report.problems:
        print("  ! %s" % problem)
    for line in function_lines(report):
        print(line)
    for ex in report.exercises:
        track = " (%s track%s)" % (ex.track, "" if ex.counted else ", not counted") if ex.track else ""
        print("\n%s  %s: %g / %g%s" % (ex.id, ex.title, ex.score, ex.max_score, track))
        for c in (c for c in report.checks if c.exercise == ex.id):
            print("  %-7s %-60s %5g/%g" % (mark(c), c.id, c.score, c.max_score))
            if settled(c):
                continue
            for line in c.message.splitlines()[:4] + ([metric_text(c)] if metric_text(c) else []) + detail_lines(c):
                print("          %s" % line)
    print("\ntotal: %g / %g%s" % (report.score, report.max_score, skipped_note(report)))


def mark(c: CheckResult) -> str:
    return "UNDECIDED" if undecided(c) else MARKS.get(c.status, c.status)


def skipped_note(report: Report) -> str:
    """" (2 undecided, 1 instructor-only check(s) skipped)", or "" when nothing was skipped."""
    open_ = sum(undecided(c) for c in report.checks)
    by_design = sum(c.status == "skipped" for c in report.checks) - open_
    parts = (["%d undecided" % open_] if open_ else []) + (["%d instructor-only" % by_design] if by_design else [])
    return " (%s check(s) skipped)" % ", ".join(parts) if parts else ""
