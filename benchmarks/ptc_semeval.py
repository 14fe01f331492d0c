"""PTC on SemEval-2020 Task 11's own measures: span identification (SI) and technique
classification (TC), on every line of a model's held-out PTC articles.

The task's test labels were never released, so this is not its leaderboard: the articles
are the model's held-out tenth of PTC's training set (whole articles, from the folder's
``splits.json``). The measures are the task's (``training/semeval_metrics.py``), so the
figures sit beside its published ones: SI best F1 0.5155 (Hitachi), TC best micro-F1 0.6324
(ApplicaAI), its baselines 0.0044 (SI) and 0.2519 (TC).

- SI: the model's spans of any technique against PTC's SI spans (all 14 techniques, merged).
  The lexicon baseline stored in the same folder (learned from its training split) runs beside it.
- TC: for each gold span, the technique with the most B-+I- probability over the word pieces
  inside it (weighted by the folder's technique weights, as the scorer does). The model knows three of PTC's 14 techniques, so spans of the other eleven are
  always wrong; the figure on those three alone is printed too, with the majority answer
  (always loaded language) as its baseline.

    SLANT_DATA_ROOT=../shared/data python benchmarks/ptc_semeval.py MODEL_DIR [MODEL_DIR ...]
"""
from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from training.data_root import resolve_data_root
from training.schema import PTC_TECHNIQUE_MAP
from training.semeval_metrics import si_prf, tc_micro_f1

from ptc_whole_articles import PTC_MODEL, held_out_predictions  # benchmarks/ptc_whole_articles.py
from save_result import save_result  # benchmarks/save_result.py
from script_args import ScriptParser, run


def read_si(path: Path) -> dict[str, list[tuple[int, int]]]:
    out = defaultdict(list)
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 3:
            out[parts[0]].append((int(parts[1]), int(parts[2])))
    return out


def to_article(rows: list[dict], spans_per_row: list[list[dict]], starts: dict[str, dict[int, int]]):
    """Line-local spans -> article offsets, grouped by article."""
    out = defaultdict(list)
    for row, spans in zip(rows, spans_per_row):
        _, art, n = row["id"].split(":")
        base = starts[art][int(n)]
        out[art] += [(base + s["start"], base + s["end"]) for s in spans]
    return out


def classify_gold_spans(rows, token_probs, offsets, tags, starts, tc_gold, weights=None) -> tuple[list[str], list[str]]:
    """Gold technique and the model's technique for every gold TC span of the held-out articles
    (B-+I- probability over the span's pieces, times the folder's technique weights, as the scorer decodes)."""
    techniques = sorted({t.split("-", 1)[1] for t in tags if t != "O"})
    w = np.array([float((weights or {}).get(t, 1.0)) for t in techniques])
    cols = [[tags.index(f"B-{t}"), tags.index(f"I-{t}")] for t in techniques]
    by_line = defaultdict(list)  # article -> (start, end, probs, offsets)
    for row, probs, offs in zip(rows, token_probs, offsets):
        _, art, n = row["id"].split(":")
        base = starts[art][int(n)]
        by_line[art].append((base, base + len(row["text"]), probs, offs))
    gold, pred = [], []
    for art, lines in by_line.items():
        for tech, s, e in tc_gold.get(art, []):
            mass = np.zeros(len(techniques))
            for l0, l1, probs, offs in lines:
                if s >= l1 or e <= l0:
                    continue
                for k, (a, b) in enumerate(offs):
                    if a != b and l0 + a < e and l0 + b > s:
                        mass += [probs[k, c].sum() for c in cols]
            gold.append(tech)
            pred.append(techniques[int((mass * w).argmax())] if mass.any() else "none")
    return gold, pred


def score_folder(folder: Path, lines: list[dict], root: Path) -> dict:
    from training.data_ptc import PTC_DIR, article_lines, read_spans
    from training.span_metrics import LexiconBaseline

    held = held_out_predictions(folder, lines)
    loaded, articles, rows, ds, spans = held.loaded, held.articles, held.rows, held.ds, held.spans
    base = root / PTC_DIR
    starts = {a: {n: s0 for n, s0, _ in article_lines((base / "train-articles" / f"article{a}.txt").read_text(encoding="utf-8"))}
              for a in articles}
    si_gold = {a: s for a, s in read_si(base / "train-task1-SI.labels").items() if a in articles}
    tc_raw = read_spans(base / "train-task2-TC.labels")
    tc_gold = {a: tc_raw.get(a, []) for a in articles}

    result = {"model": str(folder), "articles": len(articles), "lines": len(rows)}
    result["si"] = si_prf(to_article(rows, spans, starts), si_gold)
    if loaded.meta.get("lexicon"):
        lex = LexiconBaseline.from_json(loaded.meta["lexicon"])
        result["si_lexicon_baseline"] = si_prf(to_article(rows, lex.predict(list(ds["text"])), starts), si_gold)

    gold, pred = classify_gold_spans(rows, held.token_probs, held.offsets, loaded.arch.tags, starts, tc_gold,
                                     loaded.technique_weights)
    ours = {PTC_TECHNIQUE_MAP.get(g, g) for g in gold} & set(PTC_TECHNIQUE_MAP.values())
    mapped = [PTC_TECHNIQUE_MAP.get(g, g) for g in gold]
    result["tc"] = tc_micro_f1(mapped, pred)
    known = [k for k, g in enumerate(mapped) if g in ours]
    result["tc_three_techniques"] = tc_micro_f1([mapped[k] for k in known], [pred[k] for k in known])
    majority = Counter(mapped[k] for k in known).most_common(1)[0][0]
    result["tc_three_majority_baseline"] = {"answer": majority,
                                            "micro_f1": sum(mapped[k] == majority for k in known) / len(known)}
    result["tc_all_majority_baseline"] = {"answer": majority, "micro_f1": sum(g == majority for g in mapped) / len(mapped)}
    return result


def main() -> None:
    ap = ScriptParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="+", type=PTC_MODEL)
    ap.add_argument("--data-root", default="")
    args = ap.parse_args()
    root = resolve_data_root(args.data_root)
    from training.data_ptc import load_ptc  # the heavy imports, after the arguments are checked

    lines = load_ptc(root)
    results = []
    for folder in args.models:
        r = score_folder(folder, lines, root)
        results.append(r)
        si, tc, tc3 = r["si"], r["tc"], r["tc_three_techniques"]
        lex = r.get("si_lexicon_baseline", {})
        print(f"{folder}: {r['articles']} held-out articles, {r['lines']} lines")
        print(f"  SI  F1 {si['f1']:.4f} (P {si['precision']:.3f} R {si['recall']:.3f}; {si['n_pred']} predicted, "
              f"{si['n_gold']} gold spans); lexicon baseline {lex.get('f1', float('nan')):.4f}")
        print(f"  TC  micro-F1 {tc['micro_f1']:.4f} over all {tc['spans']} gold spans (14 techniques; majority answer "
              f"{r['tc_all_majority_baseline']['micro_f1']:.4f}); on the model's three techniques "
              f"{tc3['micro_f1']:.4f} over {tc3['spans']} (majority {r['tc_three_majority_baseline']['micro_f1']:.4f})")
    print(f"wrote {save_result('ptc_semeval.json', {'results': results})}")


if __name__ == "__main__":
    run(main)
