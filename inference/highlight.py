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


def markdown_sentence(sent: SentenceScore) -> str:
    def esc(t: str) -> str:
        return html.escape(t, quote=False).replace("|", "\\|").replace("*", "\\*").replace("\n", " ")

    return "".join(esc(t) if sp is None else f"**{esc(t)}**" for t, sp in _pieces(sent))
