"""Scoring speed: Slant's scorer against ``transformers.pipeline("text-classification")`` on the same weights.

Scores ≥ 2,000 real news sentences (BABE + PTC lines from the data root) with:
- the Slant scorer (length-bucketed batches, merged LoRA, a bf16-weight copy of the network
  where the CPU has AVX512-BF16/AMX), with and without the span head, with and without
  targets + stance (named-entity recognition and one stance pass per target), in fp32, in
  bf16 autocast over the fp32 weights (the route bf16 weights replaced), and int8;
- the stock pipeline (fp32, its default batch size 1, and batch size 32) over a thin
  ``PreTrainedModel`` wrapper around the very same network, each in a fresh process with
  oneDNN's caches at the libraries' defaults (the scorer caps them for its process).
Prints sentences/s, the ratios and the largest score differences, and writes
``benchmarks/results/score_speed.json``. Cold start and peak RSS of ``slant score`` on a
short article are measured in fresh processes. Each route is timed ``--repeats`` times (3) and
its fastest run kept; cold start reports the median.

    python benchmarks/score_speed.py [--model DIR] [--n 2000] [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from inference.process_memory import children_peak_kb
from models import default_model_path
from training.data_root import resolve_data_root

from save_result import save_result  # benchmarks/save_result.py
from script_args import ScriptParser, as_typed, at_least, model_folder, result_name, run, stance_folder

ROOT = Path(__file__).resolve().parent.parent


def news_sentences(n: int) -> list[str]:
    from training.data import load_source  # here: importing this module stays cheap for the scripts that share it

    root = resolve_data_root("")
    texts = list(load_source("babe", root)["text"]) + list(load_source("ptc", root)["text"])
    rng = np.random.default_rng(0)
    return [texts[i] for i in rng.permutation(len(texts))[:n]]


REPEATS = 3
"""Every route is timed this many times and its fastest run kept (as ``timeit`` does): this
machine is shared, and a single run of a route can be 20% slow."""


def timed(fn, *args):
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - start)
    return out, best


def pipeline_scores(folder: Path, sentences: list[str], batch_size: int) -> tuple[np.ndarray, float]:
    """The stock HF pipeline over the same weights, loaded the transformers way (BertModel + merged LoRA)."""
    from transformers import BertConfig, PreTrainedModel, pipeline
    from transformers.modeling_outputs import SequenceClassifierOutput

    from transformers.utils import logging as hf_logging

    from models.model_folder import load_model

    hf_logging.set_verbosity(hf_logging.CRITICAL)  # the pipeline logs an error that it does not know our wrapper class
    loaded = load_model(folder)
    net = loaded.model
    temperature = loaded.temperature

    class Wrapped(PreTrainedModel):
        config_class = BertConfig

        def __init__(self, config):
            super().__init__(config)
            self.net = net

        def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, **kwargs):
            logits = self.net(input_ids, attention_mask)["logits"] / temperature
            return SequenceClassifierOutput(logits=logits)

    cfg = BertConfig(**{**net.encoder.config.to_dict(), "id2label": {0: "neutral", 1: "framing"},
                        "label2id": {"neutral": 0, "framing": 1}})
    model = Wrapped(cfg).eval()
    pipe = pipeline("text-classification", model=model, tokenizer=loaded.tokenizer, device=-1, top_k=None)
    out, seconds = timed(lambda: pipe(sentences, batch_size=batch_size, truncation=True, max_length=loaded.arch.max_length))
    probs = np.array([next(d["score"] for d in row if d["label"] == "framing") for row in out])
    return probs, seconds


def pipeline_in_fresh_process(folder: Path, n: int, batch_size: int) -> tuple[np.ndarray, float]:
    """``pipeline_scores`` in a child process with oneDNN's caches at the libraries' defaults:
    the scorer caps them (``models.precision.bound_onednn_caches``) for the whole process, and
    the pipeline, which meets a new shape with almost every batch-1 call, must run as it comes."""
    from models.precision import LIBRARY_DEFAULT_CACHE_ENTRIES

    env = {**os.environ, "ONEDNN_PRIMITIVE_CACHE_CAPACITY": LIBRARY_DEFAULT_CACHE_ENTRIES,
           "LRU_CACHE_CAPACITY": LIBRARY_DEFAULT_CACHE_ENTRIES}
    cmd = [sys.executable, __file__, "--pipeline-worker", str(batch_size), "--n", str(n), "--model", str(folder),
           "--repeats", str(REPEATS)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"pipeline run failed: {out.stderr[-300:]}")
    row = json.loads(out.stdout.strip().splitlines()[-1])
    return np.array(row["probs"]), row["seconds"]


def cold_start(model: Path | None, *extra: str) -> dict:
    """Median wall time of REPEATS fresh ``slant score`` processes on the seed article, all times
    listed, and the peak RSS."""
    article = ROOT / "seeds" / "000_791fc19b09277c11.txt"
    # the console script a user runs (`python -m inference.cli` measured 0.3-0.4 s slower)
    script = Path(sys.executable).with_name("slant")
    launcher = [str(script)] if script.is_file() else [sys.executable, "-m", "inference.cli"]
    cmd = [*launcher, "score", str(article), "--format", "jsonl", "-o", os.devnull, *extra]
    if model:
        cmd += ["--model", str(model)]
    runs, child_kb = [], 0
    for _ in range(REPEATS):
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        while proc.poll() is None:  # the forked NER child (inference.ner_process) is never waited for
            child_kb = max(child_kb, children_peak_kb(proc.pid))
            time.sleep(0.02)
        if proc.returncode:
            raise SystemExit(f"slant score failed: {proc.stderr.read().decode()[-300:]}")
        runs.append(round(time.perf_counter() - start, 2))
    return {"seconds": float(np.median(runs)), "runs": runs,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
            "ner_child_peak_rss_mb": round(child_kb / 1024, 1)}


def stance_model(text: str) -> str:
    """``--stance-model``: "default" (the shipped one) or a stance model folder, kept as typed for ``slant score``."""
    return text if text == "default" else as_typed(stance_folder())(text)


def main() -> None:
    ap = ScriptParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=model_folder(), default=None)
    ap.add_argument("--n", type=at_least(1), default=2000)
    ap.add_argument("--stance-model", type=stance_model, default="default",
                    help="stance model for the targets run (default: the shipped one)")
    ap.add_argument("--repeats", type=at_least(1), default=3, help="timings per route; the fastest is kept (cold start: the median)")
    ap.add_argument("--result", type=result_name, default="score_speed.json", help="file name under benchmarks/results/")
    ap.add_argument("--pipeline-worker", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    resolve_data_root("")  # news_sentences reads BABE and PTC from it
    # the heavy imports, after the arguments are checked; all of them before the cold starts, as when
    # they sat at the top of this file (a child's peak RSS can count the parent's pages)
    import torch

    import models.precision  # noqa: F401
    import training.data  # noqa: F401
    from inference.scorer import Scorer

    global REPEATS
    REPEATS = max(1, args.repeats)
    if args.pipeline_worker is not None:  # the child of pipeline_in_fresh_process
        probs, seconds = pipeline_scores(args.model, news_sentences(args.n), args.pipeline_worker)
        print(json.dumps({"probs": probs.tolist(), "seconds": seconds}))
        return
    folder = args.model or default_model_path()
    # first, while this process is small: a forked child's peak RSS counts the parent's pages too
    # smaller first: RUSAGE_CHILDREN keeps the largest child's peak so far
    cold_no_targets = cold_start(args.model, "--no-targets")
    cold = cold_start(args.model, "--stance-model", args.stance_model)
    sentences = news_sentences(args.n)
    n = len(sentences)
    res: dict = {"sentences": n, "threads": torch.get_num_threads(), "model": str(folder), "cold_start": cold,
                 "cold_start_no_targets": cold_no_targets}

    full = Scorer.load(folder, stance_model=args.stance_model)  # everything on: spans, and targets + stance when the model has a stance head
    full.score_sentences(sentences[:64])  # warm-up (loads the NER pipeline too)
    full_recs, t_full = timed(full.score_sentences, sentences)
    pairs = sum(len(r.targets) for r in full_recs)
    res["slant_with_targets"] = {"sent_per_s": n / t_full, "targets_available": full.targets_available,
                                 "sentences_with_targets": sum(bool(r.targets) for r in full_recs), "targets": pairs}
    fast = Scorer.load(folder, targets=False)  # framing + spans: the pipeline's task plus highlights
    fast.score_sentences(sentences[:64])
    recs, t_fast = timed(fast.score_sentences, sentences)
    res["slant"] = {"sent_per_s": n / t_fast, "bf16": fast.bf16, "spans": fast.spans_available}
    no_spans = Scorer.load(folder, spans=False, targets=False)
    _, t_ns = timed(no_spans.score_sentences, sentences)
    res["slant_no_spans"] = {"sent_per_s": n / t_ns}
    fp32 = Scorer.load(folder, precision="fp32", targets=False)
    recs32, t32 = timed(fp32.score_sentences, sentences)
    res["slant_fp32"] = {"sent_per_s": n / t32}
    # fp32 weights, bf16 matmuls: the earlier route. Its network stays unpacked (packed fp32
    # layers would run in fp32 under autocast), as that route ran before packing existed
    ac = Scorer.load(folder, precision="fp32", targets=False)
    ac.use_network(ac.loaded.model)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        ac.score_sentences(sentences[:64])
        recs_ac, t_ac = timed(ac.score_sentences, sentences)
    s_ac = np.array([r.score for r in recs_ac])
    int8 = Scorer.load(folder, precision="int8", targets=False)
    int8.score_sentences(sentences[:64])
    recs8, t8 = timed(int8.score_sentences, sentences)
    s_8 = np.array([r.score for r in recs8])
    s_fast = np.array([r.score for r in recs])
    s_32 = np.array([r.score for r in recs32])
    res["max_abs_diff_bf16_vs_fp32"] = float(np.abs(s_fast - s_32).max())
    res["mean_abs_diff_bf16_vs_fp32"] = float(np.abs(s_fast - s_32).mean())
    res["label_agreement_bf16_vs_fp32"] = float(np.mean((s_fast >= fast.threshold) == (s_32 >= fast.threshold)))
    res["slant_bf16_autocast"] = {"sent_per_s": n / t_ac, "max_abs_diff_vs_fp32": float(np.abs(s_ac - s_32).max())}
    res["speedup_bf16_weights_vs_autocast"] = res["slant"]["sent_per_s"] / res["slant_bf16_autocast"]["sent_per_s"]
    res["slant_int8"] = {"sent_per_s": n / t8, "max_abs_diff_vs_fp32": float(np.abs(s_8 - s_32).max()),
                         "mean_abs_diff_vs_fp32": float(np.abs(s_8 - s_32).mean()),
                         "label_agreement_vs_fp32": float(np.mean((s_8 >= fast.threshold) == (s_32 >= fast.threshold)))}

    for bs in (1, 32):
        probs, t_pipe = pipeline_in_fresh_process(folder, args.n, bs)
        res[f"pipeline_bs{bs}"] = {"sent_per_s": n / t_pipe, "max_abs_diff_vs_slant_fp32": float(np.abs(probs - s_32).max())}
    res["speedup_vs_pipeline_default"] = res["slant"]["sent_per_s"] / res["pipeline_bs1"]["sent_per_s"]
    res["speedup_vs_pipeline_bs32"] = res["slant"]["sent_per_s"] / res["pipeline_bs32"]["sent_per_s"]
    res["span_head_cost"] = res["slant_no_spans"]["sent_per_s"] / res["slant"]["sent_per_s"] - 1
    res["targets_and_stance_cost"] = res["slant"]["sent_per_s"] / res["slant_with_targets"]["sent_per_s"] - 1
    for k, v in res.items():
        print(f"{k}: {v}")
    print(f"wrote {save_result(args.result, res)}")


if __name__ == "__main__":
    run(main)
