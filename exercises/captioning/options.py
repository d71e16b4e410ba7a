"""The captioning packs' shared plugin part: the ``--coco-dir`` option and the dataset fixture."""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from exercises.captioning.data import check_coco_dir, ensure_synthetic_coco, load_captioning_data
from grader.api import GradingConfig, UsageError, hookimpl


@hookimpl
def grader_add_options(parser) -> None:
    parser.add_argument("--coco-dir", type=Path, metavar="DIR", default=None,
                        help="the course's coco_captioning/ folder (default: a synthetic dataset in the same "
                             "layout, built once into the user's cache)")


def captioning_fixtures(config: GradingConfig) -> dict[str, Any]:
    """The captioning data, loaded once per grading run into the grader's process."""
    coco_dir = config.option("coco_dir")
    return {"data": _load(str(coco_dir) if coco_dir else None)}


@functools.lru_cache(maxsize=2)
def _load(coco_dir: str | None) -> dict[str, Any]:
    if coco_dir is None:
        return load_captioning_data(ensure_synthetic_coco())
    try:
        check_coco_dir(Path(coco_dir))
    except ValueError as exc:
        raise UsageError("--coco-dir: %s" % exc) from None
    return load_captioning_data(Path(coco_dir))
