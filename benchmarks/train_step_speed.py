"""Training steps per second of recipe variants that change only the work, not the weights' shapes, in one process.

    python benchmarks/train_step_speed.py configs/default.yaml [--variants config,fast_dropout,lora_dropout_0,frozen_1]
        [--blocks 8] [--steps 7] [--model.lora_dropout 0 ...]

Variants, each applied to the same network between blocks: ``config`` (as the config says),
``fast_dropout`` (masks drawn by ``FastDropout``), ``lora_dropout_0`` (LoRA's input dropout
off), ``frozen_N`` (the adapters of the first N layers frozen, which is what
``model.lora_frozen_layers N`` trains: the backward pass stops above them); ``+`` combines them
(``lora_dropout_0+frozen_1``).

Why one process and alternating blocks: the 2-core machines lent to this project are shared
VMs whose speed drifts by a fifth within minutes (the same training run measured 1.86 and then
1.50 steps/s), so two separate timed runs compare the machine's moods. Here the same network
takes blocks of ``--steps`` real training batches of the config's data, each block once per
variant in a row (which goes first rotates), so all see the same batches under the same
conditions; the ratio of the summed times to the first variant's is the figure. Writes
``benchmarks/results/train_step_speed_<config>.json``.
"""
from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

from training.config import load_config, parse_dotted_flags

from save_result import save_result  # benchmarks/save_result.py
from script_args import ScriptParser, at_least, result_name, run

VARIANT_PART = re.compile(r"config|fast_dropout|lora_dropout_0|frozen_\d+")
"""The variants ``set_variant`` knows (the module docstring says what each does)."""


def cpu_name() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return "unknown"
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "unknown")


def variant_list(text: str) -> list[str]:
    """``--variants``: comma-separated variants, each one or more of VARIANT_PART joined by ``+``."""
    variants = text.split(",")
    for name in variants:
        bad = [p for p in name.split("+") if not VARIANT_PART.fullmatch(p)]
        if bad:
            raise argparse.ArgumentTypeError(f"unknown variant '{bad[0]}' in '{text}'; use config, fast_dropout, "
                                             "lora_dropout_0 or frozen_N, joined by + and separated by commas")
    if len(set(variants)) < len(variants):
        raise argparse.ArgumentTypeError(f"'{text}' names a variant twice; name each once")
    return variants


def batches_of(cfg, n: int):
    """The model and optimiser ``slant train`` would build, and the first ``n`` batches of its first epoch."""
    import torch

    from models.encoders import load_tokenizer
    from models.framing_model import FramingModel
    from training import train as T
    from training.features import collate
    from training.loop import COLUMNS, epoch_batches, make_optimizer
    from training.schema import column

    torch.manual_seed(cfg.train.seed)
    data = T.make_data(cfg)
    arch = T.architecture(cfg, typed_spans=T.has_typed_spans(data.train, data.untyped_sources))
    model = FramingModel.build(arch)
    encoded = T.encoded_training_rows(data, load_tokenizer(arch.base), arch, cfg.data.eval_source_repeat)
    lengths = [len(x) for x in column(encoded, "input_ids")]
    order = epoch_batches(encoded, cfg.train.batch_size, cfg.train.seed, 0, 0, 1, lengths)
    rows = encoded.select_columns(COLUMNS)
    optimizer = make_optimizer(model, cfg.train)
    for group in optimizer.param_groups:
        group["lr"] = group["base_lr"] * 0.5
    return model, optimizer, [collate([rows[j] for j in idx]) for idx in order[:n]]


def set_variant(model, name: str, lora_dropout: float) -> None:
    """Switch the network to a variant in place (see the module docstring); ``+`` joins variants.
    ``lora_dropout``: the config's, restored when a variant leaves LoRA's dropout on."""
    from torch import nn

    from models.fast_dropout import FastDropout

    parts = name.split("+")
    lora_input = {id(m) for n, m in model.named_modules() if "lora_dropout" in n}
    frozen = next((int(p.split("_")[1]) for p in parts if p.startswith("frozen_")), 0)
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.__class__ = FastDropout if "fast_dropout" in parts else nn.Dropout  # same module, same p
            if id(m) in lora_input:
                m.p = 0.0 if "lora_dropout_0" in parts else lora_dropout
    for n, p in model.named_parameters():
        if "lora_" in n:
            p.requires_grad_(not any(f"layer.{i}." in n for i in range(frozen)))


def main() -> None:
    ap = ScriptParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("config")
    ap.add_argument("--variants", type=variant_list, default="config,fast_dropout")
    ap.add_argument("--blocks", type=at_least(1), default=8)
    ap.add_argument("--steps", type=at_least(1), default=7, help="training steps per block")
    ap.add_argument("--threads", type=at_least(1), default=2)
    ap.add_argument("--name", type=result_name, help="result file suffix (default: the config's name)")
    args, overrides = ap.parse_known_args()
    cfg = load_config(args.config, parse_dotted_flags(overrides))
    import torch  # the heavy imports, after the config and the arguments are checked

    from training.loop import train_step

    torch.set_num_threads(args.threads)
    variants = args.variants
    warm = 4
    model, optimizer, batches = batches_of(cfg, warm + args.blocks * args.steps)
    for batch in batches[:warm]:
        train_step(model, optimizer, batch, cfg.train, False)
    seconds = {v: [] for v in variants}
    for block in range(args.blocks):
        chunk = batches[warm + block * args.steps: warm + (block + 1) * args.steps]
        k = block % len(variants)
        for name in variants[k:] + variants[:k]:
            set_variant(model, name, cfg.model.lora_dropout)
            start = time.perf_counter()
            for batch in chunk:
                train_step(model, optimizer, batch, cfg.train, False)
            seconds[name].append(round(time.perf_counter() - start, 3))
    steps = args.blocks * args.steps
    first = variants[0]
    result = {
        "config": args.config, "overrides": overrides, "threads": args.threads, "cpu": cpu_name(),
        "lora_dropout": cfg.model.lora_dropout, "steps_each": steps,
        "steps_per_s": {v: round(steps / sum(s), 3) for v, s in seconds.items()},
        f"speedup_over_{first}": {v: round(sum(seconds[first]) / sum(s), 3) for v, s in seconds.items()},
        "block_seconds": seconds,
        "torch": torch.__version__,
    }
    print(json.dumps(result, indent=2))
    print(f"wrote {save_result(f'train_step_speed_{args.name or Path(args.config).stem}.json', result)}")


if __name__ == "__main__":
    run(main)
