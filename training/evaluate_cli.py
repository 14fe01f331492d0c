"""``slant evaluate MODEL``: the model's held-out metrics beside the baselines, recomputed and saved.

The test split is rebuilt from the model folder's own ``config.yaml`` and
checked against its ``splits.json``, so the figures are on exactly the rows the
model never trained on. ``--data FILE`` scores a user's labelled file instead
(with the model's saved temperature and threshold).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from models.errors import SlantError
from models.model_folder import check_folder, load_model
from training.calibration import apply_temperature
from training.config import load_config
from training.data import load_source
from training.evaluation import evaluate_all
from training.loop import predict, use_bf16
from training.metrics import classification_metrics, format_metrics


def _encoder(loaded):
    from training.train import encode

    return lambda ds: encode(ds, loaded.tokenizer, loaded.arch)


def _note(message: str) -> None:
    """Progress on stderr: evaluating a saved run takes minutes and printed nothing until the end."""
    print(f"slant: {message}", file=sys.stderr, flush=True)


def _check_writable(target: Path) -> None:
    if target.is_dir():
        raise SlantError(f"--out {target}: is a folder; give a file name such as {target / 'evaluation.json'}")
    if not target.parent.is_dir():
        raise SlantError(f"--out {target}: no folder {target.parent}; create it or choose another path")
    existed = target.exists()
    try:
        with open(target, "a", encoding="utf-8"):
            pass
    except OSError as e:
        raise SlantError(f"--out {target}: cannot write it ({e.strerror or e}); choose a writable path") from None
    if not existed:
        target.unlink()


def _check_user_files(folder: Path, cfg) -> None:
    """A user's file is saved in config.yaml as training was given it: a relative path counts from
    the folder training ran in, so evaluating from elsewhere cannot find it."""
    for name in dict.fromkeys([cfg.data.eval_source, *cfg.data.train]):
        if name.endswith((".csv", ".jsonl")) and not Path(name).is_file():
            raise SlantError(f"{folder} was trained on {name}, not found from {Path.cwd()}; run slant evaluate from the "
                             f"folder training ran in, or give the file's path (--data.train and --data.eval_source, "
                             f"e.g. --data.eval_source /path/to/{Path(name).name}), or pass --data FILE")


def _saved_test(saved: dict, name: str) -> list:
    """The saved test ids of source ``name``; a user's file given by another path (``--data.eval_source
    /full/path/mine.csv`` for the ``mine.csv`` training was given) is matched by its file name."""
    if f"test:{name}" in saved or not name.endswith((".csv", ".jsonl")):
        return saved.get(f"test:{name}", [])
    same = [k for k in saved if k.startswith("test:") and Path(k[5:]).name == Path(name).name]
    return saved[same[0]] if len(same) == 1 else []


def evaluate_model(model_dir: str, *, data: str | None = None, out: str | None = None, overrides=None) -> dict:
    from training.train import make_eval_data

    folder = Path(model_dir)
    check_folder(folder)
    target = Path(out) if out else folder / "evaluation.json"
    _check_writable(target)  # before minutes of evaluation, not after
    if data and not Path(data).is_file():
        raise SlantError(f"--data {data}: no such file; --data takes a labelled .csv/.jsonl file (without it the "
                         "model's own saved test split is evaluated)")
    loaded = load_model(folder, merge=True)
    if data and "framing" not in loaded.meta.get("tasks", ["framing"]):
        raise SlantError(f"{folder} is a stance-only model; --data scores framing labels — evaluate it without --data "
                         "(its NewsMTSC test sets)")
    # the precision the run evaluated in (its train.bf16), so the figures saved with the model reproduce
    # on the CPU that trained it; bf16 moves logits by ~1e-3, enough to move a fitted temperature
    cfg_path = folder / "config.yaml"
    bf16 = use_bf16(load_config(cfg_path).train.bf16 if cfg_path.is_file() else "auto")
    if data:
        ds = load_source(data, None)
        logits = predict(loaded.model, _encoder(loaded)(ds), bf16).logits
        probs = apply_temperature(logits, loaded.temperature)
        labels = np.asarray(ds["label"])
        result = {"data": data, "metrics": classification_metrics(labels, (probs >= loaded.threshold).astype(int), probs)}
        print(format_metrics(result["metrics"], title=f"{folder} on {data}"))
    else:
        if not cfg_path.is_file() or not (folder / "splits.json").is_file():
            raise SlantError(f"{folder}: no config.yaml/splits.json, so its test split is unknown; pass --data FILE.jsonl to evaluate on your own labelled data")
        cfg = load_config(cfg_path, overrides or [])
        _check_user_files(folder, cfg)
        _note(f"evaluating {folder}: rebuilding its splits from the data")
        run = make_eval_data(cfg)
        saved = json.loads((folder / "splits.json").read_text())
        for name, test in {**run.tests, **run.stance_tests}.items():
            if sorted(test["id"]) != sorted(_saved_test(saved, name)):
                raise SlantError(f"{folder}: the {name} test split rebuilt from the data differs from splits.json: the data under the data root, or this Slant version's split rules, changed since the model was trained — point --data.root at the original files, or retrain")
        _note(f"predicting {sum(len(t) for t in run.tests.values()) + sum(len(t) for t in run.stance_tests.values()):,} "
              "test and the dev rows (for calibration), then the baselines; minutes on a CPU")
        report = evaluate_all(loaded.model, loaded.tokenizer, run, bf16=bf16, encode=_encoder(loaded),
                              threshold=cfg.train.threshold)
        result = {"metrics": report["metrics"], "temperature": report["temperature"], "threshold": report["threshold"],
                  "span_threshold": report["span_threshold"], "technique_weights": report.get("technique_weights", {}),
                  "stance_temperature": report.get("stance_temperature")}
        for name, block in report["metrics"]["test"].items():
            print(format_metrics(block, title=f"{name} test ({folder})"))
            for base, m in block.get("baselines", {}).items():
                print(format_metrics(m, title=f"{name} test, baseline {base}"))
            if "spans" in block:
                from training.span_metrics import format_span_report

                print(f"{name} spans (model):\n" + format_span_report(block["spans"]))
                if "spans_lexicon_baseline" in block:
                    print(f"{name} spans (lexicon baseline):\n" + format_span_report(block["spans_lexicon_baseline"]))
    target.write_text(json.dumps(result, indent=2, default=float))
    print(f"metrics written to {target}")
    return result
