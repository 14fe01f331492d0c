"""The optimisation loop: AdamW, warm-up + linear decay, clipping, bf16 autocast, early stopping.

Small named pieces (``make_optimizer``, ``lr_factor``, ``epoch_batches``,
``train_step``, ``predict``, ``fit``) so the loop reads top to bottom. Data
order per epoch comes from a generator seeded by (seed, epoch), which is what
lets ``--resume`` skip the batches already seen and land on the same weights.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial
from typing import Callable

import numpy as np
import torch
from datasets import Dataset
from torch import nn

from models.precision import autocast, use_bf16
from training.config import TrainConfig
from training.distributed import average_gradients, batch_denominators
from training.features import UNTYPED_B, UNTYPED_I, collate
from training.schema import column
from training.stop_request import StopRequest


def make_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.AdamW:
    """Parameter groups: no weight decay on biases/LayerNorm; heads may take their own lr;
    layer-wise lr decay gives lower encoder layers smaller steps; LoRA's B matrices may take
    a multiple of their layer's rate (LoRA+)."""
    layers = getattr(getattr(model.encoder, "config", None), "num_hidden_layers", 0)
    head_lr = cfg.head_lr or cfg.lr
    groups: dict[tuple[float, float], list] = {}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if name.startswith("encoder."):
            depth = _layer_of(name, layers)
            lr = cfg.lr * cfg.layer_decay ** (layers + 1 - depth)
            if ".lora_B." in name:
                lr *= cfg.lora_b_lr_ratio
        else:
            lr = head_lr
        wd = 0.0 if p.ndim == 1 else cfg.weight_decay
        groups.setdefault((lr, wd), []).append(p)
    params = [{"params": ps, "lr": lr, "base_lr": lr, "weight_decay": wd} for (lr, wd), ps in sorted(groups.items())]
    return torch.optim.AdamW(params, lr=cfg.lr)


def _layer_of(name: str, layers: int) -> int:
    """0 for embeddings, i+1 for transformer layer i, layers+1 above."""
    if "embeddings" in name:
        return 0
    for part in name.split(".layer.")[1:]:
        head = part.split(".", 1)[0]
        if head.isdigit():
            return int(head) + 1
    return layers + 1


def lr_factor(step: int, total: int, warmup: int) -> float:
    if step < warmup:
        return (step + 1) / warmup
    return max(0.0, (total - step) / max(1, total - warmup))


def epoch_batches(ds: Dataset, batch_size: int, seed: int, epoch: int, rank: int = 0, world: int = 1,
                  lengths: list[int] | None = None) -> list[list[int]]:
    """This rank's batches for one epoch, from an order seeded by (seed, epoch).

    With ``lengths``, rows are grouped by length (HF's ``group_by_length``): the shuffled
    order is cut into mega-batches of 50 batches, each sorted by length, and the batches
    are shuffled again, so a batch pads to similar lengths (about 40% less compute on BABE).
    With ``world`` processes each takes every world-th row of every batch: the batches, and so
    the steps and the schedule, are one process's, and the ranks' shares are alike in length,
    so neither waits long for the other at the all-reduce (taking whole batches in turn, as
    before, a rank waited a fifth of each step for a longer batch on the other)."""
    g = torch.Generator().manual_seed(seed * 1000 + epoch)
    order = torch.randperm(len(ds), generator=g).tolist()
    if lengths is not None:
        mega = batch_size * 50
        order = [i for k in range(0, len(order), mega) for i in sorted(order[k:k + mega], key=lambda j: -lengths[j])]
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    if lengths is not None:
        batches = [batches[i] for i in torch.randperm(len(batches), generator=g).tolist()]
    if world > 1:
        batches = [b[rank::world] for b in batches if len(b) >= world]
    return batches


COLUMNS = ["input_ids", "attention_mask", "token_labels", "labels", "opinion_labels", "target_index", "stance_labels",
           "stance_soft", "label_soft"]


def task_losses(out: dict, batch: dict, cfg: TrainConfig) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Per task (sentence, token, opinion, stance): the weighted sum of its loss over this batch's
    labelled items, and how many there are. Each loss counts its own items, so a task's mean
    (``compute_loss``) and the ranks' shared denominators (``distributed.batch_denominators``)
    divide by the same thing. A head the model lacks counts none."""
    zero = out["logits"].float().sum() * 0.0
    sentence = sentence_loss(out["logits"].float(), batch, cfg.soft_label_weight)
    token = token_loss(out["token_logits"].float(), batch["token_labels"]) if "token_logits" in out else (zero, 0)
    opinion = (nn.functional.cross_entropy(out["opinion_logits"].float(), batch["opinion_labels"], ignore_index=-1,
                                           reduction="sum"), int((batch["opinion_labels"] >= 0).sum())) \
        if "opinion_logits" in out else (zero, 0)
    stance = stance_loss(out["stance_logits"].float(), batch) if "stance_logits" in out else (zero, 0)
    weights = (1.0, cfg.token_loss_weight, cfg.opinion_loss_weight, cfg.stance_loss_weight)
    parts = (sentence, token, opinion, stance)
    return ([w * total for w, (total, _) in zip(weights, parts)],
            torch.tensor([float(n) for _, n in parts]))


def compute_loss(out: dict, batch: dict, cfg: TrainConfig,
                 denominators: Callable[[torch.Tensor], torch.Tensor] | None = None) -> torch.Tensor:
    """Sum of the task losses, each a mean over its labelled items; rows of another task are
    masked (label -1), and a task absent from the whole batch adds nothing (not NaN).
    ``denominators`` maps this rank's item counts to what each task's sum is divided by
    (``distributed.batch_denominators``: the whole batch's count over the ranks), so ranks
    holding parts of one batch together compute one process's loss; by default its own counts."""
    totals, counts = task_losses(out, batch, cfg)
    divide = denominators(counts) if denominators is not None else counts
    loss = out["logits"].float().sum() * 0.0
    for total, n, d in zip(totals, counts.tolist(), divide.tolist()):
        if n > 0:  # then d > 0 too: the whole batch holds at least this rank's items
            loss = loss + total / d
    return loss


def sentence_loss(logits: torch.Tensor, batch: dict, soft_weight: float) -> tuple[torch.Tensor, int]:
    """(Summed cross-entropy, rows with a label) against the gold label; with ``soft_weight`` > 0,
    rows whose annotators' votes are known (BABE) train on (1 - w) * gold + w * the annotators'
    share instead, so a 3-2 vote asks for less confidence than a 5-0 one (the majority label
    stays the target)."""
    rows = batch["labels"] >= 0
    n = int(rows.sum())
    if soft_weight <= 0 or "label_soft" not in batch:
        return nn.functional.cross_entropy(logits, batch["labels"], ignore_index=-1, reduction="sum"), n
    logp = logits[rows].log_softmax(-1)
    gold = nn.functional.one_hot(batch["labels"][rows], logits.shape[-1]).float()
    share = batch["label_soft"][rows]
    votes = torch.stack([1 - share, share], dim=-1)
    target = torch.where((share >= 0).unsqueeze(-1), (1 - soft_weight) * gold + soft_weight * votes, gold)
    return -(target * logp).sum(), n


def token_loss(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, int]:
    """(Summed cross-entropy, labelled word pieces) against the BIO tags; a piece of an
    untyped span (a weak label such as BABE's biased words, which name no technique) is
    scored by the summed probability of every B- (or I-) tag. Tags follow ``bio_tags()``:
    O, then B-/I- pairs, so B- tags sit at odd and I- tags at even indices."""
    logp = logits.reshape(-1, logits.shape[-1]).log_softmax(-1)
    labels = labels.reshape(-1)
    typed = labels >= 0
    total = -logp[typed].gather(1, labels[typed].unsqueeze(1)).sum()
    n = int(typed.sum())
    for code, first in ((UNTYPED_B, 1), (UNTYPED_I, 2)):
        rows = labels == code
        if rows.any():
            total = total - logp[rows][:, first::2].logsumexp(-1).sum()
            n += int(rows.sum())
    return total, n


def stance_loss(logits: torch.Tensor, batch: dict) -> tuple[torch.Tensor, int]:
    """(Summed cross-entropy, stance rows) against the gold label or, for distillation rows,
    against the teacher's probabilities (soft labels carry the teacher's doubt, which a
    thresholded argmax throws away)."""
    hard = batch["stance_labels"] >= 0
    soft_q = batch.get("stance_soft")
    soft = soft_q[:, 0] >= 0 if soft_q is not None else torch.zeros_like(hard)
    n = int(hard.sum()) + int(soft.sum())
    if n == 0:
        return logits.sum() * 0.0, 0
    logp = logits.log_softmax(-1)
    total = -logp[hard].gather(1, batch["stance_labels"][hard].unsqueeze(1)).sum()
    if soft.any():
        total = total - (soft_q[soft] * logp[soft]).sum()
    return total, n


def train_step(model, optimizer, batch, cfg: TrainConfig, bf16: bool, world: int = 1,
               stop: StopRequest | None = None) -> float:
    """One optimiser step; with ``world`` > 1 processes, on this rank's share of the batch,
    with the gradients averaged over the ranks before clipping. ``stop.agreed`` is set when
    some rank has asked to stop (its all-reduce carries the request)."""
    model.train()
    if cfg.rdrop > 0:  # its doubled rows keep per-rank means
        loss = rdrop_loss(model, batch, cfg, bf16)
    else:
        loss = batch_loss(model, batch, cfg, bf16, partial(batch_denominators, world=world) if world > 1 else None)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    params = [p for g in optimizer.param_groups for p in g["params"]]
    agreed, mean_loss = average_gradients(params, world, stop is not None and stop.asked, float(loss.detach()))
    if stop is not None:
        stop.agreed = agreed
    if cfg.grad_clip > 0:
        nn.utils.clip_grad_norm_(params, cfg.grad_clip)
    optimizer.step()
    return mean_loss


def batch_loss(model, batch: dict, cfg: TrainConfig, bf16: bool,
               denominators: Callable[[torch.Tensor], torch.Tensor] | None = None) -> torch.Tensor:
    """One forward pass over the batch and its task losses."""
    with autocast(bf16):
        out = model(batch["input_ids"], batch["attention_mask"], target_index=batch["target_index"])
    return compute_loss(out, batch, cfg, denominators)


def rdrop_loss(model, batch: dict, cfg: TrainConfig, bf16: bool) -> torch.Tensor:
    """R-Drop on the rows with a sentence label or a stance target: those rows run a second
    time in the same forward pass (so their dropout masks differ), and ``cfg.rdrop`` times
    the symmetric KL between their two predictions joins the task losses, which see both
    copies. Rows that train the token head alone (most PTC lines) run once: on the default
    data a step costs 1.6x a plain one (measured over 80 steps) instead of 2x or more."""
    stance_rows = (batch["stance_labels"] >= 0) | (batch["stance_soft"][:, 0] >= 0)
    again = (batch["labels"] >= 0) | stance_rows
    if not again.any():
        return batch_loss(model, batch, cfg, bf16)
    twice = {k: torch.cat([v, v[again]]) for k, v in batch.items()}
    with autocast(bf16):
        out = model(twice["input_ids"], twice["attention_mask"], target_index=twice["target_index"])
    loss = compute_loss(out, twice, cfg)
    n = len(batch["labels"])
    pairs = [("logits", batch["labels"][again] >= 0)]
    if "stance_logits" in out:
        pairs.append(("stance_logits", stance_rows[again]))
    for key, rows in pairs:
        if rows.any():
            logp = out[key].float().log_softmax(-1)
            a, b = logp[:n][again][rows], logp[n:][rows]
            kl = (nn.functional.kl_div(a, b, log_target=True, reduction="batchmean")
                  + nn.functional.kl_div(b, a, log_target=True, reduction="batchmean")) / 2
            loss = loss + cfg.rdrop * kl
    return loss


@dataclass
class Predictions:
    logits: np.ndarray            # (n, 2) sentence logits, fp32
    token_probs: list[np.ndarray]  # per row (n_pieces, n_tags); empty without a token head
    stance_logits: np.ndarray | None = None  # (n, 3) for models with a stance head


@torch.no_grad()
def predict(model, encoded: Dataset, bf16: bool, batch_size: int = 64) -> Predictions:
    """Length-sorted batches (little padding); results returned in the input order."""
    model.eval()
    lengths = [len(x) for x in column(encoded, "input_ids")]
    order = np.argsort(lengths, kind="stable")
    logits = np.zeros((len(encoded), len(model.arch.labels)), dtype=np.float32)
    token_probs: list = [None] * len(encoded)
    stance = np.zeros((len(encoded), len(model.arch.stances)), dtype=np.float32) if model.arch.stance_head else None
    rows = encoded.select_columns(COLUMNS)
    for i in range(0, len(order), batch_size):
        idx = order[i:i + batch_size].tolist()
        batch = collate([rows[j] for j in idx])
        with autocast(bf16):
            out = model(batch["input_ids"], batch["attention_mask"], target_index=batch["target_index"])
        logits[idx] = out["logits"].float().numpy()
        if stance is not None:
            stance[idx] = out["stance_logits"].float().numpy()
        if "token_logits" in out:
            probs = out["token_logits"].float().softmax(-1).numpy()
            for k, j in enumerate(idx):
                token_probs[j] = probs[k, :lengths[j]]
    return Predictions(logits=logits, token_probs=[t for t in token_probs if t is not None], stance_logits=stance)


@dataclass
class FitState:
    step: int = 0
    epoch: int = 0
    best_score: float = -1.0
    evals_since_best: int = 0

    def to_dict(self) -> dict:
        return {"step": self.step, "epoch": self.epoch, "best_score": self.best_score,
                "evals_since_best": self.evals_since_best}


def fit(model, optimizer, train_enc: Dataset, cfg: TrainConfig, state: FitState, *,
        evaluate: Callable[[], float], on_eval: Callable[[FitState, float, bool], None],
        on_interrupt: Callable[[FitState], None], on_stop: Callable[[FitState], None], progress,
        rank: int = 0, world: int = 1, on_step: Callable[[], None] | None = None) -> FitState:
    """Run until max steps, epochs or patience run out. ``evaluate`` returns dev macro-F1;
    ``on_eval`` saves best/last; ``on_step`` runs after every optimiser step (the weight average).
    Ctrl-C (``training/stop_request.py``): the first one stops every rank after the same whole
    step, where ``on_stop`` (called on every rank) saves a checkpoint, and KeyboardInterrupt is
    raised; a second one raises at once, after ``on_interrupt`` saved what there is.
    Under DDP every rank evaluates the same weights on the same dev set, so all ranks
    reach the same early-stopping decision without communicating."""
    bf16 = use_bf16(cfg.bf16)
    lengths = [len(x) for x in column(train_enc, "input_ids")]
    per_epoch = len(epoch_batches(train_enc, cfg.batch_size, cfg.seed, 0, rank, world, lengths))
    total = cfg.max_steps or cfg.epochs * per_epoch
    warmup = int(cfg.warmup_ratio * total)
    rows = train_enc.select_columns(COLUMNS)
    task = progress.add_task("train", total=total, completed=state.step, loss=float("nan"))
    started, start_step = time.time(), state.step
    stop = StopRequest(announce=rank == 0, sigterm=world == 1)
    try:
        with stop:
            while state.step < total and not stop.agreed:
                batches = epoch_batches(train_enc, cfg.batch_size, cfg.seed, state.epoch, rank, world, lengths)
                for idx in batches[state.step - state.epoch * per_epoch:]:
                    factor = lr_factor(state.step, total, warmup)
                    for group in optimizer.param_groups:
                        group["lr"] = group["base_lr"] * factor
                    loss = train_step(model, optimizer, collate([rows[j] for j in idx]), cfg, bf16, world, stop)
                    if on_step is not None:
                        on_step()
                    state.step += 1
                    progress.update(task, advance=1, loss=loss)
                    end_of_epoch = state.step == (state.epoch + 1) * per_epoch
                    if (cfg.eval_every and state.step % cfg.eval_every == 0) or end_of_epoch or state.step == total:
                        if end_of_epoch:
                            state.epoch += 1
                        if _evaluate_and_save(state, evaluate, on_eval, cfg):
                            return state
                    if state.step >= total or stop.agreed:  # a whole step (and its evaluation) done
                        break
    except KeyboardInterrupt:
        on_interrupt(state)
        raise
    finally:
        progress.update(task, description=f"train ({(state.step - start_step) / max(1e-9, time.time() - started):.1f} steps/s)")
    if stop.agreed and state.step < total:
        on_stop(state)
        raise KeyboardInterrupt
    return state


def _evaluate_and_save(state: FitState, evaluate, on_eval, cfg: TrainConfig) -> bool:
    """Returns True when early stopping says to stop."""
    score = evaluate()
    improved = score > state.best_score
    if improved:
        state.best_score, state.evals_since_best = score, 0
    else:
        state.evals_since_best += 1
    on_eval(state, score, improved)
    return cfg.patience > 0 and state.evals_since_best >= cfg.patience
