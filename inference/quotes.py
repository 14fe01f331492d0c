"""Find direct quotations and decide whose voice a sentence is in.

Framing in a quotation is the speaker's, not the outlet's, so the scorer
reports ``voice="quote"`` for attributed speech and ``"author"`` otherwise.
A short scare quote inside the author's own sentence (``its 'pariah'
leader``) is the author's choice of words and stays ``"author"``.

Quotation marks are matched per paragraph (a line of the text, or a run of
wrapped lines: :func:`inference.segment.paragraph_spans`) with a small stack, so that nested quotes, curly and straight marks, and apostrophes
(``North Korea’s``, ``Shoigu's``) do not derail each other. News style leaves
a quotation open at the end of a paragraph when the same speaker continues in
the next one (which then opens with a quote mark); that case is kept open to
the end of the paragraph, any other unmatched mark is ignored.
"""
from __future__ import annotations

import re

from inference.segment import Segment, paragraph_spans

__all__ = ["quoted_ranges", "voices", "target_voices", "SPEECH_VERBS"]

#: Words that attribute a quotation to a speaker.
SPEECH_VERBS = (
    "say says said saying tell tells told add adds added warn warns warned "
    "predict predicts predicted state states stated write writes wrote "
    "tweet tweets tweeted post posts posted argue argues argued claim claims "
    "claimed ask asks asked reply replies replied explain explains explained "
    "insist insists insisted note notes noted continue continues continued "
    "declare declares declared announce announces announced stress stresses "
    "stressed urge urges urged acknowledge acknowledged admit admits admitted "
    "remark remarked respond responds responded suggest suggests suggested "
    "recall recalls recalled conclude concluded testify testified comment "
    "commented quip quipped joke joked emphasize emphasized emphasise emphasised "
    "vow vowed promise promised pledge pledged maintain maintained allege "
    "alleges alleged contend contended concede conceded caution cautioned "
    "observe observed charge charged complain complained shout shouted yell "
    "yelled whisper whispered demand demanded counter countered retort retorted "
    "lament lamented boast boasted thunder thundered muse mused describe "
    "described assert asserted reiterate reiterated interrupt interrupts interrupted "
    "interject interjected scoff scoffed snap snapped"
).split()
_SPEECH = re.compile(
    r"\b(?:" + "|".join(SPEECH_VERBS) + r"|according\s+to|in\s+a\s+statement)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+(?:['’]\w+)*")

#: A quotation of at least this many words counts as speech even without a verb.
LONG_QUOTE_WORDS = 8
#: Share of a sentence's non-space characters that must be quoted.
QUOTED_SHARE = 0.5
#: An unquoted part this short with a speech verb is a bare attribution.
ATTRIBUTION_WORDS = 8

_DOUBLE_OPEN, _DOUBLE_CLOSE = "“", "”"
_SINGLE_OPEN, _SINGLE_CLOSE = "‘", "’"
_OPENER_BEFORE = set(" \t([{—–-/\"“‘:") | {""}
_CLOSER_AFTER = set(" \t)]}.,;:!?—–-/\"”’…") | {""}
_MARK = re.compile("[\"“”'‘’]")


def quoted_ranges(text: str) -> list[tuple[int, int]]:
    """Character ranges ``(start, end)`` inside quotation marks, marks excluded.

    Ranges are sorted and non-overlapping (a quote nested in a quote is part
    of the outer range).
    """
    return [(s, e) for s, e, _ in _quotes(text)]


def _quotes(text: str) -> list[tuple[int, int, int]]:
    """``(content_start, content_end, mark_end)`` for each top-level quotation."""
    lines = paragraph_spans(text)
    out: list[tuple[int, int, int]] = []
    for i, (ls, le) in enumerate(lines):
        next_opens = i + 1 < len(lines) and text[lines[i + 1][0]:lines[i + 1][1]].lstrip()[:1] in "\"“'‘"
        out.extend(_line_quotes(text, ls, le, continues=next_opens))
    return out


def _line_quotes(text: str, ls: int, le: int, continues: bool) -> list[tuple[int, int, int]]:
    stack: list[tuple[str, int]] = []  # (kind "d"/"s", content start)
    found: list[tuple[int, int, int]] = []
    for m in _MARK.finditer(text, ls, le):
        i, ch = m.start(), m.group()
        before = text[i - 1] if i > ls else ""
        after = text[i + 1] if i + 1 < le else ""
        opener = before.isspace() or before in _OPENER_BEFORE
        closer = after.isspace() or after in _CLOSER_AFTER
        if ch in "\"“”":
            kinds = [k for k, _ in stack]
            if ch == _DOUBLE_OPEN or (ch == '"' and "d" not in kinds and not (closer and not opener)):
                stack.append(("d", i + 1))
            elif "d" in kinds:
                while stack and stack[-1][0] != "d":
                    stack.pop()  # unclosed single quotes inside: drop them
                _, start = stack.pop()
                found.append((start, i, i + 1))
        else:
            if (ch == _SINGLE_OPEN or (ch == "'" and opener)) and after and not after.isspace() and not after.isdigit():
                stack.append(("s", i + 1))
            elif ch != _SINGLE_OPEN and closer and stack and stack[-1][0] == "s" and not before.isspace():
                _, start = stack.pop()
                found.append((start, i, i + 1))
            # anything else is an apostrophe (North Korea’s, don't, '90s)
    if continues and stack and stack[0][0] == "d":
        end = le
        while end > stack[0][1] and text[end - 1].isspace():
            end -= 1
        found.append((stack[0][1], end, end))
    found.sort()
    top: list[tuple[int, int, int]] = []
    for q in found:
        if top and q[0] < top[-1][2]:
            continue  # nested inside the previous quotation
        top.append(q)
    return top


def voices(text: str, segments: list[Segment]) -> list[str]:
    """``"quote"`` or ``"author"`` for each segment of ``text``.

    A segment is a quote when at least half of its non-space characters are
    inside quotations (or the rest is a bare attribution such as "he said")
    and one of those quotations is attributed (a speech verb in
    the unquoted part of the sentences it spans, or in the neighbouring
    sentence of the same paragraph) or is at least eight words long.
    """
    quotes = _quotes(text)
    result = ["author"] * len(segments)
    if not quotes:
        return result
    # Which segments each quotation overlaps (both lists are sorted by offset).
    q_segs: list[list[int]] = [[] for _ in quotes]
    seg_quotes: list[list[int]] = [[] for _ in segments]
    j0 = 0
    for si, seg in enumerate(segments):
        while j0 < len(quotes) and quotes[j0][2] <= seg.start:
            j0 += 1
        j = j0
        while j < len(quotes) and quotes[j][0] - 1 < seg.end:
            if quotes[j][2] > seg.start:
                q_segs[j].append(si)
                seg_quotes[si].append(j)
            j += 1
    outside = [_outside_text(text, seg, [quotes[q] for q in seg_quotes[si]]) for si, seg in enumerate(segments)]

    def attributed(qi: int) -> bool:
        cs, ce, _ = quotes[qi]
        if len(_WORD.findall(text[cs:ce])) >= LONG_QUOTE_WORDS:
            return True
        spanned = q_segs[qi]
        para = segments[spanned[0]].paragraph
        near = set(spanned)
        for k in (spanned[0] - 1, spanned[-1] + 1):
            if 0 <= k < len(segments) and segments[k].paragraph == para:
                near.add(k)
        return any(_SPEECH.search(outside[k]) for k in near)

    cache: dict[int, bool] = {}
    for si, seg in enumerate(segments):
        nonspace = sum(1 for c in seg.text if not c.isspace())
        if not nonspace or not seg_quotes[si]:
            continue
        inside = 0
        for qi in seg_quotes[si]:
            cs, ce, me = quotes[qi]
            a, b = max(cs - 1, seg.start), min(me, seg.end)  # marks count as quoted
            inside += sum(1 for c in text[a:b] if not c.isspace())
        if (inside / nonspace < QUOTED_SHARE and not _short_attribution(text, seg, outside[si], seg_quotes[si], quotes)
                and not _framed_by_attribution(text, seg, seg_quotes[si], quotes)):
            continue
        for qi in seg_quotes[si]:
            if qi not in cache:
                cache[qi] = attributed(qi)
            if cache[qi]:
                result[si] = "quote"
                break
    return result


def _short_attribution(text: str, seg: Segment, outside: str, qis: list[int], quotes: list[tuple[int, int, int]]) -> bool:
    """'"We will win," he said.': a short quote plus a bare attribution.

    The character share misses these because the attribution is about as long
    as the quotation; a scare quote in the author's sentence ("He said 'no'
    to the deal") has too few quoted words or too much unquoted text.
    """
    out_words = len(_WORD.findall(outside))
    if out_words > ATTRIBUTION_WORDS or not _SPEECH.search(outside):
        return False
    in_words = sum(
        len(_WORD.findall(text[max(quotes[q][0], seg.start):min(quotes[q][1], seg.end)])) for q in qis
    )
    return in_words >= 3 and in_words >= out_words


#: In '"…," said Sen. John Smith, a Republican from Texas.' the speech verb comes within this
#: many words after the quotation (room for '"…," a spokesman for the Ministry of Defence said').
LEAD_WORDS = 10
_VERB_BEFORE_QUOTE = re.compile(r"\b(?:" + "|".join(SPEECH_VERBS) + r")\s*[,:]\s*$", re.IGNORECASE)
_SPEECH_WORDS = frozenset(SPEECH_VERBS)


def _framed_by_attribution(text: str, seg: Segment, qis: list[int], quotes: list[tuple[int, int, int]]) -> bool:
    """The sentence is a quotation plus its attribution, however long the speaker's title.

    '"This is a disgrace," said Sen. John Smith, a Republican from Texas.': the sentence opens
    with the quotation, which ends in a comma, "!" or "?", and a speech verb follows within
    :data:`LEAD_WORDS` words. 'Smith, a Republican from Texas, said: "This is a disgrace."':
    the quotation, a sentence of its own (capitalised), closes the sentence right after a speech
    verb and a colon or comma; '…, which, as a reporter explained, "could slow visas."' is the
    author's sentence ending in a quoted phrase. Both are
    speech whatever the share of quoted characters; a scare quote ('He called it "a
    disgrace."', '"Pariah" states are dangerous') has neither shape.
    """
    cs, ce, me = quotes[qis[0]]
    if cs - 1 <= seg.start:
        closing = text[max(cs, ce - 2):min(me + 1, seg.end)]
        lead = _WORD.findall(text[me:seg.end])[:LEAD_WORDS]
        if re.search(r"[,!?]\W*$", closing) and any(w.lower() in _SPEECH_WORDS for w in lead):
            return True
    cs, ce, me = quotes[qis[-1]]
    tail = text[me:seg.end].strip()
    opening = text[cs:ce].lstrip("\"'“‘ ")[:1]
    return (cs - 1 > seg.start and (me >= seg.end or not _WORD.search(tail)) and opening.isupper()
            and bool(_VERB_BEFORE_QUOTE.search(text[seg.start:cs - 1])))


def _outside_text(text: str, seg: Segment, quotes: list[tuple[int, int, int]]) -> str:
    """The part of a segment that is not inside any of ``quotes``."""
    parts, pos = [], seg.start
    for cs, ce, me in quotes:
        parts.append(text[pos:max(pos, cs - 1)])
        pos = max(pos, me)
    parts.append(text[pos:seg.end])
    return " ".join(parts)


# --- whose stance a target mention carries -------------------------------------

#: Speech verbs that introduce a reported clause directly ("Kang said his government supports
#: Russia"): a mention after one of them, in the same clause, is in the speaker's voice.
_CLAUSE_VERBS = (
    "say says said claim claims claimed argue argues argued allege alleges alleged insist insists "
    "insisted contend contends contended assert asserts asserted maintain maintains maintained state "
    "states stated declare declares declared write writes wrote add adds added note notes noted "
    "suggest suggests suggested predict predicts predicted admit admits admitted acknowledge "
    "acknowledges acknowledged tweet tweets tweeted"
).split()
#: Speech verbs whose next noun is the addressee ("told Kim", "warned Russia"): only "that"
#: after them opens the speaker's clause ("warned Russia that ...").
_ADDRESSEE_VERBS = "tell tells told warn warns warned ask asks asked urge urges urged remind reminds reminded".split()
_REPORTING = re.compile(r"\b(?:(?P<clause>" + "|".join(_CLAUSE_VERBS) + r")|(?P<addressee>"
                        + "|".join(_ADDRESSEE_VERBS) + r"))\b", re.IGNORECASE)
#: A dash, semicolon, colon, bracket or ", but" ends the reported clause: "... said X - so
#: clearly they ..." and "... said X, but there was no indication that Kim ..." go back to the author.
_CLAUSE_BREAK = re.compile(r"[;:—–()\[\]]| - |,\s+but\b", re.IGNORECASE)
_THAT = re.compile(r"\bthat\b", re.IGNORECASE)


#: Words that open a prepositional phrase: "said in a statement", "argued in the Senate", "wrote in the
#: Washington Post that ...": a name there says where or when the speaker spoke, not what was said.
_PREPOSITIONS = frozenset("in on at to for during from with after before via over into".split())
#: The phrase is short, has no capitalised word and ends, right before the mention, in a preposition
#: or an article: "said at a rally in Ohio", but not "said on Tuesday the Republican convention ..."
#: or "said in a statement Russia ...", whose reported clause follows the phrase.
OCCASION_WORDS = 4
_PHRASE_ENDS = _PREPOSITIONS | frozenset("a an the his her its their our".split())
#: A direct quotation right after the verb that closes before the mention ('Biden said "Putin is a
#: killer" and flew to Ohio'): the quotation was the speech, and what follows is the author's again.
#: Only one that reads as a sentence of its own: capitalised and at least this many words ('said "the
#: war" would hurt Russia' quotes a phrase of the reported clause, which goes on).
DIRECT_QUOTE_WORDS = 3


def target_voices(sentence: str, voice: str, mentions: list[tuple[int, int]],
                  quoted: list[tuple[int, int]] | None = None) -> list[str]:
    """The voice of each target mention (``(start, end)`` character offsets into ``sentence``).

    ``quoted``: the ``(start, end)`` ranges of ``sentence`` inside quotation marks (marks
    excluded); by default the sentence's own (:func:`quoted_ranges`). The scorer passes the
    article's, which also see a quotation opened in an earlier sentence or a ``<blockquote>``.

    Inside quotation marks, and anywhere in a quoted sentence without quotation marks (an
    embedded post, a blockquote), the stance is the source's. Outside them, even in a sentence
    that is a quotation, the words are the author's ('"Putin is a war criminal," said Joe Biden.':
    Biden is named by the author, as in "Biden said Putin ..."), except in reported speech: a
    mention that follows a speech verb in the same clause, either one that takes a clause
    directly ("Kang Sun Nam reportedly said his government fully supports Russia's 'battle for
    justice'": Russia is Kang's, Kang the author's) or an addressee verb followed by "that"
    ("warned Moscow that Kim ..."). Not reported speech: the addressee ("told Kim"), the speaker of
    an inverted attribution ("…, said Biden."), a place or occasion right after the verb ("argued
    in the Senate", "said at a rally in Ohio"), what follows a direct quotation ('said "We will
    win" in Ohio'), and speech verbs inside a quotation ('"I said no," Biden told Putin'). The
    stance of a source's words is not the outlet's, which is what the reports' author-voice
    tables leave out.
    """
    if quoted is None:
        quoted = quoted_ranges(sentence)
    result = []
    for start, end in mentions:
        inside = any(a < end and start < b for a, b in quoted)
        if voice == "quote" and (inside or not quoted):
            result.append("quote")
        else:
            result.append(_reported_voice(sentence, start, end, quoted))
    return result


def _reported_voice(sentence: str, start: int, end: int, quoted: list[tuple[int, int]]) -> str:
    """"quote" when the mention sits in the clause a speech verb reports, else "author"."""
    before = sentence[:start]
    for a, b in quoted:  # a verb in an earlier quotation ('"I said no," Biden told Putin') reports nothing here
        if 0 <= a < b <= start:
            before = before[:a] + " " * (b - a) + before[b:]
    after = sentence[end:].lstrip()
    for m in _REPORTING.finditer(before):
        between = before[m.end():]
        if _CLAUSE_BREAK.search(between):
            continue
        if not between.strip() and (not after or after[0] in ".,;!?"):
            continue  # "…, said Biden." names the speaker
        that = _THAT.search(between)
        if not that and _occasion(between):
            continue  # "argued in the Senate": where, not what
        if _direct_quote_before(sentence, m.end(), start, quoted):
            continue  # 'said "We will win" in Ohio': the quotation was the speech
        if m.group("clause") or that:
            return "quote"
    return "author"


def _occasion(between: str) -> bool:
    """Whether the words between a speech verb and a mention are the start of a phrase of place or
    occasion ("in the", "at a rally in"), which the mention then ends: no reported clause yet."""
    words = _WORD.findall(between)
    return (0 < len(words) <= OCCASION_WORDS and words[0].lower() in _PREPOSITIONS
            and words[-1] in _PHRASE_ENDS and not any(w[:1].isupper() for w in words))


def _direct_quote_before(sentence: str, verb_end: int, start: int, quoted: list[tuple[int, int]]) -> bool:
    """Whether a quotation that reads as a sentence opens right after the verb and closes before ``start``."""
    pos = verb_end
    while pos < len(sentence) and sentence[pos] in " \t,:":
        pos += 1
    if pos >= len(sentence) or sentence[pos] not in "\"“‘'":
        return False
    for a, b in quoted:
        if a == pos + 1 and b <= start:
            text = sentence[a:b].strip()
            return text[:1].isupper() and len(_WORD.findall(text)) >= DIRECT_QUOTE_WORDS
    return False
