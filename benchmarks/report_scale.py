"""How ``slant report`` scales: a 10,000-article corpus, time and peak memory.

    python benchmarks/report_scale.py [--articles 10000] [--source corpus.jsonl] [--model DIR]

The corpus is built by repetition, from ``--source`` (a JSONL corpus with
``text`` and ``outlet``, e.g. the MBIC demo corpus of
``build_demo_corpora.py``) or from built-in synthetic articles. Each copy gets
its own id and a short distinct closing line, so every article really is
scored (identical texts would be served by the cache). The report runs twice
in a child process (``python -m inference.cli report``): cold (every article
scored) and warm (every score from the cache), and the peak RSS of each run
is read from the child's resource usage. Results go to
``benchmarks/results/report_scale.json``.
"""
from __future__ import annotations

import itertools
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from save_result import result_path  # benchmarks/save_result.py
from script_args import (
    ScriptParser, as_typed, at_least, existing_file, fail, make_folder, model_folder, output_file,
    output_folder, run, text_rows)

REPO = Path(__file__).resolve().parent.parent
OUTLETS = {"Daily Blare": 0.6, "Evening Ledger": 0.3, "Morning Record": 0.15, "Wire Service": 0.05,
           "Weekly Voice": 0.45}
SUBJECTS = ["The council", "The ministry", "Officials", "The court", "Researchers", "The company", "Lawmakers"]
VERBS = ["published a report on", "met to discuss", "announced figures for", "held a hearing on", "voted on"]
TOPICS = ["the budget", "water supply", "road repairs", "school funding", "trade talks", "the census", "housing"]
LOADED = ["disgraceful", "radical", "reckless", "shameful", "outrageous", "bizarre", "catastrophic", "extreme"]


def synthetic_articles(seed: int = 0, n: int = 200):
    """News-like articles of 8–20 sentences, some quoted, outlets framing at different rates."""
    rng = random.Random(seed)
    names = list(OUTLETS)
    for i in range(n):
        outlet = names[i % len(names)]
        topic = rng.choice(TOPICS)
        sents = []
        for _ in range(rng.randint(8, 20)):
            s = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {topic}"
            sents.append(f"{s} in a {rng.choice(LOADED)} move." if rng.random() < OUTLETS[outlet] else f"{s} on Monday.")
        if rng.random() < 0.5:
            sents.insert(rng.randint(0, len(sents)), f'"It is {rng.choice(LOADED)}," a spokesperson said.')
        paras = [" ".join(sents[k:k + 4]) for k in range(0, len(sents), 4)]
        yield {"id": f"syn-{i}", "text": "\n\n".join(paras), "outlet": outlet, "topic": topic,
               "title": f"{topic.capitalize()}: article {i}"}


def source_rows(path: Path | None):
    if path is None:
        return list(synthetic_articles())
    rows = list(text_rows(path, "--source", '{"text": ..., "outlet": ...}'))
    if not rows:
        fail(f"--source {path} holds no articles; pass a JSONL corpus of {{\"text\": ..., \"outlet\": ...}} rows")
    return rows


def build_corpus(rows: list[dict], n: int, path: Path) -> None:
    """``n`` articles cycling through ``rows``, each copy with its own id and closing line (streamed to disk)."""
    with open(path, "w", encoding="utf-8") as f:
        for k, row in zip(range(n), itertools.cycle(rows)):
            copy = k // len(rows)
            out = dict(row, id=f"{row.get('id', 'row')}#{copy}")
            if copy:
                out["text"] = f"{row['text']}\n\nCopy {copy}."
            f.write(json.dumps(out, ensure_ascii=False) + "\n")


def run_report(corpus: Path, output: Path, model: str | None, bootstrap: int) -> dict:
    """One ``slant report`` in a child process; wall time and the child's peak RSS."""
    cmd = [sys.executable, "-m", "inference.cli", "report", str(corpus), "--by", "outlet", "-o", str(output),
           "--bootstrap", str(bootstrap)]
    if model:
        cmd += ["--model", model]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    seconds = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode:
        raise SystemExit(f"report_scale: slant report failed with exit code {proc.returncode}")
    # ru_maxrss of children is the maximum over every child so far: exact for the first (cold) run only.
    return {"seconds": round(seconds, 1), "peak_rss_mb": round(peak_kb / 1024, 1)}


def measure(args, rows: list[dict], work: Path) -> dict:
    """Build the corpus in ``work``, run the report cold and warm there; the result."""
    corpus, output = work / "corpus.jsonl", work / "report.html"
    build_corpus(rows, args.articles, corpus)
    for stale in work.glob("slant-cache.sqlite*"):
        stale.unlink()
    print(f"corpus: {corpus} ({args.articles:,} articles from {len(rows)} distinct ones, "
          f"{corpus.stat().st_size / 2**20:.1f} MB)", file=sys.stderr)
    cold = run_report(corpus, output, args.model, args.bootstrap)
    warm = run_report(corpus, output, args.model, args.bootstrap)
    return {
        "articles": args.articles, "source": str(args.source or "synthetic"), "model": args.model or "default",
        "bootstrap": args.bootstrap, "cold": cold, "warm_from_cache": {"seconds": warm["seconds"]},
        "articles_per_second_cold": round(args.articles / cold["seconds"], 1),
        "report_bytes": output.stat().st_size,
        "cache_mb": round(sum(p.stat().st_size for p in work.glob("slant-cache.sqlite*")) / 2**20, 1),
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
    }


def main(argv: list[str] | None = None) -> int:
    ap = ScriptParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=at_least(1), default=10_000)
    ap.add_argument("--source", type=existing_file, help="JSONL corpus to repeat (default: built-in synthetic articles)")
    ap.add_argument("--model", type=as_typed(model_folder()), help="model folder (default: the shipped default model)")
    ap.add_argument("--bootstrap", type=at_least(0), default=1000)
    ap.add_argument("--workdir", type=output_folder, help="where the corpus, report and cache go (default: a temp folder)")
    ap.add_argument("--results", type=output_file, help="the JSON to write (default: benchmarks/results/report_scale.json, "
                    "under $SLANT_RESULTS_DIR when set, as every benchmark script writes)")
    args = ap.parse_args(argv)
    args.results = args.results or result_path("report_scale.json")

    rows = source_rows(args.source)
    if args.workdir:
        result = measure(args, rows, make_folder(args.workdir))
    else:  # removed afterwards: a temp folder per run, each with a corpus and a score cache, piled up
        with tempfile.TemporaryDirectory(prefix="slant-report-scale-") as scratch:
            result = measure(args, rows, Path(scratch))
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    run(main)
