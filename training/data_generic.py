"""A user's own annotations: CSV or JSONL rows with text, label and optional spans.

Columns: ``text`` (required), ``label`` (0/1, or framing/neutral, biased/non-biased),
optional ``spans`` (JSON list of ``{"start", "end", "technique"}`` or ``[start, end]``
pairs, character offsets into ``text``), ``id``, ``outlet``, ``topic``, ``group``.
A bad row stops loading with its line number, so a user never trains on half a file.

``slant score --format jsonl`` output is this format too, so a user can score articles,
correct the labels and spans by hand and train on the result: such a record (it has
``doc``, ``index``, ``start`` and ``end``) gives its spans in document offsets, which are
shifted to the sentence; its id is ``doc#index`` and its group the document, so one
article's sentences never straddle train and test.
"""
from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

from inference.corpus_rows import csv_delimiter
from models.errors import SlantError
from training.schema import BABE_SPAN_TECHNIQUE, TECHNIQUES
from training.splits import norm_text

_LABEL_WORDS = {"1": 1, "0": 0, "framing": 1, "neutral": 0, "biased": 1, "non-biased": 0, "true": 1, "false": 0}


def _label(value, where: str) -> int:
    if value is None or str(value).strip() == "":  # a short CSV row, an empty cell or JSON null
        raise SlantError(f"{where}: no label; every row needs label 0/1 (or neutral/framing)")
    key = str(value).strip().lower()
    if key.endswith(".0"):
        key = key[:-2]
    if key not in _LABEL_WORDS:
        raise SlantError(f"{where}: label {value!r} is not in the label set; use 0/1 or neutral/framing")
    return _LABEL_WORDS[key]


def _spans(value, text: str, where: str, shift: int = 0) -> tuple[list[dict], bool]:
    """Parsed spans as offsets into ``text``; a span's written offsets count ``shift`` characters
    further (leading blanks stripped from the text, or a scored sentence's place in its document)."""
    if value in (None, ""):
        return [], False
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise SlantError(f"{where}: spans is not valid JSON; write e.g. [{{\"start\": 0, \"end\": 5}}]") from None
    out = []
    for sp in value if isinstance(value, list) else [None]:
        if isinstance(sp, dict):
            s, e, tech = sp.get("start"), sp.get("end"), sp.get("technique", BABE_SPAN_TECHNIQUE)
        elif isinstance(sp, (list, tuple)) and len(sp) >= 2:
            s, e, tech = sp[0], sp[1], sp[2] if len(sp) > 2 else BABE_SPAN_TECHNIQUE
        else:
            raise SlantError(f"{where}: each span must be {{start, end, technique}} or [start, end]")
        # one message per problem: "outside the text" for a reversed or non-numeric span sends
        # the user looking at the text's length instead of at the span
        for key, v in (("start", s), ("end", e)):
            if v is None:
                raise SlantError(f"{where}: span {sp!r} has no {key}; give both start and end character offsets")
            if not isinstance(v, int) or isinstance(v, bool):  # JSON true would count as offset 1
                raise SlantError(f"{where}: span {sp!r} has {key} {v!r}, not a whole number; "
                                 f"offsets count characters from 0")
        if s >= e:
            raise SlantError(f"{where}: span {sp!r} is empty (start = end); drop it or widen it" if s == e else
                             f"{where}: span {sp!r} ends before it starts (start {s} > end {e}); swap them")
        s, e = s - shift, e - shift
        if not (0 <= s and e <= len(text)):
            raise SlantError(f"{where}: span {sp!r} is outside the text (length {len(text)})")
        if tech not in TECHNIQUES:
            raise SlantError(f"{where}: technique {tech!r} unknown; use one of {', '.join(TECHNIQUES)}")
        out.append({"start": s, "end": e, "technique": tech})
    return out, True


def _given(value) -> bool:
    """A cell holds a value: an id or group of 0 counts, an empty or blank cell does not."""
    return value is not None and str(value).strip() != ""


def _scored_record(r: dict) -> bool:
    """A record written by ``slant score --format jsonl``: spans are in document offsets."""
    return all(isinstance(r.get(k), int) and not isinstance(r.get(k), bool) for k in ("index", "start", "end")) \
        and "doc" in r


def _iter_raw(path: Path):
    if path.suffix.lower() == ".jsonl":
        with path.open(encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    raise SlantError(f"{path}:{n}: not valid JSON; fix or delete the line") from None
                if not isinstance(row, dict):
                    raise SlantError(f"{path}:{n}: expected a JSON object per line")
                yield n, row
    elif path.suffix.lower() == ".csv":
        csv.field_size_limit(sys.maxsize)
        with path.open(encoding="utf-8-sig", newline="") as f:
            delimiter = csv_delimiter(f.readline())  # the scorer's rule: , ; tab or |
            f.seek(0)  # the utf-8-sig decoder skips a BOM again
            reader = csv.DictReader(f, delimiter=delimiter)
            names = reader.fieldnames or []
            # "Text", " label": spreadsheets capitalise and pad headers; the same column twice is refused
            keys = [n.strip().lower() for n in names]
            twice = sorted({k for k in keys if keys.count(k) > 1})
            if twice:
                raise SlantError(f"{path}: column '{twice[0]}' appears twice in the header; rename or drop one")
            reader.fieldnames = keys
            for col in ("text", "label"):
                if col not in keys:
                    raise SlantError(f"{path}: no '{col}' column (has {names}); the generic format needs text and label")
            for row in reader:
                if None in row:  # more fields than the header: an unquoted comma cut the text short
                    raise SlantError(f"{path}:{reader.line_num}: {len(keys) + len(row[None])} fields but the header "
                                     f"has {len(keys)}; put a text holding the delimiter in double quotes")
                if all(v in (None, "") or not v.strip() for v in row.values()):
                    continue  # a spreadsheet's empty trailing rows (",,"), like a blank line
                yield reader.line_num, row
    else:
        raise SlantError(f"{path}: unsupported data file; use .csv or .jsonl with text and label columns")


def load_generic(path: Path) -> list[dict]:
    if not path.is_file():
        # a run's config.yaml keeps the path as given: relative to the folder training ran in
        here = "" if path.is_absolute() else f" in {Path.cwd()} (a relative path counts from the current folder: " \
                                              "run from the folder training ran in, or give the full path)"
        raise SlantError(f"{path}: no such data file{here}; give a .csv or .jsonl path or a source name "
                         "(babe, ptc, hube2019, lim2020)")
    try:
        rows, first_group, first_label, conflicts = [], {}, {}, []
        for n, r in _iter_raw(path):
            where = f"{path}:{n}"
            if not isinstance(r.get("text"), (str, type(None))):  # str() would train on "['a', 'b']" or "12"
                raise SlantError(f"{where}: text is {type(r['text']).__name__} {r['text']!r:.40}, not a string; "
                                 "write the sentence as a JSON string")
            if "text" not in r:  # a JSONL record keyed otherwise ("sentence"): not an empty text
                raise SlantError(f"{where}: no text field (has {', '.join(map(str, r))}); name the sentence's field text")
            raw = str(r.get("text") or "")
            text = raw.strip()
            if not text:
                raise SlantError(f"{where}: empty text; remove the row or fill in the sentence")
            if "label" not in r:
                raise SlantError(f"{where}: no label; every row needs label 0/1")
            scored = _scored_record(r)
            # offsets count from the text as written: leading blanks that strip() drops, and for a
            # scored record the sentence's own offset in its document
            shift = len(raw) - len(raw.lstrip()) + (r["start"] if scored else 0)
            spans, has = _spans(r.get("spans"), text, where, shift)
            rid = str(r["id"]).strip() if _given(r.get("id")) else \
                (f"{r['doc']}#{r['index']}" if scored else f"{path.name}:{n}")
            group = str(r["group"]).strip() if _given(r.get("group")) else (f"doc:{r['doc']}" if scored else "")
            # a sentence written twice stays on one side of the splits (else a test row is trained on)
            key = norm_text(text)
            group = first_group.setdefault(key, group or rid) if not group else group
            label = _label(r["label"], where)
            seen = first_label.setdefault(key, (n, label))
            if seen[1] != label:
                conflicts.append((seen, (n, label), text))
            rows.append({"id": rid, "text": text, "label": label, "spans": spans,
                         "has_spans": has, "outlet": str(r.get("outlet") or "").strip(),
                         "topic": str(r.get("topic") or "").strip(), "group": group, "source": path.stem,
                         "opinion": -1})
    except UnicodeDecodeError:
        raise SlantError(f"{path}: not UTF-8 text; re-save the file as UTF-8") from None
    if not rows:
        raise SlantError(f"{path}: no rows; the file is empty")
    if conflicts:
        _warn_conflicts(path, conflicts)
    return rows


def _warn_conflicts(path: Path, conflicts: list) -> None:
    """One sentence labelled both ways: its copies share a split group, so the model is trained (or
    scored) on both answers at once; a copy-paste or annotator slip the user should see, not a refusal
    (annotators do disagree). Said once, by the first process of a multi-process run."""
    if os.environ.get("RANK", "0") != "0":
        return
    (line_a, label_a), (line_b, label_b), text = conflicts[0]
    print(f"slant: warning: {path}: {len(conflicts)} row(s) repeat a sentence with the other label (line {line_a} says "
          f"{label_a}, line {line_b} says {label_b}: {text[:60]!r}); fix the labels or drop the copies",
          file=sys.stderr, flush=True)
