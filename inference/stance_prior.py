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

import json

import numpy as np

from models.errors import SlantError

__all__ = ["fit_prior", "shift", "read_article_prior", "article_prior_entry", "MIN_SHARE"]

MIN_SHARE = 1e-4
"""The smallest share :func:`article_prior_entry` stores for a stance. EM drives the share of a
stance the head barely supports toward 0 (to exactly 0.0 once it underflows), and a share of 0
is one :func:`read_article_prior` refuses: the folder ``--write`` had just fitted would fail
every article. 1e-4 keeps such a stance practically never chosen, as EM says, and the folder usable."""


def _shift64(probs: np.ndarray, source: np.ndarray, target: np.ndarray) -> np.ndarray:
    moved = np.asarray(probs, dtype=np.float64) * (np.asarray(target, dtype=np.float64) / np.asarray(source, dtype=np.float64))
    return moved / moved.sum(axis=1, keepdims=True)


def shift(probs: np.ndarray, source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``probs`` (n, k), calibrated under class prior ``source``, as they would be under ``target``."""
    return _shift64(probs, source, target).astype(np.float32)


def fit_prior(probs: np.ndarray, source: np.ndarray, *, tol: float = 1e-6, max_iter: int = 1000) -> np.ndarray:
    """The class prior of the data behind ``probs`` by EM: shift the probabilities to the current
    estimate, take their mean as the next estimate, until it settles. In float64 throughout (a
    float32 round per step underflowed a small share to exactly 0.0, from which EM never returns)."""
    probs = np.asarray(probs, dtype=np.float64)
    source = np.asarray(source, dtype=np.float64)
    if probs.ndim != 2 or not len(probs) or probs.shape[1] != len(source):
        raise ValueError(f"fit_prior needs an (n, {len(source)}) array of probabilities with n >= 1, not shape {probs.shape}")
    prior = source
    for _ in range(max_iter):
        new = _shift64(probs, source, prior).mean(axis=0)
        done = np.abs(new - prior).max() < tol
        prior = new
        if done:
            break
    return prior


def article_prior_entry(stances: list[str], source: np.ndarray, articles: np.ndarray, fitted_on: str) -> dict:
    """``meta.json``'s ``article_prior`` for ``source`` and ``articles`` priors in the order of
    ``stances``: each share at least :data:`MIN_SHARE` (renormalised) and kept to 4 significant
    digits (rounding to 4 decimals had stored a share of 3e-5 as 0), so that
    :func:`read_article_prior` always accepts what is written."""
    def shares(p) -> dict:
        p = np.asarray(p, dtype=np.float64)
        if len(p) != len(stances) or not np.isfinite(p).all() or (p < 0).any() or p.sum() <= 0:
            raise ValueError(f"a prior over {', '.join(stances)} must be {len(stances)} finite shares >= 0, not {p.tolist()}")
        p = np.maximum(p / p.sum(), MIN_SHARE)
        p = p / p.sum()
        return {s: float(f"{x:.4g}") for s, x in zip(stances, p)}

    return {"source": shares(source), "articles": shares(articles), "fitted_on": fitted_on}


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


def missing_prior_warning(scorer) -> str | None:
    """A warning for a stance model without ``article_prior`` (one a user trained): its stance keeps
    NewsMTSC's class mix, as ``--raw-stance`` would give, and the user should know how to fit one."""
    if not (scorer.targets_available and scorer.stance_prior):
        return None
    folder = scorer.model_folders[-1]
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # the loader says what is wrong with it
    if isinstance(meta, dict) and meta.get("article_prior") is None:
        return (f"stance model {folder} has no article_prior: its stance keeps NewsMTSC's class mix (as --raw-stance "
                f"gives), which calls many of an article's neutral targets negative or positive; fit one with "
                f"python benchmarks/stance_prior.py {folder} --write")
    return None
