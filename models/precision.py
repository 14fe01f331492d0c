"""bf16 where the CPU makes it pay, fp32 elsewhere.

On CPUs with AMX or AVX512-BF16, bf16 matmuls run several times faster than fp32;
on others, bf16 is emulated and slower, so we fall back to fp32. Training uses
autocast (fp32 master weights); scoring runs a copy of the network with bf16
weights, which skips autocast's per-op casts and halves the memory traffic
(benchmarks/score_speed.py measures both against fp32).
"""
from __future__ import annotations

import copy
import functools
import os
from pathlib import Path

import torch


@functools.cache
def cpu_has_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def use_bf16(setting: str) -> bool:
    """``setting`` is "auto", "on" or "off"."""
    return setting == "on" or (setting == "auto" and cpu_has_bf16())


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
