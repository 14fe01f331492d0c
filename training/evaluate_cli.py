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
from training.metrics import ECE_NOTE, classification_metrics, format_metrics
from training.schema import STANCES


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


def _refuse_checkpoint(folder: Path) -> None:
    """A training checkpoint (``last/``, or ``best/`` before the run's final evaluation) has no temperature
    or threshold fitted on dev: ``--data`` scored it at temperature 1 and threshold 0.5 and said nothing."""
    try:
        kind = json.loads((folder / "meta.json").read_text(encoding="utf-8")).get("kind")
    except (OSError, ValueError, AttributeError):
        return  # load_model reports an unreadable meta.json in its own words
    if kind == "checkpoint":
        raise SlantError(f"{folder} is a training checkpoint, not a finished model: it has no temperature or decision "
                         "threshold fitted on dev; evaluate the run's best/ once training has finished (slant train "
                         "CONFIG --out RUN --resume finishes an interrupted run)")


def _precision_note(folder: Path, meta: dict, bf16: bool) -> str | None:
    """The run evaluated in bf16 where this CPU computes in fp32 (or the reverse): the figures then differ
    from meta.json's in the third decimal, which read as a broken model without a word on why."""
    trained = (meta.get("train") or {}).get("bf16")
    if not isinstance(trained, bool) or trained == bf16:
        return None
    return (f"{folder} saved its figures computed in {'bf16' if trained else 'fp32'}; this machine computes in "
            f"{'bf16' if bf16 else 'fp32'}, so the figures below may differ from meta.json and the model card by a few "
            "thousandths (ECE, counted in bins, by up to about 0.01)")


def _calibration(temperature: float, threshold: float, how: str) -> str:
    return (f"framing if calibrated probability >= {threshold:.3f} ({how}); temperature {temperature:.3f} fitted "
            "on the model's dev split")


def _span_lines(name: str, block: dict) -> list[str]:
    """The span tables, without technique rows the source has no gold spans of (all 0.000, read as a
    failure; the model card leaves them out too)."""
    from training.span_metrics import format_span_report

    def shown(report: dict) -> dict:
        return {**report, "per_technique": {t: e for t, e in report.get("per_technique", {}).items()
                                            if e["exact"]["n_gold"] > 0}}

    rows = block["spans"]["overall"]["exact"]["n_gold"]
    lines = [f"{name} spans (model; {rows} gold spans; spans_only = technique ignored; techniques without gold "
             "spans here not shown):", format_span_report(shown(block["spans"]))]
    if "spans_lexicon_baseline" in block:
        lines += [f"{name} spans (lexicon baseline):", format_span_report(shown(block["spans_lexicon_baseline"]))]
    return lines


def _against_saved(meta: dict, metrics: dict) -> list[str]:
    """Where a recomputed test figure differs from the one meta.json (and so the model card) holds."""
    saved = (meta.get("metrics") or {}).get("test") or {}
    lines = []
    for name, block in metrics["test"].items():
        old = saved.get(name) if isinstance(saved, dict) else None
        if not isinstance(old, dict):
            continue
        for key in ("n", "accuracy", "macro_f1", "ece", "ece_top_class"):
            a, b = block.get(key), old.get(key)
            if isinstance(a, (int, float)) and isinstance(b, (int, float)) and abs(a - b) > 5e-4:
                fmt = (lambda v: str(v)) if key == "n" else (lambda v: f"{v:.3f}")
                lines.append(f"{name} {key} {fmt(a)} here, {fmt(b)} in meta.json")
    return lines


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
    _refuse_checkpoint(folder)
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
    note = _precision_note(folder, loaded.meta, bf16)
    if note:
        _note(note)
    if data:
        result = _evaluate_file(loaded, folder, data, bf16)
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
              f"test and the dev rows (for calibration){', then the baselines' if run.tests else ''}; minutes on a CPU")
        report = evaluate_all(loaded.model, loaded.tokenizer, run, bf16=bf16, encode=_encoder(loaded),
                              threshold=cfg.train.threshold)
        result = {"metrics": report["metrics"], "temperature": report["temperature"], "threshold": report["threshold"],
                  "span_threshold": report["span_threshold"], "technique_weights": report.get("technique_weights", {}),
                  "stance_temperature": report.get("stance_temperature")}
        result["bf16"] = bf16
        for name, block in report["metrics"]["test"].items():
            if block.get("label_names") == list(STANCES):
                part = name.replace("newsmtsc_", "devtest_") if name.startswith("newsmtsc_") else name
                print(format_metrics(block, title=f"{name} test split (NewsMTSC {part}, {folder}): stance = argmax of the "
                                                  f"stance head; macro_f1 = F1m; ece_top_class after temperature "
                                                  f"{report.get('stance_temperature') or 1.0:.3f} fitted on dev"))
                continue
            print(format_metrics(block, title=f"{name} test split ({folder}): "
                                              + _calibration(report["temperature"], report["threshold"],
                                                           "fixed by train.threshold" if cfg.train.threshold
                                                           else "fitted on dev")))
            for base, m in block.get("baselines", {}).items():
                print(format_metrics(m, title=f"{name} test split, baseline {base} (same rows; its threshold fitted on dev)"))
            if "spans" in block:
                print("\n".join(_span_lines(name, block)))
        if any("ece" in b or "ece_top_class" in b for b in report["metrics"]["test"].values()):
            print(ECE_NOTE)
        result["differs_from_meta"] = _against_saved(loaded.meta, report["metrics"])
        print(f"against {folder / 'meta.json'} (the model card's figures): " +
              ("; ".join(result["differs_from_meta"]) if result["differs_from_meta"] else
               "every test n, accuracy, macro-F1 and ECE the same (within 0.0005)"))
    target.write_text(json.dumps(result, indent=2, default=float))
    print(f"metrics written to {target}")
    return result


def _seen_rows(folder: Path, texts: list[str]) -> dict:
    """Which rows of a ``--data`` file the model trained on, or picked its checkpoint and fitted its
    calibration on (its train and dev rows, rebuilt from the data as evaluation without ``--data``
    does): figures on them overstate what it does on new text, and a user's file cut from the same
    corpus (BABE, MBIC, PTC) often holds some."""
    from training.splits import norm_text
    from training.train import make_eval_data

    if not (folder / "config.yaml").is_file():
        return {"checked": False, "why": f"{folder} has no config.yaml naming its training data"}
    _note(f"checking the rows against {folder}'s training and dev rows (rebuilt from the data)")
    try:
        cfg = load_config(folder / "config.yaml")
        _check_user_files(folder, cfg)
        run = make_eval_data(cfg)
    except SlantError as e:
        return {"checked": False, "why": str(e)}
    train = {norm_text(t) for t in run.train["text"]}
    dev = {norm_text(t) for t in run.dev["text"]} - train if run.dev is not None else set()
    keys = [norm_text(t) for t in texts]
    return {"checked": True, "train": [i for i, k in enumerate(keys) if k in train],
            "dev": [i for i, k in enumerate(keys) if k in dev]}


def _report_seen(seen: dict, data: str, labels, pred, probs, result: dict) -> None:
    """The overlap, and the metrics again on the rows the model never saw: the held-out figure."""
    if not seen["checked"]:
        print(f"note: could not check whether {data} overlaps the model's training rows: {seen['why']}")
        return
    rows = sorted(seen["train"] + seen["dev"])
    result["seen_in_training"] = {"train": len(seen["train"]), "dev": len(seen["dev"])}
    if not rows:
        print(f"none of the {len(labels)} rows is a training or dev row of the model")
        return
    unseen = np.setdiff1d(np.arange(len(labels)), rows)
    print(f"note: {len(rows)} of {len(labels)} rows of {data} are the model's own: {len(seen['train'])} it trained on, "
          f"{len(seen['dev'])} it picked its checkpoint and calibration on (dev); the figures above overstate it")
    if len(unseen) and len(set(labels[unseen].tolist())) > 1:
        result["metrics_unseen"] = classification_metrics(labels[unseen], pred[unseen], probs[unseen])
        print(format_metrics(result["metrics_unseen"], title=f"the {len(unseen)} rows it never saw (the held-out figure)"))
    else:
        print(f"the {len(unseen)} rows it never saw hold fewer than two labels: no held-out figure")


def _evaluate_file(loaded, folder: Path, data: str, bf16: bool) -> dict:
    """A user's labelled file scored as the scorer scores it: the folder's saved temperature, decision
    threshold and span decoding; span metrics for the rows that carry spans (when the model has a token head)."""
    from training.evaluation import predicted_spans
    from training.schema import TECHNIQUES
    from training.span_metrics import span_report

    ds = load_source(data, None)
    preds = predict(loaded.model, _encoder(loaded)(ds), bf16)
    probs = apply_temperature(preds.logits, loaded.temperature)
    labels = np.asarray(ds["label"])
    span_threshold = float(loaded.meta.get("span_threshold", 0.5))
    pred = (probs >= loaded.threshold).astype(int)
    result = {"data": data, "temperature": loaded.temperature, "threshold": loaded.threshold,
              "span_threshold": span_threshold, "bf16": bf16,
              "metrics": classification_metrics(labels, pred, probs), "baselines": None}
    block = result["metrics"]
    present = sorted({int(y) for y in labels})
    print(format_metrics(block, title=f"{folder} on {data} ({len(labels)} rows): "
                                      + _calibration(loaded.temperature, loaded.threshold, "saved in meta.json")))
    _report_seen(_seen_rows(folder, list(ds["text"])), data, labels, pred, probs, result)
    if len(present) == 1:
        only = block["label_names"][present[0]]
        result["note"] = (f"every row is {only}: macro_f1 averages in the absent class's F1 of 0 and roc_auc is "
                          f"undefined; read the {only} recall (= accuracy)")
        print(f"note: {result['note']}")
    has = [i for i, h in enumerate(ds["has_spans"]) if h]
    if has and loaded.arch.tags:
        texts = [ds["text"][i] for i in has]
        gold = [ds["spans"][i] for i in has]
        pred = predicted_spans(loaded.model, loaded.tokenizer, texts, [preds.token_probs[i] for i in has],
                               span_threshold, loaded.technique_weights)
        block["spans"] = span_report(gold, pred, texts, TECHNIQUES)
        print("\n".join(_span_lines(f"{Path(data).name} ({len(has)} rows with spans; in-span probability >= "
                                     f"{span_threshold:g})", block)))
    elif has:
        print(f"note: {folder} has no token head, so the spans of {len(has)} rows are not scored")
    print("baselines (TF-IDF+LR, TextBlob): not computed with --data, as they fit on the model's training and dev "
          "rows; run slant evaluate without --data for them beside the model on its test split")
    print(ECE_NOTE)
    return result
