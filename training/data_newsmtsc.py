"""NewsMTSC (Hamborg & Donnay, EACL 2021): sentiment toward named persons in news sentences.

One row per (sentence, target mention): the row keeps the raw sentence and the
mention's character offsets; ``training.features`` puts the target markers in.
``train.jsonl`` trains (and gives a dev split); ``devtest_rw`` (real-world class
balance) and ``devtest_mt`` (several targets per sentence) are the published test
sets, never trained on.
"""
from __future__ import annotations

import json
from pathlib import Path

from models.errors import SlantError
from training.data_root import require_file

DIR = Path("newsmtsc")
PARTS = ("train", "devtest_rw", "devtest_mt")
LICENSE = "NewsMTSC (Hamborg & Donnay 2021): MIT-style repository licence; sentences from third-party news"
POLARITY = {2.0: 0, 4.0: 1, 6.0: 2}
"""NewsMTSC polarity -> index into ``training.schema.STANCES``."""


def load_newsmtsc(root: Path, part: str = "train") -> list[dict]:
    if part not in PARTS:
        raise SlantError(f"NewsMTSC: unknown part '{part}'; use one of {', '.join(PARTS)}")
    path = require_file(root / DIR / f"{part}.jsonl", "NewsMTSC")
    source = "newsmtsc" if part == "train" else f"newsmtsc_{part.removeprefix('devtest_')}"
    return load_newsmtsc_file(path, source, part)


def load_newsmtsc_file(path: Path, source: str, part: str = "extra") -> list[dict]:
    """Rows from any file in NewsMTSC's layout (also ``data.stance_extra`` files, such as the
    pseudo-labelled ones ``training.pseudo_stance`` writes)."""
    if not path.is_file():
        raise SlantError(f"stance data {path}: no such file; fix the path in data.stance_extra")
    rows = []
    with path.open(encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                text = record["sentence_normalized"]
                targets = record["targets"]
            except (json.JSONDecodeError, KeyError, TypeError) as e:
                raise SlantError(f"{path}:{line_no}: not a NewsMTSC record ({e}); re-download the file") from None
            for k, t in enumerate(targets):
                start, end, polarity = t.get("from"), t.get("to"), t.get("polarity")
                if polarity not in POLARITY or not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
                    raise SlantError(f"{path}:{line_no}: target {k} has bad offsets or polarity; re-download the file")
                soft = _soft_labels(t.get("probs"), path, line_no, k)
                rows.append({
                    "id": f"newsmtsc:{part}:{line_no}:{k}", "text": text, "label": -1, "spans": [],
                    "has_spans": False, "outlet": "", "topic": "", "group": f"newsmtsc:{part}:{line_no}",
                    "source": source,
                    "opinion": -1, "target_start": start, "target_end": end, "stance": POLARITY[polarity],
                    "stance_soft": soft,
                })
    if not rows:
        raise SlantError(f"{path}: no targets found; re-download NewsMTSC into the data root")
    return rows


def _soft_labels(probs, path: Path, line_no: int, k: int) -> list[float]:
    """A teacher's [negative, neutral, positive] probabilities (``training.pseudo_stance
    --soft``), or [] for a gold label."""
    if probs is None:
        return []
    if not (isinstance(probs, list) and len(probs) == 3 and all(isinstance(p, (int, float)) and p >= 0 for p in probs)
            and abs(sum(probs) - 1.0) < 1e-3):
        raise SlantError(f"{path}:{line_no}: target {k} has 'probs' that are not 3 probabilities summing to 1; "
                         "write the file again with python -m training.pseudo_stance --soft")
    return [float(p) for p in probs]
