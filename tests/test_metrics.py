"""Sentence metrics dict: values, JSON-ability, formatting."""
import json

import numpy as np
import pytest

from models.errors import SlantError
from training.metrics import classification_metrics, format_metrics


def test_classification_metrics_values():
    y = [0, 0, 0, 1, 1, 1, 1, 0]
    p = [0, 0, 1, 1, 1, 0, 1, 0]
    m = classification_metrics(y, p)
    assert m["n"] == 8
    assert m["accuracy"] == pytest.approx(6 / 8)
    assert m["confusion"] == [[3, 1], [1, 3]]
    assert m["per_class"]["framing"] == {"precision": 0.75, "recall": 0.75, "f1": 0.75, "support": 4}
    assert m["macro_f1"] == pytest.approx(0.75)
    assert "ece" not in m and "roc_auc" not in m


def test_classification_metrics_with_probs_is_json_plain():
    y = np.array([0, 1, 1, 0])
    probs = np.array([0.2, 0.8, 0.6, 0.4])
    m = classification_metrics(y, (probs >= 0.5).astype(int), probs_pos=probs)
    assert m["roc_auc"] == 1.0
    # bins of width 1/15: each row alone in its bin; gaps .2,.2,.4,.4 -> mean .3
    assert m["ece"] == pytest.approx(0.3)
    back = json.loads(json.dumps(m))
    assert back == m
    assert type(m["per_class"]["neutral"]["support"]) is int


def test_missing_class_gives_zeros_and_none_auc():
    m = classification_metrics([0, 0, 0], [0, 0, 1], scores=[0.1, 0.2, 0.9])
    assert m["per_class"]["framing"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert m["roc_auc"] is None
    assert "ece" not in m


def test_bad_input_raises_slant_error():
    with pytest.raises(SlantError, match="same length"):
        classification_metrics([0, 1], [0])
    with pytest.raises(SlantError, match="outside"):
        classification_metrics([0, 2], [0, 1])


def test_format_metrics_table():
    m = classification_metrics([0, 1, 1, 0], [0, 1, 0, 0], probs_pos=[0.1, 0.9, 0.4, 0.3])
    m["threshold"] = 0.5
    text = format_metrics(m, title="test")
    lines = text.splitlines()
    assert lines[0] == "test"
    assert "accuracy=0.750" in lines[1] and "macro_f1=0.733" in lines[1] and "threshold=0.500" in lines[1]
    assert any(l.startswith("framing") and "0.500" in l and l.rstrip().endswith("2") for l in lines)
    assert "confusion (rows=gold, cols=pred)" in text
