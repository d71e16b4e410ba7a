"""The course's own settings, in ``gradebook.toml`` next to the gradebook (read with the standard library's
``tomllib``): points and rubrics of the written questions, the due date and late policy, the LMS column.

Nothing here is required: without the file the assignment's declarations hold, and nothing is late. See
docs/written-answers.md for every key. The file is read again whenever it changes, so an edited rubric
re-scores every answer that used its items.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from grader.submission import UsageError
from grader.written.questions import RubricItem, WrittenQuestion

POLICIES = ("none", "zero", "percent", "grace")
DEFAULT_CANVAS_COLUMN = "Assignment 3"


@dataclass(frozen=True)
class LatePolicy:
    """When the assignment is due and what lateness costs (docs/written-answers.md, "Due date and late policy")."""

    due: float | None = None
    """Epoch seconds; None: nothing is late."""
    policy: str = "none"
    percent_per_day: float = 0.0
    max_percent: float = 100.0
    grace_days: float = 0.0
    extensions: dict[str, float] = field(default_factory=dict)
    """Extra days by student id or submission id (a roster's ``extension_days`` column adds to them)."""
    times: dict[str, float] = field(default_factory=dict)
    """Submission times from the metadata file (submission id -> epoch seconds)."""
    times_file: str = ""

    def settings(self) -> dict[str, Any]:
        """What the ``grader_late_penalty`` hook receives as ``policy``."""
        return {"policy": self.policy, "percent_per_day": self.percent_per_day, "max_percent": self.max_percent,
                "grace_days": self.grace_days}


@dataclass(frozen=True)
class Course:
    """The course file, read: question overrides, the late policy, the LMS column name."""

    path: Path
    questions: dict[str, dict[str, Any]] = field(default_factory=dict)
    late: LatePolicy = LatePolicy()
    canvas_column: str = DEFAULT_CANVAS_COLUMN
    digest: str = ""

    def apply(self, declared: tuple[WrittenQuestion, ...]) -> tuple[WrittenQuestion, ...]:
        """The assignment's questions with this course's points, titles, scoring and rubrics."""
        known = {q.id for q in declared}
        unknown = sorted(set(self.questions) - known)
        if unknown:
            raise UsageError("%s: [questions.%s] is not a written question of the assignment (known: %s)"
                             % (self.path, unknown[0], ", ".join(sorted(known))))
        out = []
        for q in declared:
            table = self.questions.get(q.id)
            out.append(q if table is None else _override(self.path, q, table))
        return tuple(out)


def course_path(gradebook: Path) -> Path:
    """``gradebook.toml`` next to ``gradebook.sqlite`` (the gradebook's name with ``.toml``)."""
    return gradebook.with_suffix(".toml")


_CACHE: dict[Path, tuple[tuple[int, int] | None, Course]] = {}


def load_course(path: Path) -> Course:
    """The course file at ``path`` (an empty course where there is none); bad content is a ``UsageError``."""
    try:
        stat = path.stat()
        key: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        key = None
    cached = _CACHE.get(path)
    if cached is not None and cached[0] == key:
        return cached[1]
    course = Course(path) if key is None else _read(path)
    _CACHE[path] = (key, course)
    return course


def _read(path: Path) -> Course:
    data = path.read_bytes()
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError("%s is not valid TOML (%s)" % (path, exc)) from None
    _only(path, doc, "", {"questions", "late", "canvas"})
    questions = _table(path, doc, "questions")
    for qid, table in questions.items():
        if not isinstance(table, dict):
            raise UsageError("%s: questions.%s must be a table" % (path, qid))
        _only(path, table, "questions.%s." % qid, {"points", "title", "scoring", "rubric"})
    canvas = _table(path, doc, "canvas")
    _only(path, canvas, "canvas.", {"column"})
    return Course(path, questions, _late(path, _table(path, doc, "late")),
                  str(canvas.get("column") or DEFAULT_CANVAS_COLUMN), hashlib.sha256(data).hexdigest())


def _late(path: Path, table: dict[str, Any]) -> LatePolicy:
    _only(path, table, "late.", {"due", "policy", "percent_per_day", "max_percent", "grace_days", "extensions",
                                 "times"})
    policy = str(table.get("policy", "none" if "due" not in table else "percent"))
    if policy not in POLICIES:
        raise UsageError("%s: late.policy must be one of %s, not %r" % (path, ", ".join(POLICIES), policy))
    extensions = _table(path, table, "extensions")
    times_file = str(table.get("times") or "")
    return LatePolicy(
        due=parse_time(table["due"], "%s: late.due" % path) if "due" in table else None,
        policy=policy,
        percent_per_day=_number(path, table, "percent_per_day", 0.0),
        max_percent=_number(path, table, "max_percent", 100.0),
        grace_days=_number(path, table, "grace_days", 0.0),
        extensions={str(k): _number(path, extensions, k, 0.0, "late.extensions.") for k in extensions},
        times=read_times(path.parent / times_file) if times_file else {},
        times_file=times_file)


def read_times(path: Path) -> dict[str, float]:
    """A metadata file of submission times: CSV with ``submission`` and ``submitted_at`` columns."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
    except OSError as exc:
        raise UsageError("cannot read the submission times %s (%s)" % (path, exc.strerror)) from None
    times = {}
    for n, row in enumerate(rows, start=2):
        if not row.get("submission") or not row.get("submitted_at"):
            raise UsageError("%s line %d: a submission and its submitted_at are needed" % (path, n))
        times[row["submission"].strip()] = parse_time(row["submitted_at"], "%s line %d" % (path, n))
    return times


def parse_time(value: Any, where: str) -> float:
    """Epoch seconds of an ISO 8601 time (a TOML date-time or text); without an offset, local time."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time(23, 59, 59))
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise UsageError("%s: %r is not a date and time (ISO 8601: 2020-05-27T23:59:00-07:00)"
                             % (where, value)) from None
    return moment.timestamp()


def iso(when: float | None) -> str | None:
    """Epoch seconds as ISO 8601 in UTC (``2020-05-28T06:59:00Z``)."""
    if when is None:
        return None
    return dt.datetime.fromtimestamp(when, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _override(path: Path, q: WrittenQuestion, table: dict[str, Any]) -> WrittenQuestion:
    where = "%s: questions.%s" % (path, q.id)
    points = _number(path, table, "points", q.points or 0.0, "questions.%s." % q.id)
    if points < 0:
        raise UsageError("%s.points must be 0 or more" % where)
    scoring = str(table.get("scoring", q.scoring))
    if scoring not in ("positive", "negative"):
        raise UsageError("%s.scoring must be positive or negative" % where)
    rubric = q.rubric
    if "rubric" in table:
        items = table["rubric"]
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise UsageError("%s.rubric must be an array of tables ([[questions.%s.rubric]])" % (where, q.id))
        rubric = tuple(_item(path, q, i, n) for n, i in enumerate(items, start=1))
        if len({i.id for i in rubric}) != len(rubric):
            raise UsageError("%s.rubric gives an item id twice" % where)
    return replace(q, points=points, title=str(table.get("title", q.title)), scoring=scoring, rubric=rubric)


def _item(path: Path, q: WrittenQuestion, table: dict[str, Any], n: int) -> RubricItem:
    where = "%s: questions.%s.rubric item %d" % (path, q.id, n)
    unknown = set(table) - {"id", "points", "comment"}
    if unknown:
        raise UsageError("%s: unknown key %s" % (where, sorted(unknown)[0]))
    if not str(table.get("id") or "").strip():
        raise UsageError("%s needs an id" % where)
    default = q.item(str(table["id"]))
    if "points" not in table and default is None:
        raise UsageError("%s (%s) needs points" % (where, table["id"]))
    points = table.get("points", default.points if default else 0.0)
    if isinstance(points, bool) or not isinstance(points, (int, float)):
        raise UsageError("%s: points must be a number" % where)
    comment = table.get("comment", default.comment if default else "")
    return RubricItem(str(table["id"]).strip(), float(points), str(comment))


def _table(path: Path, doc: dict[str, Any], key: str) -> dict[str, Any]:
    value = doc.get(key, {})
    if not isinstance(value, dict):
        raise UsageError("%s: %s must be a table" % (path, key))
    return value


def _only(path: Path, table: dict[str, Any], prefix: str, keys: set[str]) -> None:
    unknown = sorted(set(table) - keys)
    if unknown:
        raise UsageError("%s: unknown setting %s%s (known: %s)" % (path, prefix, unknown[0], ", ".join(sorted(keys))))


def _number(path: Path, table: dict[str, Any], key: str, default: float, prefix: str = "late.") -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UsageError("%s: %s%s must be a number" % (path, prefix, key))
    return float(value)
