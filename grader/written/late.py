"""The late policy: a submission's lateness and the points it costs.

The built-in policies (``none``, ``zero``, ``percent`` per day with a cap, ``grace`` days) are a plugin
implementing ``grader_late_penalty`` last; a course's plugin that answers the hook first replaces them with
its own rule. A late day is any started day past the due date (26 hours late is 2 days).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from grader import hookimpl


@dataclass(frozen=True)
class Lateness:
    """How late one submission is: ``days_late`` 0 when on time (or when no due date is set)."""

    submission: str
    student: str | None
    submitted_at: float | None
    """Epoch seconds; None when nothing gives the time."""
    source: str
    """Where the time comes from: ``roster``, ``metadata file NAME``, ``zip entries``, ``file mtimes``."""
    due: float | None
    """This student's due date (the course's plus an extension), epoch seconds."""
    days_late: float

    @property
    def late_days(self) -> int:
        """Started days past the due date."""
        return math.ceil(self.days_late - 1e-9) if self.days_late > 0 else 0


def lateness(submission: str, student: str | None, submitted_at: float | None, source: str, due: float | None
             ) -> Lateness:
    late = 0.0 if due is None or submitted_at is None else max(0.0, (submitted_at - due) / 86400.0)
    return Lateness(submission, student, submitted_at, source, due, late)


def builtin_penalty(lateness: Lateness, points: float, policy: dict[str, Any]) -> float:
    """The points the built-in policies take from ``points`` (the raw score, automatic plus by hand)."""
    days, kind = lateness.late_days, policy.get("policy", "none")
    if days == 0 or kind == "none":
        return 0.0
    if kind == "zero":
        return points
    if kind == "grace":
        days = max(0, days - int(policy.get("grace_days") or 0))
        if days == 0:
            return 0.0
        if not policy.get("percent_per_day"):
            return points  # past the grace days, with no percentage given: no credit
    share = min(float(policy.get("percent_per_day") or 0) * days, float(policy.get("max_percent", 100.0)), 100.0)
    return points * share / 100.0


@hookimpl(trylast=True)
def grader_late_penalty(lateness: Lateness, points: float, max_points: float, policy: dict[str, Any]) -> float:
    """The course's policy from ``gradebook.toml``: none, zero, percent per day with a cap, or grace days."""
    return builtin_penalty(lateness, points, policy)
