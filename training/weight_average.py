"""An exponential moving average of the trainable weights (Polyak averaging).

Fine-tuning on a few thousand sentences ends wherever the last noisy batches left
the weights; the average over the last few hundred steps sits nearer the middle of
that region. The average is what gets evaluated and saved as ``best/``.
"""
from __future__ import annotations

from contextlib import contextmanager

import torch
from torch import nn


class WeightAverage:
    def __init__(self, decay: float):
        self.decay = decay
        self.updates = 0
        self.shadow: dict[str, torch.Tensor] = {}

    @staticmethod
    def _trainable(model: nn.Module) -> list[tuple[str, nn.Parameter]]:
        return [(n, p) for n, p in model.named_parameters() if p.requires_grad]

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Fold the current weights in; early on the decay is smaller ((1 + t) / (10 + t)),
        so the average does not remember the untrained start for long."""
        self.updates += 1
        d = min(self.decay, (1 + self.updates) / (10 + self.updates))
        for name, p in self._trainable(model):
            if name not in self.shadow:
                self.shadow[name] = p.detach().float().clone()
            else:
                self.shadow[name].mul_(d).add_(p.detach().float(), alpha=1 - d)

    @contextmanager
    def applied(self, model: nn.Module):
        """The averaged weights in place for the ``with`` block; the raw ones restored after."""
        if not self.shadow:
            yield
            return
        saved = {}
        with torch.no_grad():
            for name, p in self._trainable(model):
                saved[name] = p.detach().clone()
                p.copy_(self.shadow[name].to(p.dtype))
        try:
            yield
        finally:
            with torch.no_grad():
                for name, p in self._trainable(model):
                    p.copy_(saved[name])
