"""How far averaging several framing models gets on BABE's folds (a ceiling check for issue 2's 0.80).

Takes the output folders of several ``benchmarks/cv.py`` runs made on the same folds (the
default config and its variants); for each fold, every run's ``best/`` model scores that
fold's BABE test sentences (ids from its ``splits.json``) through the scorer, the calibrated
probabilities are averaged, and the average is labelled at the mean of the members' dev-tuned
thresholds. Prints macro-F1 per fold for each member and for the average; writes
``benchmarks/results/cv_<name>.json`` (``--name``, default ``ensemble``).

    python benchmarks/cv.py configs/default.yaml --folds 5 --out runs/cv_default   # and variants
    python benchmarks/cv_ensemble.py runs/cv_default runs/cv_default_lora_r32 ...
"""
from __future__ import annotations

import json
import statistics
from pathlib import Path

import numpy as np

from training.data_root import resolve_data_root

from save_result import save_result  # benchmarks/save_result.py
from script_args import ScriptParser, at_least, existing_folder, fail, result_name, run


def check_runs(runs: list[Path], folds: int) -> None:
    """Each folder must hold a saved fold model (``fold<k>/best/meta.json``, as the loop below
    picks members); a folder with none is refused before any model loads."""
    for run_dir in runs:
        if not any((run_dir / f"fold{k}" / "best" / "meta.json").is_file() for k in range(folds)):
            fail(f"{run_dir} holds no saved fold (fold0/best … fold{folds - 1}/best); pass the --out folder "
                 "of a benchmarks/cv.py run")


def main() -> None:
    ap = ScriptParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+", type=existing_folder, help="cv.py output folders (fold0/best, fold1/best, ...)")
    ap.add_argument("--folds", type=at_least(1), default=5)
    ap.add_argument("--name", type=result_name, default="ensemble", help="writes benchmarks/results/cv_<name>.json")
    args = ap.parse_args()
    check_runs(args.runs, args.folds)
    root = resolve_data_root("")
    from sklearn.metrics import f1_score  # the heavy imports, after the arguments are checked

    from inference.scorer import Scorer
    from training.data import load_source

    babe = load_source("babe", root)
    by_id = {i: (t, y) for i, t, y in zip(babe["id"], babe["text"], babe["label"])}
    folds = []
    for k in range(args.folds):
        members = [run / f"fold{k}" / "best" for run in args.runs if (run / f"fold{k}" / "best" / "meta.json").is_file()]
        if not members:
            continue
        test_ids = json.loads((members[0] / "splits.json").read_text())["test:babe"]
        texts = [by_id[i][0] for i in test_ids]
        gold = np.array([by_id[i][1] for i in test_ids])
        probs, thresholds, singles = [], [], {}
        for folder in members:
            if json.loads((folder / "splits.json").read_text())["test:babe"] != test_ids:
                fail(f"{folder}: its fold {k} holds other test sentences; use runs made on the same folds")
            scorer = Scorer.load(folder, targets=False, spans=False)
            p = np.array([r.score for r in scorer.score_sentences(texts)])
            probs.append(p)
            thresholds.append(scorer.threshold)
            singles[str(folder.parent.parent)] = f1_score(gold, (p >= scorer.threshold).astype(int), average="macro")
        avg = np.mean(probs, axis=0)
        ensemble = f1_score(gold, (avg >= np.mean(thresholds)).astype(int), average="macro")
        folds.append({"fold": k, "members": singles, "ensemble_macro_f1": ensemble})
        print(f"fold {k}: members " + ", ".join(f"{v:.4f}" for v in singles.values()) + f"; average {ensemble:.4f}")
    scores = [f["ensemble_macro_f1"] for f in folds]
    result = {"runs": [str(r) for r in args.runs], "folds": folds, "ensemble_mean": statistics.mean(scores),
              "ensemble_sd": statistics.stdev(scores) if len(scores) > 1 else 0.0}
    print(f"average of the members: macro-F1 {result['ensemble_mean']:.4f} ± {result['ensemble_sd']:.4f}")
    print(f"wrote {save_result(f'cv_{args.name}.json', result)}")


if __name__ == "__main__":
    run(main)
