"""Stratified k-fold cross-validation of a training config on its eval source (BABE by default).

Prints macro-F1 mean ± sd for the model and, on the same folds, the TF-IDF + LR
and TextBlob baselines; writes ``benchmarks/results/cv_<name>.json``. Folds
already finished in ``--out`` are reused, so an interrupted run resumes.

    python benchmarks/cv.py configs/default.yaml [key=value ...] --folds 5 [--out runs/cv_default] [--only 0 2 4]
    python benchmarks/cv.py configs/default.yaml [key=value ...] --folds 5 --collect   # a stopped run's finished folds

Beside macro-F1, each fold gives the span F1 (overlap) of BABE's biased words on its test
sentences and of PTC loaded language on PTC's held-out articles (the same articles in every fold:
PTC's random split by ``train.seed``, 13 unless overridden; a seed override moves them and the folds).
Results written before this version name the first ``span_overlap_f1_loaded_language``: it was
BABE's words then too, not PTC.

``configs/default.yaml`` trains each fold in two processes (``train.processes 2``, the CPU's two
cores); to run folds side by side instead (``--only K`` in two shells), give each
``train.processes=1 train.threads=1``.

``--split outlet_kfold`` folds over whole outlets instead (every outlet is tested once, never
trained on in its fold): the honest figure for BABE, whose label is confounded with outlet.
Without ``--name`` such a run is named ``<config>_outlet_kfold``, apart from the random folds'.

A fold finished in ``--out`` is reused only if it was trained with this run's settings (all but
``train.threads`` and ``data.root``): another recipe's fold is refused, naming the first setting
that differs, rather than summarised under this run's name.
"""
from __future__ import annotations

import json
import resource
import statistics
import sys
import time
from pathlib import Path

import yaml

from training.config import load_config
from training.launch import saved_kind

from save_result import save_result  # benchmarks/save_result.py
from script_args import ScriptParser, at_least, fail, result_name, run


def fold_result(best: Path, source: str) -> dict:
    meta = json.loads((best / "meta.json").read_text())
    block = meta["metrics"]["test"][source]
    row = {"macro_f1": block["macro_f1"], "accuracy": block["accuracy"], "ece": block.get("ece"),
           "seconds": meta["train"]["seconds"]}
    for name, m in block.get("baselines", {}).items():
        row[f"{name}_macro_f1"] = m["macro_f1"]
    if "spans" in block:  # BABE's biased words, scored as (untyped) loaded language
        row["babe_words_overlap_f1"] = block["spans"]["per_technique"]["loaded_language"]["overlap"]["f1"]
        row["babe_words_any_technique_overlap_f1"] = block["spans"]["spans_only"]["overlap"]["f1"]
    ptc = meta["metrics"]["test"].get("ptc", {}).get("spans")
    if ptc and "loaded_language" in ptc.get("per_technique", {}):  # the same held-out PTC articles in every fold
        row["ptc_loaded_language_overlap_f1"] = ptc["per_technique"]["loaded_language"]["overlap"]["f1"]
    return row


def held_outlets(cfg) -> list[str]:
    """The outlets a fold tests on (the split is cheap to recompute; the run saves only ids)."""
    from training.data import load_source
    from training.data_root import resolve_data_root
    from training.splits import split_dataset

    d = cfg.data
    ds = load_source(d.eval_source, resolve_data_root(d.root))
    test = split_dataset(ds, how=d.split, seed=cfg.train.seed, test_size=d.test_size, dev_size=d.dev_size,
                         folds=d.folds, fold=d.fold)["test"]
    return sorted(set(test["outlet"]))


def summary(rows: list[dict]) -> dict:
    keys = [k for k in rows[0] if k != "fold" and isinstance(rows[0][k], (int, float))]
    return {k: {"mean": statistics.mean(r[k] for r in rows),
                "sd": statistics.stdev(r[k] for r in rows) if len(rows) > 1 else 0.0} for k in keys}


def fold_config(args, k: int):
    overrides = [o.replace("{fold}", str(k)) for o in args.overrides]
    return load_config(args.config, [*overrides, f"data.split={args.split}", f"data.folds={args.folds}", f"data.fold={k}"])


REUSE_IGNORES = {("train", "threads"), ("data", "root")}
"""Settings a finished fold may differ in and still be reused: neither changes what it learns."""


def settings_differ(best: Path, cfg) -> list[str]:
    """The settings in which the fold saved in ``best`` (its ``config.yaml``) differs from ``cfg``, as
    "key saved, here now"; keys only one side knows (an option added or removed since) are skipped."""
    if not (best / "config.yaml").is_file():
        return []  # nothing saved to compare (a fold folder made by hand): reused, as before
    try:
        saved = yaml.safe_load((best / "config.yaml").read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return ["config.yaml unreadable"]
    if not isinstance(saved, dict):
        return ["config.yaml not a mapping"]
    wanted = yaml.safe_load(cfg.to_yaml())  # the same round trip as the saved file: lists, not tuples
    return [f"{section}.{key} {saved[section][key]!r}, here {value!r}"
            for section, values in wanted.items() for key, value in values.items()
            if (section, key) not in REUSE_IGNORES and isinstance(saved.get(section), dict)
            and key in saved[section] and saved[section][key] != value]


def check_args(args, out: Path) -> None:
    """Bad input is refused here, before torch is imported and before any fold trains: the config
    and its overrides (the first fold's), the fold numbers, the run folder, and finished folds in it
    that another recipe trained (cv.py would reuse them: the quoted commands of two recipes with the
    same config name and no ``--name`` share ``runs/cv_<config>``)."""
    if args.collect and args.only is not None:
        fail("--collect summarises the finished folds and trains none; drop --only")
    outside = [k for k in args.only or [] if not 0 <= k < args.folds]
    if outside:
        fail(f"--only {outside[0]}: the folds are numbered 0 to {args.folds - 1} (--folds {args.folds}); "
             "pass fold numbers in that range")
    if out.exists() and not out.is_dir():
        fail(f"--out {out} is a file; pass a folder for the folds' runs (it is created if missing)")
    fold_config(args, (args.only or [0])[0])
    for k in (args.only if args.only is not None else range(args.folds)):
        best = out / f"fold{k}" / "best"
        if saved_kind(best) == "model" and (differ := settings_differ(best, fold_config(args, k))):
            fail(f"fold {k} in {out} was trained with other settings ({differ[0]}"
                 f"{f' and {len(differ) - 1} more' if len(differ) > 1 else ''}); pass --name NAME (or --out DIR) "
                 f"for this run, or delete {out / f'fold{k}'} to train it again")


def parse_args(argv: list[str] | None = None):
    """The arguments, with ``name`` (the result is ``cv_<name>.json``) and ``out`` resolved."""
    ap = ScriptParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("config")
    ap.add_argument("--folds", type=at_least(2), default=5)
    ap.add_argument("--out")
    ap.add_argument("--name", type=result_name, help="writes benchmarks/results/cv_<name>.json and trains in runs/cv_<name> "
                    "(default: the config's name, + _outlet_kfold with --split outlet_kfold)")
    ap.add_argument("--split", choices=("kfold", "outlet_kfold"), default="kfold",
                    help="kfold: stratified random folds; outlet_kfold: folds of whole outlets")
    ap.add_argument("--only", type=int, nargs="*", help="train only these folds (to run folds in parallel processes); "
                    "a final run without --only collects every fold")
    ap.add_argument("--collect", action="store_true", help="train nothing: summarise the folds already finished in "
                    "--out (a stopped run) and write the result file, listing the folds that are missing")
    ap.add_argument("overrides", nargs="*", help="key=value config overrides; {fold} in one is replaced by the "
                    "fold number (a per-fold data file)")
    args = ap.parse_intermixed_args(argv)  # key=value overrides may come after --split and the others
    # the outlet folds apart from the random ones: sharing runs/cv_<config>, the second run would reuse the first's folds
    args.name = args.name or Path(args.config).stem + ("_outlet_kfold" if args.split == "outlet_kfold" else "")
    args.out = Path(args.out or f"runs/cv_{args.name}")
    return args


def main() -> None:
    args = parse_args()
    name, out = args.name, args.out
    check_args(args, out)
    from training.train import train  # after the checks: bad input answers before torch loads (9 s)

    rows, missing = [], []
    for k in (args.only if args.only is not None else range(args.folds)):
        cfg = fold_config(args, k)
        best = out / f"fold{k}" / "best"
        if saved_kind(best) != "model":  # meta.json is written last: a complete model
            if args.collect:
                missing.append(k)
                continue
            import shutil

            shutil.rmtree(out / f"fold{k}", ignore_errors=True)
            started = time.time()
            best = train(cfg, out / f"fold{k}")
            print(f"fold {k}: {time.time() - started:.0f} s", file=sys.stderr)
        rows.append({"fold": k, **fold_result(best, cfg.data.eval_source)})
        if args.split == "outlet_kfold":
            rows[-1]["test_outlets"] = held_outlets(cfg)
        print(f"fold {k}: " + ", ".join(f"{k2} {v:.4f}" for k2, v in rows[-1].items() if isinstance(v, float)))
    if args.only is not None:
        return
    if not rows:
        fail(f"no finished fold in {out}; run without --collect to train them (or point --out at the run)")
    result = {"config": args.config, "overrides": args.overrides, "split": args.split, "folds": rows, "summary": summary(rows),
              "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if missing:  # a partial result says so in the file, not only on the terminal
        result["missing_folds"] = missing
        print(f"folds not finished (left out of the summary): {missing}", file=sys.stderr)
    for key, s in result["summary"].items():
        print(f"{key}: {s['mean']:.4f} ± {s['sd']:.4f}")
    print(f"wrote {save_result(f'cv_{name}.json', result)}")


if __name__ == "__main__":
    run(main)
