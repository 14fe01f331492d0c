"""BIO tag probabilities over word pieces -> character spans with a technique and a probability.

A span starts at a B- tag (or an I- tag after O, which models emit often) and
grows over I- tags of the same technique; it is then widened to whole words so
highlights never cut a word in half. Its probability is the mean probability
of its tags.
"""
from __future__ import annotations

import numpy as np


def decode_spans(tag_probs: np.ndarray, offsets: list[tuple[int, int]], tags: list[str], text: str,
                 min_prob: float = 0.5) -> list[dict]:
    """``tag_probs``: (n_pieces, n_tags) softmax output aligned with ``offsets`` (special tokens have (0, 0))."""
    best = tag_probs.argmax(-1)
    spans: list[dict] = []
    cur = None
    for i, (s, e) in enumerate(offsets):
        if s == e:
            cur = _close(cur, spans)
            continue
        tag = tags[best[i]]
        if tag == "O":
            # word pieces continuing a word stay inside the span
            if cur is not None and s == cur["end"] and _is_continuation(text, s):
                cur["end"] = e
                continue
            cur = _close(cur, spans)
            continue
        kind, tech = tag.split("-", 1)
        if cur is not None and tech == cur["technique"] and (kind == "I" or s == cur["end"]):
            cur["end"] = e
            cur["probs"].append(float(tag_probs[i, best[i]]))
        else:
            cur = _close(cur, spans)
            cur = {"start": s, "end": e, "technique": tech, "probs": [float(tag_probs[i, best[i]])]}
    _close(cur, spans)
    out = []
    for sp in spans:
        start, end = _widen(text, sp["start"], sp["end"])
        score = float(np.mean(sp["probs"]))
        if score >= min_prob:
            out.append({"start": start, "end": end, "technique": sp["technique"], "score": score})
    return out


def _is_continuation(text: str, pos: int) -> bool:
    return 0 < pos <= len(text) and pos < len(text) and text[pos - 1].isalnum() and text[pos].isalnum()


def _close(cur, spans):
    if cur is not None:
        spans.append(cur)
    return None


def _widen(text: str, start: int, end: int) -> tuple[int, int]:
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    return start, end
