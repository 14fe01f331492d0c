"""A seeded random sample of the stances Slant gives named targets in real articles, to be judged by hand.

NewsMTSC's test sets measure the stance head on sentences chosen and cut for the task; the
reports average stance over whatever targets whole articles name. This scores a seeded sample
of MBIC's source articles (full news texts) with the shipped models, keeps the author-voice
targets of sentences the stance model never saw in training (BABE's sentences are left out:
its pseudo-labels, ``data.stance_extra``, were drawn from them), draws as many of each predicted
stance, and prints each sentence with its target in [[…]] so a reader can mark which are wrong;
the benchmarks README gives the last judgement.

    SLANT_DATA_ROOT=../shared/data python benchmarks/stance_sample.py --raw-stance   # the first judged sample
    SLANT_DATA_ROOT=../shared/data python benchmarks/stance_sample.py --fresh --seed 21 --per-stance 15 --result NAME
"""
from __future__ import annotations

import random
import sys
import time

from save_result import save_result  # benchmarks/save_result.py
from script_args import ScriptParser, at_least, result_name, run

STANCES = ("negative", "neutral", "positive")


JUDGED_SEED, JUDGED_ARTICLES = 13, 80  # the first sample judged by hand (with --raw-stance: it predates the prior)
FIT_SEED, FIT_ARTICLES = 1, 120  # benchmarks/stance_prior.py's defaults: the articles the shipped prior is fitted on


def draw_articles(arts: list[dict], n: int, rng: random.Random) -> list[dict]:
    """The articles a run draws (``benchmarks/stance_prior.py`` leaves the judged ones out)."""
    return rng.sample(arts, min(n, len(arts)))


def judged_articles(arts: list[dict]) -> list[dict]:
    return draw_articles(arts, JUDGED_ARTICLES, random.Random(JUDGED_SEED))


def unused(arts: list[dict], *used: list[dict]) -> list[dict]:
    taken = {a["article"] for group in used for a in group}
    return [a for a in arts if a["article"] not in taken]


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def main() -> None:
    ap = ScriptParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=at_least(1), default=80, help="MBIC source articles scored")
    ap.add_argument("--per-stance", type=at_least(1), default=20, help="targets drawn per predicted stance")
    ap.add_argument("--seed", type=at_least(0), default=JUDGED_SEED)
    ap.add_argument("--fresh", action="store_true", help="leave out the articles of the first judged sample and those "
                                                         "the shipped stance prior was fitted on")
    ap.add_argument("--raw-stance", action="store_true", help="the stance head as calibrated on NewsMTSC, without the "
                                                              "whole-article prior (as the first judged sample was drawn)")
    ap.add_argument("--result", type=result_name, help="file name under benchmarks/results/ (default: stance_sample.json, "
                                                        "the judged first sample, with --raw-stance; else stance_sample_prior.json)")
    args = ap.parse_args()
    from inference.scorer import Scorer  # torch and the data readers: only once the arguments are good
    from training.data_babe import load_babe
    from training.data_mbic import mbic_articles
    from training.data_root import resolve_data_root

    root = resolve_data_root(None)
    seen = {_key(r["text"]) for r in load_babe(root)}
    rng = random.Random(args.seed)
    arts = list(mbic_articles(root))
    if args.fresh:
        judged = judged_articles(arts)
        arts = unused(arts, judged, draw_articles(unused(arts, judged), FIT_ARTICLES, random.Random(FIT_SEED)))
    arts = draw_articles(arts, args.articles, rng)
    scorer = Scorer.load(stance_prior=not args.raw_stance)
    pool: dict[str, list[dict]] = {s: [] for s in STANCES}
    skipped = 0
    start = time.perf_counter()
    for k, art in enumerate(arts):
        print(f"\rscoring article {k + 1}/{len(arts)}", end="", file=sys.stderr, flush=True)
        for sent in scorer.score(art["article"], doc=str(k)).sentences:
            if _key(sent.text) in seen:
                skipped += 1
                continue
            for t in sent.targets:
                if t.voice != "author":
                    continue
                a, b = t.start - sent.start, t.end - sent.start
                pool[t.stance].append({"outlet": art.get("outlet", ""), "entity": t.entity, "stance": t.stance,
                                       "score": t.score, "polarity": t.polarity, "sentence": f"{sent.text[:a]}[[{sent.text[a:b]}]]{sent.text[b:]}"})
    print(file=sys.stderr)
    counts = {s: len(rows) for s, rows in pool.items()}
    sample = {s: rng.sample(rows, min(args.per_stance, len(rows))) for s, rows in pool.items()}
    print(f"{len(arts)} MBIC articles scored in {time.perf_counter() - start:.0f} s; author-voice targets by "
          f"predicted stance: {counts} ({skipped} BABE sentences left out); a sample of each follows")
    for stance, rows in sample.items():
        for k, row in enumerate(rows):
            print(f"[{stance} {k}] ({row['score']:.2f}, {row['entity']}) {row['sentence']}")
    result = {"seed": args.seed, "fresh": args.fresh, "raw_stance": args.raw_stance, "articles": len(arts), "counts": counts, "left_out_babe_sentences": skipped,
              "sample": sample, "all": [[r["stance"], r["score"], r["polarity"]] for rows in pool.values() for r in rows]}
    name = args.result or ("stance_sample.json" if args.raw_stance else "stance_sample_prior.json")
    print(f"wrote {save_result(name, result)}")


if __name__ == "__main__":
    run(main)
