"""Memory of a long scoring run: resident memory while scoring article after article.

Scores N pseudo-articles of 8 real news sentences (BABE + PTC lines from the data root)
one by one through ``Scorer.score``, as ``slant score FOLDER`` does, in a fresh process
per setting, and records the resident set size every 50 articles and the wall time:

* ``bounded``: the scorer as shipped (oneDNN caches capped, ``models.precision.bound_onednn_caches``);
* ``library_default``: the same with both caches at the libraries' default of 1,024 entries.

Each article meets new tensor shapes, so unbounded caches keep growing. Writes
``benchmarks/results/score_memory.json``.

    SLANT_DATA_ROOT=../shared/data python benchmarks/score_memory.py [--articles 500] [--targets]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from inference.process_memory import status_kb
from models.precision import LIBRARY_DEFAULT_CACHE_ENTRIES

from save_result import save_result  # benchmarks/save_result.py


def rss_mb() -> int:
    return (status_kb("VmRSS") or 0) // 1024


def worker(articles: int, targets: bool) -> None:
    """Runs in the child: score, print one JSON line."""
    import torch

    from inference.scorer import Scorer
    from score_speed import news_sentences

    torch.set_num_threads(1)
    sentences = news_sentences(articles * 8)
    scorer = Scorer.load(targets=targets)
    trace, start = [], time.perf_counter()
    for k in range(articles):
        scorer.score(" ".join(sentences[k * 8:(k + 1) * 8]))
        if k % 50 == 0 or k == articles - 1:
            trace.append([k + 1, rss_mb()])
    print(json.dumps({"seconds": round(time.perf_counter() - start, 1), "rss_mb_by_article": trace,
                      "final_rss_mb": trace[-1][1]}))


def run(setting: str, articles: int, targets: bool) -> dict:
    env = dict(os.environ)
    if setting == "library_default":
        env["ONEDNN_PRIMITIVE_CACHE_CAPACITY"] = env["LRU_CACHE_CAPACITY"] = LIBRARY_DEFAULT_CACHE_ENTRIES
    else:
        env.pop("ONEDNN_PRIMITIVE_CACHE_CAPACITY", None)
        env.pop("LRU_CACHE_CAPACITY", None)
    cmd = [sys.executable, __file__, "--worker", "--articles", str(articles)] + (["--targets"] if targets else [])
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{setting}: {out.stderr[-500:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=500)
    ap.add_argument("--targets", action="store_true", help="with targets and stance (default: --no-targets)")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.articles, args.targets)
        return
    res = {"articles": args.articles, "sentences_per_article": 8, "targets": args.targets, "threads": 1}
    for setting in ("bounded", "library_default"):
        res[setting] = run(setting, args.articles, args.targets)
        print(f"{setting}: {res[setting]['seconds']} s, resident MB every 50 articles "
              f"{[mb for _, mb in res[setting]['rss_mb_by_article']]}")
    print(f"wrote {save_result('score_memory.json', res)}")


if __name__ == "__main__":
    main()
