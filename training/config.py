"""Typed training configuration: defaults in code, YAML overrides, dotted flags on top.

Grouped by concern like litgpt / HF ``run_classification.py``. Unknown keys and
values of the wrong type are rejected with one line naming the key and the fix,
so a typo never silently trains the wrong model (reading and checking the user's text:
``training/config_parse.py``; the fields and the rules between them: here). Every field
carries a docstring, its one place of documentation (``tests/test_config_docs.py`` checks).
The resolved config is saved with every run and every model folder (``config.yaml``).
"""
from __future__ import annotations

import dataclasses
import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from models.errors import SlantError
from training.config_parse import assign, override_value, read_yaml, sections, split_override
from training.config_parse import parse_dotted_flags as _parse_dotted_flags
from training.schema import row_source


@dataclass
class ModelConfig:
    base: str = "all-MiniLM-L6-v2"
    """Base encoder name (resolved to a local folder by ``models.encoders``) or a path."""
    adapter: str = "none"
    """"none" fine-tunes every weight; "lora" trains a LoRA adapter (small to ship)."""
    lora_r: int = 16
    """LoRA's rank (with adapter "lora"; 1 or more, 8-16 usual): a larger rank adapts more and ships more."""
    lora_alpha: int = 32
    """LoRA's update is scaled by lora_alpha / lora_r (> 0; 2 * lora_r is usual)."""
    lora_dropout: float = 0.1
    """Dropout on the adapter's input, in [0, 1) (off cost BABE 0.010: benchmarks/README.md)."""
    lora_targets: list[str] = field(
        default_factory=lambda: ["query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense"]
    )
    """Modules that get an adapter, matched by name or dotted suffix; these are BERT's (MiniLM).
    MPNet calls its attention projections attn.q/k/v/o (configs/quality_lora.yaml)."""
    lora_frozen_layers: int = 0
    """The encoder's first N layers get no adapter and stay as pretrained (0: every layer is
    adapted). Nothing below them trains, so the backward pass stops above them: a default
    training step 1.07x faster with one of MiniLM's six frozen, 1.13x with two (A/B in one
    process; its cost in accuracy is not measured: benchmarks/README.md, "Training speed")."""
    token_head: bool = True
    """Train a BIO token head for loaded-word spans beside the sentence head."""
    opinion_head: bool = False
    """Multi-task: also predict BABE's 3-way opinion label (auxiliary only)."""
    stance_head: bool = False
    """Target-dependent stance head (needs a stance source such as newsmtsc in data.train)."""
    stance_query: bool = False
    """Stance input as a sentence pair: the marked sentence, [SEP], the target's words
    (measured in benchmarks/README.md, "Stance toward targets")."""
    stance_local: int = 0
    """The stance head also reads the mean of the word pieces within this many positions of the
    target's marker (0: off; local context focus, for sentences that judge several people)."""
    max_length: int = 128
    """Word pieces per sentence, [CLS] and [SEP] included (8-512); longer sentences are cut."""
    dropout: float = 0.1
    """Dropout before each head, in [0, 1) (the encoder keeps its own)."""
    layers: int = 0
    """Keep only the base encoder's first N layers (0: all). Fewer layers score faster in
    proportion, at an accuracy cost measured in the README (layer dropping, Sajjad et al.)."""


@dataclass
class DataConfig:
    root: str = ""
    """Data root holding the dataset folders; empty: $SLANT_DATA_ROOT, then ../shared/data."""
    train: list[str] = field(default_factory=lambda: ["babe"])
    """Sources: babe, ptc, lim2020, hube2019, newsmtsc (stance; needs model.stance_head), or a path
    to a .csv/.jsonl in the generic format (README, "Data"). YAML [a, b]; a flag: a,b."""
    eval_source: str = "babe"
    """Source whose held-out split gives dev/test metrics (other sources only add training data)."""
    split: str = "random"
    """"random" (stratified), "outlet" (whole outlets held out), "kfold", or "outlet_kfold"
    (fold ``data.fold`` of ``data.folds`` over whole outlets)."""
    test_size: float = 0.2
    """In (0, 1): split=random holds out one fold of round(1 / test_size) (0.2: fold 0 of 5, the
    same rows as kfold's fold 0); split=outlet picks outlets holding about this share. kfold splits
    hold out 1 / data.folds instead."""
    dev_size: float = 0.1
    """In (0, 1): dev is one fold of round(1 / dev_size) of the rows the test split leaves."""
    folds: int = 5
    """Folds of split=kfold and outlet_kfold (2 or more)."""
    fold: int = 0
    """The fold those splits test on, 0 to data.folds - 1 (benchmarks/cv.py sets it per fold)."""
    test_outlets: list[str] = field(default_factory=list)
    """For split=outlet; empty picks outlets holding ~test_size of the rows."""
    ptc_negatives: float = 0.5
    """Keep this share of the PTC training lines that carry no trained span (they are many);
    dev and test always keep every line of their articles."""
    ptc_sentence_negatives: float = 1.0
    """Of the kept span-less PTC training lines, this share also trains the sentence head (as
    neutral); the others train the token head only. Many unannotated lines teach the token
    head where *not* to mark words, but as "neutral" sentences they pull the sentence head
    away from BABE's notion of framing."""
    ptc_other_techniques: str = "neutral"
    """PTC training lines whose only technique spans are of the other techniques (exaggeration,
    doubt, flag-waving, appeal to fear …): "neutral" (their derived label), "unlabelled" (they
    train the token head only) or "framing". Dev and test lines keep the derived label."""
    stance_extra: list[str] = field(default_factory=list)
    """Extra stance training files in NewsMTSC's JSONL layout (e.g. pseudo-labelled by a larger
    stance model with ``python -m training.pseudo_stance``); never used for dev or test."""
    span_sources: list[str] = field(default_factory=list)
    """Sources whose spans train the token head; empty: every source with spans. The others
    still train the sentence head and are still span-evaluated on their test split."""
    sentence_sources: list[str] = field(default_factory=list)
    """Sources whose sentence labels train the sentence head; empty: every source. The others
    train only the token head (PTC's "framing" is derived from its spans, and its many
    span-less lines teach the token head where *not* to mark words)."""
    untyped_span_sources: list[str] = field(default_factory=list)
    """Sources whose spans say *where* framing is but not which technique (BABE's biased words):
    they train the token head to mark those words with any technique's tag, and the
    technique is learnt from the sources that name one. Empty: every span's technique is trusted."""
    babe_extra_words: list[str] = field(default_factory=list)
    """More biased words for BABE's *training* sentences from other annotations of the same
    texts: "sg1" (BABE SG1's eight experts) and/or "mbic" (MBIC's crowd). Dev and test sentences
    keep SG2's words only, so span metrics stay comparable; measured in benchmarks/README.md."""
    max_rows_per_source: int = 0
    """0 keeps all; >0 caps each training source (quick experiments, tests)."""
    eval_source_repeat: int = 1
    """Copies of the eval source's training rows in each epoch (BABE's, beside PTC's many lines):
    more passes over the sentences the framing head is judged on, at a smaller cost in time than
    more epochs over every source."""


@dataclass
class TrainConfig:
    seed: int = 13
    """Draws the splits, the rows kept and their order, and the initialisation (and the dropout
    masks unless train.dropout_seed); 0 to 4294967294."""
    epochs: int = 3
    """Passes over the training rows (0 is allowed with train.max_steps > 0)."""
    max_steps: int = 0
    """>0 stops after this many optimiser steps (overrides epochs)."""
    batch_size: int = 32
    """Rows per optimiser step (with train.processes > 1 shared among the processes)."""
    lr: float = 5e-5
    """Peak AdamW rate of the encoder's trained weights (the adapter with LoRA): it warms up
    linearly over train.warmup_ratio of the steps, then falls linearly to 0."""
    head_lr: float = 0.0
    """0: same as lr. Heads start from scratch and often like a larger rate."""
    weight_decay: float = 0.01
    """AdamW weight decay (0: off; biases and LayerNorm weights never decay)."""
    warmup_ratio: float = 0.1
    """Share of all steps spent warming the rate up, in [0, 1)."""
    layer_decay: float = 1.0
    """Layer-wise lr decay: layer i of L gets lr * decay**(L - i). 1.0 disables it."""
    lora_b_lr_ratio: float = 1.0
    """LoRA+ (Hayou et al. 2024): LoRA's B matrices learn at this multiple of their layer's lr
    (A keeps it). B starts at zero and A at random, so equal rates under-train B; 1.0: plain LoRA."""
    grad_clip: float = 1.0
    """Clip the gradient norm to this (0: off)."""
    soft_label_weight: float = 0.0
    """Mix the annotators' vote share into the sentence target (BABE: 5 experts per sentence);
    0 trains on the majority label alone, 1 on the share alone."""
    token_loss_weight: float = 0.5
    """The token (span) head's loss weight beside the sentence head's 1 (configs/default.yaml: 2.0,
    measured in README "Data"); 0 or more, as are the two below."""
    opinion_loss_weight: float = 0.3
    """The opinion head's loss weight (with model.opinion_head)."""
    stance_loss_weight: float = 1.0
    """The stance head's loss weight (with model.stance_head)."""
    bf16: str = "auto"
    """"auto" uses bf16 autocast where the CPU has AMX/AVX512-BF16 and a quick matmul check finds
    bf16 faster than fp32 (``models/precision.py``), "on", "off"."""
    threshold: float = 0.0
    """Sentence decision threshold on the calibrated probability: 0 fits it on dev (maximising
    dev macro-F1); a value in (0, 1) fixes it, such as 0.5, the calibrated midpoint, which does
    not move with a small dev set's noise or with another outlet's share of framing."""
    eval_every: int = 0
    """Evaluate on dev every N steps; 0 evaluates once per epoch."""
    patience: int = 2
    """Stop after this many evaluations without a better dev macro-F1; 0 disables."""
    threads: int = 0
    """torch intra-op threads (per process with ``processes`` > 1); 0 leaves torch's default
    (with ``processes`` > 1: the CPU's cores shared out among the processes)."""
    processes: int = 1
    """Data-parallel training processes on this machine (``training/distributed.py``): each
    takes every processes-th row of each batch, so batches, steps and schedule stay those of
    one process. 2 on a 2-core CPU trains faster than one process with two threads."""
    ema: float = 0.0
    """>0: evaluate and save an exponential moving average of the weights with this decay."""
    rdrop: float = 0.0
    """>0: R-Drop (Liang et al. 2021). Rows with a sentence label or a stance target run twice
    under different dropout and this weight times the symmetric KL between their two
    predictions joins the loss; a step of the default data costs about 1.6x a plain one."""
    dropout_seed: int = 0
    """>0: after the network is built (initialisation done, data split and drawn), reseed torch's
    generator with this, so only the dropout masks differ from a run with the same ``seed``: a
    control that shows how far a figure moves by chance between two runs of one recipe on the
    same folds (benchmarks/README.md, *Run-to-run noise*). 0: the masks follow ``seed``."""
    fast_dropout: bool = False
    """Draw dropout masks with NumPy instead of torch's CPU generator (``models/fast_dropout.py``):
    the same dropout, a default training step about 1.2x faster on a 2-core CPU. On the default's
    five folds it kept BABE (0.798 against 0.799); PTC loaded language came out 0.015 lower, which
    a control later showed to be the size of drawing torch's own masks again (``dropout_seed``;
    benchmarks/README.md, *Run-to-run noise*). On in ``configs/default.yaml``."""


@dataclass
class Config:
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)


_CHOICES = {
    ("model", "adapter"): ("none", "lora"),
    ("data", "split"): ("random", "outlet", "kfold", "outlet_kfold"),
    ("data", "ptc_other_techniques"): ("neutral", "unlabelled", "framing"),
    ("train", "bf16"): ("auto", "on", "off"),
}

SOURCES = ("babe", "ptc", "hube2019", "lim2020", "newsmtsc")
"""The named sources ``training.data.load_source`` reads (a test keeps the two equal); named
here so a misspelt one is refused with the config, not after the other sources have loaded."""


def _bad_sources(names: list[str]) -> str:
    """'' when every name is a named source or a .csv/.jsonl file, else what is wrong with the first."""
    for name in names:
        if name not in SOURCES and not name.endswith((".csv", ".jsonl")):
            guess = difflib.get_close_matches(name.lower(), SOURCES, n=1)
            return (f"'{name}' is not a source{f' (did you mean {guess[0]!r}?)' if guess else ''}; "
                    f"use {', '.join(SOURCES)} or a .csv/.jsonl path")
    return ""


def _validate(cfg: Config) -> None:
    t, d, m = cfg.train, cfg.data, cfg.model

    def not_trained(names: list[str]) -> list[str]:
        """The names whose rows data.train does not load (a user's file by its path or its stem)."""
        trained = {row_source(f) for f in d.train}
        return [s for s in names if row_source(s) not in trained]

    def sources_check(key: str, names: list[str]) -> tuple[bool, str]:
        missing = not_trained(names)
        return (not missing, f"data.{key} names {', '.join(missing)}, not in data.train ({', '.join(d.train)}); "
                             f"add it to data.train or drop it (--data.{key} [] for none)")

    # a negative count, a probability outside [0, 1) or a seed numpy refuses would otherwise
    # surface after loading data and model, as a library's traceback or a silently odd run
    checks = [
        (t.lr > 0, "train.lr must be > 0"),
        (t.batch_size > 0, "train.batch_size must be > 0"),
        (t.epochs >= 0, f"train.epochs must be 0 or more, got {t.epochs} (0 with train.max_steps > 0: steps decide)"),
        (t.max_steps >= 0, f"train.max_steps must be 0 (train.epochs decides) or more, got {t.max_steps}"),
        (t.epochs > 0 or t.max_steps > 0, "train.epochs or train.max_steps must be > 0"),
        (0 <= t.seed < 2**32 - 1,
         f"train.seed must be from 0 to {2**32 - 2} (sklearn's range, less the 1 the dev split adds), got {t.seed}"),
        (t.threads >= 0, f"train.threads must be 0 (torch's default) or more, got {t.threads}"),
        (t.eval_every >= 0, f"train.eval_every must be 0 (once per epoch) or more steps, got {t.eval_every}"),
        (t.patience >= 0, f"train.patience must be 0 (no early stop) or more evaluations, got {t.patience}"),
        (t.head_lr >= 0, f"train.head_lr must be 0 (same as train.lr) or more, got {t.head_lr}"),
        (t.weight_decay >= 0, f"train.weight_decay must be 0 (off) or more, got {t.weight_decay}"),
        (t.grad_clip >= 0, f"train.grad_clip must be 0 (off) or more, got {t.grad_clip}"),
        (0 <= t.soft_label_weight <= 1, f"train.soft_label_weight must be in [0, 1], got {t.soft_label_weight}"),
        (min(t.token_loss_weight, t.opinion_loss_weight, t.stance_loss_weight) >= 0,
         "train.token_loss_weight, opinion_loss_weight and stance_loss_weight must be 0 (off) or more"),
        (0 <= t.warmup_ratio < 1, "train.warmup_ratio must be in [0, 1)"),
        (d.eval_source_repeat >= 1, "data.eval_source_repeat must be >= 1 (1: each training row once per epoch)"),
        (0 < t.layer_decay <= 1, "train.layer_decay must be in (0, 1]"),
        (t.lora_b_lr_ratio > 0, "train.lora_b_lr_ratio must be > 0 (1: plain LoRA; LoRA+ suggests 4-16)"),
        (0 <= t.ema < 1, "train.ema must be in [0, 1) (0: off; 0.995 averages about the last 200 steps)"),
        (0 <= t.threshold < 1, "train.threshold must be in [0, 1) (0: fitted on dev; 0.5: the calibrated midpoint)"),
        (t.rdrop >= 0, "train.rdrop must be >= 0 (0: off; R-Drop papers use 0.1-5)"),
        (t.dropout_seed >= 0, "train.dropout_seed must be >= 0 (0: the masks follow train.seed)"),
        (t.processes >= 1, "train.processes must be >= 1 (1: one process; 2: one per core on a 2-core CPU)"),
        (t.processes <= t.batch_size, "train.processes must not exceed train.batch_size (each process takes a share of every batch)"),
        (0 < d.test_size < 1 and 0 < d.dev_size < 1, "data.test_size and data.dev_size must be in (0, 1)"),
        (d.max_rows_per_source >= 0, f"data.max_rows_per_source must be 0 (keep all) or more, got {d.max_rows_per_source}"),
        (0 <= d.ptc_negatives <= 1 and 0 <= d.ptc_sentence_negatives <= 1,
         "data.ptc_negatives and data.ptc_sentence_negatives must be in [0, 1]"),
        (d.folds >= 2 and 0 <= d.fold < d.folds, "data.fold must be in [0, data.folds) and data.folds >= 2"),
        (bool(d.train), "data.train must name at least one source"),
        (not _bad_sources(d.train), f"data.train: {_bad_sources(d.train)}"),
        (d.eval_source != "", "data.eval_source must name a source (babe, or a .csv/.jsonl file in data.train)"),
        (not _bad_sources([d.eval_source]), f"data.eval_source: {_bad_sources([d.eval_source])}"),
        (m.base.strip() != "", "model.base must name an encoder (e.g. all-MiniLM-L6-v2) or a folder"),
        (8 <= m.max_length <= 512, "model.max_length must be in [8, 512]"),
        (0 <= m.dropout < 1, f"model.dropout must be in [0, 1), got {m.dropout}"),
        (m.lora_r >= 1, f"model.lora_r must be 1 or more (the adapter's rank; 8-16 is usual), got {m.lora_r}"),
        (m.lora_alpha > 0, f"model.lora_alpha must be > 0 (the adapter's update is scaled by lora_alpha / lora_r; "
                           f"2 * lora_r is usual), got {m.lora_alpha}"),
        (0 <= m.lora_dropout < 1, f"model.lora_dropout must be in [0, 1), got {m.lora_dropout}"),
        (m.layers >= 0, "model.layers must be 0 (all) or a positive layer count"),
        (m.lora_frozen_layers >= 0, "model.lora_frozen_layers must be 0 (adapt every layer) or a positive layer count"),
        (not m.lora_frozen_layers or m.adapter == "lora", "model.lora_frozen_layers needs model.adapter: lora"),
        (m.stance_head == ("newsmtsc" in d.train),
         "model.stance_head needs newsmtsc in data.train, and newsmtsc needs model.stance_head: true"),
        sources_check("span_sources", d.span_sources),
        sources_check("sentence_sources", d.sentence_sources),
        sources_check("untyped_span_sources", d.untyped_span_sources),
        (set(d.babe_extra_words) <= {"sg1", "mbic"}, f"data.babe_extra_words takes sg1 and/or mbic, got {d.babe_extra_words}"),
        (not d.stance_extra or m.stance_head, "data.stance_extra needs model.stance_head: true"),
        (not m.stance_query or m.stance_head, "model.stance_query needs model.stance_head: true"),
        (m.stance_local >= 0, "model.stance_local must be 0 (off) or a positive number of word pieces"),
        (not m.stance_local or m.stance_head, "model.stance_local needs model.stance_head: true"),
        (d.eval_source != "newsmtsc" or d.train == ["newsmtsc"],
         "data.eval_source newsmtsc (a stance-only model) needs data.train: [newsmtsc]"),
    ]
    for ok, msg in checks:
        if not ok:
            raise SlantError(f"config: {msg}")


def load_config(path: str | os.PathLike | None = None, overrides: list[str] | dict | None = None) -> Config:
    """Defaults, then the YAML file, then ``key=value`` / dotted overrides."""
    cfg = Config()
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise SlantError(f"config {p}: no such file; pass a YAML file such as configs/default.yaml")
        for key, value in read_yaml(p, sections(cfg)):
            assign(cfg, key, value, f"config {p}", _CHOICES)
    items = overrides.items() if isinstance(overrides, dict) else [split_override(o) for o in overrides or []]
    for key, value in items:
        text = value if isinstance(value, str) else None
        assign(cfg, key, value if text is None else override_value(text), "override", _CHOICES, text)
    _validate(cfg)
    return cfg


def parse_dotted_flags(argv: list[str]) -> list[str]:
    """Turn ``--train.lr 3e-5`` / ``--train.lr=3e-5`` into ``train.lr=3e-5`` items."""
    return _parse_dotted_flags(argv, sections(Config()))
