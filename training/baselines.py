"""Cheap baselines scored on exactly the model's split.

A framing classifier is only interesting if it beats (a) a bag-of-n-grams
linear model, which catches topical and lexical shortcuts, and (b) a
subjectivity lexicon, which is what "loaded language" detection amounts to
without learning. Both are reported with the same ``classification_metrics``
as the model, and both tune their decision threshold on dev, like the model.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

from models.errors import SlantError
from training.calibration import best_threshold
from training.metrics import classification_metrics

RANDOM_STATE = 0


def _fit_tfidf_logreg(train_texts: Sequence[str], train_labels: Sequence[int]) -> Pipeline:
    """Fit TF-IDF (word 1-2 grams, sublinear tf, min_df=2) + balanced logistic regression.

    C is fixed (4.0) rather than tuned so the baseline costs one fit and cannot
    overfit dev; ``class_weight="balanced"`` keeps 0.5 a sensible default cut.
    """
    y = np.asarray(train_labels, dtype=np.int64)
    if len(train_texts) != y.shape[0]:
        raise SlantError(
            f"tfidf_logreg: {len(train_texts)} train texts but {y.shape[0]} labels (pass one label per text)"
        )
    if len(np.unique(y)) < 2:
        raise SlantError("tfidf_logreg: the train split holds a single class (need both neutral and framing rows)")
    pipe = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
        LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000, random_state=RANDOM_STATE),
    )
    try:
        pipe.fit(list(train_texts), y)
    except ValueError as e:  # e.g. "After pruning, no terms remain" on a tiny train set
        raise SlantError(
            f"tfidf_logreg: could not fit on {len(train_texts)} train texts ({e}); "
            "use a larger train split (min_df=2 needs words seen in two texts)"
        ) from e
    return pipe


def _positive_probs(pipe: Pipeline, texts: Sequence[str]) -> np.ndarray:
    classes = list(pipe.classes_)
    return pipe.predict_proba(list(texts))[:, classes.index(1)].astype(np.float64)


def tfidf_logreg(
    train_texts: Sequence[str], train_labels: Sequence[int], test_texts: Sequence[str]
) -> np.ndarray:
    """Positive-class (framing) probabilities for ``test_texts`` from a TF-IDF + LR model fit on train."""
    return _positive_probs(_fit_tfidf_logreg(train_texts, train_labels), test_texts)


def subjectivity_scores(texts: Sequence[str]) -> np.ndarray:
    """TextBlob subjectivity in [0, 1] per text.

    TextBlob's default ``PatternAnalyzer`` reads its bundled ``en-sentiment.xml``
    lexicon, so this needs no NLTK corpora and works offline.
    """
    try:
        from textblob import TextBlob
    except ImportError as e:  # pragma: no cover - textblob is a declared dependency
        raise SlantError("textblob is not installed (pip install 'textblob>=0.18')") from e
    return np.array([TextBlob(t).sentiment.subjectivity for t in texts], dtype=np.float64)


def textblob_subjectivity(
    dev_texts: Sequence[str], dev_labels: Sequence[int], test_texts: Sequence[str]
) -> tuple[np.ndarray, float]:
    """Test subjectivity scores and the dev-tuned macro-F1 threshold (predict framing iff score >= t)."""
    dev_scores = subjectivity_scores(dev_texts)
    threshold = best_threshold(dev_scores, np.asarray(dev_labels, dtype=np.int64))
    return subjectivity_scores(test_texts), threshold


def run_baselines(
    train_texts: Sequence[str],
    train_labels: Sequence[int],
    dev_texts: Sequence[str],
    dev_labels: Sequence[int],
    test_texts: Sequence[str],
    test_labels: Sequence[int],
) -> dict[str, dict[str, Any]]:
    """Both baselines' test metrics: ``{"tfidf_logreg": m, "textblob_subjectivity": m}``.

    Each ``m`` is a ``classification_metrics`` dict plus ``"threshold"``, the
    dev-tuned cut used for the test predictions. TF-IDF gets ECE (its outputs
    are probabilities); subjectivity gets AUCs only (it is a score, not a
    probability).
    """
    y_dev = np.asarray(dev_labels, dtype=np.int64)
    y_test = np.asarray(test_labels, dtype=np.int64)
    if len(dev_texts) != y_dev.shape[0] or len(test_texts) != y_test.shape[0]:
        raise SlantError("run_baselines: dev/test texts and labels differ in length (pass one label per text)")

    pipe = _fit_tfidf_logreg(train_texts, train_labels)
    t_lr = best_threshold(_positive_probs(pipe, dev_texts), y_dev)
    p_test = _positive_probs(pipe, test_texts)
    lr = classification_metrics(y_test, (p_test >= t_lr).astype(np.int64), probs_pos=p_test)
    lr["threshold"] = float(t_lr)

    s_test, t_tb = textblob_subjectivity(dev_texts, y_dev, test_texts)
    tb = classification_metrics(y_test, (s_test >= t_tb).astype(np.int64), scores=s_test)
    tb["threshold"] = float(t_tb)
    return {"tfidf_logreg": lr, "textblob_subjectivity": tb}
