"""Settings of one grading run, shared by the runner, the exercise packs and the writers."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from grader.assignment import Assignment

DEFAULT_TIMEOUT_S = 60.0
DEFAULT_LOCALIZE_BUDGET_S = 120.0
DEFAULT_DIAGNOSE_BUDGET_S = 60.0
DEFAULT_SUBMISSION_TIMEOUT_S = 600.0


@dataclass
class GradingConfig:
    """``seed`` drives every hidden input; ``options`` holds plugin options by their argparse ``dest``."""

    seed: int
    timeout_s: float = DEFAULT_TIMEOUT_S
    only: tuple[str, ...] = ()
    out_dir: Path | None = None
    options: dict[str, Any] = field(default_factory=dict)
    private_paths: tuple[Path, ...] = ()
    """Folders no student worker may see, besides its own submission's (e.g. every submission of a batch)."""
    sandbox: bool = True
    """Isolate student workers with bubblewrap where available (``--no-sandbox`` turns it off)."""
    localize_budget_s: float = DEFAULT_LOCALIZE_BUDGET_S
    """Seconds per submission for rerunning failing composite checks to find the function at fault (0: off)."""
    diagnose_budget_s: float = DEFAULT_DIAGNOSE_BUDGET_S
    """Seconds per submission for running catalogued misconceptions on failing checks (0: off)."""
    submission_timeout_s: float | None = DEFAULT_SUBMISSION_TIMEOUT_S
    """Seconds per submission for everything (checks, localization, diagnosis; None: no limit): the checks left
    when it runs out are marked ``timeout`` without running."""
    strict_env: bool = False
    """Run student code on today's libraries as they are: no course-environment shims (``--strict-env``)."""
    assignment: Assignment | None = None
    """What is graded (package, student files, notebooks, runtimes, reference), from the plugins."""
    plugins: list[dict[str, str]] = field(default_factory=list)
    """The plugins taking part (``name``, ``version``): every report records them."""
    class_info: dict[str, Any] = field(default_factory=dict)
    """What the summary writers show besides the reports, from the gradebook (``grader.written.summary``):
    the written questions, the roster's mismatches, the students with no submission."""
    track_policy: str = "best"
    """Which twin counts where a student did a notebook on two tracks: ``best`` or a track's name
    (``--track-policy``, see ``grader.tracks``)."""

    @property
    def isolation(self) -> str:
        from grader.sandbox import Sandbox

        runtimes = self.assignment.runtimes if self.assignment else {}
        return Sandbox(enabled=self.sandbox, limits={n: r.limits for n, r in runtimes.items()}).describe()

    def option(self, name: str, default: Any = None) -> Any:
        return self.options.get(name, default)
