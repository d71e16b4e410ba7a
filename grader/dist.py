"""``grader dist``: the student package, a wheel students install to self-check, with no solution in it.

It holds the grader, the built-in plugins' packages (the exercise checks) and the answer bundle (the
reference's answers at the public seed and the provided modules), installed as ``grader/answers/``. It never
holds the reference package, the catalogued misconceptions' wrong implementations (close to the
solutions), the staff's similarity search (``grader.similarity``), nor tests. A generated project folder is
built by ``pip wheel`` (setuptools); the wheel is then searched file by file (``grader.leaks``) and refused if
any holds the body or a formula of a solution.

Its distribution name is the instructor's with ``-selfcheck`` for ``-grader``; its version is the grader's
with the bundle's checksum as local part (``0.1.0+3f9c2a41d0b7``), so that every report says which release
checked it (``report.json`` ``grader.release``).
"""
from __future__ import annotations

import importlib
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pluggy

from grader import __version__
from grader.bundle import INSTALLED_BUNDLE, BundleError, load_bundle
from grader.config import GradingConfig
from grader.leaks import reference_solutions, scan_wheel
from grader.plugins import DEFAULT_PLUGINS
from grader.release import RELEASE_FILE
from grader.session import INSTRUCTOR_ONLY, collect_exercises, collect_misconceptions, make_bundle
from grader.submission import UsageError

STUDENT_REQUIREMENTS = {"tensorflow-cpu": "tensorflow"}
"""Requirements students get instead: Colab and macOS have ``tensorflow`` (the CPU-only wheel exists for
Linux and Windows only, and would install a second TensorFlow next to Colab's)."""
INSTRUCTOR_ONLY_PACKAGES = ("grader.similarity",)
"""Packages of the grader that the student package leaves out: the similarity search is for staff."""
INSTRUCTOR_ONLY_REQUIREMENTS = ("copydetect",)
"""What only those packages need."""
STUDENT_EXTRAS = ("pytorch",)
"""The instructor's extras students get too, without their pins (Colab's torch and torchvision are the ones to
keep): ``pip install 'cs231n_a3_selfcheck-....whl[pytorch]'`` where PyTorch is not installed yet."""


@dataclass(frozen=True)
class Built:
    wheel: Path
    name: str
    version: str
    answers_size: int


def build(pm: pluggy.PluginManager, config: GradingConfig, out_dir: Path, answers: Path | None = None,
          name: str | None = None) -> Built:
    """Write the student wheel into ``out_dir``: with the bundle ``answers``, else one made here at
    ``config.seed``. A usage error when the reference is not installed or the wheel would leak a solution."""
    assignment = config.assignment
    if assignment is None or assignment.reference is None:
        raise UsageError(INSTRUCTOR_ONLY)
    instructor = _instructor_distribution()
    name = name or re.sub(r"-grader$", "", instructor) + "-selfcheck"
    with tempfile.TemporaryDirectory(prefix="grader-dist-") as tmp:
        project = Path(tmp) / "project"
        if answers is None:
            answers = Path(tmp) / "answers.npz"
            make_bundle(pm, config, answers)
        try:
            bundle = load_bundle(answers)
        except BundleError as exc:
            raise UsageError(str(exc)) from None
        version = "%s+%s" % (__version__, bundle.sha256[:12])
        excluded = _instructor_only_files(pm, config)
        packages, data = _copy_packages(project, excluded, [Path(r) for r in assignment.references])
        answers_at = project / INSTALLED_BUNDLE.relative_to(Path(__file__).resolve().parents[1])
        answers_at.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(answers, answers_at)
        (answers_at.parent / RELEASE_FILE.name).write_text(json.dumps(
            {"name": name, "version": version, "answers": bundle.sha256}, indent=1))
        for file in (answers_at, answers_at.parent / RELEASE_FILE.name):
            data.setdefault("grader", []).append(file.relative_to(project / "grader").as_posix())
        (project / "pyproject.toml").write_text(_pyproject(name, version, instructor, assignment.name, packages,
                                                           data))
        out_dir.mkdir(parents=True, exist_ok=True)
        wheel = _pip_wheel(project, out_dir, name, version)
        answers_size = answers.stat().st_size
    graded = {t for ex in collect_exercises(pm, config) for c in ex.checks for t in (*c.targets, *c.uses)}
    leaks = scan_wheel(wheel, reference_solutions(assignment.reference, assignment.package,
                                                  assignment.student_files, graded))
    if leaks:
        wheel.unlink()
        raise UsageError("the student package would hold solution code, so none was written:\n  %s"
                         % "\n  ".join(str(leak) for leak in leaks))
    return Built(wheel, name, version, answers_size)


def _instructor_distribution() -> str:
    """The installed distribution that holds this grader (``cs231n-a3-grader``)."""
    names = metadata.packages_distributions().get(__name__.partition(".")[0]) or []
    if not names:
        raise UsageError("the grader is not installed as a distribution here (pip install -e .): its requirements "
                         "are unknown")
    return names[0]


def _instructor_only_files(pm: pluggy.PluginManager, config: GradingConfig) -> set[Path]:
    """Files that run only beside the reference (the misconceptions' wrong implementations), and the staff's
    packages."""
    files = {path.resolve() for name in INSTRUCTOR_ONLY_PACKAGES
             for path in Path(importlib.util.find_spec(name).origin).parent.rglob("*") if path.is_file()}
    for misconception in collect_misconceptions(pm, config).values():
        module = misconception.implementation.partition(":")[0]
        spec = importlib.util.find_spec(module) if module else None
        if spec is not None and spec.origin:
            files.add(Path(spec.origin).resolve())
    return files


def _copy_packages(project: Path, excluded: set[Path], references: list[Path]
                   ) -> tuple[list[str], dict[str, list[str]]]:
    """Copy the built-in plugins' top-level packages into ``project``, without caches, an installed answer
    bundle, instructor-only files or reference folders. Returns the package names and, per package, its data
    files."""
    packages: list[str] = []
    data: dict[str, list[str]] = {}
    for top in dict.fromkeys(name.partition(".")[0] for name in DEFAULT_PLUGINS):
        source = Path(importlib.import_module(top).__file__).resolve().parent
        skip = {INSTALLED_BUNDLE.parent.resolve(), *(r.resolve() for r in references)}
        for path in sorted(source.rglob("*")):
            if not path.is_file() or path.resolve() in excluded or "__pycache__" in path.parts \
                    or path.suffix == ".pyc" or any(s == path.parent or s in path.parents for s in skip):
                continue
            rel = path.relative_to(source.parent)
            target = project / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    for top in dict.fromkeys(name.partition(".")[0] for name in DEFAULT_PLUGINS):
        folders = sorted({p.parent for p in (project / top).rglob("*.py")})  # namespace packages too
        packages += [".".join(f.relative_to(project).parts) for f in folders]
        for path in sorted((project / top).rglob("*")):
            if path.is_file() and path.suffix != ".py":
                owner = next(p for p in path.parents if p in folders)
                data.setdefault(".".join(owner.relative_to(project).parts), []).append(
                    path.relative_to(owner).as_posix())
    return packages, data


def _requirements(instructor: str) -> list[str]:
    out = []
    for requirement in metadata.requires(instructor) or []:
        if "extra ==" in requirement.partition(";")[2]:
            continue
        name = re.match(r"[A-Za-z0-9._-]+", requirement).group(0)
        if name.lower() in INSTRUCTOR_ONLY_REQUIREMENTS:
            continue
        if name.lower() in STUDENT_REQUIREMENTS:
            requirement = STUDENT_REQUIREMENTS[name.lower()] + requirement[len(name):]
        out.append(requirement)
    return out


def _extras(instructor: str) -> dict[str, list[str]]:
    """``STUDENT_EXTRAS`` of the instructor's distribution, by extra, as bare requirement names."""
    out: dict[str, list[str]] = {}
    for requirement in metadata.requires(instructor) or []:
        marker = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", requirement.partition(";")[2])
        if marker and marker.group(1) in STUDENT_EXTRAS:
            out.setdefault(marker.group(1), []).append(re.match(r"[A-Za-z0-9._-]+", requirement).group(0))
    return out


def _pyproject(name: str, version: str, instructor: str, title: str, packages: list[str],
               data: dict[str, list[str]]) -> str:
    """The generated project's ``pyproject.toml`` (JSON strings and lists are TOML ones)."""
    python = metadata.metadata(instructor).get("Requires-Python") or ">=3.10"
    lines = ["[build-system]", 'requires = ["setuptools>=61"]', 'build-backend = "setuptools.build_meta"', "",
             "[project]", "name = %s" % json.dumps(name), "version = %s" % json.dumps(version),
             "description = %s" % json.dumps("Self-check for %s: the grader and the public answer bundle, no "
                                             "solutions" % (title or "the assignment")),
             "requires-python = %s" % json.dumps(python),
             "dependencies = %s" % json.dumps(_requirements(instructor)), "",
             "[project.optional-dependencies]",
             *("%s = %s" % (extra, json.dumps(names)) for extra, names in sorted(_extras(instructor).items())), "",
             "[project.scripts]", 'grader = "grader.cli:main"', "",
             "[tool.setuptools]", "packages = %s" % json.dumps(packages), "include-package-data = false", "",
             "[tool.setuptools.package-data]"]
    lines += ["%s = %s" % (json.dumps(package), json.dumps(files)) for package, files in sorted(data.items())]
    return "\n".join(lines) + "\n"


def _pip_wheel(project: Path, out_dir: Path, name: str, version: str) -> Path:
    """``pip wheel`` the project (with the setuptools installed here when there is one, so no download)."""
    isolated = importlib.util.find_spec("setuptools") is None or importlib.util.find_spec("wheel") is None
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out_dir),
                           *([] if isolated else ["--no-build-isolation"]), str(project)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError("pip wheel failed:\n%s" % (proc.stdout + proc.stderr)[-3000:])
    stem = "%s-%s-" % (re.sub(r"[-_.]+", "_", name).lower(), version)
    wheels = [p for p in out_dir.glob("*.whl") if p.name.startswith(stem)]
    if len(wheels) != 1:
        raise RuntimeError("pip wheel wrote no wheel named %s*.whl into %s" % (stem, out_dir))
    return wheels[0]
