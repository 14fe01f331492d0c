"""Memory of a long scoring run: resident memory while scoring article after article.

Scores N pseudo-articles of 8 real news sentences (BABE + PTC lines from the data root)
one by one through ``Scorer.score``, as ``slant score FOLDER`` does, in a fresh process
per setting, and records the resident set size every 50 articles and the wall time:

* ``bounded``: the scorer as shipped (oneDNN caches capped, ``models.precision.bound_onednn_caches``);
* ``library_default``: the same with both caches at the libraries' default of 1,024 entries.

Each article meets new tensor shapes, so unbounded caches keep growing. Writes
``benchmarks/results/score_memory.json``.

``--long N`` measures the other shape of a long run instead: one document of N real news
sentences (a chunk of a streamed file holds about 8,000), scored twice in a fresh process per
token budget (4,096, the earlier default, and the scorer's default), with the peak resident
memory and the thread's CPU seconds (the comparison holds beside other jobs). Writes
``benchmarks/results/score_memory_long.json``.

    SLANT_DATA_ROOT=../shared/data python benchmarks/score_memory.py [--articles 500] [--targets]
    SLANT_DATA_ROOT=../shared/data python benchmarks/score_memory.py --long 4000
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from inference.process_memory import status_kb
from training.data_root import resolve_data_root

from save_result import save_result  # benchmarks/save_result.py
from script_args import ScriptParser, at_least, run as run_script


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


def long_worker(sentences: int, budget: int) -> None:
    """Runs in the child: one long document scored twice at ``budget`` word pieces per batch."""
    import torch

    from inference.process_memory import peak_rss_kb
    from inference.scorer import Scorer
    from score_speed import news_sentences

    torch.set_num_threads(1)
    lines = news_sentences(sentences)
    text = "\n\n".join(" ".join(lines[k:k + 4]) for k in range(0, len(lines), 4))
    scorer = Scorer.load(targets=False, token_budget=budget)
    scorer.score("A short article warms the network up. It has two sentences.")
    loaded, start = rss_mb(), time.thread_time()
    for _ in range(2):
        scored = len(scorer.score(text).sentences)
    print(json.dumps({"token_budget": budget, "sentences": scored, "cpu_seconds": round(time.thread_time() - start, 1),
                      "rss_mb_loaded": loaded, "rss_mb_after": rss_mb(), "peak_rss_mb": peak_rss_kb() // 1024}))


def run_long(sentences: int, budget: int) -> dict:
    cmd = [sys.executable, __file__, "--worker", "--long", str(sentences), "--budget", str(budget)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"budget {budget}: {out.stderr[-500:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(setting: str, articles: int, targets: bool) -> dict:
    from models.precision import LIBRARY_DEFAULT_CACHE_ENTRIES

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
    ap = ScriptParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=at_least(1), default=500)
    ap.add_argument("--targets", action="store_true", help="with targets and stance (default: --no-targets)")
    ap.add_argument("--long", type=at_least(0), default=0, help="one document of this many sentences instead")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--budget", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    resolve_data_root("")  # the workers read BABE and PTC from it: checked before any starts
    if args.worker:
        long_worker(args.long, args.budget) if args.long else worker(args.articles, args.targets)
        return
    if args.long:
        import inspect

        from inference.scorer import Scorer

        default = inspect.signature(Scorer.__init__).parameters["token_budget"].default
        rows = [run_long(args.long, budget) for budget in dict.fromkeys([4096, default])]
        for row in rows:
            print(f"token budget {row['token_budget']}: {row['sentences']} sentences twice, peak RSS "
                  f"{row['peak_rss_mb']} MB (loaded {row['rss_mb_loaded']} MB, after {row['rss_mb_after']} MB), "
                  f"{row['cpu_seconds']} CPU s")
        print(f"wrote {save_result('score_memory_long.json', {'sentences': args.long, 'threads': 1, 'runs': rows})}")
        return
    res = {"articles": args.articles, "sentences_per_article": 8, "targets": args.targets, "threads": 1}
    for setting in ("bounded", "library_default"):
        res[setting] = run(setting, args.articles, args.targets)
        print(f"{setting}: {res[setting]['seconds']} s, resident MB every 50 articles "
              f"{[mb for _, mb in res[setting]['rss_mb_by_article']]}")
    print(f"wrote {save_result('score_memory.json', res)}")


if __name__ == "__main__":
    run_script(main)
