"""Load the configured sources into ``datasets.Dataset``s with one schema.

``load_source`` maps a name (or a file path) to its loader; ``licences`` tells
the model card what data a model was trained on and under which terms.
"""
from __future__ import annotations

from pathlib import Path

from datasets import Dataset, Features, Value

from models.errors import SlantError
from training import data_babe, data_extra, data_newsmtsc, data_ptc
from training.data_generic import load_generic

SOURCES = ("babe", "ptc", "hube2019", "lim2020", "newsmtsc")
STANCE_SOURCES = ("newsmtsc",)
"""Sources of (sentence, target) stance rows rather than framing-labelled sentences."""

FEATURES = Features({
    "id": Value("string"),
    "text": Value("string"),
    "label": Value("int64"),
    "spans": [{"start": Value("int64"), "end": Value("int64"), "technique": Value("string")}],
    "has_spans": Value("bool"),
    "outlet": Value("string"),
    "topic": Value("string"),
    "group": Value("string"),
    "source": Value("string"),
    "opinion": Value("int64"),
    "target_start": Value("int64"),
    "target_end": Value("int64"),
    "stance": Value("int64"),
    "stance_soft": [Value("float32")],
    "label_soft": Value("float32"),
})
NOT_STANCE = {"target_start": -1, "target_end": -1, "stance": -1, "stance_soft": []}
DEFAULTS = {**NOT_STANCE, "label_soft": -1.0}
"""``stance_soft``: a teacher's probabilities over the stances (distillation rows); empty
for gold rows, which train on ``stance`` alone."""

LICENCES = {
    "babe": data_babe.LICENSE,
    "ptc": data_ptc.LICENSE,
    "hube2019": data_extra.HUBE_LICENSE,
    "lim2020": data_extra.LIM_LICENSE,
    "newsmtsc": data_newsmtsc.LICENSE,
}


def load_source(name: str, root: Path | None, *, part: str = "train", votes: bool = False) -> Dataset:
    """``part`` picks a NewsMTSC file (train, devtest_rw, devtest_mt); other sources have one.
    ``votes``: BABE rows carry their annotator vote share (see ``data_babe.load_babe``)."""
    if name in SOURCES and root is None:
        raise SlantError(f"source '{name}' needs a data root; set SLANT_DATA_ROOT or --data.root")
    if name == "babe":
        rows = data_babe.load_babe(root, votes=votes)
    elif name == "ptc":
        rows = data_ptc.load_ptc(root)
    elif name == "hube2019":
        rows = data_extra.load_hube(root)
    elif name == "lim2020":
        rows = data_extra.load_lim(root)
    elif name == "newsmtsc":
        rows = data_newsmtsc.load_newsmtsc(root, part)
    elif name.endswith((".csv", ".jsonl")):
        rows = load_generic(Path(name))
    else:
        raise SlantError(f"unknown data source '{name}'; use one of {', '.join(SOURCES)} or a .csv/.jsonl path")
    return to_dataset(rows)


def to_dataset(rows: list[dict]) -> Dataset:
    """Loader rows in the one schema (framing rows get the not-a-stance-row defaults)."""
    return Dataset.from_list([{**DEFAULTS, **r} for r in rows], features=FEATURES)


def licence_of(name: str) -> str:
    return LICENCES.get(name, "user-supplied data")
