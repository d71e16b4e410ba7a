"""``grades.csv``: one row per submission with its total, per-exercise scores and the functions at fault, then
the whole grade (automatic, by hand, late penalty, final), each written question's points, where a roster
exists the student (and a row per student who submitted nothing), and last the track each notebook counts on."""
from __future__ import annotations

import csv
from pathlib import Path

from grader import hookimpl
from grader.atomic import atomic_path
from grader.config import GradingConfig
from grader.model import Report
from grader.writers._format import exercise_groups

GRADE_COLUMNS = ("automatic", "manual", "late_penalty", "final", "max_points")


def grade_values(report: Report) -> list[float]:
    """``automatic``, ``manual``, ``late_penalty``, ``final``, ``max_points`` (the automatic part alone where
    the report has no grade from a gradebook)."""
    g = report.grade or {"automatic": report.score, "manual": 0.0, "late_penalty": 0.0, "final": report.score,
                         "max": report.max_score}
    return [g["automatic"], g["manual"], g["late_penalty"], g["final"], g["max"]]


def counted_tracks(report: Report) -> str:
    """``exercise:track`` for each exercise of a notebook offered on several tracks that counts, ``;``-joined (a
    twin graded too but not counted has its score in its column, outside the total)."""
    return ";".join("%s:%s" % (s.id, s.track) for s in report.exercises if s.track and s.counted)


@hookimpl
def grader_write_summary(reports: list[Report], out_dir: Path, config: GradingConfig) -> None:
    """Write ``out_dir/grades.csv``, rows sorted by submission id, one column per exercise seen and per written
    question."""
    info = config.class_info or {}
    rows = [(r, {s.id: s.score for s, _ in exercise_groups(r)})
            for r in sorted(reports, key=lambda r: r.submission.id)]
    exercise_ids = list(dict.fromkeys(ex for _, scores in rows for ex in scores))
    question_ids = [q["id"] for q in info.get("questions", [])]
    roster = bool(info.get("roster"))
    with atomic_path(out_dir / "grades.csv") as temp, open(temp, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["submission", "score", "max_score", *exercise_ids, "sha256", "problems",
                         "failed_functions", "inconclusive_functions", *GRADE_COLUMNS, *question_ids,
                         "written_ungraded", "changed_since_graded", "submitted_at", "time_source", "days_late",
                         *(("student", "name", "email") if roster else ()), "tracks"])
        for report, scores in rows:
            written = {q["id"]: q for q in (report.written or {}).get("questions", [])}
            late, student = report.late or {}, report.student or {}
            writer.writerow([
                report.submission.id, report.score, report.max_score,
                *(round(scores[ex], 4) if ex in scores else "" for ex in exercise_ids),
                report.submission.sha256, len(report.problems),
                ";".join(n for n, v in report.functions.items() if v.status in ("failed", "error", "timeout")),
                ";".join(n for n, v in report.functions.items() if v.status == "inconclusive"),
                *grade_values(report),
                *("" if written.get(q, {}).get("points") is None else written[q]["points"] for q in question_ids),
                ";".join(q for q in question_ids if written.get(q, {}).get("status") == "ungraded"),
                ";".join(q for q in question_ids if written.get(q, {}).get("status") == "changed"),
                late.get("submitted_at") or "", late.get("source") or "", late.get("days_late", ""),
                *((student.get("id", ""), student.get("name", ""), student.get("email", "")) if roster else ()),
                counted_tracks(report),
            ])
        for missing in info.get("missing", []):
            blank = [""] * (len(exercise_ids) + 6 + len(GRADE_COLUMNS) + len(question_ids) + 5)
            writer.writerow(["", *blank, missing["id"], missing["name"], missing["email"]])
