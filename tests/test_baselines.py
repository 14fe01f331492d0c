"""Baselines: TF-IDF + LR learns a separable task; TextBlob runs offline."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from models.errors import SlantError
from training.baselines import run_baselines, textblob_subjectivity, tfidf_logreg

ROOT = Path(__file__).resolve().parents[1]

LOADED = ["radical", "disastrous", "shameful", "reckless", "corrupt", "outrageous"]
TOPICS = ["budget", "housing plan", "trade deal", "tax bill", "school reform", "energy policy"]


def _data(n: int, seed: int):
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for i in range(n):
        topic = TOPICS[rng.integers(len(TOPICS))]
        if i % 2:
            texts.append(f"The {LOADED[rng.integers(len(LOADED))]} {topic} was passed by the council.")
            labels.append(1)
        else:
            texts.append(f"The {topic} was passed by the council on Monday.")
            labels.append(0)
    return texts, labels


def test_tfidf_logreg_separates_synthetic_data():
    tr_x, tr_y = _data(60, 0)
    te_x, te_y = _data(40, 1)
    probs = tfidf_logreg(tr_x, tr_y, te_x)
    assert probs.shape == (40,)
    acc = np.mean((probs >= 0.5).astype(int) == np.array(te_y))
    assert acc >= 0.95
    assert np.allclose(probs, tfidf_logreg(tr_x, tr_y, te_x))  # deterministic


def test_tfidf_logreg_single_class_is_user_error():
    with pytest.raises(SlantError, match="single class"):
        tfidf_logreg(["a b", "a c"], [1, 1], ["a"])


def test_textblob_subjectivity_scores_and_threshold():
    dev_x = ["The committee met on Tuesday.", "This is a terrible, shameful and outrageous disaster.",
             "The report has 40 pages.", "What a wonderful, brilliant and amazing idea."]
    dev_y = [0, 1, 0, 1]
    scores, t = textblob_subjectivity(dev_x, dev_y, ["The bridge opened in 1990.", "A truly awful decision."])
    assert scores.shape == (2,)
    assert scores[0] == 0.0
    assert scores[1] > 0.5
    assert 0.0 < t <= 1.0
    assert scores[1] >= t > scores[0]


def test_textblob_needs_no_nltk_corpora(tmp_path):
    """Subjectivity must work on a machine with no NLTK data downloaded."""
    code = ("from training.baselines import subjectivity_scores; "
            "print(subjectivity_scores(['An absolutely horrible, biased article.'])[0])")
    env = {**os.environ, "NLTK_DATA": str(tmp_path / "none"), "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert float(out.stdout) > 0.5


def test_run_baselines_reports_both():
    tr_x, tr_y = _data(60, 0)
    dv_x, dv_y = _data(20, 2)
    te_x, te_y = _data(20, 3)
    res = run_baselines(tr_x, tr_y, dv_x, dv_y, te_x, te_y)
    assert set(res) == {"tfidf_logreg", "textblob_subjectivity"}
    lr, tb = res["tfidf_logreg"], res["textblob_subjectivity"]
    assert lr["macro_f1"] >= 0.95 and "ece" in lr and 0 < lr["threshold"] < 1
    assert "ece" not in tb and tb["n"] == 20 and "roc_auc" in tb
