"""SemEval-2020 Task 11's own measures, so PTC figures compare with the shared task's.

Slant's span F1 (``span_metrics``) counts a predicted span as right when it overlaps a gold
span of its technique. The shared task scored differently, and its published figures
(span identification best F1 0.5155, technique classification best micro-F1 0.6324) are on
its measures:

- **Span identification (SI)** ignores techniques. Overlapping spans are merged, and every
  (predicted, gold) pair in an article earns partial credit for the characters they share:
  P = Σ |s∩t| / |s| over |S| predicted spans, R = Σ |s∩t| / |t| over |T| gold spans, summed
  over all articles (Da San Martino et al. 2020, §3).
- **Technique classification (TC)** gives the gold spans and asks for one technique each;
  the measure is micro-F1, which is accuracy when every span gets one answer.

Written from the task paper's definitions, not from the organisers' scorer.
"""
from __future__ import annotations

from typing import Iterable, Mapping, Sequence

Interval = tuple[int, int]


def merge_spans(spans: Iterable[Interval]) -> list[Interval]:
    """Overlapping character intervals joined into one; empty ones dropped."""
    out: list[list[int]] = []
    for s, e in sorted((s, e) for s, e in spans if e > s):
        if out and s < out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def si_prf(predicted: Mapping[str, Sequence[Interval]], gold: Mapping[str, Sequence[Interval]]) -> dict:
    """SI precision, recall and F1 over articles (keys: article ids). An article missing from
    ``predicted`` counts as one with no predicted spans."""
    p_num = r_num = 0.0
    n_pred = n_gold = 0
    for art in set(gold) | set(predicted):
        pred = merge_spans(predicted.get(art, ()))
        ref = merge_spans(gold.get(art, ()))
        n_pred += len(pred)
        n_gold += len(ref)
        for s0, s1 in pred:
            for t0, t1 in ref:
                shared = min(s1, t1) - max(s0, t0)
                if shared > 0:
                    p_num += shared / (s1 - s0)
                    r_num += shared / (t1 - t0)
    p = p_num / n_pred if n_pred else 0.0
    r = r_num / n_gold if n_gold else 0.0
    f1 = 2 * p * r / (p + r) if p and r else 0.0
    return {"precision": p, "recall": r, "f1": f1, "n_pred": n_pred, "n_gold": n_gold}


def tc_micro_f1(gold: Sequence[str], predicted: Sequence[str]) -> dict:
    """Micro-F1 of one technique per gold span (= accuracy), and the per-technique recall."""
    if len(gold) != len(predicted):
        raise ValueError("one prediction per gold span")
    per: dict[str, list[int]] = {}
    for g, p in zip(gold, predicted):
        per.setdefault(g, [0, 0])
        per[g][0] += g == p
        per[g][1] += 1
    hits = sum(h for h, _ in per.values())
    return {"micro_f1": hits / len(gold) if gold else 0.0, "spans": len(gold),
            "recall_per_technique": {t: {"recall": h / n, "spans": n} for t, (h, n) in sorted(per.items())}}
