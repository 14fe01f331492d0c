"""Extra sentence-level sources tried as additional training data.

Hube & Fetahu 2019 (Wikipedia statements, crowd-verified biased vs neutral) and
Lim et al. 2020 (news sentences with 1–4 crowd bias ratings, binarised at a
mean ≥ 2.5). They have no word spans, so their token loss is masked.
"""
from __future__ import annotations

import csv
import re
import statistics
import sys
from pathlib import Path

from training.data_root import require_file

HUBE_DIR = Path("wiki_npov_hube2019")
HUBE_LICENSE = "Hube & Fetahu 2019: none stated (Wikipedia text, CC BY-SA)"
LIM_FILE = Path("lim2020_biased_sentences") / "Sora_LREC2020_biasedsentences.csv"
LIM_LICENSE = "Lim et al. 2020: research use only"


def _row(id_, text, label, source, group, outlet="", topic=""):
    return {"id": id_, "text": text, "label": label, "spans": [], "has_spans": False, "outlet": outlet,
            "topic": topic, "group": group, "source": source, "opinion": -1}


def load_hube(root: Path) -> list[dict]:
    files = {"statements_biased": 1, "statements_neutral_cw-hard": 0, "statements_neutral_type_balanced": 0}
    rows = []
    for name, label in files.items():
        path = require_file(root / HUBE_DIR / name, "Hube 2019")
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            if line.strip():
                rows.append(_row(f"hube:{name}:{i}", line.strip(), label, "hube2019", f"hube:{name}:{i}"))
    return rows


def load_lim(root: Path, cut: float = 2.5) -> list[dict]:
    path = require_file(root / LIM_FILE, "Lim 2020")
    csv.field_size_limit(sys.maxsize)
    ratings: dict[tuple[str, int], list[float]] = {}
    texts: dict[tuple[str, int], tuple[str, str, str]] = {}
    with path.open(encoding="utf-8-sig", newline="") as f:
        for r in csv.DictReader(f):
            art = r["id_article"]
            for k in range(20):
                text = re.sub(r"^\[\d+\]:\s*", "", (r.get(f"s{k}") or "").strip())
                if not text or not (r.get(str(k)) or "").strip():
                    continue
                try:
                    ratings.setdefault((art, k), []).append(float(r[str(k)]))
                except ValueError:
                    continue
                outlet = re.sub(r"^\d+_|_\d+$", "", r.get("source", ""))
                texts[(art, k)] = (text, outlet, r.get("event", ""))
    return [
        _row(f"lim:{art}:{k}", texts[(art, k)][0], int(statistics.mean(v) >= cut), "lim2020", f"lim:{art}",
             texts[(art, k)][1], texts[(art, k)][2])
        for (art, k), v in sorted(ratings.items())
    ]
