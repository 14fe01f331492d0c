"""Train/dev/test splits that never leak a test sentence into training.

- random: stratified by label and grouped (a PTC article never straddles sets);
- kfold: the same, fold ``k`` of ``n`` is the test set (cross-validation);
- outlet: whole outlets are held out, the honest figure for BABE, whose label
  is confounded with outlet;
- outlet_kfold: cross-validation over outlets: fold ``k`` of ``n`` holds out a
  group of whole outlets, and every outlet is tested exactly once.

Extra training sources are filtered against dev/test by normalised text, since
MBIC and BABE SG1 repeat BABE SG2 sentences.
"""
from __future__ import annotations

import re
from collections import Counter

import numpy as np
from datasets import Dataset
from sklearn.model_selection import StratifiedGroupKFold

from models.errors import SlantError
from training.schema import column


def norm_text(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def _fold(labels, groups, n_splits: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    if n_splits < 2 or len(set(groups)) < n_splits:
        raise SlantError(f"cannot split {len(labels)} rows into {n_splits} folds; add data or lower data.folds / raise data.test_size")
    cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    for i, (rest, held) in enumerate(cv.split(np.zeros(len(labels)), labels, groups)):
        if i == k:
            return rest, held
    raise AssertionError("fold index out of range")


def pick_outlets(outlets: list[str], share: float) -> list[str]:
    """Mid-sized outlets until ``share`` of the rows are held out (the biggest stay in training)."""
    counts = Counter(o for o in outlets if o)
    picked, total = [], 0
    for name, n in sorted(counts.items(), key=lambda kv: (kv[1], kv[0])):
        if total >= share * len(outlets):
            break
        if n <= 0.4 * len(outlets):
            picked.append(name)
            total += n
    return picked


def split_dataset(ds: Dataset, *, how: str, seed: int, test_size: float, dev_size: float, folds: int = 5,
                  fold: int = 0, test_outlets: list[str] | None = None) -> dict[str, Dataset]:
    labels, groups = np.array(column(ds, "label")), np.array(column(ds, "group"))
    if how == "outlet_kfold":
        outlets = np.array(column(ds, "outlet"))
        if not all(outlets) or len(set(outlets)) < folds:
            raise SlantError(f"data.split=outlet_kfold needs an outlet on every row and at least data.folds={folds} "
                             f"outlets (found {len(set(o for o in outlets if o))}); lower data.folds or use split=kfold")
        rest_idx, test_idx = _fold(labels, outlets, folds, fold, seed)
    elif how == "outlet":
        outlets = column(ds, "outlet")
        held = set(test_outlets or pick_outlets(outlets, test_size))
        unknown = held - set(outlets)
        if unknown:
            raise SlantError(f"data.test_outlets: {sorted(unknown)} not in the data; outlets are {sorted(set(outlets))}")
        test_idx = np.array([i for i, o in enumerate(outlets) if o in held])
        rest_idx = np.array([i for i, o in enumerate(outlets) if o not in held])
    else:
        n = folds if how == "kfold" else max(2, round(1 / test_size))
        rest_idx, test_idx = _fold(labels, groups, n, fold if how == "kfold" else 0, seed)
    n_dev = max(2, round(1 / dev_size))  # dev is dev_size of the rows left after the test split
    sub_train, sub_dev = _fold(labels[rest_idx], groups[rest_idx], n_dev, 0, seed + 1)
    return {"train": ds.select(rest_idx[sub_train]), "dev": ds.select(rest_idx[sub_dev]), "test": ds.select(test_idx)}


def drop_overlap(extra: Dataset, held_out: list[Dataset]) -> Dataset:
    """Remove rows from an extra training source whose text is in dev or test."""
    banned = {norm_text(t) for d in held_out for t in column(d, "text")}
    keep = [i for i, t in enumerate(column(extra, "text")) if norm_text(t) not in banned]
    return extra.select(keep)


def stance_dev_split(ds: Dataset, dev_size: float, seed: int) -> tuple[Dataset, Dataset]:
    """Train/dev of stance rows: stratified by stance, grouped by sentence (a sentence's
    targets stay on one side)."""
    stances, groups = np.array(column(ds, "stance")), np.array(column(ds, "group"))
    rest, dev = _fold(stances, groups, max(2, round(1 / dev_size)), 0, seed + 1)
    return ds.select(rest), ds.select(dev)
