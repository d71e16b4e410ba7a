"""Output writers: each module writes one file per submission (or per batch) through a writer hook."""

WRITER_PLUGINS = (
    "grader.writers.json_report",
    "grader.writers.html_report",
    "grader.writers.gradescope",
    "grader.writers.junit",
    "grader.writers.grades_csv",
    "grader.writers.notebooks_html",
    "grader.writers.dashboard",
    "grader.writers.markdown",
)
"""Dotted names of the built-in writer plugins, registered by the core."""
