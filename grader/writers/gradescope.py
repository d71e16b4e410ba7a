"""``results.json`` in Gradescope's autograder format: one test per check."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grader import hookimpl, tracks
from grader.atomic import write_atomic
from grader.config import GradingConfig
from grader.localization import display_name
from grader.model import Report
from grader.writers._format import check_text, json_safe


def gradescope_results(report: Report) -> dict[str, Any]:
    """The ``results.json`` document for one report."""
    lines = [f"Score: {report.score:g} / {report.max_score:g}"]
    by_id = {s.id: s for s in report.exercises}
    lines += [f"Track: {s.title}: {s.track}" + (f" ({note})" if note else "")
              for s in report.exercises if s.track for note in [tracks.describe(s, by_id)]]
    lines += [f"Problem: {problem}" for problem in report.problems]
    left_out = {s.id for s in report.exercises if not s.counted}
    lines += [f"{verdict.status.capitalize()}: {display_name(name)}: {verdict.blame}"
              for name, verdict in report.functions.items() if verdict.status != "passed"]
    grade = report.grade
    if grade:
        lines[0] = (f"Score: {grade['final']:g} / {grade['max']:g} (automatic {grade['automatic']:g} / "
                    f"{grade['automatic_max']:g}, written {grade['manual']:g} / {grade['manual_max']:g}"
                    + (f", late penalty -{grade['late_penalty']:g}" if grade["late_penalty"] else "") + ")")
        if grade["ungraded"]:
            lines.append(f"{grade['ungraded']} written question(s) are not graded yet.")
    elif report.questions:
        lines.append(f"{len(report.questions)} written question(s) are graded by hand.")
    tests = [
        {
            "name": check.id,
            "score": 0.0 if check.exercise in left_out else check.score,
            "max_score": 0.0 if check.exercise in left_out else check.max_score,
            "status": "passed" if check.status == "passed" else "failed",
            "output": (f"[not counted: the other track of this notebook counts] " if check.exercise in left_out
                       else "") + f"[{check.status}] {check_text(check)}".rstrip(),
            "tags": list(check.targets) + ([f"track:{by_id[check.exercise].track}"]
                                           if check.exercise in by_id and by_id[check.exercise].track else []),
        }
        for check in report.checks
    ] + [written_test(q) for q in (report.written or {}).get("questions", [])]
    return {
        "score": grade["final"] if grade else report.score,
        "execution_time": round(sum(c.duration_s for c in report.checks), 3),
        "output": "\n".join(lines),
        "tests": tests,
    }


def written_test(question: dict[str, Any]) -> dict[str, Any]:
    """A written question as a Gradescope test: its hand-graded points and the feedback the student reads."""
    status = question.get("status")
    text = {"ungraded": "Not graded yet.",
            "changed": "Your answer changed after it was graded; the grade shown is for the earlier answer."
            }.get(status, "")
    return {
        "name": "written: %s %s" % (question["id"], question.get("title") or ""),
        "score": question.get("points") or 0.0,
        "max_score": question.get("max_points") or 0.0,
        "status": "passed" if status != "ungraded" and question.get("points") == question.get("max_points")
        else "failed",
        "output": "\n".join(t for t in (text, question.get("feedback") or "") if t) or "Graded by hand.",
        "tags": ["written", question["id"]],
    }


@hookimpl
def grader_write_report(report: Report, out_dir: Path, config: GradingConfig) -> None:
    """Write ``out_dir/results.json``."""
    text = json.dumps(json_safe(gradescope_results(report)), indent=2, allow_nan=False)
    write_atomic(out_dir / "results.json", text + "\n")
