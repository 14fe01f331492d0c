"""MBIC's full source articles (the ``article`` column of ``mbic/final_labels_MBIC.xlsx``).

MBIC's 1,700 labelled sentences are BABE's (never a separate framing source), but the
918 distinct news articles they came from are useful unlabelled text: the report demo
corpus is built from them, and stance pseudo-labelling reads their sentences.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from training.data_root import require_file
from training.xlsx import read_xlsx

MBIC_FILE = Path("mbic") / "final_labels_MBIC.xlsx"


def mbic_articles(root: Path) -> Iterator[dict]:
    """One spreadsheet row per distinct article (MBIC repeats an article once per annotated
    sentence), with ``article`` stripped; rows without an article are skipped."""
    path = require_file(root / MBIC_FILE, "MBIC")
    seen: set[str] = set()
    for row in read_xlsx(path, "MBIC"):
        text = (row.get("article") or "").strip()
        if text and text not in seen:
            seen.add(text)
            yield {**row, "article": text}
