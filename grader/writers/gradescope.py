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
    if report.questions:
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
    ]
    return {
        "score": report.score,
        "execution_time": round(sum(c.duration_s for c in report.checks), 3),
        "output": "\n".join(lines),
        "tests": tests,
    }


@hookimpl
def grader_write_report(report: Report, out_dir: Path, config: GradingConfig) -> None:
    """Write ``out_dir/results.json``."""
    text = json.dumps(json_safe(gradescope_results(report)), indent=2, allow_nan=False)
    write_atomic(out_dir / "results.json", text + "\n")
