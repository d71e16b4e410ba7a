"""``notebooks/<name>.html``: each notebook of the submission rendered by nbconvert, for the instructor's eye.

Outputs and images are kept; long text outputs are cut in the middle and images over a size limit are
replaced by a note. Math in markdown is drawn as MathML. The page runs no script: student HTML is cleaned
(bleach), JavaScript outputs and widget state are dropped, and a Content-Security-Policy forbids scripts and
outside resources. A notebook that cannot be rendered gets a short page saying why.
"""
from __future__ import annotations

import functools
import html
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from grader import hookimpl
from grader.atomic import write_atomic
from grader.config import GradingConfig
from grader.model import Report
from grader.notebooks import html_name, parse_notebook
from grader.writers._math import MATHML_TAGS, MathMLRendering, markdown_with_math, mathml_attribute

if TYPE_CHECKING:
    from nbformat import NotebookNode

MAX_TEXT_CHARS = 10_000
"""Longest text output (stream, text/plain, traceback, HTML) shown whole; longer ones are cut in the middle."""
MAX_IMAGE_BYTES = 2 * 2**20
"""Largest image (base64 size) kept in a rendered notebook."""
MAX_MARKDOWN_CHARS = 50_000

CSP = ("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
       "style-src 'unsafe-inline'; font-src data:\">")
SHOWN_MIMETYPES = ("text/plain", "text/html", "text/markdown", "text/latex", "image/png", "image/jpeg",
                   "image/svg+xml")
"""Output types rendered; others (JavaScript, widgets, ...) are dropped with a note."""

PAGE_CSS = """
body { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2330; margin: 0;
       background: #f5f6f8; }
main { max-width: 1040px; margin: 0 auto; padding: 12px 24px 40px; background: #fff; }
.banner { margin: 0; padding: 6px 24px; background: #fff6e0; border-bottom: 1px solid #f0c36d; font-size: 13px; }
.cell { margin: 10px 0; }
.input, .output_area, .text_cell { display: flex; gap: 8px; }
.prompt { flex: 0 0 64px; text-align: right; font: 12px ui-monospace, Menlo, Consolas, monospace; color: #303f9f;
          padding-top: 6px; }
.output_area .prompt { color: #d84315; }
.inner_cell, .output_subarea { flex: 1; min-width: 0; }
.input_area { background: #f7f7f9; border: 1px solid #e0e2e6; border-radius: 4px; }
pre { margin: 0; padding: 4px 8px; font: 12.5px/1.4 ui-monospace, Menlo, Consolas, monospace; white-space: pre-wrap;
      word-break: break-word; }
.output_stderr { background: #fdecec; }
.output_subarea img { max-width: 100%; }
.text_cell_render { padding: 0 4px; }
math { font-family: "STIX Two Math", "Cambria Math", "Latin Modern Math", "DejaVu Math TeX Gyre", math; }
.rendered_html table { border-collapse: collapse; }
.rendered_html th, .rendered_html td { border: 1px solid #d0d4da; padding: 2px 8px; }
.anchor-link { display: none; }
.ansi-red-fg { color: #c62828; } .ansi-green-fg { color: #2e7d32; } .ansi-yellow-fg { color: #b26a00; }
.ansi-blue-fg { color: #1565c0; } .ansi-cyan-fg { color: #00838f; } .ansi-bold { font-weight: bold; }
"""
"""A small stylesheet for nbconvert's ``basic`` template (a few KB instead of JupyterLab's ~270 KB per page)."""

_QUIET = logging.getLogger("grader.nbconvert")
_QUIET.setLevel(logging.CRITICAL + 1)  # nbconvert's notes on a student's notebook are not the grader's output
_QUIET.propagate = False

_local = threading.local()
_IMPORTING = threading.RLock()
"""Held while nbconvert, nbformat and pygments load (see ``_libraries``)."""

_TAGS = frozenset({
    "a", "abbr", "acronym", "b", "blockquote", "code", "em", "i", "li", "ol", "strong", "ul", "p", "div", "span",
    "pre", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tfoot", "tr", "th", "td",
    "caption", "img", "sup", "sub", "del", "s", "u", "mark", "small", "kbd", "samp", "var", "dl", "dt", "dd",
    "details", "summary", "figure", "figcaption"})
_CELL_ATTRIBUTES = ("align", "colspan", "rowspan")


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    """Attributes kept in student HTML: no event handlers or styles, images only as embedded data."""
    if tag in MATHML_TAGS:
        return mathml_attribute(name, value)
    if name in ("class", "id", "title"):
        return True
    if tag == "a":
        return name == "href" and not value.strip().lower().startswith("data:")
    if tag == "img":
        return name in ("alt", "width", "height") or (name == "src" and value.startswith("data:image/"))
    return tag in ("th", "td") and name in _CELL_ATTRIBUTES


def clean_html(text: Any) -> str:
    """Student HTML (markdown cells, HTML outputs) with only harmless tags and attributes left."""
    import bleach  # with nbconvert, only imported when a notebook is rendered

    text = text.decode() if isinstance(text, bytes) else str(text)
    return bleach.clean(text, tags=_TAGS | MATHML_TAGS, attributes=_allowed_attribute,
                        protocols={"http", "https", "mailto", "data"}, strip_comments=True)


def trim_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """``text`` cut in the middle to about ``limit`` characters, with a note of how much was left out."""
    if len(text) <= limit:
        return text
    head, tail = text[: limit * 2 // 3], text[-(limit // 3):]
    return "%s\n[... %d characters left out by the grader ...]\n%s" % (head, len(text) - len(head) - len(tail), tail)


def trim_notebook(nb: NotebookNode) -> int:
    """Make ``nb`` (changed in place) safe and small to render; returns how many parts were cut or dropped."""
    nb.metadata.pop("widgets", None)
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "python3"}
    changed = 0
    for index, cell in enumerate(nb.cells):
        if not isinstance(cell.get("id"), str):
            cell["id"] = "cell-%d" % index  # nbformat 4.5 wants one; older notebooks and broken ones lack it
        source = _text(cell.get("source", ""))
        cell.source = trim_text(source, MAX_MARKDOWN_CHARS)
        changed += len(source) > MAX_MARKDOWN_CHARS
        for attachment in (cell.get("attachments") or {}).values():
            for mime in [m for m, b64 in attachment.items() if len(_text(b64)) > MAX_IMAGE_BYTES]:
                del attachment[mime]
                changed += 1
        if cell.get("cell_type") == "code":
            changed += sum(_trim_output(output) for output in cell.get("outputs", []))
    return changed


def _trim_output(output: NotebookNode) -> bool:
    """Cut or drop what is too big or unsafe in one output (in place); True when something was."""
    kind = output.get("output_type")
    if kind == "stream":
        text = _text(output.get("text", ""))
        output.text = trim_text(text)
        return len(text) > MAX_TEXT_CHARS
    if kind == "error":
        text = "\n".join(output.get("traceback", []))
        output.traceback = trim_text(text).split("\n")
        return len(text) > MAX_TEXT_CHARS
    output.get("metadata", {}).pop("filenames", None)
    data = output.get("data", {})
    notes = []
    for mime in list(data):
        size = len(_text(data[mime]))
        if mime not in SHOWN_MIMETYPES:
            notes.append("[%s output not shown]" % mime)
        elif mime.startswith("image/") and size > MAX_IMAGE_BYTES:
            notes.append("[%s image of %.1f MB not shown: over the grader's %g MB limit]"
                         % (mime, size * 3 / 4 / 2**20, MAX_IMAGE_BYTES / 2**20))
        elif mime != "text/plain" and not mime.startswith("image/") and size > MAX_TEXT_CHARS:
            notes.append("[%s output of %d characters not shown]" % (mime, size))
        else:
            continue
        del data[mime]
    plain = _text(data.get("text/plain", ""))
    shown = "\n".join(notes + [trim_text(plain)]).strip()
    if shown:
        data["text/plain"] = shown
    return bool(notes) or len(plain) > MAX_TEXT_CHARS


def _text(value: Any) -> str:
    return "".join(map(str, value)) if isinstance(value, list) else str(value)


@jinja2.pass_context
def markdown2html(context: Any, source: str) -> str:
    """nbconvert's ``markdown2html`` filter (markdown cells and outputs) with math drawn as MathML."""
    cell = context.get("cell") or {}
    return markdown_with_math(_renderer_class()(escape=False, attachments=cell.get("attachments", {})))(source)


@functools.cache
def _renderer_class() -> type:
    """nbconvert's markdown renderer with formulas as MathML (a class made on first use: nbconvert is slow to load)."""
    with _IMPORTING:
        from nbconvert.filters.markdown_mistune import IPythonRenderer

    return type("MathMLRenderer", (MathMLRendering, IPythonRenderer), {})


def _exporter() -> Any:
    """This thread's nbconvert exporter (its templates compile once, in about 0.3 s)."""
    if not hasattr(_local, "exporter"):
        _libraries()
        with _IMPORTING:  # what the exporter loads on first use (lexers, templates) is loaded lazily too
            from nbconvert import HTMLExporter  # slow to import: only when a notebook is rendered

            _local.exporter = HTMLExporter(template_name="basic", sanitize_html=True, log=_QUIET,
                                           filters={"clean_html": clean_html, "markdown2html": markdown2html})
    return _local.exporter


@functools.cache
def _libraries() -> tuple[Any, Any]:
    """nbformat and pygments' ``HtmlFormatter``, imported on first use by one thread at a time: pygments loads
    its formatters lazily, and two grading threads (``--jobs``) importing it at once could see it half-loaded
    (``ImportError: cannot import name 'HtmlFormatter'``)."""
    with _IMPORTING:
        import nbformat
        from pygments.formatters import HtmlFormatter
        import nbconvert  # noqa: F401 - pulls in pygments' lexers and mistune under the same lock

        return nbformat, HtmlFormatter


def render_notebook(name: str, data: bytes) -> str:
    """The HTML page of one notebook, or a short page saying why it could not be rendered."""
    nbformat, HtmlFormatter = _libraries()

    doc, problem = parse_notebook(data)
    if doc is None:
        return error_page(name, "%s %s." % (name, problem))
    try:
        nb = nbformat.from_dict(doc)
        cut = trim_notebook(nb)
        body, _ = _exporter().from_notebook_node(nb)
    except Exception as exc:  # noqa: BLE001 - a notebook nbconvert cannot render must not stop the batch
        return error_page(name, "%s could not be rendered (%s: %s)." % (name, type(exc).__name__, exc))
    note = "; %d part(s) cut or left out for size or safety" % cut if cut else ""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n%s\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>%s</title>\n"
            "<style>\n%s\n%s\n</style>\n</head>\n<body>\n<p class=\"banner\"><strong>%s</strong>, rendered by the "
            "grader (scripts disabled%s)</p>\n<main>\n%s\n</main>\n</body>\n</html>\n"
            % (CSP, html.escape(name), PAGE_CSS, HtmlFormatter().get_style_defs(".highlight"), html.escape(name),
               note, body))


def error_page(name: str, reason: str) -> str:
    """A minimal page for a notebook that could not be rendered."""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n%s\n<title>%s</title>\n</head>\n"
            "<body>\n<h1>%s</h1>\n<p>%s</p>\n</body>\n</html>\n"
            % (CSP, html.escape(name), html.escape(name), html.escape(reason[:1000])))


@hookimpl
def grader_write_report(report: Report, out_dir: Path, config: GradingConfig) -> None:
    """Write ``out_dir/notebooks/<name>.html`` for each notebook, then drop the notebooks' bytes from the report."""
    sources, report.notebook_sources = report.notebook_sources, {}
    shown = {name: data for name, data in sources.items() if Path(name).name == name and name.endswith(".ipynb")}
    if not shown:
        return
    for name, data in shown.items():
        write_atomic(out_dir / "notebooks" / html_name(name), render_notebook(name, data))
