"""``index.html``: the class dashboard, one static page (inline CSS, SVG and a small script, nothing loaded).

It shows the score histogram and per-exercise statistics, pass rates per check and per function (worst first),
each check's most common failure messages grouped with their numbers normalised (those that vary shown as
``#``), the misconceptions diagnosed, the inline questions left unanswered, and a student table that sorts
and filters, linking to each report.
"""
from __future__ import annotations

import re
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from grader import __version__, hookimpl
from grader.atomic import write_atomic
from grader.config import GradingConfig
from grader.model import Report
from grader.writers._format import exercise_groups, xml_text

TOP_MESSAGES = 5
"""Failure messages shown per check (the most common ones)."""
MESSAGE_CHARS = 240
HISTOGRAM_BINS = 20
PASSING = "passed"
NOT_COUNTED = ("skipped",)
"""Statuses left out of pass rates (instructor-only checks skipped in self-check, functions not graded)."""

_NUMBER = re.compile(r"(?<!\w)[-+]?(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?:[eE][-+]?\d+)?(?!\w)")
_SLOT = "\0"

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
)
_env.filters["breakable"] = lambda ident: Markup("<wbr>").join(re.split(r"(?<=[./\[])", str(ident)))
"""An id that may wrap after its dots, slashes and brackets (escaped part by part)."""


def message_key(message: str) -> tuple[str, tuple[str, ...]]:
    """The first line of a failure message with its numbers taken out, and those numbers: students failing
    the same way share the key (``rel_error 0.52 > threshold 1e-07`` and ``rel_error 3.1 > threshold 1e-07``)."""
    line = next((part.strip() for part in str(message).splitlines() if part.strip()), "(no message)")
    return _NUMBER.sub(_SLOT, line.replace(_SLOT, "")), tuple(_NUMBER.findall(line))


def shown_message(key: str, numbers: list[tuple[str, ...]]) -> str:
    """A grouped message as shown: a number the whole group shares stays, one that varies becomes ``#``."""
    parts = key.split(_SLOT)
    text = parts[0]
    for i, part in enumerate(parts[1:]):
        values = {n[i] for n in numbers if i < len(n)}
        text += (values.pop() if len(values) == 1 else "#") + part
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 1] + "…"


@dataclass
class Rate:
    """Pass rate of one check or function over the class."""

    id: str
    group: str
    counts: Counter = field(default_factory=Counter)
    points: float | None = None
    messages: Counter = field(default_factory=Counter)
    """Failure message keys (see ``message_key``) and how many did not pass with each."""
    numbers: dict[str, list[tuple[str, ...]]] = field(default_factory=lambda: defaultdict(list))
    examples: dict[str, str] = field(default_factory=dict)
    students: set[str] = field(default_factory=set)
    """Who did not pass."""

    @property
    def graded(self) -> int:
        return sum(n for status, n in self.counts.items() if status not in NOT_COUNTED)

    @property
    def rate(self) -> float | None:
        return self.counts[PASSING] / self.graded if self.graded else None

    @property
    def problems(self) -> list[tuple[str, int]]:
        return [(s, n) for s, n in sorted(self.counts.items()) if s != PASSING and s not in NOT_COUNTED and n]

    def top_messages(self) -> list[tuple[str, int, str]]:
        """The most common failures: (message as shown, how many, one original message)."""
        return [(shown_message(key, self.numbers[key]), n, self.examples[key])
                for key, n in self.messages.most_common(TOP_MESSAGES)]


def _worst_first(rates: dict[str, Rate]) -> list[Rate]:
    return sorted(rates.values(), key=lambda r: (r.rate if r.rate is not None else 2.0, r.group, r.id))


def check_rates(reports: list[Report]) -> list[Rate]:
    rates: dict[str, Rate] = {}
    for report in reports:
        for check in report.checks:
            rate = rates.setdefault(check.id, Rate(check.id, check.exercise, points=check.max_score or None))
            rate.counts[check.status] += 1
            if rate.points is None and check.max_score:
                rate.points = check.max_score
            if check.status != PASSING and check.status not in NOT_COUNTED:
                key, numbers = message_key(check.message)
                rate.messages[key] += 1
                rate.numbers[key].append(numbers)
                rate.examples.setdefault(key, check.message.strip()[:MESSAGE_CHARS * 2])
                rate.students.add(report.submission.id)
    return _worst_first(rates)


def function_rates(reports: list[Report]) -> list[Rate]:
    """Per function: how many students' verdicts are passed, failed, inconclusive..."""
    rates: dict[str, Rate] = {}
    for report in reports:
        for target, verdict in report.functions.items():
            rate = rates.setdefault(target, Rate(target, target.split(".")[0]))
            rate.counts[verdict.status] += 1
            if verdict.status != PASSING and verdict.status not in NOT_COUNTED:
                rate.students.add(report.submission.id)
    return _worst_first(rates)


@dataclass
class Diagnosis:
    id: str
    message: str
    checks: set[str] = field(default_factory=set)
    students: set[str] = field(default_factory=set)


def diagnoses(reports: list[Report]) -> list[Diagnosis]:
    """The misconceptions named in failed checks' ``details.diagnosis``, the most widespread first."""
    found: dict[str, Diagnosis] = {}
    for report in reports:
        for check in report.checks:
            diagnosis = check.details.get("diagnosis") if isinstance(check.details, dict) else None
            if not isinstance(diagnosis, dict) or not diagnosis.get("id"):
                continue
            entry = found.setdefault(str(diagnosis["id"]), Diagnosis(str(diagnosis["id"]),
                                                                      str(diagnosis.get("message") or diagnosis["id"])))
            entry.checks.add(check.id)
            entry.students.add(report.submission.id)
    return sorted(found.values(), key=lambda d: (-len(d.students), d.id))


def unanswered_questions(reports: list[Report]) -> list[dict[str, Any]]:
    """Per inline question (notebook order): how many were asked it and who left it unanswered."""
    table: dict[tuple[str, str], dict[str, Any]] = {}
    for report in reports:
        for q in report.questions:
            if q.get("graded") is False:
                continue  # the twin notebook's row of a question answered in the other one
            key = (str(q.get("notebook", "")), str(q.get("id") or q.get("question", "")))
            row = table.setdefault(key, {"notebook": key[0], "id": key[1], "question": str(q.get("question", "")),
                                         "asked": 0, "students": []})
            row["asked"] += 1
            if not q.get("answered"):
                row["students"].append(report.submission.id)
    return [row for row in table.values() if row["students"]]


def exercise_stats(reports: list[Report]) -> list[dict[str, Any]]:
    scores: dict[str, list[float]] = defaultdict(list)
    titles, maxima, track, counted = {}, defaultdict(Counter), {}, Counter()
    for report in reports:
        for summary, _ in exercise_groups(report):
            scores[summary.id].append(summary.score)
            titles.setdefault(summary.id, summary.title)
            maxima[summary.id][summary.max_score] += 1
            track.setdefault(summary.id, summary.track)
            counted[summary.id] += summary.counted
    out = []
    for ex, values in scores.items():
        top = maxima[ex].most_common(1)[0][0]
        short = titles[ex].split(":")[0].strip()
        out.append({"id": ex, "title": titles[ex], "label": short if ":" in titles[ex] and len(short) <= 6 else ex,
                    "max": top, "n": len(values), "mean": statistics.fmean(values),
                    "median": statistics.median(values), "min": min(values), "max_seen": max(values),
                    "full": sum(v >= top for v in values) / len(values) if top else 0.0,
                    "track": track[ex], "counted": counted[ex]})
    return out


def histogram(reports: list[Report]) -> dict[str, Any]:
    """Score as a percentage of each report's maximum, in ``HISTOGRAM_BINS`` bins (the last holds 100%)."""
    counts = [0] * HISTOGRAM_BINS
    for report in reports:
        share = report.score / report.max_score if report.max_score else 0.0
        counts[min(int(share * HISTOGRAM_BINS), HISTOGRAM_BINS - 1)] += 1
    width = 100 // HISTOGRAM_BINS
    labels = ["%d–%d%%" % (i * width, (i + 1) * width) for i in range(HISTOGRAM_BINS)]
    return {"counts": counts, "labels": labels, "peak": max(counts) if counts else 0}


def student_rows(reports: list[Report], checks: list[Rate]) -> list[dict[str, Any]]:
    index = {rate.id: i for i, rate in enumerate(checks)}
    rows = []
    for report in sorted(reports, key=lambda r: r.submission.id):
        failed = [c for c in report.checks if c.status != PASSING and c.status not in NOT_COUNTED]
        rows.append({
            "id": report.submission.id,
            "link": "%s/report.html" % report.submission.id,
            "score": report.score, "max_score": report.max_score,
            "share": report.score / report.max_score if report.max_score else 0.0,
            "exercises": {s.id: s.score for s, _ in exercise_groups(report)},
            "failed": len(failed),
            "failed_index": " ".join(str(index[c.id]) for c in failed if c.id in index),
            "unanswered": sum(not q.get("answered") for q in report.questions if q.get("graded", True)),
            "problems": report.problems,
            "grade": report.grade,
            "student": report.student or {},
        })
    return rows


SIMILARITY_PAGE = "similarity.html"
"""The staff page of similar submissions (``grader similarity``), linked when it is beside the dashboard."""


def written_stats(reports: list[Report], info: dict[str, Any]) -> list[dict[str, Any]]:
    """Per written question: how many are graded, not yet, changed since graded; the distribution of points."""
    out = []
    for q in info.get("questions", []):
        counts: Counter = Counter()
        points: Counter = Counter()
        waiting: list[str] = []
        for report in reports:
            entry = next((e for e in (report.written or {}).get("questions", []) if e.get("id") == q["id"]), None)
            status = entry.get("status", "ungraded") if entry else "ungraded"
            counts[status] += 1
            if status != "graded":
                waiting.append(report.submission.id)
            if entry and entry.get("points") is not None:
                points[float(entry["points"])] += 1
        scored = [p for p, n in points.items() for _ in range(n)]
        peak = max(points.values(), default=0)
        out.append({"id": q["id"], "title": q["title"], "max": q["points"], "graded": counts["graded"],
                    "ungraded": counts["ungraded"], "changed": counts["changed"], "waiting": waiting,
                    "mean": statistics.fmean(scored) if scored else None,
                    "bars": [(p, n, n / peak if peak else 0) for p, n in sorted(points.items())]})
    return out


def late_stats(reports: list[Report]) -> dict[str, Any]:
    late = [r for r in reports if (r.late or {}).get("late_days")]
    return {"late": len(late), "penalized": sum(1 for r in late if r.grade.get("late_penalty")),
            "points": round(sum(r.grade.get("late_penalty", 0.0) for r in late), 4),
            "students": sorted(r.submission.id for r in late)}


def render_dashboard(reports: list[Report], title: str = "Class dashboard", info: dict[str, Any] | None = None,
                     similarity: str | None = None) -> str:
    """The whole page for ``reports`` (one per submission); ``info``: the class's written questions and roster
    (``config.class_info``); ``similarity``: the link to the similarity page."""
    info = info or {}
    graded = [r for r in reports if r.grade]
    finals = [r.grade["final"] / r.grade["max"] for r in graded if r.grade.get("max")]
    checks = check_rates(reports)
    functions = function_rates(reports)
    exercises = exercise_stats(reports)
    scores = [r.score / r.max_score for r in reports if r.max_score]
    seeds = sorted({r.grader.seed for r in reports})
    return xml_text(_env.get_template("dashboard.html.j2").render(
        title=title, version=__version__, generated=time.strftime("%Y-%m-%d %H:%M"),
        count=len(reports), seeds=seeds,
        mean=statistics.fmean(scores) if scores else None, median=statistics.median(scores) if scores else None,
        full=sum(s >= 1 for s in scores), with_problems=sum(bool(r.problems) for r in reports),
        histogram=histogram(reports), exercises=exercises, checks=checks, functions=functions,
        diagnoses=diagnoses(reports), questions=unanswered_questions(reports),
        students=student_rows(reports, checks), similarity=similarity,
        written=written_stats(reports, info), late=late_stats(graded), info=info,
        final_mean=statistics.fmean(finals) if finals else None, has_grade=bool(graded),
    ))


@hookimpl
def grader_write_summary(reports: list[Report], out_dir: Path, config: GradingConfig) -> None:
    """Write ``out_dir/index.html``."""
    similarity = SIMILARITY_PAGE if (out_dir / SIMILARITY_PAGE).is_file() else None
    write_atomic(out_dir / "index.html", render_dashboard(reports, info=config.class_info, similarity=similarity))
