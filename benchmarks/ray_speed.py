"""Sentences per second of ``slant score --engine ray`` with 1 and 2 workers, and memory per worker.

The corpus is BABE's sentences (``$SLANT_DATA_ROOT/babe/final_labels_SG2.csv``)
grouped into pseudo-articles, or any JSONL with a ``text`` column (``--corpus``).
Each worker count gets a fresh local Ray instance (``num_cpus = workers``, one
torch thread per worker). Reported per run:

* ``sentences_per_s``: sentences / wall time of the whole Ray job (read, actor
  start and model load, scoring, writing) — what a user waits for;
* ``scoring_sentences_per_s``: sentences / the busiest actor's time inside
  ``__call__`` — throughput once the actors are up;
* ``peak_rss_mib`` per worker: each actor's own VmHWM (peak resident memory).

A local-engine baseline (same process, one torch thread) is run too unless
``--no-local``. Writes ``benchmarks/results/ray_speed.json``.

    python benchmarks/ray_speed.py [--model runs/default/best] [--sentences 2000] [--workers 1 2]
"""
from __future__ import annotations

import csv
import json
import os
import platform
import tempfile
import time
from argparse import Namespace
from pathlib import Path

from save_result import result_path  # benchmarks/save_result.py
from script_args import (
    ScriptParser, as_typed, at_least, existing_file, fail, model_folder, output_file, require_modules, run, text_rows)


def babe_sentences() -> list[str]:
    from training.data_root import require_file, resolve_data_root

    path = require_file(resolve_data_root() / "babe" / "final_labels_SG2.csv", "babe")
    with open(path, encoding="utf-8-sig", newline="") as f:
        return [row["text"].strip() for row in csv.DictReader(f, delimiter=";") if row.get("text", "").strip()]


def build_corpus(dest: Path, *, sentences: int, per_article: int, corpus: str | None) -> tuple[int, int]:
    """Write ``dest`` (JSONL); returns (articles, input sentences)."""
    if corpus:
        rows, n = [], 0
        for row in text_rows(corpus, "--corpus"):
            rows.append({"id": str(row.get("id", len(rows))), "text": row["text"]})
            n += max(1, row["text"].count(". "))  # rough; the scored count is reported separately
            if n >= sentences:
                break
        if not rows:
            fail(f"--corpus {corpus} holds no rows; pass a JSONL file of {{\"id\": ..., \"text\": ...}} rows")
    else:
        pool = babe_sentences()
        if not pool:
            fail("no sentences in BABE's final_labels_SG2.csv; fetch the file again into the data root")
        picked = [pool[i % len(pool)] for i in range(sentences)]
        rows = [{"id": f"babe{k // per_article}", "text": " ".join(picked[k:k + per_article])}
                for k in range(0, len(picked), per_article)]
        n = len(picked)
    dest.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return len(rows), n


def run_ray(corpus: Path, model: str | None, workers: int, out: Path) -> dict:
    from inference import ray_engine

    os.environ[ray_engine.ENV_CPUS] = "1"
    args = Namespace(inputs=[str(corpus)], model=model, format=None, output=None, threshold=None, text_col=None,
                     id_col=None, per_line=False, engine="ray", address=None, out=str(out))
    t0 = time.perf_counter()
    stats = ray_engine.run(args, workers=workers, quiet=True)
    total = time.perf_counter() - t0
    busiest = max(stats.busy_s.values(), default=0.0)
    return {
        "workers": workers,
        "documents": stats.docs,
        "sentences": stats.sentences,
        "job_seconds": round(stats.seconds, 2),
        "seconds_with_ray_start": round(total, 2),
        "sentences_per_s": round(stats.sentences_per_s, 1),
        "scoring_sentences_per_s": round(stats.sentences / busiest, 1) if busiest else None,
        "actors": len(stats.peak_rss_kb),
        "peak_rss_mib": sorted(round(kb / 1024, 1) for kb in stats.peak_rss_kb.values()),
        "busy_s": sorted(round(s, 2) for s in stats.busy_s.values()),
    }


def run_local(corpus: Path, model: str | None) -> dict:
    import torch

    from inference.process_memory import peak_rss_kb
    from inference.reading import Document, iter_documents
    from inference.score_cli import score_document
    from inference.scorer import Scorer

    torch.set_num_threads(1)
    scorer = Scorer.load(model)
    docs = [d for d in iter_documents([str(corpus)]) if isinstance(d, Document)]
    t0 = time.perf_counter()
    n = sum(len(score_document(scorer, d).sentences) for d in docs)
    seconds = time.perf_counter() - t0
    return {"threads": 1, "sentences": n, "seconds": round(seconds, 2), "sentences_per_s": round(n / seconds, 1),
            "peak_rss_mib_this_process": round(peak_rss_kb() / 1024, 1)}


def default_model() -> str:
    from models import default_model_path

    path = default_model_path()
    if not (path / "model.safetensors").is_file():
        fail(f"the shipped default model ({path}) has no model.safetensors; pass --model FOLDER")
    return str(path)


def main() -> None:
    p = ScriptParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", type=model_folder(), help="model folder (default: the shipped default model, if present)")
    p.add_argument("--corpus", type=as_typed(existing_file), help="a JSONL with a text column instead of BABE")
    p.add_argument("--sentences", type=at_least(1), default=2000, help="sentences in the corpus (default 2000)")
    p.add_argument("--per-article", type=at_least(1), default=8, help="BABE sentences per pseudo-article (default 8)")
    p.add_argument("--workers", type=at_least(1), nargs="+", default=[1, 2], help="worker counts to run (default 1 2)")
    p.add_argument("--no-local", action="store_true", help="skip the local-engine baseline")
    p.add_argument("--out", type=output_file, help="results JSON (default benchmarks/results/ray_speed.json, under "
                   "$SLANT_RESULTS_DIR when set, as every benchmark script writes)")
    a = p.parse_args()
    require_modules("ray", install="install the Ray engine's extra: pip install -e '.[ray]'")
    if not a.corpus:  # BABE's sentences: the data root is checked before anything starts
        from training.data_root import resolve_data_root

        resolve_data_root()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    model = str(Path(a.model).resolve()) if a.model else default_model()

    with tempfile.TemporaryDirectory(prefix="ray_speed_") as tmp:
        tmp = Path(tmp)
        corpus = tmp / "corpus.jsonl"
        articles, in_sents = build_corpus(corpus, sentences=a.sentences, per_article=a.per_article, corpus=a.corpus)
        print(f"corpus: {articles} articles, {in_sents} input sentences; model {model}", flush=True)
        runs = []
        for w in a.workers:
            r = run_ray(corpus, model, w, tmp / f"out_{w}")
            runs.append(r)
            print(f"ray, {w} worker(s): {r['sentences']} sentences in {r['job_seconds']} s -> "
                  f"{r['sentences_per_s']} sentences/s (scoring only {r['scoring_sentences_per_s']}/s); "
                  f"peak RSS per worker {r['peak_rss_mib']} MiB", flush=True)
        local = None if a.no_local else run_local(corpus, model)
        if local:
            print(f"local engine, 1 thread: {local['sentences_per_s']} sentences/s", flush=True)

    result = {
        "model": model, "corpus": a.corpus or "babe/final_labels_SG2.csv", "articles": articles,
        "input_sentences": in_sents, "ray": runs, "local": local,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "ray": __import__("ray").__version__},
        "note": "one torch thread per Ray worker; sentences_per_s includes actor start and model load",
    }
    out = Path(a.out or result_path("ray_speed.json"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    run(main)
