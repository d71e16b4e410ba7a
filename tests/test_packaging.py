"""What a built wheel of the grader holds: the installed answer bundle of a students' distribution included."""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

from conftest import ROOT


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [name for name in out.decode().split("\0") if name and (ROOT / name).is_file()]


def test_a_built_wheel_ships_the_installed_answer_bundle(tmp_path):
    """``grader check`` finds ``grader/answers/answers.npz`` alone in a students' distribution: a wheel built
    from a checkout holding that file must carry it (package data), next to the report templates."""
    source = tmp_path / "src"
    for name in tracked_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    (source / "grader" / "answers").mkdir(exist_ok=True)
    (source / "grader" / "answers" / "answers.npz").write_bytes(b"a bundle's bytes")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(tmp_path / "dist"), str(source)], check=True, capture_output=True)
    [wheel] = (tmp_path / "dist").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "grader/answers/answers.npz" in names
    assert "grader/writers/templates/report.html.j2" in names
