"""Training steps per second with torch's dropout against ``FastDropout``, in one process.

    python benchmarks/train_step_speed.py configs/default.yaml [--blocks 8] [--steps 7] [--model.lora_dropout 0 ...]

Why one process and alternating blocks: the 2-core machines lent to this project are shared
VMs whose speed drifts by a fifth within minutes (the same training run measured 1.86 and then
1.50 steps/s), so two separate timed runs compare the machine's moods. Here the same network
takes blocks of ``--steps`` real training batches of the config's data, each block twice in a
row, once per dropout (which goes first alternates), so both see the same batches under the
same conditions; the ratio of the summed times is the figure. Writes
``benchmarks/results/train_step_speed_<config>.json``.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from torch import nn

from models.encoders import load_tokenizer
from models.fast_dropout import FastDropout
from models.framing_model import FramingModel
from save_result import save_result  # benchmarks/save_result.py
from training import train as T
from training.config import load_config, parse_dotted_flags
from training.features import collate
from training.loop import COLUMNS, epoch_batches, make_optimizer, train_step


def cpu_name() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return "unknown"
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "unknown")


def batches_of(cfg, n: int):
    """The model and optimiser ``slant train`` would build, and the first ``n`` batches of its first epoch."""
    torch.manual_seed(cfg.train.seed)
    data = T.make_data(cfg)
    arch = T.architecture(cfg, typed_spans=T.has_typed_spans(data.train, data.untyped_sources))
    model = FramingModel.build(arch)
    encoded = T.encoded_training_rows(data, load_tokenizer(arch.base), arch, cfg.data.eval_source_repeat)
    lengths = [len(x) for x in encoded["input_ids"]]
    order = epoch_batches(encoded, cfg.train.batch_size, cfg.train.seed, 0, 0, 1, lengths)
    rows = encoded.select_columns(COLUMNS)
    optimizer = make_optimizer(model, cfg.train)
    for group in optimizer.param_groups:
        group["lr"] = group["base_lr"] * 0.5
    return model, optimizer, [collate([rows[j] for j in idx]) for idx in order[:n]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("config")
    ap.add_argument("--blocks", type=int, default=8)
    ap.add_argument("--steps", type=int, default=7, help="training steps per block")
    ap.add_argument("--threads", type=int, default=2)
    args, overrides = ap.parse_known_args()
    torch.set_num_threads(args.threads)
    cfg = load_config(args.config, parse_dotted_flags(overrides))
    warm = 4
    model, optimizer, batches = batches_of(cfg, warm + args.blocks * args.steps)
    dropouts = [m for m in model.modules() if type(m) is nn.Dropout]
    for batch in batches[:warm]:
        train_step(model, optimizer, batch, cfg.train, False)
    seconds = {"torch": [], "fast": []}
    for block in range(args.blocks):
        chunk = batches[warm + block * args.steps: warm + (block + 1) * args.steps]
        order = [("torch", nn.Dropout), ("fast", FastDropout)]
        for name, cls in order if block % 2 == 0 else order[::-1]:
            for m in dropouts:
                m.__class__ = cls  # same module, same p: only how the mask is drawn changes
            start = time.perf_counter()
            for batch in chunk:
                train_step(model, optimizer, batch, cfg.train, False)
            seconds[name].append(round(time.perf_counter() - start, 3))
    steps = args.blocks * args.steps
    result = {
        "config": args.config, "overrides": overrides, "threads": args.threads, "cpu": cpu_name(),
        "dropout_modules": len(dropouts), "lora_dropout": cfg.model.lora_dropout, "steps_each": steps,
        "torch_steps_per_s": round(steps / sum(seconds["torch"]), 3),
        "fast_steps_per_s": round(steps / sum(seconds["fast"]), 3),
        "speedup": round(sum(seconds["torch"]) / sum(seconds["fast"]), 3),
        "block_seconds": seconds,
        "torch": torch.__version__,
    }
    print(json.dumps(result, indent=2))
    print(f"wrote {save_result(f'train_step_speed_{Path(args.config).stem}.json', result)}")


if __name__ == "__main__":
    main()
