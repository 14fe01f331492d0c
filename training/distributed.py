"""Data-parallel training on CPU: several processes, one share of every batch each.

Why: on a 2-core CPU one process with two intra-op threads does about 1.3x the work of one
thread (small matrices, many element-wise ops), while two one-thread processes do about 1.6x.
``train.processes 2`` (or ``torchrun --nproc_per_node 2 -m inference.cli train CONFIG``)
runs the same recipe that way: ``train.batch_size`` stays the global batch, each rank takes
every world-th row of it (``loop.epoch_batches``), so the steps, the rows of each step and
the learning-rate schedule are those of one process. After the backward pass the ranks'
gradients are averaged in one all-reduce of one flat buffer over gloo (3-4 ms for the
default's 0.67 M trainable numbers); only rank 0 writes checkpoints, metrics and the model.
``training/launch.py`` starts the processes for ``train.processes``.
"""
from __future__ import annotations

import os

import torch
import torch.distributed as dist


def init_distributed() -> tuple[int, int]:
    """(rank, world size); (0, 1) when not launched by torchrun or ``launch.spawn_training``."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1
    if not dist.is_initialized():
        dist.init_process_group(backend="gloo")
    return dist.get_rank(), world


def average_gradients(params: list[torch.Tensor], world: int, stop: bool = False) -> bool:
    """Replace each parameter's gradient by its mean over the ranks, in one all-reduce. A rank
    without a gradient for a parameter (a head whose task is absent from its rows) adds zero;
    a parameter no rank has a gradient for keeps none, so AdamW skips it as one process would.
    ``stop``: this rank's Ctrl-C request (``training/stop_request.py``), carried in the same
    buffer; returns whether any rank asked, so all of them stop after the same step."""
    if world <= 1:
        return stop
    has = torch.tensor([float(p.grad is not None) for p in params] + [float(stop)])
    flat = torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1) for p in params] + [has])
    dist.all_reduce(flat)
    flat /= world
    *present, some_rank_stops = flat[len(flat) - len(params) - 1:].tolist()
    offset = 0
    for p, some_rank_has_it in zip(params, present):
        p.grad = flat[offset:offset + p.numel()].view_as(p) if some_rank_has_it else None
        offset += p.numel()
    return some_rank_stops > 0


def global_shares(counts: torch.Tensor, world: int) -> torch.Tensor | None:
    """Per task, ``world`` times this rank's share of the whole batch's labelled items (None for
    one process). A rank's task loss is a mean over its own rows or word pieces; scaled by this,
    the averaged gradient is that of the mean over the whole batch, as one process computes it,
    however the items fall between the ranks (without it, the items of a rank with fewer count
    more, and a task only one rank has in a step is halved). One all-reduce of a few numbers."""
    if world <= 1:
        return None
    total = counts.clone()
    dist.all_reduce(total)
    return shares_of(counts, total, world)


def shares_of(counts: torch.Tensor, total: torch.Tensor, world: int) -> torch.Tensor:
    """``world`` x counts / total per task, 0 where the whole batch has none."""
    return torch.where(total > 0, counts * world / total.clamp(min=1), torch.zeros_like(counts))


def rank_rng_states(world: int) -> list[torch.Tensor]:
    """Every rank's torch RNG state (on every rank), so ``last/`` can resume each rank's own
    dropout masks. Called by all ranks at the same point."""
    mine = torch.get_rng_state()
    if world <= 1:
        return [mine]
    states = [torch.empty_like(mine) for _ in range(world)]
    dist.all_gather(states, mine)
    return states


def barrier(world: int) -> None:
    if world > 1:
        dist.barrier()


def shutdown(world: int) -> None:
    if world > 1 and dist.is_initialized():
        dist.destroy_process_group()
