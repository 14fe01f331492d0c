"""What the two encoder pre-training probes share: a LoRA adapter on MiniLM, a plain training
loop over it, and the merged encoder written as a Hugging Face folder a config can name as
``model.base``. Used by ``domain_mlm.py`` (masked LM on news) and ``distant_supervision.py``
(outlet leaning); kept apart from ``training/`` because neither recipe is part of Slant's training.

Torch and the training stack are imported inside the functions, so a script built on these
answers ``--help`` and bad arguments before they load.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from script_args import ScriptParser, at_least, output_folder, positive_number

if TYPE_CHECKING:
    import torch


def pretraining_args(epochs: float, description: str | None = None) -> argparse.ArgumentParser:
    ap = ScriptParser(description=description)
    ap.add_argument("--out", type=output_folder, required=True, help="folder the merged encoder is written to")
    ap.add_argument("--epochs", type=positive_number, default=epochs)
    ap.add_argument("--r", type=at_least(1), default=16, help="the LoRA adapter's rank")
    ap.add_argument("--lr", type=positive_number, default=5e-4)
    ap.add_argument("--batch-size", type=at_least(1), default=32)
    ap.add_argument("--data-root", help="folder holding mbic/ and babe/ (default: $SLANT_DATA_ROOT)")
    return ap


def start() -> None:
    """Seeded once, with the scorer's bounded oneDNN caches."""
    import torch

    from models.precision import bound_onednn_caches

    bound_onednn_caches()
    torch.manual_seed(0)
    random.seed(0)


def with_lora(model, r: int):
    """``model`` with a LoRA adapter (rank ``r``, alpha 2r) on every linear layer of its BERT encoder."""
    from peft import LoraConfig, get_peft_model

    from models.encoders import LORA_TARGETS

    return get_peft_model(model, LoraConfig(r=r, lora_alpha=2 * r, lora_dropout=0.1,
                                            target_modules=LORA_TARGETS["bert"]))


def fit(params: list[torch.nn.Parameter], n_items: int, args, batch_loss: Callable[[list[int]], torch.Tensor],
        name: str, report: Callable[[], str] = lambda: "") -> tuple[int, float]:
    """AdamW with the training loop's warm-up and decay over ``args.epochs`` passes of ``n_items``
    items in shuffled batches; ``batch_loss`` gets a batch's item indices. Progress on stderr
    (with ``report()``'s text). Returns the steps taken and the smoothed final loss."""
    import torch

    from training.loop import lr_factor

    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    steps = math.ceil(n_items / args.batch_size * args.epochs)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, steps, warm))
    order: list[int] = []
    started, smooth = time.time(), None
    for step in range(1, steps + 1):
        if not order:  # a new epoch (its last batch may be short)
            order = list(range(n_items))
            random.shuffle(order)
        picked, order = order[:args.batch_size], order[args.batch_size:]
        loss = batch_loss(picked)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        smooth = loss.item() if smooth is None else 0.95 * smooth + 0.05 * loss.item()
        if step % 20 == 0 or step == steps:
            spent = time.time() - started
            print(f"{name}: {step}/{steps} steps, loss {smooth:.3f}{report()}, "
                  f"ETA {spent / step * (steps - step):.0f} s", file=sys.stderr, flush=True)
    return steps, smooth


def save_encoder(encoder, tokenizer, out: Path, record: str, info: dict) -> None:
    """``encoder`` (the adapter merged: peft's ``merge_and_unload``) written with the tokenizer as a
    plain Hugging Face folder, with ``info`` as ``record`` beside it."""
    out.mkdir(parents=True, exist_ok=True)
    encoder.save_pretrained(out)
    tokenizer.save_pretrained(out)
    (out / record).write_text(json.dumps(info, indent=2))
    print(f"wrote {out}", file=sys.stderr)
