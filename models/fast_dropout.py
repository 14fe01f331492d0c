"""Dropout whose random mask is drawn by NumPy instead of torch's CPU generator.

Why: torch draws a CPU dropout mask one Bernoulli sample at a time from its Mersenne
Twister. Profiling the default training run on a 2-core CPU put ``aten::bernoulli_`` at a
third of each step with LoRA's dropout on (more than ``aten::mm``), and at an eighth without
it. NumPy's PCG64 (its default generator) fills the same mask several times faster. The masks
keep dropout's meaning (each unit dropped with probability ``p``, the rest scaled so the
expectation is unchanged), and each one is seeded by a single draw from torch's generator, so
``torch.manual_seed`` and a checkpoint's saved torch RNG state still fix every mask:
``--resume`` reaches the same weights.

The mask is applied as one multiplication by a float32 tensor holding 0 or the scale, built in
one NumPy pass: multiplying by the boolean mask and then by the scale cost three passes each way
(torch casts the boolean mask to float in a copy first), when the masks were about a tenth of a
training step. The products are the same numbers (``x * 1 * s`` and ``x * s`` round alike), so
the weights are too. The price is memory: the saved mask takes four bytes a unit instead of one,
about 150 MB more at the default's batches. bf16 activations keep the two-step form, where the
scale would otherwise be rounded to bf16 first.

Training uses it when the config asks (``train.fast_dropout: true``; off by default, see its
docstring in ``training/config.py`` for why); in eval mode it is the identity, as
``nn.Dropout`` is. Attention-probability dropout stays inside torch's attention kernel, which
reads the module's ``p`` and never calls the module.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

_LEVELS = 1 << 16
"""Masks compare 16-bit draws with a cut: ``p`` is kept to 1/65,536."""


def keep_mask(shape: torch.Size, p: float) -> tuple[torch.Tensor, float]:
    """A boolean mask keeping each element with probability 1 - p (p rounded to 1/65,536) and
    the scale 1 / (1 - p) for that rounded p, so kept values keep their expectation."""
    cut = round(p * _LEVELS)
    seed = int(torch.randint(0, 2 ** 62, (1,)).item())
    draws = np.random.Generator(np.random.PCG64(seed)).integers(0, _LEVELS, size=tuple(shape), dtype=np.uint16)
    keep = torch.from_numpy(draws >= cut)
    return keep, _LEVELS / (_LEVELS - cut)


def scaled_mask(shape: torch.Size, p: float) -> torch.Tensor:
    """``keep_mask``'s mask as float32 values 0 or 1 / (1 - p), drawn from the same generator
    state (so the same units are dropped)."""
    keep, scale = keep_mask(shape, p)
    return torch.from_numpy(np.multiply(keep.numpy(), np.float32(scale), dtype=np.float32))


class _ScaledMask(torch.autograd.Function):
    """``x * keep * scale``; saves only the boolean mask for the backward pass (as torch's dropout does)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, keep: torch.Tensor, scale: float) -> torch.Tensor:
        ctx.save_for_backward(keep)
        ctx.scale = scale
        return x.mul(keep).mul_(scale)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (keep,) = ctx.saved_tensors
        return grad.mul(keep).mul_(ctx.scale), None, None


class FastDropout(nn.Dropout):
    """``nn.Dropout`` with the mask drawn by ``keep_mask`` (same ``p``, same training/eval switch)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0 or x.numel() == 0:
            return x
        if self.p >= 1.0:
            return x.mul(0.0)
        if x.dtype == torch.float32:
            # plain autograd: the mask needs no gradient, so ``mul`` saves only the mask
            return x * scaled_mask(x.shape, self.p).to(x.device)
        keep, scale = keep_mask(x.shape, self.p)
        return _ScaledMask.apply(x, keep.to(x.device), scale)


def use_fast_dropout(module: nn.Module) -> int:
    """Swap every ``nn.Dropout`` inside ``module`` for a ``FastDropout`` of the same ``p`` (in
    place; no weights change). Returns how many were swapped."""
    swapped = 0
    for parent in list(module.modules()):
        for name, child in list(parent.named_children()):
            if type(child) is nn.Dropout:
                fast = FastDropout(child.p, inplace=False)
                fast.train(child.training)
                setattr(parent, name, fast)
                swapped += 1
    return swapped
