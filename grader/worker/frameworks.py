"""Frameworks a worker loads before it runs any graded code, as its runtime asks (``GRADER_WORKER_SETUP``).

A runtime's environment names them (``GRADER_WORKER_SETUP=torch``); the worker sets each up right after it
has limited itself and before the compatibility layer and the package's code: the framework then computes on
the worker's one thread, and is importable as the student's code imports it. Imported by the worker only.
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any, Callable

ENV = "GRADER_WORKER_SETUP"
"""Comma-separated names of ``SETUPS``, in a runtime's environment."""

TORCHVISION_OPERATORS = (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
)
"""The operators torchvision registers fake kernels for whether or not its compiled library loaded."""

_kept: list[Any] = []
"""Operator libraries defined here: they must live as long as the worker."""


def setup_torch() -> None:
    """PyTorch on one thread (intra-op and inter-op), with torchvision importable.

    torchvision's compiled operators (detection boxes: ``nms``, ``roi_align``, ...) live in its ``_C``
    library, which is built against one build of torch: the PyPI torchvision cannot load it beside the CPU
    build of torch, and its import then fails at once ("operator torchvision::nms does not exist", from the
    two operators above that it registers unconditionally). Where the library does not load, those two are
    declared without a kernel, so that torchvision imports with its pure-Python parts (``models``,
    ``transforms``), which is all the assignment uses; calling a detection operator raises.
    """
    import torch

    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set, or the pool already started
        pass
    if not _torchvision_library_loads(torch):
        library = torch.library.Library("torchvision", "FRAGMENT")
        for schema in TORCHVISION_OPERATORS:
            library.define(schema)
        _kept.append(library)


def _torchvision_library_loads(torch: Any) -> bool:
    """Whether torchvision's compiled library loads here (True where torchvision is not installed: then
    there is nothing to repair, and the student's ``import torchvision`` fails as it would anywhere)."""
    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        return True
    libraries = sorted(Path(list(spec.submodule_search_locations)[0]).glob("_C*.so"))
    if not libraries:
        return False
    try:
        torch.ops.load_library(str(libraries[0]))
    except (OSError, RuntimeError):
        return False
    return True


SETUPS: dict[str, Callable[[], None]] = {"torch": setup_torch}


def setup(names: str | None) -> None:
    """Set up every framework ``names`` lists (unknown names are ignored: the grader only sends its own)."""
    for name in (names or "").split(","):
        if name.strip() in SETUPS:
            SETUPS[name.strip()]()


def take_env() -> str | None:
    """The setup list of this worker's environment, removed from it (student code need not see it)."""
    return os.environ.pop(ENV, None)
