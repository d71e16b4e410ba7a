"""``report.json``: the ``grader.report/1`` document, with non-finite numbers written as ``null``."""
from __future__ import annotations

import json
from pathlib import Path

from grader import hookimpl
from grader.atomic import write_atomic
from grader.config import GradingConfig
from grader.model import Report
from grader.writers._format import json_safe


@hookimpl
def grader_write_report(report: Report, out_dir: Path, config: GradingConfig) -> None:
    """Write ``out_dir/report.json``."""
    text = json.dumps(json_safe(report.to_json()), indent=2, allow_nan=False)
    write_atomic(out_dir / "report.json", text + "\n")
