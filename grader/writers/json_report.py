"""``report.json``: the ``grader.report/1`` document, with non-finite numbers written as ``null``."""
from __future__ import annotations

import json
from pathlib import Path

from grader import hookimpl
from grader.config import GradingConfig
from grader.model import Report
from grader.writers._format import json_safe


@hookimpl
def grader_write_report(report: Report, out_dir: Path, config: GradingConfig) -> None:
    """Write ``out_dir/report.json``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(json_safe(report.to_json()), indent=2, allow_nan=False)
    (out_dir / "report.json").write_text(text + "\n", encoding="utf-8")
