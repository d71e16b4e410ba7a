"""Every hook the grader calls. Plugins implement them with ``@grader.hookimpl``.

Built-in features are plugins too (see ``grader.plugins.DEFAULT_PLUGINS``); third-party packs register
through the ``grader`` entry-point group.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from grader.checks import Exercise
    from grader.misconceptions import Misconception
    from grader.config import GradingConfig
    from grader.model import Report

hookspec = pluggy.HookspecMarker("grader")


@hookspec
def grader_add_options(parser: argparse.ArgumentParser) -> None:
    """Add command-line options for ``grader grade`` and ``grader check`` (e.g. a data directory)."""


@hookspec
def grader_exercises(config: GradingConfig) -> list[Exercise]:
    """Return the exercises this plugin contributes, each with its checks and points."""


@hookspec
def grader_misconceptions(config: GradingConfig) -> list[Misconception]:
    """Return known mistakes in student functions (see ``grader.misconceptions``), for failure messages that
    name the mistake."""


@hookspec
def grader_write_report(report: Report, out_dir: Path, config: GradingConfig) -> None:
    """Write one submission's outputs (JSON, HTML, ...) into ``out_dir``."""


@hookspec
def grader_write_summary(reports: list[Report], out_dir: Path, config: GradingConfig) -> None:
    """Write outputs about a whole batch of submissions (e.g. ``grades.csv``, ``index.html``) into ``out_dir``.

    ``grader grade`` passes every submission of the gradebook, rebuilt from it without artifacts (pictures).
    """
