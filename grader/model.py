"""Plain data that grading produces: check results and the per-submission report."""
from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field, fields
from typing import Any

REPORT_SCHEMA = "grader.report/1"

STATUSES = ("passed", "failed", "error", "timeout", "skipped")
FUNCTION_STATUSES = ("passed", "failed", "error", "timeout", "inconclusive", "skipped")
UNDECIDED = "undecided in self-check: "
"""How the message of a check self-check could not decide starts (status ``skipped``; ``grader.api.Undecided``)."""


def undecided(check: CheckResult) -> bool:
    """Self-check could not decide ``check``: neither passed nor failed, and not settled either, unlike an
    instructor-only check skipped by design."""
    return check.status == "skipped" and check.message.startswith(UNDECIDED)


def settled(check: CheckResult) -> bool:
    """Nothing to do about ``check``: it passed, or it was skipped by design (instructor-only)."""
    return check.status == "passed" or (check.status == "skipped" and not undecided(check))


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
    uses: list[str] = field(default_factory=list)
    """Other student functions the check calls without grading them."""
    blame: list[str] = field(default_factory=list)
    """The functions this check's failure is blamed on (empty when it passed or could not tell)."""
    inconclusive: list[str] = field(default_factory=list)
    """Functions this failing check could not judge (something they call fails its own checks)."""
    attribution: str = ""
    """How the blame was decided, in a sentence for the student (empty when obvious)."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "CheckResult":
        """The result a check entry of ``report.json`` describes (the inverse of ``to_json``)."""
        metric = data.get("metric")
        return _build(cls, {**data, "metric": _build(Metric, metric) if metric else None})


@dataclass
class FunctionVerdict:
    """What a student reads first: is this function right, which checks decided it, and how."""

    status: str
    checks: list[str] = field(default_factory=list)
    blame: str = ""
    diagnosis: dict[str, str] | None = None
    """The catalogued mistake its failing checks matched (``id`` and ``message``), if any."""


@dataclass
class ExerciseSummary:
    """Score of one exercise (one notebook question) of one submission."""

    id: str
    title: str
    score: float
    max_score: float
    track: str = ""
    """The framework track of its notebook (``tensorflow``, ``pytorch``), if it has one."""
    counted: bool = True
    """Whether its score counts: of twins (the same notebook on two tracks, both done) only one does."""
    twin: str = ""
    """The id of its twin exercise when that was graded too."""


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
    plugins: list[dict[str, str]] = field(default_factory=list)
    """The plugins that took part (``name``, ``version``), built-ins first."""
    release: dict[str, str] | None = None
    """The student package that checked it (``name``, ``version``, ``answers``: its bundle's sha256); None
    for the instructor's grader."""
    track_policy: str = "best"
    """Which twin counts where a student did a notebook on two tracks (``--track-policy``)."""


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
    functions: dict[str, FunctionVerdict] = field(default_factory=dict)
    """Per student function (target name): its verdict, from its own checks and the localized failures."""
    student: dict[str, str] | None = None
    """The roster's student for this submission (``id``, ``name``, ``email``); None without a roster match."""
    written: dict[str, Any] = field(default_factory=dict)
    """The written questions' hand grades (``grader.written.grades``): ``score``, ``max_score``, counts, and per
    question its status (graded, ungraded, changed), points, rubric items and comments."""
    late: dict[str, Any] = field(default_factory=dict)
    """When it was submitted and where that time comes from, the due date, days late, the penalty."""
    grade: dict[str, Any] = field(default_factory=dict)
    """The whole grade: ``automatic``, ``manual``, ``late_penalty``, ``final`` and their maxima. Empty where no
    gradebook is behind the report (``grader check``): ``score`` is then the automatic part alone."""

    @property
    def score(self) -> float:
        """The points of the checks that count (a twin that does not count adds nothing)."""
        return round(sum(c.score for c in self.counted_checks()), 4)

    @property
    def max_score(self) -> float:
        return round(sum(c.max_score for c in self.counted_checks()), 4)

    def counted_checks(self) -> list[CheckResult]:
        """The checks of the exercises that count towards the score."""
        left_out = {e.id for e in self.exercises if not e.counted}
        return [c for c in self.checks if c.exercise not in left_out]

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": REPORT_SCHEMA,
            "submission": asdict(self.submission),
            "grader": asdict(self.grader),
            "score": self.score,
            "max_score": self.max_score,
            "exercises": [asdict(e) for e in self.exercises],
            "functions": {name: asdict(v) for name, v in self.functions.items()},
            "checks": [c.to_json() for c in self.checks],
            "questions": list(self.questions),
            "problems": list(self.problems),
            "notebooks": dict(self.notebooks),
            **({"student": self.student, "written": self.written, "late": self.late, "grade": self.grade}
               if self.grade else {}),
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> "Report":
        """The report a ``grader.report/1`` document describes (the inverse of ``to_json``)."""
        return _build(cls, {**doc, "submission": _build(SubmissionInfo, doc["submission"]),
                            "grader": _build(GraderInfo, doc["grader"]),
                            "checks": [CheckResult.from_json(c) for c in doc.get("checks", [])],
                            "exercises": [_build(ExerciseSummary, e) for e in doc.get("exercises", [])],
                            "functions": {name: _build(FunctionVerdict, v)
                                          for name, v in (doc.get("functions") or {}).items()}})


def _build(cls: type, data: dict[str, Any]) -> Any:
    """``cls(**data)`` with only the keys that are fields of ``cls`` (computed ones such as ``score`` dropped)."""
    names = _field_names(cls)
    return cls(**{k: v for k, v in data.items() if k in names})


@functools.cache
def _field_names(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in fields(cls))
