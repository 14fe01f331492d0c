"""Sentence-level evaluation metrics shared by the model and the baselines.

One function builds the metrics dict so that the fine-tuned model and every
baseline are reported with identical definitions (all from
``sklearn.metrics``), and the dict is plain JSON (floats/ints/lists) so it can
be written next to a trained model without custom encoders.
"""
from __future__ import annotations

import inspect
from typing import Any, Sequence

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
    roc_auc_score,
)

from models.errors import SlantError
from training.calibration import expected_calibration_error
from training.schema import LABELS


def classification_metrics(
    labels: Sequence[int] | np.ndarray,
    preds: Sequence[int] | np.ndarray,
    probs_pos: Sequence[float] | np.ndarray | None = None,
    label_names: Sequence[str] = LABELS,
    scores: Sequence[float] | np.ndarray | None = None,
) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class P/R/F1/support, confusion matrix (+ ECE, AUC).

    Class ids are ``0..len(label_names)-1`` and are always all reported, even
    if a class is missing from this split (its scores are then 0, never a
    warning). ``confusion[i][j]`` counts gold class i predicted as j.

    When ``probs_pos`` (calibrated positive-class probabilities) is given, adds
    ``ece`` plus ``roc_auc`` and ``average_precision``. ``scores`` is for a
    ranking score that is *not* a probability (e.g. TextBlob subjectivity): it
    adds only the AUCs, because ECE of a non-probability is meaningless. AUCs
    are ``None`` when the split holds a single class.
    """
    y = np.asarray(labels).astype(np.int64)
    p = np.asarray(preds).astype(np.int64)
    if y.ndim != 1 or y.shape != p.shape:
        raise SlantError(
            f"classification_metrics: labels {y.shape} and preds {p.shape} must be 1-D and the same length"
        )
    if y.shape[0] == 0:
        raise SlantError("classification_metrics: no rows to evaluate (the split is empty; check the data split)")
    ids = list(range(len(label_names)))
    bad = set(np.unique(np.concatenate([y, p])).tolist()) - set(ids)
    if bad:
        raise SlantError(
            f"classification_metrics: class ids {sorted(bad)} are outside 0..{len(ids) - 1} "
            f"(label_names={tuple(label_names)})"
        )

    prec, rec, f1, support = precision_recall_fscore_support(y, p, labels=ids, zero_division=0)
    out: dict[str, Any] = {
        "n": int(y.shape[0]),
        "accuracy": float(accuracy_score(y, p)),
        "macro_f1": float(f1_score(y, p, labels=ids, average="macro", zero_division=0)),
        "per_class": {
            name: {
                "precision": float(prec[i]),
                "recall": float(rec[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, name in enumerate(label_names)
        },
        "confusion": confusion_matrix(y, p, labels=ids).astype(int).tolist(),
        "label_names": list(label_names),
    }
    ranking = None
    if probs_pos is not None:
        probs = np.asarray(probs_pos, dtype=np.float64)
        if probs.shape != y.shape:
            raise SlantError(f"classification_metrics: probs_pos {probs.shape} must match labels {y.shape}")
        out["ece"] = expected_calibration_error(probs, y)
        ranking = probs
    if scores is not None:
        ranking = np.asarray(scores, dtype=np.float64)
        if ranking.shape != y.shape:
            raise SlantError(f"classification_metrics: scores {ranking.shape} must match labels {y.shape}")
    if ranking is not None and len(ids) == 2:
        both = len(np.unique(y)) == 2
        out["roc_auc"] = float(roc_auc_score(y, ranking)) if both else None
        out["average_precision"] = float(average_precision_score(y, ranking)) if both else None
    return out


_ECE_BINS = inspect.signature(expected_calibration_error).parameters["n_bins"].default
ECE_NOTE = (f"ece: expected calibration error over {_ECE_BINS} equal-width bins of the framing probability (calibrated; "
            "ece_uncalibrated: before the temperature); ece_top_class: the same over the top stance's probability "
            "(training/calibration.py, expected_calibration_error)")
"""The legend ``slant evaluate`` prints under its tables: which ECE, over which bins."""


def _fmt(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.3f}"
    return str(x)


def format_metrics(m: dict[str, Any], title: str | None = None) -> str:
    """Render a ``classification_metrics`` dict as a compact plain-text table.

    Plain text (no rich markup) so it reads the same in a terminal, a log file
    and a CI summary.
    """
    lines: list[str] = []
    if title:
        lines.append(title)
    head = [f"n={m.get('n', '-')}", f"accuracy={_fmt(m.get('accuracy'))}", f"macro_f1={_fmt(m.get('macro_f1'))}"]
    for key in ("ece", "ece_uncalibrated", "ece_top_class", "roc_auc", "average_precision", "threshold"):
        if key in m:
            head.append(f"{key}={_fmt(m[key])}")
    lines.append("  ".join(head))
    per_class = m.get("per_class", {})
    if per_class:
        width = max(8, *(len(n) for n in per_class))
        lines.append(f"{'class':<{width}}  {'prec':>6}  {'recall':>6}  {'f1':>6}  {'support':>7}")
        for name, c in per_class.items():
            lines.append(
                f"{name:<{width}}  {_fmt(c['precision']):>6}  {_fmt(c['recall']):>6}  "
                f"{_fmt(c['f1']):>6}  {c['support']:>7}"
            )
    conf = m.get("confusion")
    if conf:
        names = m.get("label_names") or list(per_class) or [str(i) for i in range(len(conf))]
        width = max(8, *(len(n) for n in names))
        cell = max(6, *(len(n) for n in names))
        lines.append("confusion (rows=gold, cols=pred)")
        lines.append(" " * width + "  " + "  ".join(f"{n:>{cell}}" for n in names))
        for name, row in zip(names, conf):
            lines.append(f"{name:<{width}}  " + "  ".join(f"{v:>{cell}}" for v in row))
    return "\n".join(lines)
