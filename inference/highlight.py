"""Framed words marked inside a sentence's text, for the HTML, Markdown and terminal views.

Text is always escaped before markup is added, so an article holding
``<script>`` renders inert. With ``tags=True`` (the ``slant score`` views) each framed
span is followed by its technique's tag (‹LL›) and each target mention by the stance
toward it (‹neg›, ‹“pos› when a source's): colour alone is lost in print, to colour-blind
readers, under ``NO_COLOR`` and in a pipe, and the targets had no mark at all.
"""
from __future__ import annotations

import html
import re

from inference.records import SentenceScore

#: C0 and C1 control characters but tab, line feed and carriage return (line breaks are each
#: view's own business). The whitespace ones (\v, \f, the separators \x1c-\x1f, NEL) become a
#: space, the rest "\ufffd": one character for one, so span offsets still cut the same characters.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """``text`` with control characters replaced one for one (see ``_CONTROL``). Why: an article
    holding ESC sequences or BEL drove the terminal of whoever ran ``cat out.md``, and NUL or
    BEL in an HTML page is a parse error that browsers show as nothing."""
    return _CONTROL.sub(lambda m: " " if m.group().isspace() else "\ufffd", str(text))


def html_text(text) -> str:
    """Article text (or a name taken from it) for HTML: controls made visible, then escaped."""
    return html.escape(visible(text))

COLOURS = {"loaded_language": "#f4a261", "name_calling": "#e76f51", "exaggeration": "#e9c46a", "lexicon": "#a8dadc"}
TECHNIQUE_TAGS = {"loaded_language": "LL", "name_calling": "NC", "exaggeration": "EX", "lexicon": "LX"}
STANCE_TAGS = {"negative": "neg", "neutral": "neu", "positive": "pos"}


def span_tag(technique: str) -> str:
    return f"‹{TECHNIQUE_TAGS.get(technique, technique)}›"


def target_tag(stance: str, voice: str) -> str:
    """‹neg›, or ‹“neg› for a source's stance: in an author's sentence, a mention inside reported
    speech carries the speaker's stance, not the author's."""
    return f"‹{'“' if voice == 'quote' else ''}{STANCE_TAGS.get(stance, stance)}›"


def tags_at(sent: SentenceScore) -> dict[int, list]:
    """Offset in the sentence's text -> the spans and targets that end there (spans first)."""
    at: dict[int, list] = {}
    for x in sorted(sent.spans, key=lambda sp: sp.start) + sorted(sent.targets, key=lambda t: t.start):
        at.setdefault(min(max(x.end - sent.start, 0), len(sent.text)), []).append(x)
    return at


def tag_text(x) -> str:
    return span_tag(x.technique) if hasattr(x, "technique") else target_tag(x.stance, x.voice)


def _pieces(sent: SentenceScore):
    pos = sent.start
    for sp in sorted(sent.spans, key=lambda s: s.start):
        if sp.start < pos:
            continue
        yield sent.text[pos - sent.start:sp.start - sent.start], None
        yield sent.text[sp.start - sent.start:sp.end - sent.start], sp
        pos = sp.end
    yield sent.text[pos - sent.start:], None


def _tagged(sent: SentenceScore, tags: bool):
    """``_pieces`` cut again where a tag goes: (text, span or None, what ends after it)."""
    at = tags_at(sent) if tags else {}
    pos = 0
    for text, sp in _pieces(sent):
        cuts = [c - pos for c in sorted(at) if pos < c <= pos + len(text)]
        a = 0
        for c in cuts:
            yield text[a:c], sp, at[pos + c]
            a = c
        if a < len(text) or not cuts:
            yield text[a:], sp, []
        pos += len(text)


def html_sentence(sent: SentenceScore, tags: bool = False) -> str:
    out = []
    for text, sp, ends in _tagged(sent, tags):
        if sp is None:
            out.append(html_text(text))
        else:
            colour = COLOURS.get(sp.technique, "#ddd")
            out.append(f'<mark style="background:{colour}" title="{html.escape(sp.technique)} {sp.score:.2f}">'
                       f"{html_text(text)}</mark>")
        for x in ends:
            title = (f"{x.technique} {x.score:.2f}" if hasattr(x, "technique") else
                     f"{x.entity}: {x.stance} {x.score:.2f} ({'a source' if x.voice == 'quote' else 'the author'})")
            cls = "tg" if hasattr(x, "technique") else f"tg st {x.stance}"
            out.append(f'<small class="{html.escape(cls)}" title="{html_text(title)}">'
                       f'{html.escape(tag_text(x))}</small>')
    return "".join(out)


def markdown_text(text: str) -> str:
    """Markdown-safe text for a table cell or list item: <, > and & escaped, and every character
    Markdown would read as markup (``_`` ``*`` `` ` `` ``[`` ``]`` ``\\`` and the table's ``|``)
    backslash-escaped (and ``~``, GFM's strikethrough: "~~50~~ 60 dead" was struck through), so
    "snake_case_name" or "[1]" in an article shows as written; control characters are made
    visible (``visible``), as a Markdown file is often read with ``cat``."""
    text = html.escape(visible(text), quote=False)
    for ch in "\\`*_[]|~":
        text = text.replace(ch, "\\" + ch)
    return text.replace("\r", " ").replace("\n", " ")


def markdown_sentence(sent: SentenceScore, tags: bool = False) -> str:
    return "".join((markdown_text(t) if sp is None else f"**{markdown_text(t)}**")
                   + "".join(markdown_text(tag_text(x)) for x in ends) for t, sp, ends in _tagged(sent, tags))
