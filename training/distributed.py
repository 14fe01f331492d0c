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


def average_gradients(params: list[torch.Tensor], world: int, stop: bool = False,
                      loss: float = 0.0) -> tuple[bool, float]:
    """Replace each parameter's gradient by its mean over the ranks, in one all-reduce. A rank
    without a gradient for a parameter (a head whose task is absent from its rows) adds zero;
    a parameter no rank has a gradient for keeps none, so AdamW skips it as one process would.
    ``stop``: this rank's Ctrl-C request (``training/stop_request.py``) and ``loss``: its loss,
    both carried in the same buffer. Returns whether any rank asked to stop, so all of them
    stop after the same step, and the ranks' mean loss: the whole batch's, which the
    progress bar shows (``batch_denominators`` makes each rank's a part of it)."""
    if world <= 1:
        return stop, loss
    has = torch.tensor([float(p.grad is not None) for p in params] + [float(stop), loss])
    flat = torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1) for p in params] + [has])
    dist.all_reduce(flat)
    flat /= world
    *present, some_rank_stops, mean_loss = flat[len(flat) - len(params) - 2:].tolist()
    offset = 0
    for p, some_rank_has_it in zip(params, present):
        p.grad = flat[offset:offset + p.numel()].view_as(p) if some_rank_has_it else None
        offset += p.numel()
    return some_rank_stops > 0, mean_loss


def batch_denominators(counts: torch.Tensor, world: int) -> torch.Tensor:
    """Per task, the whole batch's labelled items (this rank's ``counts`` summed over the ranks)
    over ``world``: what each rank divides its summed task loss by (``loop.compute_loss``), so
    the averaged gradient is that of the mean over the whole batch, as one process computes it,
    however the items fall between the ranks (a mean over each rank's own items would let the
    items of a rank with fewer count more, and halve a task only one rank has in a step).
    One all-reduce of four numbers, which every rank makes every step."""
    total = counts.clone()
    dist.all_reduce(total)
    return total / world


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
