"""Post-hoc calibration of the sentence head: temperature, ECE, decision threshold.

A fine-tuned transformer is usually over-confident, so its raw softmax is a poor
"probability of framing". We fit one temperature on the dev split (it changes
confidence but never the ranking), measure calibration with ECE, and pick the
decision threshold on dev too, so the test split is touched only once.

Everything here is plain numpy and deterministic: no scipy (not guaranteed to be
installed) and no random restarts.
"""
from __future__ import annotations

import numpy as np

from models.errors import SlantError

_LOG_T_MIN = float(np.log(1e-2))
_LOG_T_MAX = float(np.log(1e2))
_GRID_POINTS = 81
_GOLDEN_ITERS = 60


def _check_binary(labels: np.ndarray, n: int, what: str, classes: int = 2) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.shape[0] != n:
        raise SlantError(
            f"{what}: labels have shape {labels.shape} but {n} scores were given "
            "(pass one 0/1 label per row)"
        )
    if n == 0:
        raise SlantError(f"{what}: no rows given (evaluate on a non-empty dev split)")
    if not np.isin(labels, range(classes)).all():
        if classes == 2:
            raise SlantError(f"{what}: labels must be 0 (neutral) or 1 (framing); got {np.unique(labels)[:5]}")
        raise SlantError(f"{what}: labels must be class ids 0..{classes - 1}; got {np.unique(labels)[:5]}")
    return labels.astype(np.int64)


def _check_probs(probs_pos: np.ndarray, what: str) -> np.ndarray:
    probs = np.asarray(probs_pos, dtype=np.float64)
    if probs.ndim != 1:
        raise SlantError(f"{what}: expected a 1-D array of positive-class probabilities, got shape {probs.shape}")
    if not np.isfinite(probs).all():
        raise SlantError(f"{what}: probabilities contain NaN/inf (check the model outputs)")
    return probs


def _nll(logits: np.ndarray, labels: np.ndarray, log_t: float) -> float:
    """Mean negative log-likelihood of softmax(logits / exp(log_t))."""
    z = logits / np.exp(log_t)
    rows = np.arange(len(labels))
    top = z.argmax(axis=1)
    e = np.exp(z - z[rows, top][:, None])
    e[rows, top] = 0.0
    # log1p of the non-max terms keeps tiny losses (confident, correct rows)
    # distinguishable instead of rounding them to exactly 0.
    log_norm = z[rows, top] + np.log1p(e.sum(axis=1))
    return float(np.mean(log_norm - z[rows, labels]))


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """Temperature T > 0 minimising dev NLL of ``softmax(logits / T)``.

    The NLL is convex in 1/T, hence unimodal in log T, so a coarse grid over
    log T in [log 0.01, log 100] followed by golden-section refinement around
    the best grid point finds the global minimum deterministically. If the dev
    set is perfectly separated the optimum is T -> 0; we then return the lower
    bound 0.01 rather than diverge. ``logits`` has shape (n, 2) (any (n, k) works).
    """
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim != 2 or logits.shape[1] < 2:
        raise SlantError(f"fit_temperature: logits must have shape (n, 2), got {logits.shape}")
    if not np.isfinite(logits).all():
        raise SlantError("fit_temperature: logits contain NaN/inf (check the model outputs)")
    labels = _check_binary(labels, logits.shape[0], "fit_temperature", classes=logits.shape[1])
    if labels.max() >= logits.shape[1]:
        raise SlantError("fit_temperature: a label exceeds the number of logit columns")

    grid = np.linspace(_LOG_T_MIN, _LOG_T_MAX, _GRID_POINTS)
    losses = np.array([_nll(logits, labels, g) for g in grid])
    i = int(np.argmin(losses))
    lo = grid[max(i - 1, 0)]
    hi = grid[min(i + 1, len(grid) - 1)]

    inv_phi = (np.sqrt(5.0) - 1.0) / 2.0
    c = hi - inv_phi * (hi - lo)
    d = lo + inv_phi * (hi - lo)
    fc, fd = _nll(logits, labels, c), _nll(logits, labels, d)
    for _ in range(_GOLDEN_ITERS):
        if fc < fd:
            hi, d, fd = d, c, fc
            c = hi - inv_phi * (hi - lo)
            fc = _nll(logits, labels, c)
        else:
            lo, c, fc = c, d, fd
            d = lo + inv_phi * (hi - lo)
            fd = _nll(logits, labels, d)
    log_t = (lo + hi) / 2.0
    # Keep the grid point if refinement somehow did worse (flat/degenerate loss).
    if losses[i] <= _nll(logits, labels, log_t):
        log_t = grid[i]
    return float(np.exp(log_t))


def softmax_with_temperature(logits: np.ndarray, temperature: float) -> np.ndarray:
    """``softmax(logits / T)`` over the last axis, every class (numerically stable)."""
    if not temperature > 0:
        raise SlantError(f"temperature must be > 0, got {temperature} (refit it with fit_temperature)")
    z = np.asarray(logits, dtype=np.float64) / temperature
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def apply_temperature(logits: np.ndarray, temperature: float) -> np.ndarray:
    """Positive-class probability ``softmax(logits / T)[:, 1]``."""
    return softmax_with_temperature(logits, temperature)[:, 1]


def expected_calibration_error(probs_pos: np.ndarray, labels: np.ndarray, n_bins: int = 15) -> float:
    """Binary reliability ECE, in [0, 1].

    Definition used (documented because ECE variants disagree): rows are put
    into ``n_bins`` equal-width bins on the *positive-class* probability p
    (p = 1.0 goes in the last bin). The predicted class is ``p >= 0.5``, its
    confidence is ``max(p, 1 - p)``, and

        ECE = sum_b |B_b| / n * |accuracy(B_b) - mean confidence(B_b)|

    For any bin entirely on one side of 0.5 this equals
    ``|mean p - fraction positive|``, i.e. the gap in a reliability diagram.
    """
    probs = _check_probs(probs_pos, "expected_calibration_error")
    labels = _check_binary(labels, probs.shape[0], "expected_calibration_error")
    if n_bins < 1:
        raise SlantError(f"expected_calibration_error: n_bins must be >= 1, got {n_bins}")
    if probs.min() < 0.0 or probs.max() > 1.0:
        raise SlantError("expected_calibration_error: probabilities must lie in [0, 1] (pass softmax outputs, not logits)")
    bins = np.minimum((probs * n_bins).astype(np.int64), n_bins - 1)
    preds = (probs >= 0.5).astype(np.int64)
    correct = (preds == labels).astype(np.float64)
    conf = np.maximum(probs, 1.0 - probs)
    n = probs.shape[0]
    acc_sum = np.bincount(bins, weights=correct, minlength=n_bins)
    conf_sum = np.bincount(bins, weights=conf, minlength=n_bins)
    return float(np.abs(acc_sum - conf_sum).sum() / n)


def _macro_f1_from_counts(n_pos: int, n_neg: int, tp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """Macro-F1 (mean of both classes' F1; F1 := 0 on an empty denominator)."""
    fn = n_pos - tp
    tn = n_neg - fp
    with np.errstate(divide="ignore", invalid="ignore"):
        d_pos = 2 * tp + fp + fn
        d_neg = 2 * tn + fp + fn
        f1_pos = np.where(d_pos > 0, 2 * tp / np.maximum(d_pos, 1), 0.0)
        f1_neg = np.where(d_neg > 0, 2 * tn / np.maximum(d_neg, 1), 0.0)
    return (f1_pos + f1_neg) / 2.0


def best_threshold(probs_pos: np.ndarray, labels: np.ndarray) -> float:
    """Decision threshold (predict framing iff ``p >= t``) maximising dev macro-F1.

    Every distinct prediction is reachable by cutting between consecutive unique
    probabilities, so all n+1 cuts are scored exactly (vectorised counts, the
    same macro-F1 as ``sklearn.metrics.f1_score(average="macro")``). Each cut is
    an interval of equivalent thresholds; its representative is 0.5 when 0.5
    lies inside it, else the interval midpoint (robust to small shifts). Ties in
    macro-F1 go to the representative closest to 0.5, so an uninformative dev set
    falls back to the usual 0.5.
    """
    probs = _check_probs(probs_pos, "best_threshold")
    labels = _check_binary(labels, probs.shape[0], "best_threshold")
    uniq = np.unique(probs)  # ascending
    k = uniq.shape[0]
    # Cut j (0..k): predict positive for p >= uniq[j]; j == k predicts none positive.
    idx = np.searchsorted(uniq, probs)  # row's rank among unique values
    pos_at = np.bincount(idx, weights=labels, minlength=k)
    all_at = np.bincount(idx, minlength=k).astype(np.float64)
    # positives / predicted-positives with p >= uniq[j]: reverse cumulative sums
    tp = np.concatenate([np.cumsum(pos_at[::-1])[::-1], [0.0]])
    pp = np.concatenate([np.cumsum(all_at[::-1])[::-1], [0.0]])
    n_pos = int(labels.sum())
    n_neg = int(labels.shape[0] - n_pos)
    scores = _macro_f1_from_counts(n_pos, n_neg, tp, pp - tp)

    reps = np.empty(k + 1)
    for j in range(k + 1):
        lo = -np.inf if j == 0 else uniq[j - 1]  # cut j: any t in (lo, hi]
        hi = np.inf if j == k else uniq[j]
        if lo < 0.5 <= hi:
            reps[j] = 0.5
        elif j == 0:
            reps[j] = hi  # p >= min(p): everything positive
        elif j == k:
            reps[j] = (lo + 1.0) / 2.0 if lo < 1.0 else np.nextafter(lo, np.inf)
        else:
            mid = (lo + hi) / 2.0
            reps[j] = mid if mid > lo else hi
    best = scores.max()
    cands = np.flatnonzero(np.isclose(scores, best, rtol=0.0, atol=1e-12))
    j = cands[np.argmin(np.abs(reps[cands] - 0.5))]
    return float(reps[j])
