"""The class dashboard and the reports in a real browser (headless Chromium through Playwright): they render
without console errors, every link resolves, sorting and filtering change the rows, and the report's tables
fit a laptop window."""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from conftest import ROOT, load_make_buggy
from grader.cli import main

SELECTION = "rnn_layers.rnn_step_forward,classifiers.rnn.CaptioningRNN.sample[rnn]"
WINDOW = 1300


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    """A small class graded into a folder: the reference, the skeleton and a buggy sample."""
    root = tmp_path_factory.mktemp("class")
    load_make_buggy().make("bug_start_in_column0", root)
    for name, source in (("reference", ROOT / "reference"), ("skeleton", ROOT / "submissions" / "skeleton")):
        (root / name).symlink_to(source)
    out = tmp_path_factory.mktemp("out")
    assert main(["grade", str(root), "--out", str(out), "--only", SELECTION, "--seed", "3"]) == 0
    return out


def visible_ids(page) -> list[str]:
    return page.eval_on_selector_all("#student-table tbody tr:not([hidden])", "rows => rows.map(r => r.dataset.id)")


def assert_links_resolve(page, path: Path) -> list[Path]:
    """Every ``href`` of the page points to an existing file or an element of the page; the files it links."""
    files = []
    for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
        url = urlparse(href)
        assert not url.scheme and not url.netloc, "the page links out of the folder: %s" % href
        if url.path:
            target = (path.parent / unquote(url.path)).resolve()
            assert target.is_file(), "%s links to %s, which does not exist" % (path.name, href)
            files.append(target)
        if url.fragment:
            assert url.path or page.locator("#" + url.fragment).count() == 1, "no element #%s" % url.fragment
    return files


def test_the_dashboard_and_reports_render_without_errors_and_every_link_resolves(page, graded):
    index = graded / "index.html"
    page.goto(index.as_uri())
    assert page.title().startswith("Class dashboard: 3 submissions")
    assert sorted(visible_ids(page)) == ["bug_start_in_column0", "reference", "skeleton"]
    linked = assert_links_resolve(page, index)
    reports = sorted({p for p in linked if p.name == "report.html"})
    assert len(reports) == 3
    assert page.errors == []
    for report in reports:
        page.goto(report.as_uri())
        assert page.locator("h1").first.inner_text().startswith("Grading report")
        for notebook in assert_links_resolve(page, report):
            page.goto(notebook.as_uri())
        assert page.errors == [], report


def test_sorting_and_filtering_change_the_rows(page, graded):
    page.goto((graded / "index.html").as_uri())
    assert visible_ids(page) == ["bug_start_in_column0", "reference", "skeleton"]
    score = page.locator("#student-table th", has_text="Score")
    score.click()
    assert visible_ids(page) == ["skeleton", "bug_start_in_column0", "reference"]
    score.click()
    assert visible_ids(page) == ["reference", "bug_start_in_column0", "skeleton"]
    page.locator("#student-table th", has_text="Submission").click()
    assert visible_ids(page)[0] == "bug_start_in_column0"

    page.fill("#filter-text", "skel")
    assert visible_ids(page) == ["skeleton"]
    assert page.inner_text("#shown") == "1 of 3"
    page.fill("#filter-text", "")
    page.select_option("#filter-kind", "full")
    assert visible_ids(page) == ["reference"]
    page.select_option("#filter-kind", "partial")
    assert sorted(visible_ids(page)) == ["bug_start_in_column0", "skeleton"]

    greedy = page.locator("#checks tr", has_text="sample[rnn]/greedy")
    greedy.locator("button").click()
    assert sorted(visible_ids(page)) == ["bug_start_in_column0", "skeleton"]
    contract = page.locator("#checks tr", has_text="rnn_step_forward/notebook")
    contract.locator("button").click()
    assert visible_ids(page) == ["skeleton"]
    assert page.errors == []


def test_report_tables_fit_a_laptop_window(page, graded):
    """Every table of a report, with every section opened, stays inside a 1300 px wide window."""
    for name in ("skeleton", "bug_start_in_column0", "reference"):
        page.goto((graded / name / "report.html").as_uri())
        page.eval_on_selector_all("details", "all => all.forEach(d => d.open = true)")
        widths = page.eval_on_selector_all("table", "tables => tables.map(t => Math.ceil(t.getBoundingClientRect().right))")
        assert widths and max(widths) <= WINDOW, "%s: a table ends at %d px" % (name, max(widths))
        assert page.evaluate("document.documentElement.scrollWidth") <= WINDOW, name


def test_screenshot_of_the_dashboard(page, graded):
    """Set GRADER_SCREENSHOT=FILE to save the dashboard as a PNG (the README's picture comes from the
    benchmark's larger class: bench/gradebook.py --screenshot)."""
    page.goto((graded / "index.html").as_uri())
    shot = page.screenshot(full_page=False)
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("GRADER_SCREENSHOT"):
        Path(os.environ["GRADER_SCREENSHOT"]).write_bytes(shot)


def test_the_similarity_page_is_static_and_shows_matching_lines_side_by_side(page, graded):
    """The staff page the dashboard links: no script, every link resolves, the flagged pair (the buggy sample is
    the reference with one change) open with both functions side by side, matching lines marked on both.
    Set GRADER_SIMILARITY_SCREENSHOT=FILE to save it as a PNG."""
    page.goto((graded / "index.html").as_uri())
    page.click("#similarity-link")
    assert page.title().startswith("Similar submissions")
    assert page.locator("script").count() == 0
    assert_links_resolve(page, graded / "similarity.html")
    first = page.locator("details.pair").first
    assert first.get_attribute("open") is not None and "flagged" in first.locator(":scope > summary").inner_text()
    assert {"reference", "bug_start_in_column0"} <= set(first.locator(":scope > summary .id").all_inner_texts())
    function = first.locator("details.fn").first
    left, right = function.locator(".side > div").all()
    assert left.locator("tr.hit").count() > 0 and right.locator("tr.hit").count() > 0
    a, b = left.bounding_box(), right.bounding_box()
    assert a["y"] == b["y"] and a["x"] + a["width"] <= b["x"] and b["x"] + b["width"] <= WINDOW
    assert page.evaluate("document.documentElement.scrollWidth") <= WINDOW
    assert page.errors == []
    if os.environ.get("GRADER_SIMILARITY_SCREENSHOT"):
        function.scroll_into_view_if_needed()
        Path(os.environ["GRADER_SIMILARITY_SCREENSHOT"]).write_bytes(page.screenshot(full_page=False))
