"""Span decoding sweep: can a different in-span threshold, or keeping spans only in sentences
the model calls framed, lift loaded-language span F1 without retraining?

Rebuilds a model folder's own test split (from its ``config.yaml``), predicts once, then
decodes loaded-language spans at several in-span thresholds × sentence gates (a span is
kept only when its sentence's calibrated framing probability reaches the gate) and reports
overlap precision / recall / F1 on the held-out PTC articles and on BABE's biased words.
Writes ``benchmarks/results/span_sweep.json``.

    SLANT_DATA_ROOT=../shared/data python benchmarks/span_sweep.py [--model DIR]
"""
from __future__ import annotations

from models import default_model_path
from training.calibration import apply_temperature
from training.config import load_config

from save_result import save_result  # benchmarks/save_result.py
from script_args import ScriptParser, model_folder, run

THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7)
GATES = (0.0, 0.3, 0.5, 0.7)


def main() -> None:
    ap = ScriptParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=model_folder("config.yaml"), default=default_model_path(),
                    help="a model folder with the config.yaml of its training run (default: the shipped model)")
    args = ap.parse_args()
    config = load_config(args.model / "config.yaml")
    from models.model_folder import load_model  # the heavy imports, after the arguments are checked
    from training.evaluation import piece_offsets, predicted_spans
    from training.loop import predict, use_bf16
    from training.span_metrics import span_prf
    from training.train import encode, make_eval_data

    loaded = load_model(args.model, merge=True)
    data = make_eval_data(config)
    res = {"model": str(args.model), "saved_span_threshold": loaded.meta.get("span_threshold"), "sources": {}}
    for name, test in data.tests.items():
        sub = test.select([i for i, h in enumerate(test["has_spans"]) if h])
        if not len(sub):
            continue
        preds = predict(loaded.model, encode(sub, loaded.tokenizer, loaded.arch), use_bf16("auto"))
        probs = apply_temperature(preds.logits, loaded.temperature)
        gold, texts = list(sub["spans"]), list(sub["text"])
        offsets = piece_offsets(loaded.tokenizer, texts, loaded.arch.max_length)
        rows = []
        for thr in THRESHOLDS:
            spans = predicted_spans(loaded.model, loaded.tokenizer, texts, preds.token_probs, thr,
                                    loaded.technique_weights, offsets)
            for gate in GATES:
                pred = [sp if p >= gate else [] for sp, p in zip(spans, probs)]
                r = span_prf(gold, pred, technique="loaded_language", mode="overlap")
                rows.append({"threshold": thr, "gate": gate, "precision": round(r["precision"], 4),
                             "recall": round(r["recall"], 4), "f1": round(r["f1"], 4)})
        best = max(rows, key=lambda r: r["f1"])
        res["sources"][name] = {"sentences": len(sub), "rows": rows, "best": best}
        print(f"{name}: best overlap F1 {best['f1']} at threshold {best['threshold']}, gate {best['gate']}")
    print(f"wrote {save_result('span_sweep.json', res)}")


if __name__ == "__main__":
    run(main)
