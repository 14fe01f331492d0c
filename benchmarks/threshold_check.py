"""Each fold model's BABE test macro-F1 at its dev-fitted threshold, at the calibrated midpoint
0.5, and with the token head's evidence stacked onto the sentence score.

Every model folder fits its decision threshold on its ~294 dev sentences. This asks whether that
fit pays against the plain 0.5 of a calibrated probability, and whether the span head's
evidence (the highest span score in a sentence) adds to the sentence head's when a logistic
regression over [logit(score), max span score] is fitted on the same dev sentences. Pass run
folders of ``benchmarks/cv.py`` folds (each with ``splits.json`` and ``best/``).

    SLANT_DATA_ROOT=../shared/data python benchmarks/threshold_check.py runs/cv_default/fold0 runs/cv_default/fold1 ...
"""
from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from training.data_root import resolve_data_root

from save_result import save_result  # benchmarks/save_result.py
from script_args import ScriptParser, existing_folder, model_folder, result_name, run

if TYPE_CHECKING:
    from inference.scorer import Scorer


def run_folder(text: str) -> Path:
    """A ``benchmarks/cv.py`` fold's run folder: its ``splits.json`` and its saved model in ``best/``."""
    run_dir = existing_folder(text, "run folder")
    if not (run_dir / "splits.json").is_file():
        raise argparse.ArgumentTypeError(f"run folder {text} has no splits.json; pass a fold's run folder "
                                         "(runs/cv_NAME/foldK), not its best/ or the cv.py --out folder")
    if not (run_dir / "best").is_dir():
        raise argparse.ArgumentTypeError(f"run folder {text} has no best/ (its training has not finished); "
                                         "pass the run folder of a finished fold")
    model_folder()(str(run_dir / "best"))
    return run_dir


def features(scorer: Scorer, texts: list[str]) -> np.ndarray:
    rows = scorer.score_sentences(texts)
    p = np.clip([r.score for r in rows], 1e-6, 1 - 1e-6)
    top = [max((s.score for s in r.spans), default=0.0) for r in rows]
    return np.c_[np.log(p / (1 - p)), top]


def fold_check(run: Path, by_id: dict) -> dict:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    from inference.scorer import Scorer

    splits = json.loads((run / "splits.json").read_text())
    threshold = json.loads((run / "best" / "meta.json").read_text())["threshold"]
    scorer = Scorer.load(run / "best", precision="fp32")
    (xd, yd), (xt, yt) = [(features(scorer, [by_id[i]["text"] for i in splits[part]]),
                           np.array([by_id[i]["label"] for i in splits[part]])) for part in ("dev", "test:babe")]
    prob = 1 / (1 + np.exp(-xt[:, 0]))
    stacked = LogisticRegression(max_iter=1000).fit(xd, yd).predict_proba(xt)[:, 1]
    f1 = lambda pred: round(float(f1_score(yt, pred.astype(int), average="macro")), 4)  # noqa: E731
    return {"run": str(run), "threshold": threshold, "fitted_threshold": f1(prob >= threshold),
            "midpoint": f1(prob >= 0.5), "stacked_spans": f1(stacked >= 0.5)}


def main() -> None:
    ap = ScriptParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+", type=run_folder, help="run folders of benchmarks/cv.py folds (runs/cv_NAME/foldK)")
    ap.add_argument("--result", type=result_name, default="threshold_check.json", help="file name under benchmarks/results/")
    args = ap.parse_args()
    root = resolve_data_root(None)
    from training.data import load_source  # the heavy imports, after the arguments are checked

    by_id = {r["id"]: r for r in load_source("babe", root)}
    rows = []
    for run_dir in args.runs:
        rows.append(fold_check(run_dir, by_id))
        print(rows[-1], flush=True)
    summary = {k: {"mean": statistics.mean(r[k] for r in rows),
                   "better_than_fitted": sum(r[k] > r["fitted_threshold"] for r in rows)}
               for k in ("fitted_threshold", "midpoint", "stacked_spans")}
    for k, v in summary.items():
        print(f"{k}: mean {v['mean']:.4f}, above the fitted threshold on {v['better_than_fitted']} of {len(rows)} folds")
    print(f"wrote {save_result(args.result, {'folds': rows, 'summary': summary})}")


if __name__ == "__main__":
    run(main)
