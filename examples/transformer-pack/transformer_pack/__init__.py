"""An exercise pack for the grader: scaled dot-product attention, on a new student file of the ``cs231n``
package (``transformer_layers.py``) with its notebook and inline question.

Registered through the ``grader`` entry-point group (see ``pyproject.toml``); the hooks below are all it
implements. Its reference solution lives in the separate ``transformer_pack_reference`` package, which an
instructor installs and a students' distribution leaves out.
"""
from __future__ import annotations

from pathlib import Path

from grader.api import Assignment, hookimpl

from transformer_pack.checks import EXERCISE

NOTEBOOK = "Transformer_Attention.ipynb"


def reference_folder() -> Path | None:
    """The folder holding ``cs231n/transformer_layers.py`` (the reference), or None where it is not installed."""
    try:
        import transformer_pack_reference
    except ImportError:
        return None
    return Path(transformer_pack_reference.__file__).resolve().parent


@hookimpl
def grader_assignment():
    """What the pack adds to the assignment: its student file, notebook and question, and its reference."""
    return Assignment(student_files=("transformer_layers.py",), notebooks=(NOTEBOOK,),
                      questions={NOTEBOOK: ("Inline Question 1",)},
                      references=tuple(filter(None, [reference_folder()])))


@hookimpl
def grader_exercises(config):
    return [EXERCISE]
