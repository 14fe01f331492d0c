"""Framed words marked inside a sentence's text, for the HTML and Markdown views.

Text is always escaped before markup is added, so an article holding
``<script>`` renders inert.
"""
from __future__ import annotations

import html

from inference.records import SentenceScore

COLOURS = {"loaded_language": "#f4a261", "name_calling": "#e76f51", "exaggeration": "#e9c46a", "lexicon": "#a8dadc"}


def _pieces(sent: SentenceScore):
    pos = sent.start
    for sp in sorted(sent.spans, key=lambda s: s.start):
        if sp.start < pos:
            continue
        yield sent.text[pos - sent.start:sp.start - sent.start], None
        yield sent.text[sp.start - sent.start:sp.end - sent.start], sp
        pos = sp.end
    yield sent.text[pos - sent.start:], None


def html_sentence(sent: SentenceScore) -> str:
    out = []
    for text, sp in _pieces(sent):
        if sp is None:
            out.append(html.escape(text))
        else:
            colour = COLOURS.get(sp.technique, "#ddd")
            out.append(f'<mark style="background:{colour}" title="{html.escape(sp.technique)} {sp.score:.2f}">'
                       f"{html.escape(text)}</mark>")
    return "".join(out)


def markdown_text(text: str) -> str:
    """Markdown-safe text for a table cell or list item: <, > and & escaped, and every character
    Markdown would read as markup (``_`` ``*`` `` ` `` ``[`` ``]`` ``\\`` and the table's ``|``)
    backslash-escaped, so "snake_case_name" or "[1]" in an article shows as written."""
    text = html.escape(str(text), quote=False)
    for ch in "\\`*_[]|":
        text = text.replace(ch, "\\" + ch)
    return text.replace("\r", " ").replace("\n", " ")


def markdown_sentence(sent: SentenceScore) -> str:
    return "".join(markdown_text(t) if sp is None else f"**{markdown_text(t)}**" for t, sp in _pieces(sent))
