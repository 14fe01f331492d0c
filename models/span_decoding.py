"""BIO tag probabilities over word pieces -> character spans with a technique and a probability.

A word piece is inside a span when the probability that it is *not* "O" reaches
``threshold`` (tuned on dev and stored in the model folder: loaded words are
rare, so argmax alone under-marks them). Its technique is the one with the most
B+I probability, each technique's weighted by ``technique_weights`` (also tuned on dev
and stored): the head sees loaded language twice as often as name-calling and four
times as often as exaggeration, and without the weights calls most name-calling
loaded language. Consecutive pieces of one technique form a span unless a
confident B- tag starts a new one; spans are widened to whole words so a
highlight never cuts a word (hyphenated compounds included) in half. A span's score is the mean in-span
probability of its pieces. A span of function words alone (the "a" of "a disgraceful pariah",
started apart because "disgraceful" opens with a confident B- tag) frames nothing by itself:
it joins the span that follows it across a space, or is dropped; function words at a span's
ends are trimmed ("a disgrace of a" -> "a disgrace").
"""
from __future__ import annotations

import re

import numpy as np

FUNCTION_WORDS = frozenset(
    "a an the of to in on at by for with from into as and or but nor so if than that this these those "
    "is are was were be been am it its he she they we you i his her their our your up".split())
_BRIDGES = FUNCTION_WORDS - {"and", "or", "but", "nor", "if", "than"}
"""Words that may sit inside one loaded phrase; a conjunction joins two phrases instead."""
_LETTERS = re.compile(r"[^\W\d_]+")
_TRAILING = FUNCTION_WORDS - {"up"}
"""Words a span never ends with ("a disgrace of a" -> "a disgrace"); "up" ends phrasal verbs ("stir up")."""
_LEADING = frozenset("of to in on at by for with from into as and or but nor so if than that "
                     "is are was were be been am".split())
"""Words a span never starts with; an article or a possessive may open one ("a disgrace", "their noses")."""
_TOKEN = re.compile(r"\S+")
_PUNCT = "\"'\u201c\u201d\u2018\u2019.,;:!?()[]"


def _technique_probs(tag_probs: np.ndarray, tags: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    techniques = sorted({t.split("-", 1)[1] for t in tags if t != "O"})
    b = np.stack([tag_probs[:, tags.index(f"B-{t}")] for t in techniques], axis=1)
    i = np.stack([tag_probs[:, tags.index(f"I-{t}")] for t in techniques], axis=1)
    return techniques, b, i


def decode_spans(tag_probs: np.ndarray, offsets: list[tuple[int, int]], tags: list[str], text: str,
                 threshold: float = 0.5, technique_weights: dict[str, float] | None = None) -> list[dict]:
    """``tag_probs``: (n_pieces, n_tags) softmax output aligned with ``offsets`` (special tokens are (0, 0)).
    ``technique_weights`` (technique -> factor, missing ones 1) only choose the technique; a
    span's score stays its unweighted in-span probability."""
    if len(tags) <= 1:
        return []
    inside = 1.0 - tag_probs[:, tags.index("O")]
    if not len(inside) or inside.max() < threshold:  # most sentences: no piece is in a span
        return []
    techniques, b, i = _technique_probs(tag_probs, tags)
    if technique_weights:
        w = np.array([float(technique_weights.get(t, 1.0)) for t in techniques])
        b, i = b * w, i * w
    spans: list[dict] = []
    cur = None
    for k, (s, e) in enumerate(offsets):
        if s == e or inside[k] < threshold:
            # a piece continuing a word already in a span stays in it
            if cur is not None and s != e and s == cur["end"] and _is_continuation(text, s):
                cur["end"] = e
                continue
            cur = _close(cur, spans)
            continue
        t = int(np.argmax(b[k] + i[k]))
        starts_new = b[k, t] > i[k, t] and not (cur is not None and s == cur["end"] and _is_continuation(text, s))
        if cur is not None and cur["technique"] == techniques[t] and not starts_new:
            cur["end"] = e
            cur["probs"].append(float(inside[k]))
        else:
            cur = _close(cur, spans)
            cur = {"start": s, "end": e, "technique": techniques[t], "probs": [float(inside[k])]}
    _close(cur, spans)
    out = []
    for sp in spans:
        start, end = _widen(text, sp["start"], sp["end"])
        if out and start < out[-1]["end"]:  # widening made two spans touch the same word
            out[-1]["end"] = max(out[-1]["end"], end)
            continue
        out.append({"start": start, "end": end, "technique": sp["technique"], "score": float(np.mean(sp["probs"]))})
    spans = _bridge_function_words(_absorb_function_words(out, text), text)
    return _balance_quotes(_trim_function_words(spans, text), text)


def _absorb_function_words(spans: list[dict], text: str) -> list[dict]:
    """Drop spans of function words alone; one right before another span (a space between) widens it."""
    kept: list[dict] = []
    for k, sp in enumerate(spans):
        words = _LETTERS.findall(text[sp["start"]:sp["end"]].lower())
        if words and not all(w in FUNCTION_WORDS for w in words):
            kept.append(sp)
            continue
        nxt = spans[k + 1] if k + 1 < len(spans) else None
        if nxt is not None and text[sp["end"]:nxt["start"]].isspace():
            nxt["start"] = sp["start"]
    return kept


def _bridge_function_words(spans: list[dict], text: str, most: int = 2) -> list[dict]:
    """Two spans of one technique with one to ``most`` function words (not conjunctions) between
    them are one phrase ("thumbing" + "noses" -> "thumbing their noses"); its score is the two
    scores' mean. Spans that touch stay apart: the model started the second one itself."""
    out: list[dict] = []
    for sp in spans:
        if out and out[-1]["technique"] == sp["technique"]:
            gap = text[out[-1]["end"]:sp["start"]]
            words = gap.split()
            if gap[:1].isspace() and gap[-1:].isspace() and 1 <= len(words) <= most and all(w.lower() in _BRIDGES for w in words):
                out[-1] = {**out[-1], "end": sp["end"], "score": (out[-1]["score"] + sp["score"]) / 2}
                continue
        out.append(sp)
    return out


def _trim_function_words(spans: list[dict], text: str) -> list[dict]:
    """A span that ends with function words ("a disgrace of a") or opens with a preposition,
    conjunction or copula ("of a disgrace") loses them: the model's in-span probability spills
    onto the words around a loaded one, and the reader should see the loaded word. A span of
    such words alone was already dropped, so every span keeps its content word."""
    for sp in spans:
        words = [(m.start(), m.end(), m.group().strip(_PUNCT).lower())
                 for m in _TOKEN.finditer(text, sp["start"], sp["end"])]
        while len(words) > 1 and words[-1][2] in _TRAILING:
            words.pop()
        while len(words) > 1 and words[0][2] in _LEADING:
            words.pop(0)
        if words:
            sp["start"], sp["end"] = words[0][0], words[-1][1]
    return spans


_CLOSING = {'"': '"', "\u201c": "\u201d", "'": "'", "\u2018": "\u2019"}
"""Opening quote -> its closing quote (the word pieces split quotes off, so a span can hold one half)."""
_OPENING = {v: k for k, v in _CLOSING.items()}


def _balance_quotes(spans: list[dict], text: str) -> list[dict]:
    """A span never shows half a quotation: with an opening quote whose closing one follows the
    span, the span takes it ('a "disgrace' -> 'a "disgrace"'); otherwise the lone quote mark
    at either end is dropped ('"disgrace' -> 'disgrace'), and so is other punctuation at the ends."""
    for sp in spans:
        s, e = sp["start"], sp["end"]
        inner = text[s:e]
        for q_open, q_close in _CLOSING.items():
            if q_open == q_close:
                last = inner.rfind(q_open)
                if inner.count(q_open) % 2 == 1:
                    # the lone mark opens a quotation when it stands before a word, not after one
                    opens = last < len(inner) - 1 and (last == 0 or not inner[last - 1].isalnum())
                    if opens and e < len(text) and text[e] == q_close:
                        e += 1
                    elif s > 0 and text[s - 1] == q_open and inner.endswith(q_close):
                        s -= 1
            elif inner.count(q_open) > inner.count(q_close) and e < len(text) and text[e] == q_close:
                e += 1
            elif inner.count(q_close) > inner.count(q_open) and s > 0 and text[s - 1] == q_open:
                s -= 1
        while s < e and not text[s].isalnum() and not _balanced_at(text, s, e, s):
            s += 1
        while e > s and not text[e - 1].isalnum() and not _balanced_at(text, s, e, e - 1):
            e -= 1
        sp["start"], sp["end"] = s, e
    return [sp for sp in spans if sp["end"] > sp["start"]]


def _balanced_at(text: str, s: int, e: int, pos: int) -> bool:
    """Whether the quote mark at ``pos`` (an end of ``text[s:e]``) closes or opens a quotation
    whose other mark the span also holds."""
    ch = text[pos]
    if pos == s and ch in _CLOSING:
        return _CLOSING[ch] in text[s + 1:e]
    if pos == e - 1 and ch in _OPENING:
        return _OPENING[ch] in text[s:e - 1]
    return False


def _is_continuation(text: str, pos: int) -> bool:
    return 0 < pos < len(text) and text[pos - 1].isalnum() and text[pos].isalnum()


def _close(cur, spans):
    if cur is not None:
        spans.append(cur)
    return None


_JOINERS = "-\u00ad\u200c\u200d\u2060"
"""Inside a word when letters stand on both sides: a hyphen, and the invisible soft hyphen, zero-width
(non-)joiner and word joiner of typeset text ("ultra\u00adprovocative" was two spans, "ultra" and
"provocative", as the tokenizer drops the soft hyphen and starts a new word after it)."""


def _in_word(text: str, pos: int) -> bool:
    """Letters and digits, a hyphen or invisible joiner between two of them ("ultra-provocative" is one word), and
    a run of censoring asterisks inside a word ("b**ches" is one word, not "b*" and "*ches")."""
    if text[pos].isalnum():
        return True
    if text[pos] in _JOINERS:
        return 0 < pos < len(text) - 1 and text[pos - 1].isalnum() and text[pos + 1].isalnum()
    if text[pos] == "*":
        a, b = pos, pos
        while a > 0 and text[a - 1] == "*":
            a -= 1
        while b < len(text) - 1 and text[b + 1] == "*":
            b += 1
        return a > 0 and b < len(text) - 1 and text[a - 1].isalnum() and text[b + 1].isalnum()
    return False


def _widen(text: str, start: int, end: int) -> tuple[int, int]:
    while start > 0 and _in_word(text, start - 1):
        start -= 1
    while end < len(text) and _in_word(text, end):
        end += 1
    return start, end
