"""Time to grade one written question for a class of 100 with ``grader review``: the keys pressed and the
page's response time per save, in a real browser (Playwright on the system Chromium).

The class is built straight into a gradebook (no submission graded): for rnn.q1, 10 empty answers, 6 left as
the template, 60 in 8 groups of identical answers (case and spacing varying) and 24 answers of their own, so
34 groups (the case and spacing variants group with their original). Grading goes by keys only: the rubric item's number (saved at once), then ``n`` (next to grade).

    python bench/review.py [--students 100] [--screenshot docs/review.png]
"""
from __future__ import annotations

import argparse
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from handgrading import make_class  # noqa: E402

TOKEN = "bench-token"
SHARED = ["A smaller vocabulary: the embedding and output layers shrink, and no word is unknown. But sequences get "
          "much longer, so long-range dependencies are harder and sampling is slower.",
          "Advantage: fewer parameters. Disadvantage: longer sequences to model.",
          "Character models can spell rare words; they need many more time steps.",
          "Smaller output softmax; harder to learn long-term structure.",
          "No <UNK> tokens. Slower training because of sequence length.",
          "It is cheaper per step but needs more steps: $T_{char} \\gg T_{word}$.",
          "Vocabulary size drops from thousands to about 100; context must span many more steps.",
          "Fewer parameters in $W_{embed}$ and $W_{vocab}$; vanishing gradients over long captions."]


def build_class(out: Path, students: int) -> None:
    rng = random.Random(0)
    answers = {}
    for i in range(students):
        name = "student%03d" % i
        if i < 10:
            text = ""
        elif i < 16:
            text = "*fill this in*"
        elif i < 76:
            base = SHARED[(i - 16) % len(SHARED)]
            text = base.upper() if rng.random() < 0.2 else base.replace(" ", "  ") if rng.random() < 0.2 else base
        else:
            text = "My own answer number %d: %s" % (i, rng.choice(SHARED))
        answers[name] = {"rnn.q1": text}
    make_class(out, answers)


def shrink(path: Path) -> None:
    """The screenshot in 64 colours (a third of its size; it is a page of text)."""
    from PIL import Image

    Image.open(path).convert("RGB").quantize(colors=64).save(path, optimize=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--screenshot", type=Path, help="save a PNG of the review page mid-way")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import CHROMIUM, CHROMIUM_ARGS

    work = Path(tempfile.mkdtemp(prefix="bench-review-"))
    try:
        out = work / "out"
        build_class(out, args.students)
        proc = subprocess.Popen([sys.executable, "-m", "grader.cli", "review", str(out), "--port", "0", "--token",
                                 TOKEN], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        url = None
        while url is None:
            line = proc.stdout.readline()
            if not line:
                raise SystemExit("grader review did not start")
            found = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
            url = found.group(1) if found else None
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1300, "height": 820})
            page.goto(url + "/q/rnn.q1?token=" + TOKEN)
            groups = page.locator("#groups button").count()
            keys = saves = 0
            start = time.perf_counter()
            while True:
                done = page.inner_text("#progress")
                if done.startswith("%d of %d" % (args.students, args.students)):
                    break
                current = page.locator("#groups button[aria-current=true]").inner_text()
                item = "4" if current.startswith(("Empty", "Template")) else "1" if saves % 3 else "2"
                page.keyboard.press(item)
                saves += 1
                keys += 1
                page.wait_for_function("n => parseInt(document.body.dataset.saves || '0', 10) >= n", arg=saves)
                page.keyboard.press("n")
                keys += 1
                if args.screenshot and saves == 4:  # the next group: 7 or 8 identical answers, to grade
                    page.screenshot(path=str(args.screenshot))
            elapsed = time.perf_counter() - start
            timings = page.evaluate("performance.getEntriesByType('resource').filter(e => e.name.endsWith("
                                    "'/api/grade')).map(e => e.duration)")
            browser.close()
        proc.terminate()
        proc.wait(timeout=60)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.screenshot:
        shrink(args.screenshot)
    timings.sort()
    print("students %d, answer groups %d: graded with %d keys (%d saves: a rubric key each, then n), no click"
          % (args.students, groups, keys, saves))
    print("save response time (page, ms): median %.1f, p90 %.1f, max %.1f over %d saves"
          % (statistics.median(timings), timings[int(0.9 * (len(timings) - 1))], timings[-1], len(timings)))
    print("whole question graded in %.1f s of wall time (the keys pressed as fast as the page answers)" % elapsed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
