"""``grades.csv``: one row per submission with its total, per-exercise scores, the track each notebook counts
on and the functions at fault."""
from __future__ import annotations

import csv
from pathlib import Path

from grader import hookimpl
from grader.atomic import atomic_path
from grader.config import GradingConfig
from grader.model import Report
from grader.writers._format import exercise_groups


def counted_tracks(report: Report) -> str:
    """``exercise:track`` for each exercise of a notebook offered on several tracks that counts, ``;``-joined (a
    twin graded too but not counted has its score in its column, outside the total)."""
    return ";".join("%s:%s" % (s.id, s.track) for s in report.exercises if s.track and s.counted)


@hookimpl
def grader_write_summary(reports: list[Report], out_dir: Path, config: GradingConfig) -> None:
    """Write ``out_dir/grades.csv``, rows sorted by submission id, one column per exercise seen."""
    rows = [(r, {s.id: s.score for s, _ in exercise_groups(r)})
            for r in sorted(reports, key=lambda r: r.submission.id)]
    exercise_ids = list(dict.fromkeys(ex for _, scores in rows for ex in scores))
    with atomic_path(out_dir / "grades.csv") as temp, open(temp, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["submission", "score", "max_score", *exercise_ids, "sha256", "problems",
                         "failed_functions", "inconclusive_functions", "tracks"])
        for report, scores in rows:
            writer.writerow([
                report.submission.id, report.score, report.max_score,
                *(round(scores[ex], 4) if ex in scores else "" for ex in exercise_ids),
                report.submission.sha256, len(report.problems),
                ";".join(n for n, v in report.functions.items() if v.status in ("failed", "error", "timeout")),
                ";".join(n for n, v in report.functions.items() if v.status == "inconclusive"),
                counted_tracks(report),
            ])
