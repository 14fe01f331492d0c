"""SemEval-2020 Task 11 measures, checked against hand-computed cases."""
import pytest

from training.semeval_metrics import merge_spans, si_prf, tc_micro_f1


def test_merge_joins_overlaps_only():
    assert merge_spans([(5, 9), (0, 3), (2, 4), (9, 12), (7, 7)]) == [(0, 4), (5, 9), (9, 12)]


def test_si_partial_credit():
    # predicted 0-10 against gold 5-15: 5 shared characters
    r = si_prf({"a": [(0, 10)]}, {"a": [(5, 15)]})
    assert r["precision"] == pytest.approx(0.5) and r["recall"] == pytest.approx(0.5)
    # a second, missed gold span in another article halves recall; a wrong prediction halves precision
    r = si_prf({"a": [(0, 10), (40, 44)]}, {"a": [(5, 15)], "b": [(0, 4)]})
    assert r["precision"] == pytest.approx(0.25) and r["recall"] == pytest.approx(0.25)
    assert r["f1"] == pytest.approx(0.25) and (r["n_pred"], r["n_gold"]) == (2, 2)


def test_si_merges_before_scoring():
    # two overlapping predictions count once: one merged span 0-10 covering gold 0-10 exactly
    r = si_prf({"a": [(0, 6), (4, 10)]}, {"a": [(0, 10)]})
    assert r["f1"] == pytest.approx(1.0) and r["n_pred"] == 1


def test_si_nothing_predicted():
    assert si_prf({}, {"a": [(0, 3)]})["f1"] == 0.0


def test_tc_is_accuracy():
    r = tc_micro_f1(["ll", "ll", "nc", "doubt"], ["ll", "nc", "nc", "ll"])
    assert r["micro_f1"] == pytest.approx(0.5)
    assert r["recall_per_technique"]["ll"] == {"recall": 0.5, "spans": 2}
    with pytest.raises(ValueError):
        tc_micro_f1(["ll"], [])
