"""The Q3/Q4 packs' shared plugin part: the options for the course's model and images, and the fixture.

``--squeezenet-weights PATH`` names the course's checkpoint (``.../squeezenet.ckpt``, a TF object
checkpoint: ``PATH.index`` and ``PATH.data-00000-of-00001``). It is read once, by the trusted reference
code in a throwaway TensorFlow worker, into plain arrays that both workers then load; without it, both
workers draw the same weights from ``DEFAULT_WEIGHTS_SEED``.
"""
from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from exercises.vision import images
from grader.api import GradingConfig, UsageError, WorkerProblem, hookimpl, reference_worker

DEFAULT_WEIGHTS_SEED = 231
CHECKPOINT_TIMEOUT_S = 180.0


@hookimpl
def grader_add_options(parser) -> None:
    parser.add_argument("--squeezenet-weights", type=Path, metavar="PATH", default=None,
                        help="the course's SqueezeNet checkpoint (e.g. cs231n/datasets/squeezenet.ckpt, with its "
                             ".index and .data files) for Q3/Q4 (default: weights drawn from a fixed seed)")
    parser.add_argument("--imagenet-val", type=Path, metavar="FILE", default=None,
                        help="the course's imagenet_val_25.npz for Q3 (default: crops of photos that ship with "
                             "scikit-learn)")
    parser.add_argument("--styles-dir", type=Path, metavar="DIR", default=None,
                        help="the course's styles/ folder for Q4: tubingen.jpg and starry_night.jpg (default: "
                             "photos that ship with scikit-learn)")


@dataclass(frozen=True)
class Weights:
    """SqueezeNet weights in ``model.get_weights()`` order, and their digest (the workers' cache key)."""

    digest: str
    arrays: tuple[np.ndarray, ...]


def vision_fixtures(config: GradingConfig) -> dict[str, Any]:
    """The images and the model's weights, loaded once per grading run into the grader's process."""
    weights, imagenet, styles = (config.option(k) for k in ("squeezenet_weights", "imagenet_val", "styles_dir"))
    return {"weights": _weights(str(weights) if weights else None, config),
            "imagenet": _imagenet(str(imagenet) if imagenet else None),
            "style_paths": _style_paths(str(styles) if styles else None)}


@functools.lru_cache(maxsize=2)
def _imagenet(path: str | None) -> tuple[np.ndarray, np.ndarray]:
    if path is None:
        return images.bundled_imagenet()
    try:
        return images.course_imagenet(Path(path))
    except ValueError as exc:
        raise UsageError("--imagenet-val: %s" % exc) from None


@functools.lru_cache(maxsize=2)
def _style_paths(folder: str | None) -> tuple[Path, Path]:
    try:
        return images.style_paths(Path(folder) if folder else None)
    except ValueError as exc:
        raise UsageError("--styles-dir: %s" % exc) from None


_WEIGHTS: dict[str, Weights] = {}


def _weights(path: str | None, config: GradingConfig) -> Weights | None:
    """None for the seeded default; else the checkpoint's arrays, read once by the reference's own code."""
    if path is None:
        return None
    if path in _WEIGHTS:
        return _WEIGHTS[path]
    if not Path(path + ".index").is_file():
        raise UsageError("--squeezenet-weights: %s.index not found (give the path without .index, as the "
                         "notebooks' SAVE_PATH)" % path)
    try:
        with reference_worker(config, "tensorflow", "--squeezenet-weights", CHECKPOINT_TIMEOUT_S) as reader:
            arrays = reader.call("vision_harness.checkpoint_arrays", str(Path(path).resolve()))
    except WorkerProblem as exc:
        raise UsageError("--squeezenet-weights: could not load %s: %s" % (path, exc)) from None
    if not isinstance(arrays, list) or not all(isinstance(a, np.ndarray) for a in arrays):
        raise UsageError("--squeezenet-weights: %s did not give SqueezeNet weights" % path)
    digest = hashlib.sha256()
    for a in arrays:
        digest.update(str(a.shape).encode() + a.astype(np.float32).tobytes())
    _WEIGHTS[path] = Weights(digest.hexdigest(), tuple(arrays))
    return _WEIGHTS[path]
