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
