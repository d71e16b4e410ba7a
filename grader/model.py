"""Plain data that grading produces: check results and the per-submission report."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

REPORT_SCHEMA = "grader.report/1"

STATUSES = ("passed", "failed", "error", "timeout", "skipped")


@dataclass
class Metric:
    """An error measure compared with its threshold (passing means ``value <= threshold``)."""

    name: str
    value: float | None
    threshold: float


@dataclass
class CheckResult:
    """The outcome of one check on one submission.

    ``details`` holds what a student needs to act on a failure: ``inputs`` (argument name -> shape/dtype
    string), ``expected``/``got`` excerpts, ``traceback`` (the student's own frames), ``stdout`` (what the
    student's code printed, truncated). ``artifacts`` holds pictures for the report, each a dict with a
    ``kind``: ``"curve"`` (``title``, ``series``: name -> list of numbers, ``threshold`` optional).
    """

    id: str
    exercise: str
    targets: list[str]
    status: str
    score: float
    max_score: float
    message: str = ""
    metric: Metric | None = None
    duration_s: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)
    artifacts: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ExerciseSummary:
    """Score of one exercise (one notebook question) of one submission."""

    id: str
    title: str
    score: float
    max_score: float


@dataclass
class SubmissionInfo:
    id: str
    path: str
    sha256: str


@dataclass
class GraderInfo:
    version: str
    seed: int
    isolation: str
    strict_env: bool = False
    """Graded with ``--strict-env``: no compatibility shims."""
    compat: list[dict[str, str]] = field(default_factory=list)
    """The compatibility shims the submission's code used (``name``, ``note``), sorted by name."""


@dataclass
class Report:
    """Everything graded for one submission; ``to_json`` gives the ``grader.report/1`` document."""

    submission: SubmissionInfo
    grader: GraderInfo
    checks: list[CheckResult]
    exercises: list[ExerciseSummary] = field(default_factory=list)
    questions: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Submission-level notes (missing student files, unreadable notebooks), shown on top of the report."""
    notebooks: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per notebook file name: what was read from it (executed, printed check results, its rendered page)."""
    notebook_sources: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)
    """The notebooks' bytes, for the writer that renders them; never written to ``report.json``."""

    @property
    def score(self) -> float:
        return round(sum(c.score for c in self.checks), 4)

    @property
    def max_score(self) -> float:
        return round(sum(c.max_score for c in self.checks), 4)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": REPORT_SCHEMA,
            "submission": asdict(self.submission),
            "grader": asdict(self.grader),
            "score": self.score,
            "max_score": self.max_score,
            "exercises": [asdict(e) for e in self.exercises],
            "checks": [c.to_json() for c in self.checks],
            "questions": list(self.questions),
            "problems": list(self.problems),
            "notebooks": dict(self.notebooks),
        }
