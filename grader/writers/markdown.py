"""``--summary FILE``: a Markdown summary of one report, for a CI job page (``grader check``)."""
from __future__ import annotations

from pathlib import Path

from grader import hookimpl
from grader.localization import display_name
from grader.model import Report, settled, undecided


def markdown_summary(report: Report) -> str:
    """A Markdown summary for a CI job page: totals per exercise and a line per check that did not pass."""
    icon = {"passed": "✅", "failed": "❌", "error": "💥", "timeout": "⏱️", "skipped": "⏭️"}
    out = ["## Self-check: %g / %g" % (report.score, report.max_score), "",
           "| exercise | score |", "|---|---|"]
    out += ["| %s | %g / %g |" % (ex.title, ex.score, ex.max_score) for ex in report.exercises]
    wrong = [(name, v) for name, v in report.functions.items() if v.status != "passed"]
    if wrong:
        out += ["", "| | function | why |", "|---|---|---|"]
        out += ["| %s | `%s` | %s |" % (v.status, display_name(name), v.blame.replace("|", "\\|")[:300])
                for name, v in wrong]
    bad = [c for c in report.checks if not settled(c)]
    if bad:
        out += ["", "| | check | message |", "|---|---|---|"]
        out += ["| %s | `%s` | %s |" % ("❔" if undecided(c) else icon.get(c.status, c.status), c.id,
                                        c.message.replace("|", "\\|").replace("\n", " ")[:300]) for c in bad]
    else:
        out += ["", "All checks pass."]
    skipped = [c.id for c in report.checks if c.status == "skipped" and not undecided(c)]
    if skipped:
        out += ["", "Instructor-only (skipped): %s" % ", ".join("`%s`" % i for i in skipped)]
    return "\n".join(out) + "\n"


@hookimpl
def grader_export(report: Report, kind: str, path: Path) -> bool | None:
    """``grader check --summary FILE``."""
    if kind != "markdown":
        return None
    path.write_text(markdown_summary(report), encoding="utf-8")
    return True
