r"""LaTeX math in markdown as MathML, which browsers draw natively: the pages run no script, so MathJax cannot.

Formulas are found as Jupyter finds them (nbconvert's parser: ``$...$``, ``$$...$$``, ``\\(...\\)``,
``\\[...\\]``, ``\begin{env}...\end{env}``; never inside code; a single ``\(`` is markdown's escaped
parenthesis, as in Jupyter), converted by latex2mathml and cleaned by bleach down to presentational MathML.
A formula that cannot be converted stays as escaped text.
"""
from __future__ import annotations

import html
from typing import Any, Callable

MATHML_NAMESPACE = "http://www.w3.org/1998/Math/MathML"
MATHML_TAGS = frozenset({
    "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msqrt", "mroot", "mfrac", "msub", "msup",
    "msubsup", "munder", "mover", "munderover", "mtable", "mtr", "mtd", "mstyle", "mpadded", "mphantom",
    "menclose", "merror"})
"""Presentation MathML elements kept; nothing that links, acts or embeds other markup (maction, annotation-xml)."""
MATHML_ATTRIBUTES = frozenset({
    "display", "mathvariant", "mathsize", "mathcolor", "mathbackground", "displaystyle", "scriptlevel",
    "stretchy", "fence", "separator", "form", "largeop", "movablelimits", "symmetric", "accent", "accentunder",
    "lspace", "rspace", "minsize", "maxsize", "width", "height", "depth", "voffset", "linethickness", "notation",
    "columnalign", "rowalign", "columnspacing", "rowspacing", "columnlines", "rowlines", "frame", "columnspan",
    "rowspan", "linebreak"})
"""Layout attributes kept on MathML elements: no href, style, class or event handler."""
MAX_FORMULA_CHARS = 5_000
"""Longest formula converted (about 0.1 s); a longer one is shown as its source."""


def mathml_attribute(name: str, value: str) -> bool:
    """Whether a MathML element keeps attribute ``name`` with ``value``."""
    return name in MATHML_ATTRIBUTES or (name == "xmlns" and value == MATHML_NAMESPACE)


def latex_to_mathml(latex: str, display: bool) -> str:
    """``latex`` as sanitized MathML (a block when ``display``), or as escaped ``$latex$`` if it cannot be converted."""
    import bleach
    from latex2mathml.converter import convert

    try:
        if len(latex) > MAX_FORMULA_CHARS:
            raise ValueError("formula too long")
        mathml = convert(latex, display="block" if display else "inline")
    except Exception:  # noqa: BLE001 - latex2mathml raises many kinds on bad LaTeX; the source is shown instead
        delimiter = "$$" if display else "$"
        return html.escape(delimiter + latex + delimiter, quote=False)
    return bleach.clean(mathml, tags=MATHML_TAGS, attributes=lambda tag, name, value: mathml_attribute(name, value),
                        strip_comments=True)


class MathMLRendering:
    """Renderer methods (mixed into a mistune renderer) for nbconvert's math tokens: each formula as MathML."""

    def inline_math(self, body: str) -> str:
        return latex_to_mathml(body, display=False)

    def block_math(self, body: str) -> str:
        return latex_to_mathml(body, display=True)

    def latex_environment(self, name: str, body: str) -> str:
        return latex_to_mathml("\\begin{%s}%s\\end{%s}" % (name, body, name), display=True)


def markdown_with_math(renderer: Any) -> Callable[[str], str]:
    """A markdown-to-HTML function that finds math as Jupyter does and hands it to ``renderer``."""
    from nbconvert.filters.markdown_mistune import MarkdownWithMath  # slow to import: only when there is markdown

    return MarkdownWithMath(renderer=renderer).render
