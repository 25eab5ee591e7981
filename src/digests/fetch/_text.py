"""HTML from feeds reduced to clean text."""

from __future__ import annotations

import html
import re

import lxml.etree
import lxml.html

_BLOCKS = (
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figure",
    "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre",
    "section", "table", "tr", "ul",
)  # fmt: skip
_INVISIBLE = ("script", "style", "noscript", "template", "iframe", "object")
#: A tag ends at the first ">"; a "<" inside one starts the next try instead, so no character is
#: scanned twice (with "<[^>]*>", a run of "<" without ">" took quadratic time).
_TAG = re.compile(r"<[^<>]*+>")


def _squash_lines(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def html_to_text(markup: str) -> str:
    """Visible text of an HTML fragment: one line per block, entities decoded, spaces folded."""
    if "<" not in markup and "&" not in markup:
        return _squash_lines(markup)
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return _squash_lines(html.unescape(_TAG.sub(" ", markup)))
    for element in list(root.iter(*_INVISIBLE)):
        element.drop_tree()
    for element in root.iter(*_BLOCKS):
        element.tail = "\n" + (element.tail or "")
        if element.tag == "br":
            continue
        element.text = "\n" + (element.text or "")
    return _squash_lines(root.text_content())


def one_line(markup: str) -> str:
    """Like :func:`html_to_text`, on a single line (for titles)."""
    return " ".join(html_to_text(markup).split())


def shorten(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.")
    return cut + "…"
