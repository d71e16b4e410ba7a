"""Every hook the grader calls. Plugins implement them with ``@grader.hookimpl`` (see ``grader.api``).

Built-in features are plugins too (``grader.plugins.DEFAULT_PLUGINS``); third-party packs register through
the ``grader`` entry-point group. Hooks run in the grader's own process, never in a worker.

Threads: with ``--jobs N`` several submissions are graded at once, on N threads. The hooks marked *called
from several threads at once* below may then run concurrently for different submissions: their
implementations must not share mutable state without a lock. The others run on the main thread only.

Order: plugins register built-ins first (``DEFAULT_PLUGINS`` in order), then entry points, then plugins
registered by code. pluggy calls the implementations of a hook last registered first; each hook below says the
order its results come in (where the grader restores registration order, it says so). ``@hookimpl(tryfirst=True)``
and ``trylast=True`` move an implementation to the front or the back.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from grader.assignment import Assignment
    from grader.checks import Exercise
    from grader.config import GradingConfig
    from grader.misconceptions import Misconception
    from grader.model import Report
    from grader.submission import Submission
    from grader.written.late import Lateness

hookspec = pluggy.HookspecMarker("grader")


@hookspec
def grader_assignment() -> Assignment | None:
    """Describe the assignment graded, or the part of it this plugin adds.

    Return an ``Assignment``: exactly one plugin names its ``package`` (the assignment plugin); the others
    leave it empty and add student files, notebooks, inline questions, runtimes and reference folders. Every
    plugin's answer is merged in registration order (built-ins first: the assignment's files come before a
    pack's). Return None to add nothing. Takes no arguments. Called once per command, on the main thread, before
    any option is read.
    """


@hookspec
def grader_add_options(parser: argparse.ArgumentParser) -> None:
    """Add command-line options to ``grader grade``, ``grader check`` and ``grader bundle``.

    ``parser`` is an argument group of that command. The values reach every plugin as
    ``config.option(dest)``. Implementations are called in pluggy's order, last registered first, so a pack's
    options come before the built-ins' in ``--help``; nothing is returned. Called on the main thread, once per
    command.
    """


@hookspec
def grader_exercises(config: GradingConfig) -> list[Exercise]:
    """Return the exercises this plugin contributes, each with its checks and points, for the run that
    ``config`` describes (its options, seed and assignment).

    Results come in registration order (built-ins first, then entry points, then plugins registered by
    code), and checks are graded in that order. Check ids must be unique across every plugin: a repeated id,
    or a check that imports a module that is not a student file of the assignment, stops the command with a
    usage error before anything is graded. Called on the main thread, once per command; the checks
    themselves then run on the grading threads.
    """


@hookspec
def grader_misconceptions(config: GradingConfig) -> list[Misconception]:
    """Return known mistakes in student functions (``grader.misconceptions.Misconception``) for the run that
    ``config`` describes.

    When a check of a function fails, the grader names the first catalogued mistake that explains it, if any.
    Every plugin's list is merged in pluggy's order, last registered first: a pack's mistakes are tried before
    the built-ins'. An id given twice is a usage error. Called on the main thread, once per command; their
    wrong implementations then run in the reference's workers, never in the grader.
    """


@hookspec
def grader_inspect_submission(report: Report, submission: Submission, config: GradingConfig) -> None:
    """Add to a submission's ``report`` what can be read from its files without running them (the notebooks'
    inline answers, for example). ``submission`` holds the student files and notebooks as bytes; ``config``
    describes the run.

    Called once per submission after its checks are graded, before the report is written; called from
    several threads at once under ``--jobs``. Implementations run in pluggy's order, last registered first: a
    pack's before the built-in notebook reader, unless it asks for ``@hookimpl(trylast=True)``.
    """


@hookspec
def grader_write_report(report: Report, out_dir: Path, config: GradingConfig) -> None:
    """Write one submission's outputs (JSON, HTML, ...) of its ``report`` into ``out_dir``; ``config``
    describes the run.

    Called once per graded submission, as soon as it is graded, and again when ``grader grade`` rewrites a
    report from the gradebook; called from several threads at once under ``--jobs`` (each call with its own
    ``out_dir``). Writers run in pluggy's order, last registered first, and must not depend on each other's
    files. Write atomically: a grading run may be killed at any point.
    """


@hookspec
def grader_write_summary(reports: list[Report], out_dir: Path, config: GradingConfig) -> None:
    """Write outputs about a whole batch of submissions (e.g. ``grades.csv``, ``index.html``) into ``out_dir``;
    ``config`` describes the run.

    ``reports`` come in the order of submission ids: ``grader grade`` passes every submission of the gradebook,
    rebuilt from it without artifacts (pictures). Writers run in pluggy's order, last registered first. Called
    on the main thread, once per command.
    """


@hookspec(firstresult=True)
def grader_export(report: Report, kind: str, path: Path) -> bool | None:
    """Write ``report`` as ``kind`` (``"junit"``, ``"markdown"``, ...) to the file ``path``, for ``grader
    check --junit FILE`` and ``--summary FILE``.

    Return True if this plugin writes that kind; the first plugin that does wins, the others are not
    called. Plugins are asked in pluggy's order, last registered first, so a pack's writer for a kind replaces
    the built-in one. Return None for kinds it does not know. Called on the main thread.
    """


@hookspec(firstresult=True)
def grader_late_penalty(lateness: Lateness, points: float, max_points: float, policy: dict) -> float | None:
    """Return the points a late submission loses: a course's own late rule.

    ``lateness`` (``grader.written.late.Lateness``) says which submission and student, when it was submitted
    and where that time comes from, the student's due date (extensions included) and ``days_late``
    (fractional; ``late_days`` counts started days). ``points`` is the raw score, automatic plus hand-graded;
    ``max_points`` the most it could be; ``policy`` the ``[late]`` settings of ``gradebook.toml`` (``policy``,
    ``percent_per_day``, ``max_percent``, ``grace_days``). The penalty is kept between 0 and ``points``.

    The first plugin to return a number wins (pluggy's order, last registered first: a course's plugin before
    the built-in policies, which answer last); return None to leave the decision to the others. Called each
    time a submission's grade is computed (its report written, the summaries, ``grader review``, ``grader
    scores``), also when it is on time: from several threads at once under ``grader grade --jobs``, each
    submission's report being written as soon as it is graded.
    """
