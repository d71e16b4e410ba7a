"""Classes of distinct submissions for the benchmarks: copies of the samples, each copy's files made distinct."""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build_samples(dest: Path) -> list[str]:
    """Every sample (reference, skeleton, the generated bug_*) under ``dest``; their names, sorted."""
    spec = importlib.util.spec_from_file_location("make_buggy", ROOT / "submissions" / "make_buggy.py")
    make_buggy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_buggy)
    for bug in make_buggy.BUGS:
        make_buggy.make(bug, dest)
    shutil.copytree(ROOT / "reference", dest / "reference", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "submissions" / "skeleton", dest / "skeleton")
    return sorted(p.name for p in dest.iterdir())


TRACKS = ("both", "tensorflow", "pytorch")
"""What a copy hands in: every file as the sample has it (``both``: the reference did both tracks), or one
track's, the other track's files left as the starter's (what a student of one track hands in)."""


def distinct_copy(sample: Path, dest: Path, number: int, track: str = "both") -> Path:
    """``sample`` copied to ``dest`` with a comment that makes every student file (and so the copy) distinct;
    with one ``track``, the other track's modules are the skeleton's."""
    shutil.copytree(sample, dest, ignore=shutil.ignore_patterns("__pycache__"))
    if track != "both":
        skeleton = ROOT / "submissions" / "skeleton" / "cs231n"
        for starter in skeleton.glob("*.py"):
            if starter.stem.endswith("_pytorch") == (track == "tensorflow") and starter.stem != "__init__":
                shutil.copy(starter, dest / "cs231n" / starter.name)
    for f in (dest / "cs231n").rglob("*.py"):
        f.write_text(f.read_text() + "\n# copy %d\n" % number)
    return dest


def make_class(dest: Path, count: int, kinds: list[str] | None = None, track: str = "both") -> list[Path]:
    """``count`` submissions under ``dest/class`` cycling through ``kinds`` (default: every sample), each
    handing in ``track`` (see ``TRACKS``)."""
    every = build_samples(dest / "_samples")
    kinds = kinds or every
    return [distinct_copy(dest / "_samples" / kinds[i % len(kinds)],
                          dest / "class" / ("s%03d-%s" % (i, kinds[i % len(kinds)])), i, track)
            for i in range(count)]
