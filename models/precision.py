"""bf16 where the CPU makes it pay, fp32 elsewhere.

Without AMX or AVX512-BF16, bf16 is emulated and slower, so those CPUs run fp32. With
them it usually pays, but not always: on one 2-core AMD EPYC with AVX512-BF16 the
scorer ran 1.7x faster in bf16 than in fp32, while on a 2-core Intel Xeon with the
same flag it ran 1.45x *slower* (160 against 233 sentences/s, and 85 against 131-165
GFLOP/s for MiniLM's matmul shapes). So "auto" measures: one matmul of MiniLM's
feed-forward shape in both dtypes, in CPU time on one thread so that other processes do
not sway it (about 30 ms, once per process), and bf16 must be clearly faster. Training uses autocast (fp32 master weights); scoring runs a copy
of the network with bf16 weights, which skips autocast's per-op casts and halves
the memory traffic (benchmarks/score_speed.py measures both against fp32).
"""
from __future__ import annotations

import copy
import functools
import os
import time
from pathlib import Path

import torch


@functools.cache
def cpu_has_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


BF16_MARGIN = 0.9
"""bf16 is used by "auto" only if its matmul takes under this share of the fp32 one's time."""


@functools.cache
def bf16_pays() -> bool:
    """True when this CPU has bf16 instructions and a bf16 matmul of MiniLM's feed-forward
    shape (256 x 384 -> 1,536) beats fp32 by the margin (:func:`_matmul_seconds`).
    Call it after :func:`bound_onednn_caches` (it runs oneDNN ops)."""
    if not cpu_has_bf16():
        return False
    return _matmul_seconds(torch.bfloat16) < BF16_MARGIN * _matmul_seconds(torch.float32)


def _matmul_seconds(dtype: torch.dtype, rows: int = 256, width: int = 384, out: int = 1536, repeats: int = 3) -> float:
    """CPU seconds of one ``rows x width -> out`` linear in ``dtype`` on one thread, best of ``repeats``.

    Why CPU time on one thread rather than wall time on all of them: on a machine where anything
    else runs (a training job, a second scorer), wall time includes whatever slices the OS gave
    away, and that noise is larger than the difference being measured. On the 2-core Xeon beside
    two training processes, the earlier wall-clock check chose bf16 in 3 of 6 fresh processes
    (the fp32 matmul took 2.1 ms or 12.0 ms, depending on preemption), so the same command ran at
    different speeds and with scores up to 0.008 apart. The calling thread's CPU time leaves out
    preemption: bf16 against fp32 measured 1.6-2.2x in six fresh processes under the same load.
    The ratio is per core, and both dtypes use the same cores, so it carries over to more threads.
    """
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(rows, width, generator=gen).to(dtype)
    w = torch.randn(out, width, generator=gen).to(dtype)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.no_grad():
            torch.nn.functional.linear(x, w)  # warm-up: oneDNN builds its kernel on the first call
            best = float("inf")
            for _ in range(repeats):
                start = time.thread_time()
                torch.nn.functional.linear(x, w)
                best = min(best, time.thread_time() - start)
    finally:
        torch.set_num_threads(threads)
    return best


def use_bf16(setting: str) -> bool:
    """``setting`` is "auto" (bf16 where :func:`bf16_pays`), "on" or "off"."""
    return setting == "on" or (setting == "auto" and bf16_pays())


def autocast(enabled: bool):
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=enabled)


def bf16_network(model: torch.nn.Module) -> torch.nn.Module:
    """An inference copy of ``model`` with bf16 weights (the original is left as it is)."""
    return copy.deepcopy(model).to(torch.bfloat16).eval()


ONEDNN_CACHE_ENTRIES = "64"
"""Cached oneDNN primitives per cache (the libraries' default is 1,024)."""


LIBRARY_DEFAULT_CACHE_ENTRIES = "1024"
"""oneDNN's and ideep's own cache size, for benchmarks that time a route as the libraries ship it."""


def bound_onednn_caches() -> None:
    """Cap oneDNN's primitive cache and torch's ideep cache before the first oneDNN op.

    Why: both keep one compiled primitive per input shape, about 0.5 MB each, up to 1,024
    entries. Scoring article after article meets a new (sentences, word pieces) shape at almost
    every call, so a long ``slant score`` run grew past 1 GB (1.3 GB after 500 eight-sentence
    articles, still rising) while one batch needs a few dozen primitives. With 64 entries it
    levels off near 570 MB at the same speed (``benchmarks/score_memory.py``). Training meets
    a new shape with every batch too: 200 steps of ``configs/default.yaml`` peaked at 2.7 GB
    instead of 3.9 GB, with bit-identical weights. ``Scorer.load`` and ``train`` call this.
    Both libraries read these variables when their cache is first used, so this works after
    ``import torch`` but not after a oneDNN op has run; values a user has set are kept.
    """
    for name in ("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "LRU_CACHE_CAPACITY"):
        os.environ.setdefault(name, ONEDNN_CACHE_ENTRIES)
