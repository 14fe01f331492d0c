"""Loaded-language spans on every line of a model's held-out PTC articles.

Model folders trained before PTC's dev and test splits kept whole articles were tested on the
annotated lines plus a tenth of the others (as their training data was thinned). This scores
the same held-out articles (from the folder's ``splits.json``) line by line, so old and new
models are compared on what a reader's article looks like, and prints the thinned figure
beside it. Adds to ``benchmarks/results/ptc_whole_articles.json`` (a folder scored again with
the same decoding replaces its entry).

Each folder decodes with the in-span threshold and technique weights it fitted on its own dev
articles, unless ``--threshold`` and ``--technique-weights`` fix one decoding for all: then two
runs of a recipe compare their networks, not also the grid points their dev articles picked
(which moved loaded language by up to 0.05 between folds; benchmarks/README.md).

Each folder's whole-article result also says where its errors fall (``span_breakdown``): what each
predicted loaded-language span overlaps (a gold one, another technique's, nothing annotated) and
what became of each gold one (found, predicted as another technique, missed).

    SLANT_DATA_ROOT=../shared/data python benchmarks/ptc_whole_articles.py MODEL_DIR [MODEL_DIR ...]
        [--threshold 0.35 --technique-weights name_calling=2,exaggeration=1.5] [--result NAME.json]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from types import SimpleNamespace

from training.data_root import resolve_data_root

from save_result import result_path, save_result  # benchmarks/save_result.py
from script_args import ScriptParser, fraction, model_folder, result_name, run

PTC_MODEL = model_folder("splits.json")
"""The argparse type for a model folder scored here: its ``splits.json`` names the held-out PTC articles."""

OWN_DECODING = "the folder's own"
"""A result's ``decoding`` when each folder used the threshold and weights it fitted on dev."""


def held_out_predictions(folder: Path, lines: list[dict], decoding: dict | None = None) -> SimpleNamespace:
    """A model folder's predictions on every line of its held-out PTC articles: the folder
    (``loaded``), its PTC test ids, the articles, their rows and dataset, token probabilities,
    word-piece offsets and decoded spans (the folder's threshold and technique weights, or
    ``decoding``'s ``threshold`` and ``technique_weights``)."""
    from models.model_folder import load_model
    from training.data import to_dataset
    from training.evaluation import piece_offsets, predicted_spans
    from training.loop import predict, use_bf16
    from training.train import encode

    loaded = load_model(folder, merge=True)
    test_ids = set(json.loads((folder / "splits.json").read_text())["test:ptc"])
    articles = sorted({i.split(":")[1] for i in test_ids})
    keep = set(articles)
    rows = [r for r in lines if r["id"].split(":")[1] in keep]
    ds = to_dataset(rows)
    probs = predict(loaded.model, encode(ds, loaded.tokenizer, loaded.arch), use_bf16("auto")).token_probs
    texts = list(ds["text"])
    offsets = piece_offsets(loaded.tokenizer, texts, loaded.arch.max_length)
    threshold, weights = ((decoding["threshold"], decoding["technique_weights"]) if decoding
                          else (loaded.meta.get("span_threshold", 0.5), loaded.technique_weights))
    spans = predicted_spans(loaded.model, loaded.tokenizer, texts, probs, threshold, weights, offsets)
    return SimpleNamespace(loaded=loaded, test_ids=test_ids, articles=articles, rows=rows, ds=ds, token_probs=probs,
                           offsets=offsets, spans=spans)


def score_folder(folder: Path, lines: list[dict], decoding: dict | None = None) -> dict:
    from training.span_metrics import span_breakdown, span_prf

    held = held_out_predictions(folder, lines, decoding)
    rows, spans, test_ids = held.rows, held.spans, held.test_ids
    result = {"model": str(folder), "articles": len(held.articles), "decoding": decoding or OWN_DECODING}
    for name, keep in (("whole_articles", lambda r: True), ("thinned_test", lambda r: r["id"] in test_ids)):
        idx = [i for i, r in enumerate(rows) if keep(r)]
        prf = span_prf([rows[i]["spans"] for i in idx], [spans[i] for i in idx], technique="loaded_language",
                       mode="overlap")
        result[name] = {"lines": len(idx), **prf}
    where = span_breakdown([r["spans"] for r in rows], spans, "loaded_language")
    result["whole_articles"]["breakdown"] = {k: dict(v.most_common()) for k, v in where.items()}
    return result


def technique_weights(text: str) -> dict[str, float]:
    """``name_calling=2,exaggeration=1.5`` → {"name_calling": 2.0, "exaggeration": 1.5}; '' → {}."""
    weights = {}
    for item in filter(None, (t.strip() for t in text.split(","))):
        name, sep, value = item.partition("=")
        try:
            weights[name.strip()] = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{item}' is not NAME=WEIGHT") from None
        if not sep or not weights[name.strip()] > 0:
            raise argparse.ArgumentTypeError(f"'{item}' is not NAME=WEIGHT with a positive weight")
    return weights


def main() -> None:
    ap = ScriptParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="+", type=PTC_MODEL)
    ap.add_argument("--data-root", default="")
    ap.add_argument("--result", type=result_name, default="ptc_whole_articles.json", help="file name under benchmarks/results/")
    ap.add_argument("--threshold", type=fraction, help="in-span probability cut for every folder (with --technique-weights)")
    ap.add_argument("--technique-weights", type=technique_weights, metavar="NAME=W,...",
                    help="technique weights for every folder, e.g. name_calling=2,exaggeration=1.5 ('' for none)")
    args = ap.parse_args()
    if (args.threshold is None) != (args.technique_weights is None):
        ap.error("--threshold and --technique-weights go together (one fixed decoding for every folder)")
    decoding = ({"threshold": args.threshold, "technique_weights": args.technique_weights}
                if args.threshold is not None else None)
    root = resolve_data_root(args.data_root)
    from training.data_ptc import load_ptc  # the heavy imports, after the arguments are checked

    lines = load_ptc(root)
    results = []
    for folder in args.models:
        r = score_folder(folder, lines, decoding)
        results.append(r)
        w, t = r["whole_articles"], r["thinned_test"]
        how = "" if decoding is None else f" (threshold {decoding['threshold']}, weights {decoding['technique_weights']})"
        print(f"{folder}{how}: loaded-language overlap F1 {w['f1']:.3f} on {w['lines']} lines of {r['articles']} whole "
              f"articles (P {w['precision']:.3f} R {w['recall']:.3f}); {t['f1']:.3f} on the {t['lines']} test lines")
        b = w["breakdown"]
        print(f"  its {w['n_pred']} loaded-language spans overlap: {b['pred']}; the {w['n_gold']} gold ones: {b['gold']}")
    # results accumulate: a folder scored again replaces its own entry, the others stay (read where
    # save_result writes, so $SLANT_RESULTS_DIR never mixes in the committed file's entries)
    path = result_path(args.result)
    earlier = json.loads(path.read_text())["results"] if path.is_file() else []
    scored = {(r["model"], json.dumps(r["decoding"])) for r in results}
    kept = [r for r in earlier if (r["model"], json.dumps(r.get("decoding", OWN_DECODING))) not in scored]
    print(f"wrote {save_result(args.result, {'results': kept + results})}")


if __name__ == "__main__":
    run(main)
