"""A reference installed into the Python environment (a pack's ``pip install``, a non-editable install of the
grader) lies inside a folder every worker needs, yet stays hidden from sandboxed workers."""
from __future__ import annotations

import subprocess
import sys

import pytest

from grader.sandbox import Sandbox, bubblewrap, hidden_paths


@pytest.mark.skipif(bubblewrap() is None, reason="bubblewrap is not usable on this machine (.ci/run installs it)")
def test_a_reference_inside_the_environment_is_hidden_and_the_rest_of_it_is_not(tmp_path, monkeypatch):
    site = tmp_path / "prefix" / "lib" / "site-packages"
    reference = site / "some_pack_reference"
    (reference / "cs231n").mkdir(parents=True)
    (reference / "cs231n" / "solution.py").write_text("SOLUTION\n")
    (site / "numpy_stand_in.py").write_text("NEEDED\n")
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "prefix"))  # the environment the workers run from
    monkeypatch.syspath_prepend(str(site))
    package, work = tmp_path / "pkg", tmp_path / "work"
    package.mkdir()
    work.mkdir()

    def read(path):
        cmd = Sandbox().wrap(["cat", str(path)], package, work, hidden_paths([reference]))
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60)

    assert read(reference / "cs231n" / "solution.py").returncode != 0
    seen = read(site / "numpy_stand_in.py")
    assert seen.stdout == "NEEDED\n", seen.stderr
