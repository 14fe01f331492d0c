"""Split an article into paragraphs and sentences with exact character offsets.

Every score Slant writes points back into the original text (``start``/``end``
in :class:`inference.records.SentenceScore`), so segmentation never rewrites
text: a :class:`Segment` is always ``text[start:end]`` of the string given to
:func:`segment`.

Sentence boundaries come from pysbd (rule-based, no model to load). On top of
it we add what news text needs and pysbd does not know about:

* every non-empty line is a paragraph, because plain-text news dumps put one
  paragraph per line (headlines and list items then fall out as their own
  segments for free); except in hard-wrapped text (wire copy, e-mail, text
  saved at 70-odd columns), where a paragraph is a run of wrapped lines, or
  every line break would cut a sentence in two (:func:`paragraph_spans`);
* a few boundary repairs: a split right after ``Mr.``/``Gen.``/``Jan.``,
  before ``, said`` ("Gov. Gavin Newsom, D-Calif., said"), or between
  "3:45 p.m." and "ET"; a sentence that starts with the tail of a quotation
  ('"Stop!" he said.', '"Why?" Sen. Smith asked.') or with its closing mark
  alone; and a split pysbd misses between two quotations ('called it
  "unacceptable." "We will respond," he said.') or after an initialism
  ("in Washington, D.C. He said");
* a sentence never starts or ends with invisible characters (zero-width
  space, soft hyphen, BOM), and text with no letter or digit is no sentence
  of its own: a "* * *" or "---" divider is skipped, a lone "👍" or "..."
  after a sentence joins it;
* social-media embeds (tweet text ending in ``pic.twitter.com/...`` and the
  ``— Name (@handle) Date`` line under it) are kept whole so the scorer can
  skip them with :func:`is_embed_line` / :func:`embed_flags`;
* pysbd is super-linear in paragraph length, so very long paragraphs are cut
  into pieces at likely sentence ends before pysbd sees them.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import pysbd

__all__ = ["Segment", "segment", "paragraph_spans", "is_embed_line", "embed_flags"]

#: Paragraphs longer than this are pre-split before pysbd (it gets slow: ~0.2 s
#: for 16k characters, ~2.7 s for 65k).
LONG_PARAGRAPH = 20_000
#: Target size of the pieces a long paragraph is cut into.
PIECE_CHARS = 5_000


@dataclass(frozen=True)
class Segment:
    """One sentence (or embed, headline, list item) of a document.

    ``start``/``end`` are offsets into the original text given to
    :func:`segment`; ``text == original[start:end]`` with surrounding
    whitespace (and invisible characters) excluded. ``paragraph`` counts the
    paragraphs of :func:`paragraph_spans` from 0.
    """

    start: int
    end: int
    text: str
    paragraph: int


# A line (paragraph): a maximal run of characters without a line break.
_LINE = re.compile(r"[^\r\n\u2028\u2029]+")
# Sentence-final punctuation (+ closing quotes/brackets), whitespace, then a
# capital or an opening quote: a cheap "probably a sentence end" used only to
# cut very long paragraphs into pysbd-sized pieces.
_ROUGH_END = re.compile(r"[.!?][\"'”’)\]]*\s+(?=[\"“‘(\[]?[A-Z])")

# Abbreviations after which a split is almost always wrong. Titles always
# precede a name; months precede a day number.
_TITLES = (
    "Mr|Mrs|Ms|Dr|Gen|Lt|Col|Maj|Sgt|Capt|Cmdr|Adm|Gov|Sen|Rep|Sens|Reps|Rev|"
    "Prof|Pres|Supt|Det|Insp|Amb|Hon|St|Ft|Mt"
)
# Followed by a number: "Jan. 5", "No. 10 Downing Street", "Art. 5".
_MONTHS = "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|No|Nos|Vol|Art|Sec"
_ENDS_WITH_TITLE = re.compile(rf"(?:^|[\s(\"“‘'])(?:{_TITLES})\.$")
_ENDS_WITH_MONTH = re.compile(rf"(?:^|[\s(\"“‘'])(?:{_MONTHS})\.$")
# Dotted initialisms such as U.S., U.K., U.N., E.U. or D.C.
_ENDS_WITH_INITIALISM = re.compile(r"(?:^|[\s(\"“‘'])(?:[A-Z]\.){2,}$")
_QUOTE_OR_BANG_END = re.compile(r"[!?,][\"'”’]?$|[\"'”’]$")
# A quotation closed with "!", "?" or "," followed by a capitalised speaker: '"Why?" Smith asked'.
_BANG_QUOTE_END = re.compile(r"[!?,][\"”’']$")
# "3:45 p.m." then a time zone: pysbd ends the sentence at "p.m." (ambiguous in general, not here).
_ENDS_WITH_CLOCK = re.compile(r"\b[ap]\.m\.$", re.IGNORECASE)
_TIME_ZONE = re.compile(r"(?:ET|EST|EDT|CT|CST|CDT|MT|MST|MDT|PT|PST|PDT|GMT|UTC|BST|CET|CEST|IST|JST|AEST|AEDT)\b")
# pysbd does not split between two quotations: 'it "unacceptable." "We will respond," he said.'
_QUOTE_AFTER_QUOTE = re.compile(r"[.!?][\"”]\s+(?=[\"“][A-Z])")
# Nor after an initialism that ends a sentence: "in Washington, D.C. He said", "Sunland Park, N.M.
# That work stopped". Only before a pronoun or determiner, which no name or title runs on into
# ("the U.S. Army", "George H.W. Bush" stay whole).
_INITIALISM_THEN_START = re.compile(
    r"(?:^|(?<=[\s(\"“‘']))(?:[A-Z]\.){2,}\s+"
    r"(?=(?:He|She|It|They|We|I|You|That|This|These|Those|There|The|But)\s)"
)

# Embeds. Twitter/X attribution line: "— Name (@handle) September 5, 2023".
_EMBED_DATE = r"(?:\w+\s+\d{1,2},?\s+\d{4}|\d{1,2}\s+\w+\s+\d{4})\s*$"  # "September 5, 2023" / "5 September 2023"
_EMBED_ATTRIBUTION = re.compile(r"^[—–-]{1,2}\s*\S.{0,120}?\(@\w{1,50}\)\s*" + _EMBED_DATE)
# The same attribution closing the tweet's own line (the text, its link, then "— Name (@handle) Date"),
# as pages flattened to text often give it; an em or en dash only, mid-line.
_EMBED_ATTRIBUTION_END = re.compile(r"\s[—–]{1,2}\s*[^—–\s][^—–]{0,119}?\(@\w{1,50}\)\s*" + _EMBED_DATE)
_EMBED_LINK_END = re.compile(
    r"(?:pic\.twitter\.com/\w+|https?://t\.co/\w+|https?://(?:www\.)?"
    r"(?:twitter|x|instagram)\.com/\S+)\s*$",
    re.IGNORECASE,
)
_INSTAGRAM_CREDIT = re.compile(r"^A post shared by .{1,120}\(@[\w.]{1,50}\)", re.IGNORECASE)


def is_embed_line(text: str) -> bool:
    """True for social-media embed text the scorer should skip or mark.

    Matches the attribution line of an embedded tweet (``— Steve Rosenberg
    (@BBCSteveR) September 5, 2023``), tweet text that ends in that attribution
    or in a
    ``pic.twitter.com``/``t.co`` link, and Instagram "A post shared by" credits.
    Tweet text that has no link is only recognisable from the attribution
    line after it; use :func:`embed_flags` for that.
    """
    text = text.strip()
    return bool(
        _EMBED_ATTRIBUTION.match(text)
        or _EMBED_ATTRIBUTION_END.search(text)
        or _EMBED_LINK_END.search(text)
        or _INSTAGRAM_CREDIT.match(text)
    )


def embed_flags(segments: list[Segment]) -> list[bool]:
    """Per segment: is it part of a social-media embed?

    Adds to :func:`is_embed_line` the tweet paragraph right before an
    attribution line, which :func:`segment` keeps as one segment.
    """
    flags = [is_embed_line(s.text) for s in segments]
    for i, seg in enumerate(segments):
        if _EMBED_ATTRIBUTION.match(seg.text) and i > 0:
            para = segments[i - 1].paragraph
            if para == seg.paragraph - 1:
                j = i - 1
                while j >= 0 and segments[j].paragraph == para:
                    flags[j] = True
                    j -= 1
    return flags


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def segment(text: str) -> list[Segment]:
    """Split ``text`` into sentence :class:`Segment` objects, in order.

    Paragraphs come from :func:`paragraph_spans` (lines, or runs of wrapped
    lines); sentences from pysbd plus the repairs described in the module
    docstring. Offsets index into ``text`` itself.
    """
    paras = paragraph_spans(text)
    out: list[Segment] = []
    for para, (start, end) in enumerate(paras):
        body = text[start:end]
        next_body = text[paras[para + 1][0]:paras[para + 1][1]] if para + 1 < len(paras) else ""
        if is_embed_line(body) or _EMBED_ATTRIBUTION.match(next_body.strip()):
            spans = [(0, len(body))]  # an embed stays whole
        else:
            # pysbd reads a line break inside a wrapped paragraph as a sentence end; a space
            # in its place keeps every offset (one character for one).
            flat = _BREAK_CHAR.sub(" ", body)
            spans = _repair(flat, _split_missed(flat, _sentence_spans(flat)))
        for s, e in spans:
            s, e = _strip(body, s, e)
            if s < e:
                out.append(Segment(start + s, start + e, body[s:e], para))
    return out


# Line breaks, as str.splitlines() has them minus the rare controls (\v, \f, \x1c-\x1e, \x85).
_BREAK = re.compile(r"\r\n|[\r\n\u2028\u2029]")
_BREAK_CHAR = re.compile(r"[\r\n\u2028\u2029]")
# The start of a list item or a heading: never the wrapped tail of the line before.
_ITEM_START = re.compile(r"\s*(?:[-*•–—>#]|\d{1,3}[.)]\s|[a-z][.)]\s)")
# A line that ends a sentence (or a heading that ends with a colon).
_LINE_END = re.compile(r"[.!?:;\"”’)\]…]$")
#: Hard-wrapped text: the longest line is at most this wide (wrapping is at 60-80 columns) ...
WRAP_MAX_WIDTH = 100
#: ... a wrapped line is at least this share of the longest one ...
WRAP_FILL = 0.6
#: ... and at least this many full lines run on into the next line, most of them mid-sentence.
WRAP_MIN_LINES = 3


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each paragraph of ``text``: the lines that hold a letter or digit.

    Why lines: plain-text news dumps put one paragraph per line. Hard-wrapped
    text (every line filled to about the same width, most of them ending
    mid-sentence) joins a line to the next unless a blank line, a shorter
    line, a deeper indent, or a list item or heading ends the paragraph.
    Whitespace-only lines, lines of invisible characters and dividers ("* * *",
    "---") are no paragraph. :mod:`inference.quotes` matches quotation marks
    per paragraph with the same spans.
    """
    lines = [m.span() for m in _LINE.finditer(text) if _has_word(m.group())]
    if len(lines) < WRAP_MIN_LINES + 1:
        return lines
    width = max(len(text[s:e].rstrip()) for s, e in lines)
    if width > WRAP_MAX_WIDTH:
        return lines
    runs_on = [_runs_on(text, lines[i], lines[i + 1], width) for i in range(len(lines) - 1)]
    full = [i for i, r in enumerate(runs_on) if r]
    mid = [i for i in full if not _LINE_END.search(text[lines[i][0]:lines[i][1]].rstrip())]
    if len(mid) < WRAP_MIN_LINES or 2 * len(mid) < len(full):
        return lines  # short lines ending in full stops: one paragraph per line
    out = [lines[0]]
    for i in range(1, len(lines)):
        if runs_on[i - 1]:
            out[-1] = (out[-1][0], lines[i][1])
        else:
            out.append(lines[i])
    return out


def _runs_on(text: str, line: tuple[int, int], nxt: tuple[int, int], width: int) -> bool:
    """Could ``nxt`` be the wrapped continuation of ``line`` in text wrapped at ``width``?"""
    body, after = text[line[0]:line[1]], text[nxt[0]:nxt[1]]
    if len(body.rstrip()) < WRAP_FILL * width or _ITEM_START.match(after) or _ITEM_START.match(body):
        return False  # list items and headings stay lines of their own
    if len(_BREAK.findall(text, line[1], nxt[0])) != 1:
        return False  # a blank line between them
    indent = lambda t: len(t) - len(t.lstrip())  # noqa: E731
    return indent(after) <= indent(body)  # an indented line opens a paragraph


def _has_word(t: str) -> bool:
    return any(c.isalnum() for c in t)


def _invisible(c: str) -> bool:
    """Whitespace, or a format character that renders as nothing (zero-width space and
    joiners, soft hyphen, word joiner, BOM, direction marks): never a sentence's edge."""
    return c.isspace() or unicodedata.category(c) == "Cf"


def word_span(text: str) -> tuple[int, int] | None:
    """``(start, end)`` of ``text`` without its invisible edges (see ``_invisible``), or None when it
    holds no letter or digit: a line ``segment`` makes no sentence of (``slant score --per-line``)."""
    return _strip(text, 0, len(text)) if _has_word(text) else None


def _strip(s: str, start: int, end: int) -> tuple[int, int]:
    while start < end and _invisible(s[start]):
        start += 1
    while end > start and _invisible(s[end - 1]):
        end -= 1
    return start, end


# Sentence-ending punctuation, and the same at a paragraph's very end (with closing quotes/brackets).
_SENTENCE_PUNCT = re.compile(r"[.!?…]")
_FINAL_PUNCT = re.compile(r"[.!?…]+[\"'”’)\]]*\s*$")
# An inline numbered list ("1) education … 2) choice …"): pysbd splits it into its items.
_INLINE_ITEM = re.compile(r"(?:^|\s)\d{1,2}\)\s")


def _one_sentence(par: str) -> bool:
    """No sentence punctuation before the paragraph's final cluster (nor an inline numbered list):
    a headline, a list item, a one-sentence paragraph. pysbd is not asked about these (88% of PTC's
    16,585 paragraphs, 80% of its segmentation time); where it would have split one, it split
    wrongly: before a closing quote (which :func:`_repair` joins again), after "(CNN)", a Bible
    reference or a quoted nickname, inside "can’t" (``benchmarks/segment_speed.py``)."""
    end = _FINAL_PUNCT.search(par)
    if _SENTENCE_PUNCT.search(par, 0, end.start() if end else len(par)):
        return False
    return len(_INLINE_ITEM.findall(par)) < 2


def _sentence_spans(par: str) -> list[tuple[int, int]]:
    """pysbd boundaries for one paragraph as contiguous (start, end) spans."""
    if _one_sentence(par):
        return [(0, len(par))]
    if len(par) <= LONG_PARAGRAPH:
        return _pysbd_spans(par)
    spans: list[tuple[int, int]] = []
    for ps, pe in _pieces(par):
        spans.extend((ps + s, ps + e) for s, e in _pysbd_spans(par[ps:pe]))
    return spans


def _pieces(par: str) -> list[tuple[int, int]]:
    """Cut a long paragraph into ~PIECE_CHARS pieces at rough sentence ends.

    Text with no sentence punctuation at all (a scraped table, a run-on dump)
    is cut at whitespace instead so that no piece stays pysbd-slow.
    """
    cuts = [0]
    for m in _ROUGH_END.finditer(par):
        if m.end() - cuts[-1] >= PIECE_CHARS:
            cuts.append(m.end())
    cuts.append(len(par))
    out: list[tuple[int, int]] = []
    for a, b in zip(cuts, cuts[1:]):
        while b - a > LONG_PARAGRAPH:
            ws = par.rfind(" ", a + PIECE_CHARS // 2, a + PIECE_CHARS)
            cut = ws + 1 if ws > 0 else a + PIECE_CHARS
            out.append((a, cut))
            a = cut
        if a < b:
            out.append((a, b))
    return out


def _pysbd_spans(par: str) -> list[tuple[int, int]]:
    """Align pysbd's sentences to ``par`` by a forward scan.

    pysbd's own ``char_span=True`` re-searches the whole text with a regex for
    every sentence (quadratic) and silently drops sentences whose text it
    changed. We only take each sentence's *start* and let spans run up to the
    next start, so no character of the paragraph can be lost.
    """
    starts = [0]
    cursor = 0
    for sent in _segmenter().processor(par).process():
        probe = sent.strip()[:40]
        if not probe:
            continue
        pos = par.find(probe, cursor)
        if pos < 0:
            continue  # pysbd altered this text; merge it into the previous span
        if pos > starts[-1]:
            starts.append(pos)
        cursor = pos + len(probe)
    starts.append(len(par))
    return list(zip(starts, starts[1:]))


def _split_missed(par: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Also split where pysbd does not: one quotation ends a sentence and the next opens
    another, or an initialism ends one ("Washington, D.C. He said")."""
    out: list[tuple[int, int]] = []
    for s, e in spans:
        cuts = sorted(m.end() for pattern in (_QUOTE_AFTER_QUOTE, _INITIALISM_THEN_START)
                      for m in pattern.finditer(par, s, e))
        for cut in cuts:
            if s < cut < e:
                out.append((s, cut))
                s = cut
        out.append((s, e))
    return out


def _repair(par: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Merge spans that pysbd split at an abbreviation or inside a quotation; a span with
    no letter or digit ("👍", "...") joins its neighbour instead of standing alone."""
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and (not _has_word(par[s:e]) or not _has_word(par[merged[-1][0]:merged[-1][1]])
                       or _should_merge(par[merged[-1][0]:merged[-1][1]].rstrip(), par[s:e].lstrip())):
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def _should_merge(prev: str, nxt: str) -> bool:
    if not prev or not nxt:
        return True
    first = nxt[0]
    if first in "”’\"'" and (len(nxt) == 1 or nxt[1] in " ,.;:!?)"):
        return True  # the closing quote of the previous sentence was split off
    if first in ",;:)]}":
        return True  # "Gov. Gavin Newsom, D-Calif., said": no sentence starts with a comma
    if _ENDS_WITH_TITLE.search(prev):
        return True  # "Gen." / "Mr." precede a name, never end a sentence
    if _ENDS_WITH_MONTH.search(prev) and first.isdigit():
        return True  # "Jan. 5", "No. 10"
    if _ENDS_WITH_INITIALISM.search(prev) and (first.islower() or first.isdigit()):
        return True  # "the U.S. military" (but "moved to the U.S. The next day")
    if first.islower() and _QUOTE_OR_BANG_END.search(prev):
        return True  # '"Stop!" he said.' split after the quotation
    if _ENDS_WITH_CLOCK.search(prev) and _TIME_ZONE.match(nxt):
        return True  # "3:45 p.m. ET"
    if _BANG_QUOTE_END.search(prev) and _attribution_head().match(nxt):
        return True  # '"Shameful!" Sen. John Smith shouted.'
    return False


@lru_cache(maxsize=1)
def _attribution_head() -> re.Pattern:
    """One to four capitalised words (a name, "Sen. John Smith") then a speech verb. Imported
    here: :mod:`inference.quotes` owns the verbs and imports this module."""
    from inference.quotes import SPEECH_VERBS

    return re.compile(r"(?:[A-Z][\w'’.-]*\s+){1,4}(?:" + "|".join(SPEECH_VERBS) + r")\b")
