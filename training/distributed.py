"""Distributed data parallel training on CPU with the standard PyTorch tooling.

``torchrun --nproc_per_node 2 -m inference.cli train CONFIG`` sets ``WORLD_SIZE``;
each process then trains on its share of every epoch's batches (see
``loop.epoch_batches``) with gradients averaged by DDP over the gloo backend, and
only rank 0 writes checkpoints, metrics and the final model.
"""
from __future__ import annotations

import os

import torch
import torch.distributed as dist


def init_distributed() -> tuple[int, int]:
    """(rank, world size); (0, 1) when not launched by torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1
    if not dist.is_initialized():
        dist.init_process_group(backend="gloo")
    return dist.get_rank(), world


def wrap_for_training(model: torch.nn.Module, world: int) -> torch.nn.Module:
    if world <= 1:
        return model
    # heads without a loss on some batches (token head on span-less rows) have no gradient there
    return torch.nn.parallel.DistributedDataParallel(model, find_unused_parameters=True)


def barrier(world: int) -> None:
    if world > 1:
        dist.barrier()


def shutdown(world: int) -> None:
    if world > 1 and dist.is_initialized():
        dist.destroy_process_group()
