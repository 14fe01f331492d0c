"""PTC (SemEval-2020 Task 11): propaganda technique spans in news articles.

Articles are one sentence per line (line 1 the title); spans are character
offsets into the article. Each non-empty line becomes a row with its spans
clipped to it. A line is "framing" when it overlaps a Loaded_Language or
Name_Calling,Labeling span. Splits group rows by article so no article is in both
train and test, and are made over every line: dev and test articles are scored whole,
as a reader's article would be. Only the training part is thinned (``thin_negatives``):
lines that carry none of the trained techniques are four times as many as those that do.
"""
from __future__ import annotations

import csv
import random
from collections import defaultdict
from pathlib import Path

import pyarrow as pa
from datasets import Dataset
from datasets.table import InMemoryTable

from models.errors import SlantError
from training.data_root import require_file
from training.schema import PTC_TECHNIQUE_MAP, column

PTC_DIR = Path("semeval2020_task11_ptc")
LICENSE = "PTC (Da San Martino et al. 2019/2020): research use only, no redistribution"
FRAMING_TECHNIQUES = {"Loaded_Language", "Name_Calling,Labeling"}


def read_spans(path: Path) -> dict[str, list[tuple[str, int, int]]]:
    """Article id -> (technique, start, end) character spans, from PTC's tab-separated labels file
    (``train-task2-TC.labels``); lines without four fields are skipped, offsets that are not
    numbers stop with the file and line named."""
    spans = defaultdict(list)
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(csv.reader(f, delimiter="\t"), 1):
            if len(line) == 4:
                art, tech, s, e = line
                try:
                    spans[art].append((tech, int(s), int(e)))
                except ValueError:
                    raise SlantError(f"{path}:{number}: span offsets {s!r}, {e!r} are not numbers; "
                                     "re-download the PTC corpus (see the README's Data section)") from None
    return spans


def thin_negatives(ds, share: float, sentence_share: float, seed: int):
    """Keep ``share`` of the PTC rows without a trained span, and of those let only
    ``sentence_share`` keep their sentence label (the rest train the token head alone: label
    -1). Every row with a span stays. Seeded; applied to the training split only, since a test
    set thinned the same way would hide the false spans a model marks in an article's
    unannotated lines."""
    if share >= 1.0 and sentence_share >= 1.0:
        return ds
    rng = random.Random(seed)
    keep, labels = [], []
    for i, (src, spans, label) in enumerate(zip(column(ds, "source"), column(ds, "spans"), column(ds, "label"))):
        if src != "ptc" or spans:
            keep.append(i)
            labels.append(label)
        elif rng.random() < share:
            keep.append(i)
            labels.append(label if rng.random() < sentence_share else -1)
    # the kept rows and new labels as one Arrow table: datasets' select + add_column rewrote the
    # rows through its writer (8 s of a training run's start; this is under 2 s, same rows)
    table = ds.with_format("arrow")[keep]
    where = table.schema.get_field_index("label")
    table = table.set_column(where, "label", pa.array(labels, type=table.schema.field("label").type))
    return Dataset(InMemoryTable(table), info=ds.info.copy())


def relabel_other_techniques(ds, root: Path, mode: str):
    """Give the PTC lines whose technique spans are all of the techniques outside
    FRAMING_TECHNIQUES (exaggeration, doubt, flag-waving …) the sentence label ``mode`` asks
    for: "neutral" keeps the derived 0, "unlabelled" makes it -1 (the token head still trains on
    the line), "framing" makes it 1. For the training split: such a line is propaganda, and
    whether BABE would call it biased is the question this answers."""
    if mode == "neutral":
        return ds
    other = other_technique_lines(root)
    new = -1 if mode == "unlabelled" else 1
    return ds.map(lambda r: {"label": new if r["source"] == "ptc" and r["id"] in other else r["label"]})


def other_technique_lines(root: Path) -> set[str]:
    """Ids of the PTC lines that overlap a technique span but no Loaded_Language or Name_Calling one."""
    return {f"ptc:{art}:{n}" for art, n, _, inside in _lines(root)
            if inside and not {t for t, _, _ in inside} & FRAMING_TECHNIQUES}


def article_lines(text: str):
    """(line number, character offset of its first non-blank character, the stripped line) for
    every non-blank line of a PTC article: one sentence per line, as the corpus ships."""
    offset = 0
    for n, line in enumerate(text.split("\n")):
        stripped = line.strip()
        if stripped:
            yield n, offset + len(line) - len(line.lstrip()), stripped
        offset += len(line) + 1


def _lines(root: Path):
    """(article id, line number, stripped line, its (technique, start, end) spans clipped to it)
    for every non-blank line of every PTC training article."""
    base = root / PTC_DIR
    spans_by_article = read_spans(require_file(base / "train-task2-TC.labels", "PTC"))
    art_dir = base / "train-articles"
    require_file(next(iter(sorted(art_dir.glob("article*.txt"))), art_dir / "article*.txt"), "PTC")
    for path in sorted(art_dir.glob("article*.txt")):
        art = path.stem.removeprefix("article")
        spans = spans_by_article.get(art, [])
        for n, s0, stripped in article_lines(path.read_text(encoding="utf-8")):
            e0 = s0 + len(stripped)
            yield art, n, stripped, [(t, max(s, s0) - s0, min(e, e0) - s0) for t, s, e in spans if s < e0 and e > s0]


def load_ptc(root: Path) -> list[dict]:
    return [{
        "id": f"ptc:{art}:{n}",
        "text": stripped,
        "label": int(any(t in FRAMING_TECHNIQUES for t, _, _ in inside)),
        "spans": [
            {"start": s, "end": e, "technique": PTC_TECHNIQUE_MAP[t]}
            for t, s, e in inside
            if t in PTC_TECHNIQUE_MAP and e > s
        ],
        "has_spans": True,
        "outlet": "",
        "topic": "",
        "group": f"ptc:{art}",
        "source": "ptc",
        "opinion": -1,
    } for art, n, stripped, inside in _lines(root)]
