"""Formatting shared by the writers: numbers, metric lines, check texts, JSON- and XML-safe values."""
from __future__ import annotations

import math
import re
from typing import Any

from grader.model import CheckResult, ExerciseSummary, Metric, Report

_XML_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def format_number(value: float | None, digits: int = 2) -> str:
    """``value`` with ``digits`` significant digits (``3.1e-09``); ``n/a`` for a missing value."""
    if value is None:
        return "n/a"
    return f"{value:.{digits}g}"


def metric_comparison(metric: Metric) -> str:
    """Value against threshold, e.g. ``3.1e-09 ≤ 1e-07`` or ``0.52 > 1e-07``."""
    value, threshold = metric.value, format_number(metric.threshold)
    if value is None or not math.isfinite(value):
        return f"{format_number(value)} (threshold {threshold})"
    return f"{format_number(value)} {'≤' if value <= metric.threshold else '>'} {threshold}"


def metric_line(metric: Metric) -> str:
    """``rel_error: 3.1e-09 ≤ 1e-07``."""
    return f"{metric.name}: {metric_comparison(metric)}"


def check_text(check: CheckResult) -> str:
    """Plain-text account of a check: its message, metric line and the student's traceback."""
    parts = [check.message.strip()] if check.message.strip() else []
    if check.metric is not None:
        parts.append(metric_line(check.metric))
    traceback = check.details.get("traceback")
    if traceback:
        parts.append(str(traceback).rstrip())
    return "\n\n".join(parts)


def xml_text(text: Any) -> str:
    """``str(text)`` without the characters XML 1.0 forbids (control characters, lone surrogates)."""
    return _XML_ILLEGAL.sub("", str(text))


def json_safe(value: Any) -> Any:
    """``value`` with non-finite floats as ``None`` and numpy arrays/scalars as plain Python, recursively."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "tolist"):
        return json_safe(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def exercise_groups(report: Report) -> list[tuple[ExerciseSummary, list[CheckResult]]]:
    """Each exercise with its checks, in report order; an exercise only named by checks is summed from them."""
    by_exercise: dict[str, list[CheckResult]] = {}
    for check in report.checks:
        by_exercise.setdefault(check.exercise, []).append(check)
    groups = [(summary, by_exercise.pop(summary.id, [])) for summary in report.exercises]
    for exercise_id, checks in by_exercise.items():
        score = round(sum(c.score for c in checks), 4)
        max_score = round(sum(c.max_score for c in checks), 4)
        groups.append((ExerciseSummary(exercise_id, exercise_id, score, max_score), checks))
    return groups
