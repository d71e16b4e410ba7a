"""The per-sample diagnosis table (issue #18): every sample of combined mistakes (``make_combined.py``), graded
on the functions its mistakes sit in, with what the report says: the functions it blames and the sentence the
probes wrote for each.

Run from the repository root: ``python submissions/diagnosis_table.py [--out docs/diagnoses.md] [--jobs auto]``.
It generates the samples into a temporary folder, grades them with the reference in one ``grader grade`` (seed
3), and writes a Markdown table built from the reports alone (nothing in it is typed by hand but the column
"mistakes", the sample's own description from ``make_combined.py``).
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from grader.cli import main as grader  # noqa: E402
from make_combined import COMBINED, make  # noqa: E402

FUNCTIONS = {
    "net_visualization_tensorflow.py": ["net_visualization_tensorflow.class_visualization_update_step"],
    "classifiers/rnn.py": ["classifiers.rnn.CaptioningRNN.sample[rnn]", "classifiers.rnn.CaptioningRNN.sample[lstm]"],
    "rnn_layers.py": ["rnn_layers.lstm_step_forward"],
    "style_transfer_tensorflow.py": ["style_transfer_tensorflow.style_loss", "style_transfer_tensorflow.tv_loss"],
    "style_transfer_pytorch.py": ["style_transfer_pytorch.style_loss", "style_transfer_pytorch.tv_loss"],
    "gan_tf.py": ["gan_tf." + f for f in ("discriminator_loss", "generator_loss", "ls_discriminator_loss",
                                          "ls_generator_loss")],
    "gan_pytorch.py": ["gan_pytorch." + f for f in ("discriminator_loss", "generator_loss", "ls_discriminator_loss",
                                                    "ls_generator_loss")],
}
"""Each student file the samples edit -> the graded functions its mistakes can sit in."""

def sentences(message: str) -> list[str]:
    """The sentences of ``message`` addressed to the student ("Your ... "): each runs to the first full stop or
    semicolon outside brackets that ends a word."""
    found = []
    for start in (m.start() for m in re.finditer(r"(?:^|(?<=[.:] ))Your ", message)):
        depth = 0
        for i in range(start, len(message)):
            c = message[i]
            depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(c, 0)
            if depth == 0 and c in ".;" and (i + 1 == len(message) or message[i + 1] in " \n"):
                found.append(message[start:i + 1].rstrip(";") + ("" if c == "." else "."))
                break
    return found


def diagnosis(report: dict, functions: list[str]) -> tuple[list[str], list[str], int]:
    """The functions ``report`` fails among ``functions``, the distinct sentences naming mistakes in the
    messages of their failing checks, and how many of those checks say none (a run's bare measure)."""
    failed = sorted(f for f in functions if report["functions"].get(f, {}).get("status") == "failed")
    said: list[str] = []
    bare = 0
    for check in report["checks"]:
        if check["status"] != "failed" or not set(check["targets"]) & set(failed):
            continue
        mine = sentences(check["message"])
        bare += not mine
        said += [x for x in mine if x not in said]
    return failed, said, bare


def table(reports: dict[str, dict]) -> str:
    rows = ["| sample | mistakes (as made) | blamed | what the report says |", "|---|---|---|---|"]
    for name, (path, words, _) in COMBINED.items():
        failed, said, bare = diagnosis(reports[name], FUNCTIONS[path])
        notes = ["(%d failing run check(s) give their measure only)" % bare] if bare else []
        rows.append("| `%s` | %s | %s | %s |" % (
            name, words.replace("|", "\\|"), ", ".join("`%s`" % f for f in failed) or "nothing",
            "<br>".join(x.replace("|", "\\|") for x in said + notes) or "(no sentence)"))
    reference = reports["reference"]
    wrong = [f for fs in FUNCTIONS.values() for f in fs if reference["functions"].get(f, {}).get("status") != "passed"]
    rows.append("| `reference` | none | %s | %s |" % (", ".join(wrong) or "nothing",
                                                       "every check passed" if not wrong else "see its report"))
    return "\n".join(rows) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="write the table here (default: print it)")
    parser.add_argument("--jobs", default="auto")
    parser.add_argument("--seed", default="3")
    parser.add_argument("--reports", type=Path, help="build the table from this earlier run's output folder")
    parser.add_argument("--keep", action="store_true", help="keep the samples and the grading's output")
    args = parser.parse_args()
    if args.reports:
        return write(args, reports_in(args.reports))
    work = Path(tempfile.mkdtemp(prefix="grader-diagnoses-"))
    try:
        for name in COMBINED:
            make(name, work)
        shutil.copytree(HERE.parent / "reference", work / "reference", ignore=shutil.ignore_patterns("__pycache__"))
        only = sorted({f for fs in FUNCTIONS.values() for f in fs})
        code = grader(["grade", *(str(work / n) for n in [*COMBINED, "reference"]), "--out", str(work / "out"),
                       "--seed", args.seed, "--jobs", args.jobs, "--only", ",".join(only), "--no-similarity"])
        if code != 0:
            return code
        return write(args, reports_in(work / "out"))
    finally:
        if args.keep:
            print("samples and output kept in %s (--reports %s rebuilds the table)" % (work, work / "out"))
        else:
            shutil.rmtree(work, ignore_errors=True)


def reports_in(out: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/report.json")}


def write(args, reports: dict[str, dict]) -> int:
    text = table(reports)
    if args.out:
        args.out.write_text(HEADER % args.seed + text)
    else:
        print(text, end="")
    return 0


HEADER = """# Diagnoses of combined mistakes, per sample

Generated by `python submissions/diagnosis_table.py --out docs/diagnoses.md` (seed %s): each sample of
`submissions/make_combined.py` graded on the functions its mistakes can sit in, beside the reference. "Blamed"
and "what the report says" are read from the reports; the slow tests (`tests/test_*probes*_samples.py`) assert
each of these sentences exactly. Where a sentence is the catalogue's, the probes found its single mistake
written another way.

"""

if __name__ == "__main__":
    sys.exit(main())
