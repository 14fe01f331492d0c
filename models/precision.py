"""bf16 autocast where the CPU makes it pay, fp32 elsewhere.

On CPUs with AMX or AVX512-BF16, bf16 matmuls run several times faster than fp32;
on others, bf16 is emulated and slower, so we fall back to fp32.
"""
from __future__ import annotations

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
