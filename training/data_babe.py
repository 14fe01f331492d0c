"""BABE SG2 (Spinde et al. 2021): expert-labelled news sentences with biased words.

``biased_words`` are word strings, not offsets; they become character spans by
case-insensitive whole-word matching, the weak loaded-language labels for the
token head. "No agreement" rows are dropped. Outlet and topic are kept because
the outlet-held-out split needs them.
"""
from __future__ import annotations

import ast
import csv
import re
from pathlib import Path

from models.errors import SlantError
from training.data_root import require_file
from training.schema import BABE_SPAN_TECHNIQUE
from training.xlsx import read_xlsx

BABE_FILE = Path("babe") / "final_labels_SG2.csv"
SG1_FILE = Path("babe") / "final_labels_SG1.csv"
"""BABE's first sentence group: 1,700 sentences, 1,694 of them SG2's, with eight experts' words."""
MBIC_FILE = Path("mbic") / "final_labels_MBIC.xlsx"
"""MBIC: 1,700 of the same sentences with crowd-marked biased words."""
RAW_FILE = Path("babe") / "raw_labels_SG2.xlsx"
"""Per-annotator labels (five experts per sentence); optional, gives ``label_soft``."""
LICENSE = "AGPL-3.0 (BABE repository licence); news text © the outlets"
_LABELS = {"Biased": 1, "Non-biased": 0}
_OPINION = {"Entirely factual": 0, "Somewhat factual but also opinionated": 1, "Expresses writer’s opinion": 2}
_REQUIRED = ("text", "outlet", "topic", "label_bias", "biased_words")


def word_spans(text: str, words: list[str], technique: str = BABE_SPAN_TECHNIQUE) -> list[dict]:
    """Every case-insensitive whole-word occurrence of each word, merged if overlapping."""
    return _merged(_word_hits(text, words), technique)


def _word_hits(text: str, words: list[str]) -> list[tuple[int, int]]:
    found = []
    for w in words:
        w = str(w).strip()
        if not w:
            continue
        for m in re.finditer(r"(?<!\w)" + re.escape(w) + r"(?!\w)", text, flags=re.IGNORECASE):
            found.append((m.start(), m.end()))
    return found


def _merged(pairs: list[tuple[int, int]], technique: str) -> list[dict]:
    merged: list[list[int]] = []
    for s, e in sorted(pairs):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [{"start": s, "end": e, "technique": technique} for s, e in merged]


def vote_shares(root: Path) -> dict[str, float]:
    """Sentence text -> share of its annotators who labelled it biased; empty when the raw
    file is absent (then rows carry ``label_soft`` -1 and train on the majority label)."""
    path = root / RAW_FILE
    if not path.is_file():
        return {}
    votes: dict[str, list[float]] = {}
    for r in read_xlsx(path, "BABE"):
        v = r.get("Label_bias_0-1", "")
        if v in ("0", "1", "0.0", "1.0"):
            votes.setdefault((r.get("text") or "").strip(), []).append(float(v))
    return {t: sum(v) / len(v) for t, v in votes.items() if v}


def _words(cell: str) -> list[str]:
    try:
        words = ast.literal_eval(cell or "[]")
    except (ValueError, SyntaxError):
        return []
    return [str(w) for w in words] if isinstance(words, list) else []


def other_words(root: Path, which: list[str]) -> dict[str, list[str]]:
    """Sentence text -> the biased words other annotations of it marked (``which``: sg1, mbic)."""
    out: dict[str, list[str]] = {}
    if "sg1" in which:
        with require_file(root / SG1_FILE, "BABE SG1").open(encoding="utf-8-sig", newline="") as f:
            for r in csv.DictReader(f, delimiter=";"):
                out.setdefault((r.get("text") or "").strip(), []).extend(_words(r.get("biased_words", "")))
    if "mbic" in which:
        for r in read_xlsx(require_file(root / MBIC_FILE, "MBIC"), "MBIC"):
            out.setdefault((r.get("text") or "").strip(), []).extend(_words(r.get("biased_words", "")))
    return out


def add_words(row: dict, words: dict[str, list[str]]) -> dict:
    """``row``'s spans with the other annotations' words added (whole words, merged)."""
    extra = words.get(row["text"])
    if not extra:
        return {"spans": row["spans"]}
    own = [(sp["start"], sp["end"]) for sp in row["spans"]]
    return {"spans": _merged(own + _word_hits(row["text"], extra), BABE_SPAN_TECHNIQUE)}


def load_babe(root: Path, *, votes: bool = False) -> list[dict]:
    """``votes``: attach each sentence's annotator vote share (``label_soft``) from the raw file,
    which costs about a second to parse; only ``train.soft_label_weight`` > 0 uses it."""
    path = require_file(root / BABE_FILE, "BABE")
    shares = vote_shares(root) if votes else {}
    rows = []
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f, delimiter=";")
        missing = [c for c in _REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise SlantError(f"BABE {path}: missing columns {missing}; expected the ';'-separated final_labels_SG2.csv")
        for i, r in enumerate(reader):
            label = _LABELS.get(r["label_bias"])
            text = (r["text"] or "").strip()
            if label is None or not text:
                continue
            outlet = r["outlet"].strip()
            rows.append({
                "id": f"babe:{i}",
                "text": text,
                "label": label,
                "spans": word_spans(text, _words(r["biased_words"])),
                "has_spans": True,
                "outlet": outlet,
                "topic": _norm_topic(r.get("topic") or ""),
                "group": f"babe:{i}",
                "source": "babe",
                "opinion": _OPINION.get(r.get("label_opinion", ""), -1),
                "label_soft": shares.get(text, -1.0),
            })
    return rows


def _norm_topic(topic: str) -> str:
    t = topic.strip().lower().replace("-", " ")
    return {"blm": "black lives matter"}.get(t, t)
