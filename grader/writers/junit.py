"""``junit.xml``: one ``<testsuite>`` per exercise, one ``<testcase>`` per check, for CI tools."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from grader import hookimpl
from grader.atomic import atomic_path
from grader.config import GradingConfig
from grader.model import CheckResult, Report
from grader.writers._format import check_text, exercise_groups, xml_text


def _testcase(check: CheckResult) -> ET.Element:
    case = ET.Element("testcase", classname=xml_text(check.exercise), name=xml_text(check.id),
                      time=f"{check.duration_s:.3f}")
    message = xml_text(check.message)
    if check.status == "failed":
        ET.SubElement(case, "failure", message=message, type="AssertionError").text = xml_text(check_text(check))
    elif check.status in ("error", "timeout"):
        kind = "timeout" if check.status == "timeout" else "error"
        ET.SubElement(case, "error", message=message, type=kind).text = xml_text(check_text(check))
    elif check.status == "skipped":
        ET.SubElement(case, "skipped", message=message)
    stdout = check.details.get("stdout")
    if stdout:
        ET.SubElement(case, "system-out").text = xml_text(stdout)
    return case


def _counts(checks: list[CheckResult]) -> dict[str, str]:
    statuses = [c.status for c in checks]
    return {
        "tests": str(len(statuses)),
        "failures": str(statuses.count("failed")),
        "errors": str(statuses.count("error") + statuses.count("timeout")),
        "skipped": str(statuses.count("skipped")),
        "time": f"{sum(c.duration_s for c in checks):.3f}",
    }


def junit_tree(report: Report) -> ET.ElementTree:
    """The JUnit document for one report."""
    root = ET.Element("testsuites", name=xml_text(report.submission.id), **_counts(report.checks))
    for summary, checks in exercise_groups(report):
        if not checks:
            continue
        suite = ET.SubElement(root, "testsuite", name=xml_text(summary.id), **_counts(checks))
        blamed = [c for c in checks if c.blame]
        if blamed:  # which functions each failure is blamed on (testcases have no properties in the schema)
            properties = ET.SubElement(suite, "properties")
            for check in blamed:
                ET.SubElement(properties, "property", name=xml_text("blame:" + check.id),
                              value=xml_text(", ".join(check.blame)))
        suite.extend(_testcase(check) for check in checks)
    ET.indent(root)
    return ET.ElementTree(root)


def write_junit(report: Report, path: Path) -> None:
    """Write the JUnit XML of ``report`` to ``path`` (also used by ``grader check --junit FILE``)."""
    with atomic_path(path) as temp:
        junit_tree(report).write(temp, encoding="utf-8", xml_declaration=True)


@hookimpl
def grader_write_report(report: Report, out_dir: Path, config: GradingConfig) -> None:
    """Write ``out_dir/junit.xml``."""
    write_junit(report, out_dir / "junit.xml")


@hookimpl
def grader_export(report: Report, kind: str, path: Path) -> bool | None:
    """``grader check --junit FILE``."""
    if kind != "junit":
        return None
    write_junit(report, path)
    return True
