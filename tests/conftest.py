"""Shared fixtures: grading through the real CLI entry point, sample submissions built on demand."""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from grader.cli import main  # noqa: E402


def load_sample_maker(name: str = "make_buggy"):
    """``submissions/<name>.py`` (``make_buggy``, ``make_combined``), loaded as a module."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "submissions" / ("%s.py" % name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_make_buggy():
    return load_sample_maker("make_buggy")


@pytest.fixture(scope="session")
def samples(tmp_path_factory) -> Path:
    """A folder with every sample submission: reference, skeleton and the generated buggy ones."""
    root = tmp_path_factory.mktemp("samples")
    make_buggy = load_make_buggy()
    for name in make_buggy.BUGS:
        make_buggy.make(name, root)
    shutil.copytree(ROOT / "reference", root / "reference", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "submissions" / "skeleton", root / "skeleton")
    return root


CAPTIONING = "rnn_captioning,lstm_captioning"


@pytest.fixture(scope="session")
def captioning_bundle(tmp_path_factory) -> Path:
    """The public answer bundle of the captioning exercises (``grader bundle --only`` them), made once."""
    path = tmp_path_factory.mktemp("bundle") / "answers.npz"
    proc = subprocess.run([sys.executable, "-m", "grader.cli", "bundle", "--out", str(path), "--only", CAPTIONING],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return path


def validate_junit(path: Path) -> ET.Element:
    """The structure JUnit consumers (GitHub, GitLab, Jenkins) read, after the common junit-10 schema."""
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    for suite in root:
        assert suite.tag == "testsuite" and suite.get("name")
        cases = suite.findall("testcase")
        for attr in ("tests", "failures", "errors", "skipped"):
            assert suite.get(attr, "0").isdigit(), attr
        float(suite.get("time", "0"))
        assert int(suite.get("tests")) == len(cases)
        counts = {"failure": 0, "error": 0, "skipped": 0}
        for case in cases:
            assert case.get("classname") == suite.get("name") and case.get("name")
            float(case.get("time", "0"))
            for child in case:
                assert child.tag in ("failure", "error", "skipped", "system-out", "system-err"), child.tag
                if child.tag in counts:
                    counts[child.tag] += 1
                if child.tag in ("failure", "error"):
                    assert child.get("message") is not None and child.get("type")
        assert (counts["failure"], counts["error"], counts["skipped"]) == (
            int(suite.get("failures")), int(suite.get("errors")), int(suite.get("skipped", "0")))
    return root


def grade(paths, out: Path, *args: str) -> dict[str, dict]:
    """Run ``grader grade`` and return the reports by submission id."""
    code = main(["grade", *map(str, paths), "--out", str(out), *args])
    assert code == 0
    return {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/report.json")}


class BatchGrader:
    """``batch(sample)``: the sample's report, graded on first use together with every other sample of
    ``selected`` that takes the same ``options(sample)``, in one ``grader grade --jobs 2`` (both cores, as an
    instructor grades a class)."""

    def __init__(self, root: Path, out, selected: list[str], options, *common: str):
        self.root, self.out, self.selected, self.options, self.common = root, out, selected, options, common
        self.graded: dict[str, dict] = {}

    def __call__(self, sample: str) -> dict:
        if sample not in self.graded:
            wanted = self.options(sample)
            batch = [s for s in self.selected if self.options(s) == wanted and s not in self.graded] or [sample]
            self.graded.update(grade([self.root / s for s in batch], self.out(), *self.common, "--jobs", "2",
                                     *wanted))
        return self.graded[sample]


def selected_params(request, test: str, param: str) -> list[str]:
    """The values of ``param`` in the parametrized ``test`` that this run selected (``-m``, ``-k``)."""
    return sorted({item.callspec.params[param] for item in request.session.items
                   if getattr(item, "originalname", "") == test})


def statuses(report: dict) -> dict[str, str]:
    return {c["id"]: c["status"] for c in report["checks"]}


def failing(report: dict) -> set[str]:
    return {c["id"] for c in report["checks"] if c["status"] != "passed"}


def write_submission(root: Path, rnn_layers: str | None = None, rnn: str | None = None,
                     files: dict[str, str] | None = None) -> Path:
    """A submission folder made of the reference's student files, with replacements where given.

    ``files``: more student files (path below ``cs231n/`` -> content), e.g. ``{"gan_tf.py": ...}``.
    """
    pkg = root / "cs231n"
    (pkg / "classifiers").mkdir(parents=True, exist_ok=True)
    ref = ROOT / "reference" / "cs231n"
    for rel, text in (("rnn_layers.py", rnn_layers), ("classifiers/rnn.py", rnn)):
        content = (ref / rel).read_text() if text is None else text
        if content != "":
            (pkg / rel).write_text(content)
    for rel, content in (files or {}).items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text(content)
    return root


def pytest_sessionstart(session):
    """CI sets GRADER_REQUIRE_SANDBOX=1 and GRADER_REQUIRE_BROWSER=1: then a machine without a working
    bubblewrap, or without Playwright and Chromium, fails instead of silently skipping those tests."""
    from grader.sandbox import bubblewrap

    if os.environ.get("GRADER_REQUIRE_SANDBOX") == "1" and bubblewrap() is None:
        raise pytest.UsageError("GRADER_REQUIRE_SANDBOX=1 but bubblewrap is not usable here")
    if os.environ.get("GRADER_REQUIRE_BROWSER") == "1" and browser_missing():
        raise pytest.UsageError("GRADER_REQUIRE_BROWSER=1 but %s" % browser_missing())


# ------------------------------------------------------------------------------------------ browser tests

CHROMIUM = Path(os.environ.get("GRADER_CHROMIUM", "/usr/bin/chromium"))
"""The OS package's Chromium (Debian: apt-get install chromium); Playwright's own download is not used."""
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if importlib.util.find_spec("playwright") is None:
        return "Playwright is not installed (pip install -e '.[test]')"
    if not CHROMIUM.is_file():
        return "no Chromium at %s (apt-get install chromium, or set GRADER_CHROMIUM)" % CHROMIUM
    return None


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium driven by Playwright; the tests using it skip where either is missing, and fail
    instead under GRADER_REQUIRE_BROWSER=1."""
    reason = browser_missing()
    if reason:
        (pytest.fail if os.environ.get("GRADER_REQUIRE_BROWSER") == "1" else pytest.skip)(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh page 1300 px wide; ``page.errors`` collects console errors and uncaught exceptions."""
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    page.errors = []
    page.on("console", lambda message: page.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()
