"""``grader roster import roster.csv``: which student each submission is.

Columns: ``student`` (the student's id, required and unique), ``name``, ``email``, ``submission`` (the
submission id, the folder or zip name; default: the student id), ``submitted_at`` (ISO 8601, from the LMS),
``extension_days``. Any other column (``section``, ``canvas_id``, ``sis_login_id``...) is kept for the LMS
export. A bad file is refused whole with a one-line error naming its line.
"""
from __future__ import annotations

import csv
import hashlib
import math
from pathlib import Path

from grader.submission import UsageError
from grader.written.course import parse_time
from grader.written.store import RosterRow

KNOWN = ("student", "name", "email", "submission", "submitted_at", "extension_days")


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]], str]:
    """The header, the rows (values stripped) and the sha256 of a CSV file; a ``UsageError`` when unreadable."""
    try:
        data = path.read_bytes()
        text = data.decode("utf-8-sig")
    except OSError as exc:
        raise UsageError("cannot read %s (%s)" % (path, exc.strerror)) from None
    except UnicodeDecodeError:
        raise UsageError("%s is not UTF-8 text" % path) from None
    try:
        reader = csv.DictReader(text.splitlines())
        rows = [{str(k).strip(): (v or "").strip() for k, v in row.items() if k is not None}
                for row in reader]
        header = [h.strip() for h in reader.fieldnames or []]
    except csv.Error as exc:
        raise UsageError("%s is not a readable CSV file (%s)" % (path, exc)) from None
    if len(set(header)) != len(header):
        raise UsageError("%s names a column twice" % path)
    return header, rows, hashlib.sha256(data).hexdigest()


def read_roster(path: Path) -> tuple[list[RosterRow], str]:
    header, rows, sha = read_csv(path)
    if "student" not in header:
        raise UsageError("%s has no student column (columns: %s)" % (path, ", ".join(KNOWN)))
    out, students, submissions = [], set(), set()
    for line, row in enumerate(rows, start=2):
        where = "%s line %d" % (path, line)
        student = row.get("student", "")
        if not student:
            raise UsageError("%s: the student id is empty" % where)
        submission = row.get("submission") or student
        if student in students:
            raise UsageError("%s: student %s is listed twice" % (where, student))
        if submission in submissions:
            raise UsageError("%s: submission %s is given to two students" % (where, submission))
        students.add(student)
        submissions.add(submission)
        when = parse_time(row["submitted_at"], where) if row.get("submitted_at") else None
        try:
            extension = float(row.get("extension_days") or 0)
        except ValueError:
            raise UsageError("%s: extension_days %r is not a number" % (where, row["extension_days"])) from None
        if not math.isfinite(extension) or extension < 0:
            raise UsageError("%s: extension_days must be 0 or more" % where)
        out.append(RosterRow(student, row.get("name", ""), row.get("email", ""), row.get("submission") or None,
                             when, extension, {k: v for k, v in row.items() if k not in KNOWN and v}))
    return out, sha
