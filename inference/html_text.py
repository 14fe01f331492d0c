"""An HTML page's article text, and where in it the page set a block quotation.

Why the second part: trafilatura's plain text drops the markup, so a
``<blockquote>`` (a source's statement quoted at length, a pull quote, an
embedded post) arrives as an ordinary paragraph without quotation marks, and
the scorer would charge its words to the author's voice. trafilatura's extracted
tree keeps it as ``<quote>``; we put a sentinel character at each quotation's
first and last character in a copy of that tree, render it with trafilatura's
own XML-to-text step, and read the sentinels' positions off the result. One
extraction serves the text and the quotations.

The text itself is always trafilatura's plain extraction, unchanged (rendered
from the tree as ``trafilatura.extract`` renders it): the marked rendering is
used only when, sentinels removed, it is exactly that text. When
it is not (another trafilatura version renders differently), or the page has
no ``<blockquote>``, or anything in this optional pass fails, the page
simply has no quotation ranges, as before.
"""
from __future__ import annotations

import copy
import re

import trafilatura
import trafilatura.xml
from trafilatura.utils import normalize_unicode
from trafilatura.xml import xmltotxt

__all__ = ["extract_article", "EXTRACT_OPTIONS"]

NEVER_ARTICLE = ["//nav", "//footer", "//aside", "//*[@role='navigation']", "//*[@role='contentinfo']"]
"""Pruned before extraction: on a short page trafilatura's fallback extractors keep menu text
("Home | About") that its main pass drops; these elements never hold the article."""

EXTRACT_OPTIONS = {"include_comments": False, "include_tables": False, "prune_xpath": NEVER_ARTICLE}

_OPEN, _CLOSE = "\u27e6", "\u27e7"  # ⟦ ⟧: printable (trafilatura drops private-use characters), rare in news


_INLINE_Q = re.compile(r"<q\b[^>]*>|</q\s*>", re.I)
_INLINE_Q_BYTES = re.compile(_INLINE_Q.pattern.encode(), re.I)


def inline_quotes_as_marks(html: str | bytes) -> str | bytes:
    """``<q>…</q>`` as “…”, which is how a browser shows it. trafilatura turns an inline ``<q>`` into a
    block of its own, breaking its sentence over three lines without the marks that tell
    :mod:`inference.quotes` it is someone's words ("He called the plan\na betrayal\nof families").
    The marks go in as character references, so a page's bytes keep whatever charset they are in."""
    def mark(tag: str) -> str:
        return "&#8221;" if tag.startswith("</") else "&#8220;"

    if isinstance(html, bytes):
        return _INLINE_Q_BYTES.sub(lambda m: mark(m.group().decode("latin-1")).encode(), html)
    return _INLINE_Q.sub(lambda m: mark(m.group()), html)


def extract_article(html: str | bytes) -> tuple[str | None, list[tuple[int, int]]]:
    """``(text, quotations)``: trafilatura's article text (None when it finds none) and the
    ``(start, end)`` character ranges of ``text`` that the page marks as block quotations.

    One extraction serves both: the text is rendered from the extracted tree exactly as
    ``trafilatura.extract`` renders it, and the quotations are read off the same tree."""
    html = inline_quotes_as_marks(html)
    document = trafilatura.bare_extraction(html, output_format="txt", **EXTRACT_OPTIONS)
    if document is None or document.body is None:
        return None, []
    text = normalize_unicode(xmltotxt(document.body, False))
    if not text.strip():
        return text, []
    try:
        return text, quotation_ranges(document.body, text)
    except Exception:  # an optional refinement: never lose the article over it
        return text, []


def quotation_ranges(body, text: str) -> list[tuple[int, int]]:
    """Ranges of ``text`` (the plain rendering of trafilatura's extracted tree ``body``) inside its
    ``<quote>`` elements; [] when there are none or the marked rendering does not agree."""
    if _OPEN in text or _CLOSE in text or body.find(".//quote") is None:
        return []
    body = copy.deepcopy(body)
    for quote in body.iter("quote"):
        if not any(q.tag == "quote" for q in quote.iterancestors()):
            _mark(quote)
    marked = normalize_unicode(trafilatura.xml.xmltotxt(body, False))
    if marked.replace(_OPEN, "").replace(_CLOSE, "") != text:
        return []
    ranges, start, removed = [], None, 0
    for i, ch in enumerate(marked):
        if ch == _OPEN:
            start = i - removed
            removed += 1
        elif ch == _CLOSE:
            if start is not None and i - removed > start:
                ranges.append((start, i - removed))
            start = None
            removed += 1
    return ranges


def _slots(el, top=True):
    """(element, "text" | "tail") holding visible characters inside ``el``, in document order
    (a child's tail comes after the child's own content)."""
    if el.text and el.text.strip():
        yield el, "text"
    for child in el:
        yield from _slots(child, False)
        if child.tail and child.tail.strip():
            yield child, "tail"


def _mark(quote) -> None:
    """Sentinels just before the first and just after the last visible character inside ``quote``."""
    slots = list(_slots(quote))
    if not slots:
        return
    el, attr = slots[0]
    value = getattr(el, attr)
    lead = len(value) - len(value.lstrip())
    setattr(el, attr, value[:lead] + _OPEN + value[lead:])
    el, attr = slots[-1]
    value = getattr(el, attr)
    trail = len(value.rstrip())
    setattr(el, attr, value[:trail] + _CLOSE + value[trail:])
