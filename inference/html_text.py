"""An HTML page's article text, and where in it the page set a block quotation.

Why the second part: trafilatura's plain text drops the markup, so a
``<blockquote>`` (a source's statement quoted at length, a pull quote, an
embedded post) arrives as an ordinary paragraph without quotation marks, and
the scorer would charge its words to the author's voice. trafilatura's XML
output keeps it as ``<quote>``; we put a sentinel character at each quotation's
first and last character in that tree, render it with trafilatura's own
XML-to-text step, and read the sentinels' positions off the result.

The text itself is always trafilatura's plain extraction, unchanged: the marked
rendering is used only when, sentinels removed, it is exactly that text. When
it is not (another trafilatura version renders differently), or the page has
no ``<blockquote>``, or anything in this optional pass fails, the page
simply has no quotation ranges, as before.
"""
from __future__ import annotations

import re

import trafilatura

__all__ = ["extract_article", "EXTRACT_OPTIONS"]

NEVER_ARTICLE = ["//nav", "//footer", "//aside", "//*[@role='navigation']", "//*[@role='contentinfo']"]
"""Pruned before extraction: on a short page trafilatura's fallback extractors keep menu text
("Home | About") that its main pass drops; these elements never hold the article."""

EXTRACT_OPTIONS = {"include_comments": False, "include_tables": False, "prune_xpath": NEVER_ARTICLE}

_OPEN, _CLOSE = "\u27e6", "\u27e7"  # ⟦ ⟧: printable (trafilatura drops private-use characters), rare in news
_HAS_QUOTE = re.compile(r"<blockquote\b", re.I)


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
    ``(start, end)`` character ranges of ``text`` that the page marks as block quotations."""
    html = inline_quotes_as_marks(html)
    text = trafilatura.extract(html, **EXTRACT_OPTIONS)
    if not text or not text.strip():
        return text, []
    try:
        return text, quotation_ranges(html, text)
    except Exception:  # an optional refinement: never lose the article over it
        return text, []


def quotation_ranges(html: str | bytes, text: str) -> list[tuple[int, int]]:
    """Ranges of ``text`` (the page's plain extraction) inside ``<quote>`` elements of trafilatura's
    XML for the same page; [] when the page has none or the two renderings do not agree."""
    probe = html.decode("latin-1") if isinstance(html, bytes) else html
    if not _HAS_QUOTE.search(probe) or _OPEN in text or _CLOSE in text:
        return []
    from lxml import etree
    from trafilatura.utils import normalize_unicode
    from trafilatura.xml import xmltotxt

    xml = trafilatura.extract(html, output_format="xml", **EXTRACT_OPTIONS)
    if not xml or "<quote" not in xml:
        return []
    main = etree.fromstring(xml.encode("utf-8")).find("main")
    if main is None:
        return []
    _drop_layout_whitespace(main)
    for quote in main.iter("quote"):
        if not any(q.tag == "quote" for q in quote.iterancestors()):
            _mark(quote)
    marked = normalize_unicode(xmltotxt(main, False))
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


def _drop_layout_whitespace(root) -> None:
    """The XML output is pretty-printed: whitespace-only text holding a line break is layout, not
    content (a space between two inline elements stays)."""
    for el in root.iter():
        if el.text is not None and not el.text.strip() and "\n" in el.text:
            el.text = None
        if el.tail is not None and not el.tail.strip() and "\n" in el.tail:
            el.tail = None


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
