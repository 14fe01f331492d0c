"""Resumable training state, stored without pickle.

The optimiser's moment tensors and the RNG state go into a safetensors file;
counters and hyper-parameters into JSON. ``--resume`` rebuilds the run from
``last/`` and continues to the same result as an uninterrupted run.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file

from models.errors import SlantError
from models.model_folder import save_safetensors
from training.weight_average import WeightAverage

STATE = "trainer_state.safetensors"
PROGRESS = "trainer_state.json"


def save_trainer_state(folder: Path, optimizer: torch.optim.Optimizer, progress: dict,
                       average: WeightAverage | None = None, rng_states: list[torch.Tensor] | None = None) -> None:
    """``rng_states``: every rank's generator state in a multi-process run (rank r's as
    ``rng.r``, rank 0's as ``rng``); without it, this process's own."""
    states = rng_states or [torch.get_rng_state()]
    tensors = {"rng": states[0], **{f"rng.{r}": t for r, t in enumerate(states) if r > 0}}
    if average is not None:
        tensors.update({f"average.{k}": v for k, v in average.shadow.items()})
        progress = {**progress, "average_updates": average.updates}
    for gi, group in enumerate(optimizer.param_groups):
        for pi, p in enumerate(group["params"]):
            for key, value in optimizer.state.get(p, {}).items():
                t = value if torch.is_tensor(value) else torch.tensor(value)
                tensors[f"opt.{gi}.{pi}.{key}"] = t.detach().contiguous().clone()
    save_safetensors(tensors, folder / STATE)
    (folder / PROGRESS).write_text(json.dumps(progress, indent=2))


def load_trainer_state(folder: Path, optimizer: torch.optim.Optimizer, average: WeightAverage | None = None,
                       rank: int = 0) -> dict:
    """Restores the optimiser, the weight average and this rank's generator. A rank > 0 whose
    state was not saved (a checkpoint written on a second Ctrl-C, when rank 0 alone saves) keeps
    the generator it has, so its masks after the resume differ from an uninterrupted run's."""
    if not (folder / STATE).is_file() or not (folder / PROGRESS).is_file():
        raise SlantError(f"--resume: no checkpoint in {folder}; start without --resume (or point --out at the interrupted run)")
    tensors = load_file(str(folder / STATE))
    for gi, group in enumerate(optimizer.param_groups):
        for pi, p in enumerate(group["params"]):
            prefix = f"opt.{gi}.{pi}."
            state = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
            if state:
                optimizer.state[p] = state
    key = "rng" if rank == 0 else f"rng.{rank}"
    if key in tensors:
        torch.set_rng_state(tensors[key])
    progress = json.loads((folder / PROGRESS).read_text())
    if average is not None:
        average.shadow = {k.removeprefix("average."): v for k, v in tensors.items() if k.startswith("average.")}
        average.updates = progress.get("average_updates", 0)
    return progress
