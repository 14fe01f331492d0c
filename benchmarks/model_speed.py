"""Scoring speed of several model folders in one run, for ratios between them (e.g. a shallower network).

Each folder is loaded as ``slant score --no-targets`` loads it (bf16 where the CPU has it, spans
on), the same 2,000 BABE + PTC sentences as ``score_speed.py`` are scored, and the folders take
turns: round r times every folder once before round r + 1, so a slow spell of this shared machine
falls on all of them. The fastest of ``--repeats`` rounds is kept per folder. Prints sentences/s
and each folder's ratio to the first, and writes ``benchmarks/results/<--result>``.

    python benchmarks/model_speed.py models/default runs/fast/best [--n 2000] [--repeats 3]
"""
from __future__ import annotations

import time

from training.data_root import resolve_data_root

from save_result import save_result  # benchmarks/save_result.py
from score_speed import news_sentences
from script_args import ScriptParser, at_least, model_folder, result_name, run


def main() -> None:
    ap = ScriptParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="+", type=model_folder())
    ap.add_argument("--n", type=at_least(1), default=2000)
    ap.add_argument("--repeats", type=at_least(1), default=3)
    ap.add_argument("--result", type=result_name, default="model_speed.json", help="file name under benchmarks/results/")
    args = ap.parse_args()
    resolve_data_root("")  # news_sentences reads BABE and PTC from it
    from inference.scorer import Scorer  # the heavy imports, after the arguments are checked

    sentences = news_sentences(args.n)
    scorers = [Scorer.load(folder, targets=False) for folder in args.models]
    for scorer in scorers:
        scorer.score_sentences(sentences[:64])  # warm-up: packing, first oneDNN primitives
    best = [float("inf")] * len(scorers)
    for _ in range(args.repeats):
        for i, scorer in enumerate(scorers):
            start = time.perf_counter()
            scorer.score_sentences(sentences)
            best[i] = min(best[i], time.perf_counter() - start)
    rows = [{"model": str(folder), "layers": scorer.loaded.arch.layers or None, "bf16": scorer.bf16,
             "sent_per_s": len(sentences) / t, "ratio_to_first": best[0] / t}
            for folder, scorer, t in zip(args.models, scorers, best)]
    for row in rows:
        print(f"{row['model']}: {row['sent_per_s']:.0f} sentences/s, {row['ratio_to_first']:.2f}x the first")
    print(f"wrote {save_result(args.result, {'sentences': len(sentences), 'repeats': args.repeats, 'models': rows})}")


if __name__ == "__main__":
    run(main)
