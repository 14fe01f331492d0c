"""The share of targets that carry a stance in whole articles, and stance probabilities moved to it.

Why: the stance head learns NewsMTSC, whose sentences were chosen for sentiment (35% of its
targets neutral), and its temperature is fitted there. In whole news articles most named
targets carry no stance — a dateline's city, a wire service, a court — so the head, calibrated
for NewsMTSC's class mix, calls many of them negative or positive: of 20 author-voice targets
it called positive in MBIC articles, 3 were (benchmarks/README.md, *Stance on whole articles*).
The remedy is the textbook one for a change of class prior (Saerens, Latinne & Decaestecker
2002, "Adjusting the outputs of a classifier to new a priori probabilities"): estimate the
articles' class prior by EM from the head's own probabilities on unlabelled article targets
(:func:`fit_prior`; no labels needed), and rescale each probability by the ratio of the two
priors (:func:`shift`). A stance model folder carries both priors in ``meta.json``
(``article_prior``), fitted by ``benchmarks/stance_prior.py``; the scorer applies them, and
``slant evaluate`` on NewsMTSC does not (its test sets have NewsMTSC's own mix).
"""
from __future__ import annotations

import numpy as np

from models.errors import SlantError

__all__ = ["fit_prior", "shift", "read_article_prior"]


def shift(probs: np.ndarray, source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``probs`` (n, k), calibrated under class prior ``source``, as they would be under ``target``."""
    moved = np.asarray(probs, dtype=np.float64) * (np.asarray(target, dtype=np.float64) / np.asarray(source, dtype=np.float64))
    return (moved / moved.sum(axis=1, keepdims=True)).astype(np.float32)


def fit_prior(probs: np.ndarray, source: np.ndarray, *, tol: float = 1e-6, max_iter: int = 1000) -> np.ndarray:
    """The class prior of the data behind ``probs`` by EM: shift the probabilities to the current
    estimate, take their mean as the next estimate, until it settles."""
    prior = np.asarray(source, dtype=np.float64)
    for _ in range(max_iter):
        new = shift(probs, source, prior).astype(np.float64).mean(axis=0)
        done = np.abs(new - prior).max() < tol
        prior = new
        if done:
            break
    return prior


def read_article_prior(meta: dict, stances: list[str], folder="the stance model") -> tuple[np.ndarray, np.ndarray] | None:
    """``(source, target)`` priors in the order of ``stances`` from a stance model's ``meta.json``
    (``article_prior: {"source": {stance: p}, "articles": {stance: p}, ...}``); None when it has none."""
    entry = meta.get("article_prior")
    if entry is None:
        return None
    try:
        source = np.array([float(entry["source"][s]) for s in stances])
        target = np.array([float(entry["articles"][s]) for s in stances])
    except (KeyError, TypeError, ValueError):
        source = target = np.zeros(0)
    if len(source) != len(stances) or not (np.isfinite(source).all() and np.isfinite(target).all()
                                           and (source > 0).all() and (target > 0).all()):
        raise SlantError(f"{folder}/meta.json: article_prior must give a positive share of each of "
                         f"{', '.join(stances)} under 'source' and 'articles'; refit it with "
                         "benchmarks/stance_prior.py or delete the key")
    return source, target
