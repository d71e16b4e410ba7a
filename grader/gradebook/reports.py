"""Reports rebuilt from the gradebook: the latest result of every check of an attempt, merged across runs, and
the per-function verdicts computed again from those merged results."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import Any

from grader import tracks
from grader.checks import Exercise
from grader.gradebook.store import Attempt, Gradebook
from grader.model import REPORT_SCHEMA, CheckResult
from grader.verdicts import function_verdicts
from grader.written.grades import ClassGrades


def report_document(gradebook: Gradebook, attempt: Attempt, exercises: list[Exercise], artifacts: bool = True,
                    grades: ClassGrades | None = None) -> tuple[dict[str, Any], str]:
    """The ``report.json`` document of ``attempt`` and a digest of the gradebook rows it was built from.

    Checks follow the order of ``exercises`` (the current definitions); results of checks no longer defined
    are left out. Without ``artifacts`` the pictures are not even read (class-wide summaries). With
    ``grades`` the document gets the written answers' grades, the late penalty and the final grade.
    """
    latest = gradebook.latest_results(attempt.id, artifacts=artifacts)
    base = gradebook.latest_report(attempt.id)
    report_row, doc = base if base else (0, {})
    checks, scores, sources = [], {}, []
    for ex in exercises:
        entries = []
        for check in ex.checks:
            row = latest.get(check.id)
            if row is None:
                continue
            entry = json.loads(row["data"])
            entry["artifacts"] = json.loads(row["artifacts"]) if row["artifacts"] else []
            entries.append(entry)
            sources.append(row["id"])
        if entries:
            scores[ex.id] = (sum(e["score"] for e in entries), sum(e["max_score"] for e in entries))
            checks += entries
    grader = doc.get("grader") or {}
    summaries = [asdict(s) for s in tracks.summaries(exercises, scores, grader.get("track_policy") or tracks.BEST)]
    left_out = {s["id"] for s in summaries if not s["counted"]}
    counted = [c for c in checks if c["exercise"] not in left_out]
    document = {
        "schema": REPORT_SCHEMA,
        "submission": {"id": attempt.submission, "path": attempt.path, "sha256": attempt.sha256},
        "grader": grader,
        "score": round(sum(c["score"] for c in counted), 4),
        "max_score": round(sum(c["max_score"] for c in counted), 4),
        "exercises": summaries,
        "checks": checks,
        "questions": doc.get("questions") or [],
        "problems": doc.get("problems") or [],
        "notebooks": doc.get("notebooks") or {},
    }
    results = {entry["id"]: CheckResult.from_json(entry) for entry in checks}
    defined = [c for ex in exercises for c in ex.checks if c.id in results]
    document["functions"] = {name: asdict(v) for name, v in function_verdicts(defined, results).items()}
    hand = grades.annotate(document, attempt.id) if grades is not None else ""
    digest = hashlib.sha256(json.dumps([attempt.id, attempt.path, report_row, sources, summaries, hand]).encode()
                            ).hexdigest()
    return document, digest
