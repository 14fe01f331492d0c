"""Calibration: temperature recovery, ECE definition, dev threshold search."""
import numpy as np
import pytest
from sklearn.metrics import f1_score

from models.errors import SlantError
from training.calibration import apply_temperature, best_threshold, expected_calibration_error, fit_temperature


def _synthetic(true_t: float, n: int = 4000, seed: int = 0):
    """Labels drawn from softmax(z / true_t): the NLL-optimal temperature is true_t."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 3.0, size=(n, 2))
    p1 = apply_temperature(z, true_t)
    y = (rng.random(n) < p1).astype(int)
    return z, y


def test_fit_temperature_recovers_known_temperature():
    z, y = _synthetic(2.0)
    t = fit_temperature(z, y)
    assert 1.8 < t < 2.2


def test_fit_temperature_recovers_t_below_one_and_is_deterministic():
    z, y = _synthetic(0.5, seed=1)
    t = fit_temperature(z, y)
    assert 0.45 < t < 0.56
    assert fit_temperature(z, y) == t


def test_fit_temperature_separable_hits_lower_bound_not_zero():
    z = np.array([[0.0, 1.0], [1.0, 0.0]] * 10)
    y = np.array([1, 0] * 10)
    assert fit_temperature(z, y) == pytest.approx(0.01, rel=1e-3)


def test_fit_temperature_rejects_bad_shapes():
    with pytest.raises(SlantError, match="shape"):
        fit_temperature(np.zeros(5), np.zeros(5, dtype=int))
    with pytest.raises(SlantError, match="labels"):
        fit_temperature(np.zeros((5, 2)), np.zeros(4, dtype=int))


def test_ece_near_zero_when_calibrated_and_large_when_overconfident():
    rng = np.random.default_rng(0)
    p = rng.random(20000)
    y = (rng.random(20000) < p).astype(int)
    assert expected_calibration_error(p, y) < 0.02
    # Same labels, confidence pushed towards 0/1 (what an untempered model does).
    z = np.log(p / (1 - p))
    over = 1 / (1 + np.exp(-4 * z))
    assert expected_calibration_error(over, y) > 0.15


def test_ece_hand_computed():
    # bins (n_bins=2): [0,.5) holds .2,.4 ; [.5,1] holds .9,.9
    p = np.array([0.2, 0.4, 0.9, 0.9])
    y = np.array([0, 1, 1, 1])
    # bin0: preds 0,0 -> acc .5, conf mean(.8,.6)=.7 -> |.5-.7|*2/4 = .1
    # bin1: acc 1, conf .9 -> .1*2/4 = .05
    assert expected_calibration_error(p, y, n_bins=2) == pytest.approx(0.15)


def test_ece_rejects_logits():
    with pytest.raises(SlantError, match="logits"):
        expected_calibration_error(np.array([2.0, -1.0]), np.array([1, 0]))


def test_best_threshold_maximises_macro_f1():
    p = np.array([0.1, 0.2, 0.3, 0.35, 0.7, 0.8])
    y = np.array([0, 0, 1, 1, 1, 1])
    t = best_threshold(p, y)
    assert 0.2 < t <= 0.3
    assert t == pytest.approx(0.25)
    assert f1_score(y, (p >= t).astype(int), average="macro") == 1.0


def test_best_threshold_prefers_half_when_it_ties():
    p = np.array([0.1, 0.9])
    y = np.array([0, 1])
    assert best_threshold(p, y) == 0.5


def test_best_threshold_agrees_with_sklearn_brute_force():
    rng = np.random.default_rng(3)
    p = np.round(rng.random(300), 2)
    y = (rng.random(300) < p * 0.6 + 0.1).astype(int)
    t = best_threshold(p, y)
    got = f1_score(y, (p >= t).astype(int), average="macro")
    brute = max(f1_score(y, (p >= c).astype(int), average="macro") for c in np.unique(p))
    assert got == pytest.approx(brute)
