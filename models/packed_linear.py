"""Linear layers with their weights pre-packed in oneDNN's blocked layout, for scoring.

Why: ``nn.Linear`` hands oneDNN a plain weight matrix, which it re-lays out on every call.
Packing each weight once, when the scorer builds its network, made the encoder's linear
layers 10-20% faster on this CPU, in bf16 (AVX512-BF16) and in fp32 alike, and scoring about
9-11% faster end to end (``benchmarks/score_speed.py``). The ops are the ones torch's own
compiler (inductor) emits for frozen CPU graphs; they are not public API, so packing checks
itself on a small input and the network keeps plain ``nn.Linear`` layers wherever that check
fails.
"""
from __future__ import annotations

import functools

import torch
from torch import nn
from torch.nn import functional as F

_PACK_HINT = 4096
"""Rows (word pieces) per call the packed layout is tuned for: the scorer's token budget."""


class PackedLinear(nn.Module):
    """Inference-only ``nn.Linear`` over a pre-packed weight (no gradients, no state dict)."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None):
        super().__init__()
        self.out_features = weight.shape[0]
        self.dtype = weight.dtype
        self.packed = torch.ops.mkldnn._reorder_linear_weight(weight.detach(), _PACK_HINT)
        self.bias = None if bias is None else bias.detach()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # oneDNN wants input and weight in one dtype; under autocast an fp32 layer may get bf16
        flat = x.reshape(-1, x.shape[-1]).to(self.dtype)
        out = torch.ops.mkldnn._linear_pointwise(flat, self.packed, self.bias, "none", [], "")
        return out.view(*x.shape[:-1], self.out_features)


@functools.cache
def packs_correctly(dtype: torch.dtype = torch.bfloat16) -> bool:
    """Whether this torch build and CPU can run ``PackedLinear`` and it matches ``F.linear``:
    checked once per dtype and process (the framing and stance networks both ask).
    Plain tensors, no ``nn.Linear``: building one on the meta device imports torch._dynamo
    (0.3 s of cold start), and on the CPU it would draw from the global RNG."""
    try:
        rng = torch.Generator().manual_seed(0)
        weight, bias, x = (torch.randn(*shape, generator=rng).to(dtype) for shape in ((48, 64), (48,), (2, 5, 64)))
        with torch.inference_mode():
            out = PackedLinear(weight, bias)(x).float()
            return bool(torch.allclose(out, F.linear(x, weight, bias).float(), atol=0.05, rtol=0.02))
    except (RuntimeError, AttributeError, NotImplementedError):
        return False


def pack_linear_layers(model: nn.Module, within: type[nn.Module]) -> int:
    """Replace, in place, every ``nn.Linear`` inside ``within`` modules of ``model`` (the
    encoder; the small heads are left alone) by a ``PackedLinear``. Returns how many were
    packed: 0 where this build cannot pack (see ``packs_correctly``)."""
    encoders = [m for m in model.modules() if isinstance(m, within)]
    if not encoders or not packs_correctly(next(encoders[0].parameters()).dtype):
        return 0
    count = 0
    for encoder in encoders:
        for parent in list(encoder.modules()):
            for name, child in list(parent.named_children()):
                if isinstance(child, nn.Linear):
                    setattr(parent, name, PackedLinear(child.weight, child.bias))
                    count += 1
    return count
