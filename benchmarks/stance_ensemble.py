"""How far averaging several stance models gets on NewsMTSC (a ceiling check for issue 7's mt target).

Each folder is scored on its own dev split and the two published test sets (devtest_rw,
devtest_mt), rebuilt from its saved config; the stance probabilities (after each model's own
temperature) are averaged and scored again. Prints F1m per model and for the average; writes
``benchmarks/results/stance_ensemble.json``.

    python benchmarks/stance_ensemble.py runs/stance_distilled/best runs/stance/best ...
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from training.config import load_config
from training.data_root import resolve_data_root

from save_result import save_result  # benchmarks/save_result.py
from script_args import ScriptParser, fail, run, stance_folder

STANCE_FOLDER = stance_folder("config.yaml")
"""The argparse type for these scripts' folders: a stance model with the training config its splits are rebuilt from."""


def check_data(folders: list[Path]) -> None:
    """The data root the first folder's config names (or ``$SLANT_DATA_ROOT``), checked before torch loads."""
    resolve_data_root(load_config(folders[0] / "config.yaml").data.root)


def stance_probs(folder: Path) -> tuple[dict, dict]:
    """Per split: the model's calibrated stance probabilities and the gold labels."""
    import torch

    from models.model_folder import load_model
    from models.precision import use_bf16
    from training.loop import predict
    from training.train import encode, make_eval_data

    loaded = load_model(folder, merge=True)
    run = make_eval_data(load_config(folder / "config.yaml"))
    splits = {"dev": run.stance_dev, **run.stance_tests}
    temperature = float(loaded.meta.get("stance_temperature", 1.0))
    probs, gold = {}, {}
    for name, ds in splits.items():
        logits = predict(loaded.model, encode(ds, loaded.tokenizer, loaded.arch), use_bf16("auto")).stance_logits
        probs[name] = torch.tensor(logits / temperature).softmax(-1).numpy()
        gold[name] = np.asarray(ds["stance"])
    return probs, gold


def main() -> None:
    ap = ScriptParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folders", nargs="+", type=STANCE_FOLDER, help="stance model folders trained with the same data.seed")
    args = ap.parse_args()
    check_data(args.folders)
    from sklearn.metrics import f1_score  # the heavy imports, after the arguments are checked

    per_model, all_probs, gold = {}, [], None
    for folder in args.folders:
        probs, labels = stance_probs(folder)
        if gold is not None and any(not np.array_equal(gold[k], labels[k]) for k in gold):
            fail(f"{folder}: its splits differ from the first folder's; train with the same seed and data")
        gold = labels
        all_probs.append(probs)
        per_model[str(folder)] = {k: f1_score(gold[k], p.argmax(1), average="macro") for k, p in probs.items()}
        print(folder, {k: round(v, 4) for k, v in per_model[str(folder)].items()}, flush=True)
    mean = {k: np.mean([p[k] for p in all_probs], axis=0) for k in gold}
    ensemble = {k: f1_score(gold[k], p.argmax(1), average="macro") for k, p in mean.items()}
    print("average of", len(all_probs), {k: round(v, 4) for k, v in ensemble.items()})
    print("wrote", save_result("stance_ensemble.json", {"models": per_model, "ensemble": ensemble}))


if __name__ == "__main__":
    run(main)
