"""An autograder for programming assignments (built for CS231n assignment 3): student code behind a process
boundary, verdicts outside it."""
import pluggy

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("grader")
"""Marker for hook implementations: ``from grader import hookimpl``."""

__all__ = ["__version__", "hookimpl"]
