"""benchmarks/stance_offsets.py: per-class offsets fitted for macro-F1, and no offset on a tie."""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from stance_offsets import fit_offsets, macro_f1  # noqa: E402


def test_offsets_recover_an_under_called_class():
    gold = np.array([0, 0, 1, 1, 2, 2, 2])
    probs = np.array([[.8, .1, .1], [.7, .2, .1], [.1, .8, .1], [.2, .7, .1],
                      [.1, .5, .4], [.1, .55, .35], [.1, .1, .8]])  # two positives read as neutral
    logs = np.log(probs)
    assert macro_f1(gold, logs, np.zeros(3)) < 1.0
    offsets = fit_offsets(gold, logs)
    assert offsets[1] == 0.0 and offsets[2] > 0 and macro_f1(gold, logs, offsets) == 1.0
    # already perfect: no offset beats none, so none is kept
    assert fit_offsets(gold[:4], logs[:4]).tolist() == [0.0, 0.0, 0.0]
