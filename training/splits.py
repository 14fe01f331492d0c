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
    # sklearn also refuses (with a traceback) when no class has a member for every fold
    if n_splits < 2 or len(set(groups)) < n_splits or max(Counter(labels.tolist()).values(), default=0) < n_splits:
        raise SlantError(f"cannot split {len(labels)} rows into {n_splits} folds; add data or lower data.folds "
                         f"/ raise data.test_size or data.dev_size")
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
        if not held:  # else the test split is empty and the run fails only at evaluation, after training
            found = len(set(o for o in outlets if o))
            have = f"too few outlets to hold one out ({found}, each over 40% of the rows)" if found else "no outlets"
            raise SlantError(f"data.split=outlet: {_name(ds)} has {have}; use --data.split random, "
                             f"or add an outlet column naming each row's outlet")
        test_idx = np.array([i for i, o in enumerate(outlets) if o in held])
        rest_idx = np.array([i for i, o in enumerate(outlets) if o not in held])
    else:
        n = folds if how == "kfold" else max(2, round(1 / test_size))
        rest_idx, test_idx = _fold(labels, groups, n, fold if how == "kfold" else 0, seed)
    if not len(rest_idx):
        raise SlantError(f"data.split={how}: the test split takes every row of {_name(ds)}; "
                         f"leave some outlets out of data.test_outlets for training")
    n_dev = max(2, round(1 / dev_size))  # dev is dev_size of the rows left after the test split
    sub_train, sub_dev = _fold(labels[rest_idx], groups[rest_idx], n_dev, 0, seed + 1)
    parts = {"train": ds.select(rest_idx[sub_train]), "dev": ds.select(rest_idx[sub_dev]), "test": ds.select(test_idx)}
    empty = [k for k, part in parts.items() if not len(part)]
    if empty:  # an empty part fails only after training, when it is evaluated
        raise SlantError(f"data.split={how} leaves the {' and '.join(empty)} split of {_name(ds)} empty "
                         f"({len(ds)} rows); add rows or use --data.split random")
    both = {0, 1} <= set(labels.tolist())
    for name in ("test", "dev") if both and how in _one_label_fix else ():
        # held-out outlets of one label: a macro-F1 over a class with no rows, and a dev set that
        # cannot fit a threshold, reported as the run's figures (random and kfold are stratified;
        # only the eval source is split by outlet, so an extra source of few framing rows still trains)
        have = set(column(parts[name], "label")) & {0, 1}
        if len(have) == 1:
            outlets = sorted(set(column(parts["test"], "outlet")))
            raise SlantError(f"data.split={how}: the {name} split of {_name(ds)} (test outlets: {', '.join(outlets[:5])}"
                             f"{' …' if len(outlets) > 5 else ''}) holds only {'framing (1)' if have == {1} else 'neutral (0)'}"
                             f" rows, so its figures mean nothing; {_one_label_fix[how]}, "
                             f"or use --data.split random")
    return parts


_one_label_fix = {"outlet": "name data.test_outlets holding both labels",
                  "outlet_kfold": "change data.folds (or train.seed) so each fold mixes outlets of both labels"}


def require_both_labels(ds: Dataset) -> None:
    """The eval source (whose dev and test splits judge the run) must hold both labels, else a
    whole run trains and fails at the end, in the baselines, without naming the file. Checked
    before the split, not when a file is loaded: ``slant evaluate --data`` may score a file of one
    label, and an extra training source of one label (more framing examples) is fine."""
    labels = np.array(column(ds, "label"))
    classes = set(labels[labels >= 0].tolist())
    if len(classes) == 1:
        have, need = ("framing (1)", "neutral (0)") if classes == {1} else ("neutral (0)", "framing (1)")
        raise SlantError(f"data source {_name(ds)}: every row is labelled {have}; training needs both labels, "
                         f"add {need} rows")


def _name(ds: Dataset) -> str:
    """The source a split error names (one source is split at a time)."""
    names = sorted(set(column(ds, "source")))
    return ", ".join(names) if names else "the data"


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
