"""What ``grader.notebook.check`` shows: a compact HTML table in Jupyter and Colab, plain text elsewhere."""
from __future__ import annotations

from html import escape

from grader.model import CheckResult, Report, settled
from grader.terminal import detail_lines, mark, metric_text, skipped_note

COLOURS = {"passed": "#1a7f37", "skipped": "#6e7781"}
FAILING_COLOUR = "#cf222e"


class CheckResults:
    """The results of one ``check(...)`` call: ``report`` holds everything, ``passed`` says whether every check
    that ran passed."""

    def __init__(self, name: str, report: Report, source: str, note: str = ""):
        self.name = name
        self.report = report
        self.source = source
        self.note = note

    @property
    def passed(self) -> bool:
        return all(settled(c) for c in self.report.checks)

    def headline(self) -> str:
        ran = [c for c in self.report.checks if c.status != "skipped"]
        good = sum(c.status == "passed" for c in ran)
        return "%s: %d of %d check(s) pass, %g / %g points%s" % (
            self.name, good, len(ran), self.report.score, self.report.max_score, skipped_note(self.report))

    def footer(self) -> str:
        release = self.report.grader.release
        by = " by %s %s" % (release.get("name", ""), release.get("version", "")) if release else ""
        return "checked against the %s%s" % (self.source, by)

    def __str__(self) -> str:
        lines = [self.headline()]
        for problem in self.report.problems:
            lines.append("  ! %s" % problem)
        for c in self.report.checks:
            lines.append("  %-7s %s" % (mark(c), c.id))
            if not settled(c):
                lines += ["          %s" % line for line in c.message.splitlines()[:4]
                          + ([metric_text(c)] if metric_text(c) else []) + detail_lines(c)]
        lines.append(self.footer())
        if self.note:
            lines.append("note: %s" % self.note)
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour = COLOURS["passed"] if self.passed else FAILING_COLOUR
        rows = "".join(_row(c) for c in self.report.checks)
        problems = "".join("<div style='color:%s'>%s</div>" % (FAILING_COLOUR, escape(p)) for p in self.report.problems)
        note = "<br>note: %s" % escape(self.note) if self.note else ""
        return ("<div class='grader-check'><div style='font-weight:bold;color:%s'>%s</div>%s"
                "<table style='border-collapse:collapse;font-size:90%%'><thead><tr>"
                "<th style='text-align:left'></th><th style='text-align:left'>check</th>"
                "<th style='text-align:left'>message</th><th style='text-align:left'>metric (threshold)</th>"
                "</tr></thead><tbody>%s</tbody></table>"
                "<div style='font-size:80%%;color:#6e7781'>%s%s</div></div>"
                % (colour, escape(self.headline()), problems, rows, escape(self.footer()), note))


def _row(c: CheckResult) -> str:
    colour = COLOURS.get(c.status, FAILING_COLOUR)
    metric = ""
    if c.metric is not None and c.metric.value is not None:
        metric = "%s %.3g (%s %.3g)" % (escape(c.metric.name), c.metric.value,
                                         "&le;" if c.status == "passed" else "limit", c.metric.threshold)
    lines = detail_lines(c) if not settled(c) else []
    details = ("<details><summary>details</summary><pre style='white-space:pre-wrap'>%s</pre></details>"
               % escape("\n".join(lines)) if lines else "")
    return ("<tr style='border-top:1px solid #d0d7de'><td style='color:%s;font-weight:bold;vertical-align:top'>%s</td>"
            "<td style='vertical-align:top'><code>%s</code></td>"
            "<td style='text-align:left;vertical-align:top'>%s%s</td>"
            "<td style='vertical-align:top'>%s</td></tr>"
            % (colour, mark(c), escape(c.id), escape(c.message), details, metric))
