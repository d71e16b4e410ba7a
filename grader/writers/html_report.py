"""``report.html``: a self-contained page (inline CSS and SVG, no scripts) for one submission."""
from __future__ import annotations

import json
import math
import numbers
import re
from pathlib import Path
from typing import Any

import jinja2
import mistune
from markupsafe import Markup, escape

from grader import hookimpl
from grader.atomic import write_atomic
from grader.config import GradingConfig
from grader.localization import display_name
from grader.model import CheckResult, Report
from grader.notebooks import HTML_COMMENT
from grader import tracks
from grader.writers._format import exercise_groups, format_number, json_safe, metric_comparison, xml_text
from grader.writers._math import MathMLRendering, markdown_with_math

_PRE_DETAILS = ("expected", "got", "traceback", "stdout")
_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")
_WIDTH, _HEIGHT = 560, 300
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, _WIDTH - 150, 30, _HEIGHT - 44

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)


def breakable(name: str) -> Markup:
    """``name`` escaped, with line-break opportunities after its dots and slashes (long dotted check ids).

    The cell showing it carries the unbroken name as its ``title``, for hovering and for text search.
    """
    return Markup(re.sub(r"([./])", r"\1<wbr>", str(escape(name))))


_env.filters["breakable"] = breakable


def code_spans(text: str) -> Markup:
    """Plain text with its `backquoted` names shown as code (everything else escaped)."""
    parts = str(text).split("`")
    return Markup("".join(str(escape(p)) if i % 2 == 0 else "<code>%s</code>" % escape(p)
                          for i, p in enumerate(parts)) if len(parts) % 2 else escape(text))


_env.filters["code_spans"] = code_spans


def _text(value: Any) -> str:
    """A details value as text: strings as they are, anything else as indented JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(json_safe(value), indent=2, default=str)


def _detail_sections(details: dict[str, Any]) -> dict[str, Any]:
    """Split ``details`` into the inputs table, preformatted blocks and other key/value pairs."""
    inputs = details.get("inputs")
    table = isinstance(inputs, dict)
    return {
        "inputs": {str(k): _text(v) for k, v in inputs.items()} if table else {},
        "pre": [(key, _text(details[key])) for key in _PRE_DETAILS if details.get(key) not in (None, "")],
        "other": [(str(k), _text(v)) for k, v in details.items()
                  if k not in _PRE_DETAILS and not (k == "inputs" and table)],
    }


def _nice_step(span: float, count: int = 5) -> float:
    """A step of 1, 2 or 5 times a power of ten giving about ``count`` intervals over ``span``."""
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 5, 10) if raw <= m * magnitude)


def _plottable(value: Any, log_y: bool) -> bool:
    return (isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
            and abs(value) < 1e300 and (value > 0 or not log_y))


def _y_axis(values: list[float], log_y: bool) -> tuple[float, float, list[tuple[float, str]]]:
    """Axis range (in plotted units, log10 when ``log_y``) and its ticks as (position, label)."""
    lo, hi = min(values), max(values)
    if hi - lo <= 1e-12 * max(abs(lo), abs(hi), 1e-300):
        pad = 0.5 if log_y else (abs(lo) * 0.1 or 1.0)
        lo, hi = lo - pad, hi + pad
    if log_y:
        lo, hi = math.floor(lo), math.ceil(hi)
        stride = max(1, math.ceil((hi - lo) / 6))
        return lo, hi, [(k, format_number(10.0**k, 3)) for k in range(lo, hi + 1, stride)]
    step = _nice_step(hi - lo)
    k_lo, k_hi = math.floor(lo / step), math.ceil(hi / step)
    return k_lo * step, k_hi * step, [(k * step, format_number(k * step, 3)) for k in range(k_lo, k_hi + 1)]


def _f(x: float) -> str:
    return f"{x:.1f}"


def curve_svg(artifact: dict[str, Any]) -> Markup:
    """An inline SVG line chart of a ``curve`` artifact: axes, ticks, one line per series, legend."""
    log_y = bool(artifact.get("log_y"))
    series = artifact.get("series")
    series = {str(k): list(v or []) for k, v in series.items()} if isinstance(series, dict) else {}
    threshold = artifact.get("threshold")
    threshold = threshold if _plottable(threshold, log_y) else None
    to_y = math.log10 if log_y else float
    values = [to_y(v) for vs in series.values() for v in vs if _plottable(v, log_y)]
    title = escape(str(artifact.get("title", "")))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="curve" width="{_WIDTH}" height="{_HEIGHT}" '
           f'viewBox="0 0 {_WIDTH} {_HEIGHT}" role="img"><title>{title}</title>',
           f'<text x="{(_LEFT + _RIGHT) / 2}" y="18" text-anchor="middle" class="title">{title}</text>',
           f'<rect x="{_LEFT}" y="{_TOP}" width="{_RIGHT - _LEFT}" height="{_BOTTOM - _TOP}" class="frame"/>']
    if not values:
        out.append(f'<text x="{(_LEFT + _RIGHT) / 2}" y="{(_TOP + _BOTTOM) / 2}" text-anchor="middle">'
                   "no finite values to plot</text></svg>")
        return Markup("".join(out))
    if threshold is not None:
        values.append(to_y(threshold))
    y_lo, y_hi, y_ticks = _y_axis(values, log_y)
    x_hi = max(max(len(vs) for vs in series.values()) - 1, 1)
    x_step = max(1, round(_nice_step(x_hi)))

    def px(i: float) -> float:
        return _LEFT + (_RIGHT - _LEFT) * i / x_hi

    def py(v: float) -> float:
        return _BOTTOM - (_BOTTOM - _TOP) * (v - y_lo) / (y_hi - y_lo)

    for pos, label in y_ticks:
        out.append(f'<line x1="{_LEFT - 4}" x2="{_RIGHT}" y1="{_f(py(pos))}" y2="{_f(py(pos))}" class="grid"/>'
                   f'<text x="{_LEFT - 6}" y="{_f(py(pos) + 4)}" text-anchor="end">{label}</text>')
    for i in range(0, x_hi + 1, x_step):
        out.append(f'<line x1="{_f(px(i))}" x2="{_f(px(i))}" y1="{_BOTTOM}" y2="{_BOTTOM + 4}" class="axis"/>'
                   f'<text x="{_f(px(i))}" y="{_BOTTOM + 16}" text-anchor="middle">{i}</text>')
    if artifact.get("xlabel"):
        out.append(f'<text x="{(_LEFT + _RIGHT) / 2}" y="{_HEIGHT - 6}" text-anchor="middle">'
                   f'{escape(str(artifact["xlabel"]))}</text>')
    if artifact.get("ylabel"):
        out.append(f'<text transform="translate(14 {(_TOP + _BOTTOM) / 2}) rotate(-90)" text-anchor="middle">'
                   f'{escape(str(artifact["ylabel"]))}{" (log)" if log_y else ""}</text>')
    legend_x, legend_y = _RIGHT + 12, _TOP + 8
    for n, (name, vs) in enumerate(series.items()):
        color = _COLORS[n % len(_COLORS)]
        segments: list[list[str]] = [[]]
        for i, v in enumerate(vs):
            if _plottable(v, log_y):
                segments[-1].append(f"{_f(px(i))},{_f(py(to_y(v)))}")
            elif segments[-1]:
                segments.append([])
        for points in filter(None, segments):
            if len(points) == 1:
                x, y = points[0].split(",")
                out.append(f'<circle cx="{x}" cy="{y}" r="2.5" fill="{color}"/>')
            else:
                out.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{color}" '
                           'stroke-width="1.6"/>')
        y = legend_y + 16 * n
        out.append(f'<line x1="{legend_x}" x2="{legend_x + 18}" y1="{y}" y2="{y}" stroke="{color}" '
                   f'stroke-width="2"/><text x="{legend_x + 24}" y="{y + 4}">{escape(name[:22])}</text>')
    if threshold is not None:
        ty = _f(py(to_y(threshold)))
        y = legend_y + 16 * len(series)
        out.append(f'<line x1="{_LEFT}" x2="{_RIGHT}" y1="{ty}" y2="{ty}" class="threshold"/>'
                   f'<line x1="{legend_x}" x2="{legend_x + 18}" y1="{y}" y2="{y}" class="threshold"/>'
                   f'<text x="{legend_x + 24}" y="{y + 4}">threshold {format_number(threshold)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


_BASE64 = re.compile(r"[A-Za-z0-9+/=]+")


def _pictures(artifact: dict[str, Any]) -> dict[str, Any]:
    """An ``images`` artifact: a title and (label, data URI) pairs; only well-formed base64 PNGs are kept."""
    shown = []
    for item in artifact.get("images") or []:
        png = str(item.get("png", "")) if isinstance(item, dict) else ""
        if png and _BASE64.fullmatch(png):
            shown.append((str(item.get("label", "")), "data:image/png;base64," + png))
    return {"title": str(artifact.get("title", "")), "images": shown}


def _check_view(check: CheckResult) -> dict[str, Any]:
    return {
        "check": check,
        "comparison": metric_comparison(check.metric) if check.metric else "",
        "sections": _detail_sections(check.details),
        "curves": [curve_svg(a) for a in check.artifacts if a.get("kind") == "curve"],
        "pictures": [_pictures(a) for a in check.artifacts if a.get("kind") == "images"],
        "other_artifacts": [str(a.get("title") or a.get("kind") or "artifact")
                            for a in check.artifacts if a.get("kind") not in ("curve", "images")],
    }


_DATA_IMAGE = re.compile(r"data:image/(?:png|jpeg|gif);base64,[A-Za-z0-9+/=]+")


class _AnswerRenderer(MathMLRendering, mistune.HTMLRenderer):
    """Markdown to HTML with raw HTML escaped, HTML comments dropped, math as MathML, and images drawn only
    from the notebook's own attachments or embedded data (anything else is shown as its alt text: the page
    loads nothing)."""

    def __init__(self, *args: Any, images: dict[str, str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._images = images or {}

    def image(self, text: str, url: str, title: str | None = None) -> str:
        uri = self._images.get(url[len("attachment:"):]) if url.startswith("attachment:") else url
        if uri and _DATA_IMAGE.fullmatch(uri):
            return '<img src="%s" alt="%s">' % (uri, escape(text))
        return "[image: %s]" % text

    def block_html(self, html: str) -> str:
        shown = HTML_COMMENT.sub("", html)
        return super().block_html(shown) if shown.strip() else ""

    def inline_html(self, html: str) -> str:
        return super().inline_html(HTML_COMMENT.sub("", html))


def markdown_html(text: str, images: dict[str, str] | None = None) -> Markup:
    """A student's markdown as HTML: raw HTML escaped, comments hidden, math drawn, unsafe links neutralised,
    images only from ``images`` (the cells' attachments, name -> data URI) or embedded data, none loaded."""
    return Markup(markdown_with_math(_AnswerRenderer(escape=True, images=images))(text))


def _without_tables(markdown: str) -> str:
    """``markdown`` less its table lines (a parsed table is shown on its own)."""
    return "\n".join(line for line in markdown.splitlines() if not line.lstrip().startswith("|"))


def answer_images(question: dict[str, Any]) -> dict[str, str]:
    """A question row's images (attachment name -> data URI), only well-formed ones."""
    images = question.get("images")
    return {str(k): str(v) for k, v in images.items() if _DATA_IMAGE.fullmatch(str(v))} if isinstance(
        images, dict) else {}


def _question_view(question: dict[str, Any]) -> dict[str, Any]:
    table = question.get("table")
    table = table if isinstance(table, dict) else {}
    width = max((len(v) for v in table.values() if isinstance(v, list)), default=0)
    answer = str(question.get("answer") or "")
    return {
        "question": str(question.get("question") or question.get("id") or "question"),
        "answered": bool(question.get("answered")),
        "missing": bool(question.get("missing")),
        "prompt": markdown_html(str(question.get("prompt") or "")),
        "answer": answer,
        "answer_html": markdown_html(_without_tables(answer) if table else answer, answer_images(question)),
        "table": [(str(axis), [str(v) for v in values] + [""] * (width - len(values)))
                  for axis, values in table.items() if isinstance(values, list)],
        "steps": list(range(width)),
    }


def notebook_views(report: Report) -> list[dict[str, Any]]:
    """The manual-grading section: per notebook its facts, link and questions (answers rendered), each graded
    answer with its hand grade."""
    names = list(report.notebooks) + [str(q.get("notebook", "")) for q in report.questions]
    grades = {str(q.get("id")): q for q in (report.written or {}).get("questions", []) if isinstance(q, dict)}
    views = []
    for name in dict.fromkeys(names):
        facts = report.notebooks.get(name) or {}
        views.append({
            "name": name,
            "facts": facts,
            "link": facts["html"] if re.fullmatch(r"notebooks/[\w.-]+\.html", str(facts.get("html"))) else None,
            "checks": [c for c in facts.get("checks") or [] if isinstance(c, dict)],
            "questions": [{**_question_view(q), "grade": grades.get(str(q.get("id"))) if q.get("graded", True)
                           else None, "note": str(q.get("note") or "")}
                          for q in report.questions if str(q.get("notebook", "")) == name],
        })
    return views


def function_views(report: Report) -> list[dict[str, Any]]:
    """The per-function verdicts, as the page's first table shows them."""
    return [{"name": name, "short": display_name(name), "status": v.status, "blame": v.blame,
             "checks": [c for c in v.checks]} for name, v in report.functions.items()]


def check_anchors(report: Report) -> dict[str, str]:
    """An element id per check id (``check-`` and the id with anything but letters, digits, ``-_`` replaced)."""
    return {c.id: "check-" + re.sub(r"[^\w-]", "_", c.id) for c in report.checks}


def track_notes(report: Report) -> dict[str, str]:
    """Per exercise of a notebook done on two tracks, which one counts and why (``grader.tracks.describe``)."""
    by_id = {s.id: s for s in report.exercises}
    return {s.id: tracks.describe(s, by_id) for s in report.exercises}


def render_report(report: Report) -> str:
    """The HTML page for one report, without the control characters student output may hold."""
    return xml_text(_env.get_template("report.html.j2").render(
        report=report,
        functions=function_views(report),
        anchors=check_anchors(report),
        groups=[(summary, [_check_view(c) for c in checks]) for summary, checks in exercise_groups(report)],
        track_notes=track_notes(report),
        notebooks=notebook_views(report),
        unanswered=sum(not q.get("answered") for q in report.questions),
    ))


@hookimpl
def grader_write_report(report: Report, out_dir: Path, config: GradingConfig) -> None:
    """Write ``out_dir/report.html``."""
    write_atomic(out_dir / "report.html", render_report(report))
