"""``grader review``: no token, no page (403 on every route); writes need the CSRF token and the app's own
origin; in a real browser, grading by question with answer groups and keys, kept across a reload, two
browsers at once (a conflict, then an overwrite, both in the history), a hostile answer running nothing; and
``kill -9`` right after a save losing nothing."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.gradebook.store import Gradebook
from grader.written.store import HandGrades
from handgrading import make_class

TOKEN = "test-token-1234"


@pytest.fixture
def graded(tmp_path) -> Path:
    out = tmp_path / "out"
    make_class(out)
    return out


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """An HTTP client of a real ``grader review`` over its own class, without the token."""
    import httpx

    out = tmp_path_factory.mktemp("review") / "out"
    make_class(out)
    proc, url = start_review(out)
    with httpx.Client(base_url=url) as http:
        http.out = out
        yield http
    stop_review(proc)


ROUTES = ["/", "/q/rnn.q1", "/api/q/rnn.q1", "/api/history/rnn.q1/alice", "/files/index.html",
          "/files/gradebook.sqlite", "/nowhere"]


def test_without_the_token_every_route_answers_403(client):
    client.cookies.clear()
    for route in ROUTES:
        assert client.get(route).status_code == 403, route
        assert client.get(route + "?token=wrong").status_code == 403, route
    assert client.post("/api/grade", json={}).status_code == 403
    ok = client.get("/?token=" + TOKEN)
    assert ok.status_code == 200 and "HttpOnly" in ok.headers["set-cookie"] and "SameSite=Strict" in ok.headers[
        "set-cookie"]
    assert client.get("/q/rnn.q1").status_code == 200  # the cookie now
    csp = client.get("/q/rnn.q1").headers["content-security-policy"]
    assert "script-src 'nonce-" in csp and "default-src 'none'" in csp and "unsafe-inline" not in csp.split(
        "script-src")[1].split(";")[0]


def test_writes_need_the_csrf_token_json_and_the_apps_origin(client):
    page = client.get("/q/rnn.q1?token=" + TOKEN).text
    csrf = re.search(r'name="csrf" content="([0-9a-f]+)"', page).group(1)
    body = {"question": "rnn.q1", "items": ["correct"], "members": [{"submission": "alice", "replaces": None}]}
    assert client.post("/api/grade", json=body).status_code == 403
    assert client.post("/api/grade", json=body, headers={"X-CSRF-Token": "0" * 64}).status_code == 403
    assert client.post("/api/grade", content="question=rnn.q1", headers={
        "X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded"}).status_code == 415
    assert client.post("/api/grade", json=body, headers={"X-CSRF-Token": csrf,
                                                         "Origin": "http://evil.example"}).status_code == 403
    assert client.post("/api/grade", json=body, headers={"X-CSRF-Token": csrf,
                                                         "Sec-Fetch-Site": "cross-site"}).status_code == 403
    with Gradebook(client.out / "gradebook.sqlite") as gb:
        assert HandGrades(gb).count() == 0
    bad = dict(body, items=["no-such-item"])
    assert client.post("/api/grade", json=bad, headers={"X-CSRF-Token": csrf}).status_code == 400
    saved = client.post("/api/grade", json=body, headers={"X-CSRF-Token": csrf, "Origin": str(client.base_url)})
    assert saved.status_code == 200 and saved.json()["progress"]["graded"] == 1
    again = client.post("/api/grade", json=body, headers={"X-CSRF-Token": csrf})  # replaces None: stale now
    assert again.status_code == 409 and again.json()["current"][0]["grader"] == "ta-browser"


# ---- the real thing: the command, a browser --------------------------------------------------------------
def start_review(out: Path) -> tuple[subprocess.Popen, str]:
    """``grader review OUT --port 0`` as the user runs it; its process and the URL it printed."""
    env = dict(os.environ, GRADER_NAME="ta-browser", PYTHONFAULTHANDLER="1")  # SIGABRT dumps every thread
    proc = subprocess.Popen([sys.executable, "-m", "grader.cli", "review", str(out), "--port", "0", "--token", TOKEN],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    deadline, lines = time.monotonic() + 60, []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        found = re.search(r"(http://127\.0\.0\.1:\d+)/\?token=", line)
        if found:
            return proc, found.group(1)
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError("grader review did not start: %s" % "".join(lines))


def stop_review(proc: subprocess.Popen) -> None:
    """Ctrl-C, as the user stops it; a server still running 30 s later is a failure that shows its threads."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)
        raise AssertionError("grader review did not stop on Ctrl-C:\n%s" % proc.communicate(timeout=30)[0][-6000:])
    assert proc.returncode == 0, proc.stdout.read()


@pytest.fixture
def server(graded):
    proc, url = start_review(graded)
    yield url
    if proc.poll() is None:
        stop_review(proc)


def groups(page) -> list[str]:
    return page.eval_on_selector_all("#groups button", "bs => bs.map(b => b.textContent)")


def saves(page, n: int) -> None:
    page.wait_for_function("n => parseInt(document.body.dataset.saves || '0', 10) >= n", arg=n)


def test_grading_by_question_with_groups_keys_reload_and_two_browsers(browser, server, graded):
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (errors.append("dialog: " + d.message), d.dismiss()))
    assert page.goto(server + "/q/rnn.q1").status == 403  # no token
    page.goto(server + "/?token=" + TOKEN)
    page.click("text=rnn.q1")
    labels = groups(page)
    # dave empty, carol the template, alice and bob identical (case and spaces aside), erin alone
    assert labels == ["Empty answers0/1", "Template text left as is0/1", "Identical answers0/2",
                      "Answer of erin0/1"], labels
    assert page.locator("#groups button[aria-current=true]").inner_text().startswith("Empty answers")
    page.keyboard.press("4")  # the 4th rubric item: incorrect (0 points)
    saves(page, 1)
    page.keyboard.press("n")
    page.keyboard.press("n")  # the identical group
    assert page.locator("#groups button[aria-current=true]").inner_text().startswith("Identical answers")
    page.keyboard.press("1")  # correct: 4 points for both
    saves(page, 2)
    assert page.inner_text("#score").startswith("4 / 4")
    page.keyboard.press("n")  # erin, alone: the hostile answer
    answer = page.locator('.group-view:not([hidden]) .answer')
    assert "<script>" in answer.inner_text() and answer.locator("math").count() == 1
    assert answer.locator("script, img, [onerror]").count() == 0
    page.keyboard.press("c")
    page.keyboard.type("Half of it.")
    page.keyboard.press("Escape")
    page.keyboard.press("2")  # advantage only: 2 points, with the comment
    saves(page, 3)
    assert page.evaluate("window.__pwned") is None
    link = page.locator('.group-view:not([hidden]) a[href^="javascript"]')
    assert link.count() == 0

    page.reload()
    assert [g[-3:] for g in groups(page)] == ["1/1", "0/1", "2/2", "1/1"]
    assert "4 of 5 graded" in page.inner_text("#progress")
    page.locator("#groups button", has_text="erin").click()
    assert page.input_value("#comment") == "Half of it." and page.inner_text("#score").startswith("2 / 4")

    # a second browser, stale, saves over the first one's grade: a conflict, then an explicit overwrite
    other = browser.new_context(viewport={"width": 1300, "height": 900})
    second = other.new_page()
    second.goto(server + "/q/rnn.q1?token=" + TOKEN)
    second.locator("#groups button", has_text="Template").click()
    page.locator("#groups button", has_text="Template").click()
    page.keyboard.press("3")  # the first browser grades carol
    saves(page, 1)  # counted since the reload
    second.keyboard.press("4")  # the second, not knowing, grades carol too
    second.wait_for_selector("#conflict:not([hidden])")
    assert "graded this answer meanwhile" in second.inner_text("#conflict")
    second.click("#overwrite")
    saves(second, 1)
    with Gradebook(graded / "gradebook.sqlite") as gb:
        history = HandGrades(gb).history("carol", "rnn.q1")
    assert [h.items for h in history] == [("disadvantage-only",), ("incorrect",)]
    assert all(h.grader == "ta-browser" for h in history)
    page.wait_for_function("document.querySelector('#groups').textContent.includes('Template')")
    assert errors == []
    other.close()
    context.close()


def test_kill_9_right_after_a_save_loses_nothing(graded):
    import httpx

    proc, url = start_review(graded)
    try:
        with httpx.Client(base_url=url, headers={"X-Grader-Token": TOKEN}) as http:
            csrf = re.search(r'name="csrf" content="([0-9a-f]+)"', http.get("/q/gan.q2").text).group(1)
            answer = http.post("/api/grade", headers={"X-CSRF-Token": csrf}, json={
                "question": "gan.q2", "items": ["correct"], "comment": "Cycles: right.",
                "members": [{"submission": "alice", "replaces": None}, {"submission": "bob", "replaces": None}]})
            assert answer.status_code == 200
            os.kill(proc.pid, signal.SIGKILL)  # before the outputs' rewrite, moments after the answer
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with Gradebook(graded / "gradebook.sqlite") as gb:
        latest = HandGrades(gb).latest()
    assert {k: (g.items, g.comment) for k, g in latest.items()} == {
        ("alice", "gan.q2"): (("correct",), "Cycles: right."), ("bob", "gan.q2"): (("correct",), "Cycles: right.")}
    proc, url = start_review(graded)  # the next start rewrites the outputs from the gradebook
    stop_review(proc)  # at once: Ctrl-C at any moment after the URL still writes the outputs
    doc = (graded / "alice" / "report.json").read_text()
    assert '"feedback": "Correct and complete.\\nCycles: right."' in doc
