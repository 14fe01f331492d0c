"""Length-sorted batches under a token budget: the one batching rule of every forward pass.

Rows are visited shortest first, so a batch pads to nearly one width; a batch
closes when one more row would pass ``token_budget`` padded tokens or
``max_batch`` rows.
"""
from __future__ import annotations

from typing import Iterator

import torch


def length_batches(widths: list[int], token_budget: int = 4096, max_batch: int = 128) -> Iterator[list[int]]:
    order = sorted(range(len(widths)), key=lambda k: widths[k])
    batch: list[int] = []
    for k in order:
        if batch and ((len(batch) + 1) * widths[k] > token_budget or len(batch) >= max_batch):
            yield batch
            batch = []
        batch.append(k)
    if batch:
        yield batch


def pad_batch(rows: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Word-piece ids padded with 0 to the longest row, and the attention mask."""
    width = max(len(r) for r in rows)
    ids = torch.zeros((len(rows), width), dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = torch.tensor(r)
        mask[i, :len(r)] = 1
    return ids, mask
