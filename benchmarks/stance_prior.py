"""Fit the share of targets that carry a stance in whole articles, for a stance model folder.

The stance head is calibrated on NewsMTSC, whose sentences were chosen for sentiment; in whole
articles most named targets carry none (``inference/stance_prior.py`` says why and how). This
scores a seeded sample of MBIC's source articles (full news texts; the articles
``benchmarks/stance_sample.py`` draws with its default seed, which were judged by hand, are
left out) with the stance model as it stands, estimates the articles' class prior from its
probabilities by EM (no labels), and prints it beside the prior of the model's dev split, under
which its temperature was fitted. It also gives NewsMTSC's F1m with the prior applied, for the
record (the test sets have NewsMTSC's own mix, so the figures that measure the head are those
without). ``--write`` stores both priors in the folder's ``meta.json`` (``article_prior``),
which the scorer then applies. The figures go to ``benchmarks/results/stance_prior.json``, the
shipped model's record: give a model of your own ``--result NAME``. Also printed and kept: the
prior EM estimates for each NewsMTSC test set from the same probabilities, beside the set's own
label shares, a check of the estimator where the answer is known, with two rivals on the same
probabilities: black-box shift estimation (``bbse_prior``) and the mean probability.

    SLANT_DATA_ROOT=../shared/data python benchmarks/stance_prior.py models/default_stance [--articles 120] [--write]
    SLANT_DATA_ROOT=../shared/data python benchmarks/stance_prior.py runs/stance/best --write --result stance_prior_mine.json
"""
from __future__ import annotations

import json
import os
import random
import sys
import time

import numpy as np

from training.config import load_config
from training.data_mbic import mbic_articles
from training.data_root import resolve_data_root

from save_result import save_result  # benchmarks/save_result.py
from script_args import ScriptParser, at_least, fail, result_name, run
from stance_ensemble import STANCE_FOLDER, check_data, stance_probs  # benchmarks/stance_ensemble.py
from stance_sample import FIT_ARTICLES, FIT_SEED, draw_articles, judged_articles, unused  # benchmarks/stance_sample.py


def target_probs(t, stances: list[str]) -> list[float]:
    """A target's three probabilities from its stance, score and polarity (P(pos) - P(neg))."""
    p = dict.fromkeys(stances, 0.0)
    p[t.stance] = t.score
    if t.stance == "negative":
        p["positive"] = t.polarity + t.score
    elif t.stance == "positive":
        p["negative"] = t.score - t.polarity
    else:
        p["positive"], p["negative"] = (1 - t.score + t.polarity) / 2, (1 - t.score - t.polarity) / 2
    rest = [s for s in stances if s not in ("negative", "positive", t.stance)]
    for s in rest:
        p[s] = 1 - sum(v for k, v in p.items() if k != s)
    return [max(p[s], 1e-6) for s in stances]


def bbse_prior(probs: np.ndarray, dev_probs: np.ndarray, dev_gold: np.ndarray, source: np.ndarray) -> np.ndarray:
    """Black-box shift estimation (Lipton et al. 2018), EM's rival kept for comparison: the prior
    that explains the mean probability through the dev split's soft confusion matrix
    C[i, j] = E_dev[p_i(x) 1{y = j}]; weights below 0 are cut to 0."""
    k = len(source)
    confusion = np.stack([dev_probs[dev_gold == j].mean(0) * source[j] for j in range(k)], axis=1)
    prior = np.clip(np.linalg.solve(confusion, probs.mean(0)), 0, None) * source
    return prior / prior.sum()


def main() -> None:
    ap = ScriptParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=STANCE_FOLDER, help="a stance model folder (e.g. models/default_stance)")
    ap.add_argument("--articles", type=at_least(1), default=FIT_ARTICLES, help="MBIC source articles scored")
    ap.add_argument("--seed", type=at_least(0), default=FIT_SEED)
    ap.add_argument("--write", action="store_true", help="store the priors in the folder's meta.json")
    ap.add_argument("--result", type=result_name, default="stance_prior.json",
                    help="file name under benchmarks/results/ (default stance_prior.json, the shipped model's record)")
    args = ap.parse_args()
    check_data([args.folder])
    from sklearn.metrics import f1_score

    from inference.scorer import Scorer
    from inference.stance_prior import article_prior_entry, fit_prior, shift
    from training.model_card import model_card

    probs, gold = stance_probs(args.folder)
    meta = json.loads((args.folder / "meta.json").read_text())
    stances = list(json.loads((args.folder / "config.json").read_text()).get("stances") or ["negative", "neutral", "positive"])
    counts = np.bincount(gold["dev"], minlength=len(stances))
    if not counts.all():  # the temperature's prior would be 0 there: no ratio to move by
        fail(f"{args.folder}: its stance dev split has no {', '.join(s for s, c in zip(stances, counts) if not c)} "
             "target; the prior it was calibrated under is unknown")
    source = counts / counts.sum()
    arts = list(mbic_articles(resolve_data_root(None)))
    sample = draw_articles(unused(arts, judged_articles(arts)), args.articles, random.Random(args.seed))
    scorer = Scorer.load(stance_model=args.folder, stance_prior=False)
    rows, start = [], time.perf_counter()
    for k, art in enumerate(sample):
        print(f"\rscoring article {k + 1}/{len(sample)}", end="", file=sys.stderr, flush=True)
        rows += [target_probs(t, stances) for s in scorer.score(art["article"]).sentences for t in s.targets]
    print(file=sys.stderr)
    if not rows:
        fail(f"no targets in the {len(sample)} MBIC articles drawn; nothing to fit a prior on")
    P = np.array(rows)
    prior = fit_prior(P, source)
    fmt = lambda v: ", ".join(f"{s} {x:.3f}" for s, x in zip(stances, v))  # noqa: E731
    print(f"{len(P):,} targets in {len(sample)} MBIC articles ({time.perf_counter() - start:.0f} s): "
          f"head's argmax {fmt(np.bincount(P.argmax(1), minlength=len(stances)) / len(P))}")
    print(f"dev prior (the temperature's) {fmt(source)}; articles' prior by EM {fmt(prior)}; "
          f"argmax after the shift {fmt(np.bincount(shift(P, source, prior).argmax(1), minlength=len(stances)) / len(P))}")
    newsmtsc, em_check = {}, {}
    for name, p in probs.items():
        newsmtsc[name] = {"without": float(f1_score(gold[name], p.argmax(1), average="macro")),
                          "with_article_prior": float(f1_score(gold[name], shift(p, source, prior).argmax(1), average="macro"))}
        print(f"{name}: F1m {newsmtsc[name]['without']:.4f} as calibrated, {newsmtsc[name]['with_article_prior']:.4f} "
              "with the articles' prior")
        if name != "dev":  # a test set's own label shares, and what EM makes of them without the labels
            em_check[name] = {"labels": (np.bincount(gold[name], minlength=len(stances)) / len(gold[name])).tolist(),
                              "em": fit_prior(p, source).tolist(),
                              "bbse": bbse_prior(p, probs["dev"], gold["dev"], source).tolist(),
                              "mean_probability": p.mean(0).tolist()}
            print(f"{name}: label shares {fmt(em_check[name]['labels'])}; EM's estimate {fmt(em_check[name]['em'])}; "
                  f"BBSE's {fmt(em_check[name]['bbse'])}; the mean probability {fmt(em_check[name]['mean_probability'])}")
    rivals = {"bbse": bbse_prior(P, probs["dev"], gold["dev"], source).tolist(), "mean_probability": P.mean(0).tolist()}
    print(f"articles: BBSE's estimate {fmt(rivals['bbse'])}; the mean probability {fmt(rivals['mean_probability'])} "
          "(EM's is the one stored)")
    entry = article_prior_entry(stances, source, prior, f"{len(P)} targets in {len(sample)} MBIC source articles "
                                                        f"(seed {args.seed}; benchmarks/stance_prior.py)")
    if args.write:
        meta["article_prior"] = entry
        card = model_card(meta, load_config(args.folder / "config.yaml"))
        for name, text in (("meta.json", json.dumps(meta, indent=2) + "\n"), ("README.md", card)):
            tmp = args.folder / f".{name}.tmp"  # a Ctrl-C mid-write leaves the old file whole, not half a meta.json
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, args.folder / name)
        print(f"wrote article_prior to {args.folder / 'meta.json'} and the model card")
    argmax_share = (np.bincount(P.argmax(1), minlength=len(stances)) / len(P)).tolist()
    print("wrote", save_result(args.result, {"model": str(args.folder), "article_prior": entry, "head_argmax_share": argmax_share,
                                             "newsmtsc_f1m": newsmtsc, "em_on_newsmtsc_tests": em_check,
                                             "articles_other_estimators": rivals}))


if __name__ == "__main__":
    run(main)
