"""``slant train``: make data -> build model -> fit -> calibrate -> evaluate -> save.

Read top to bottom. A run folder holds ``config.yaml``, ``splits.json``,
``metrics.jsonl``, ``last/`` (model + resumable trainer state) and ``best/``
(the model with the best dev macro-F1, calibrated, with test metrics and a
model card). ``best/`` is what ``slant score --model`` loads.
"""
from __future__ import annotations

import json
import os
import time
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path

import datasets
import torch
from datasets import Dataset, concatenate_datasets
from rich.console import Console
from safetensors.torch import load_file

from models.encoders import load_tokenizer
from models.errors import Interrupted, SlantError
from models.fast_dropout import use_fast_dropout
from models.framing_model import Architecture, FramingModel
from models.model_folder import WEIGHTS, load_model, save_model
from models.precision import bound_onednn_caches
from training import launch
from training.checkpoint import load_trainer_state, save_trainer_state
from training.config import Config
from training.data import SOURCES, STANCE_SOURCES, licence_of, load_source, to_dataset
from training.data_babe import add_words, other_words
from training.data_newsmtsc import load_newsmtsc_file
from training.data_ptc import relabel_other_techniques, thin_negatives
from training.data_root import resolve_data_root
from training.distributed import barrier, init_distributed, rank_rng_states, shutdown
from training.evaluation import evaluate_all, sentence_scores, stance_scores
from training.features import encode_rows, has_typed_spans
from training.loop import FitState, fit, make_optimizer, predict, use_bf16
from training.model_card import model_card
from training.progress import progress_bar
from training.schema import column, row_source
from training.splits import drop_overlap, require_both_labels, split_dataset, stance_dev_split
from training.weight_average import WeightAverage

console = Console(stderr=True)
datasets.disable_progress_bars()


@dataclass
class RunData:
    train: Dataset
    dev: Dataset | None               # the eval source's dev split (model selection, calibration)
    tests: dict[str, Dataset]         # per source
    splits: dict[str, list[str]]      # ids per split, saved with the run
    eval_source: str = ""
    span_dev: Dataset | None = None   # span-annotated dev rows of every source (tunes the span threshold)
    stance_dev: Dataset | None = None  # NewsMTSC rows held out of its train file
    stance_tests: dict[str, Dataset] = field(default_factory=dict)  # NewsMTSC devtest_rw / devtest_mt
    untyped_sources: list[str] = field(default_factory=list)  # sources whose spans name no technique


def make_data(cfg: Config) -> RunData:
    d = cfg.data
    names = list(dict.fromkeys([d.eval_source, *d.train]))
    root = resolve_data_root(d.root) if any(n in SOURCES for n in names) else None
    parts: dict[str, dict[str, Dataset]] = {}
    for name in names:
        if name in STANCE_SOURCES:
            continue
        ds = load_source(name, root, votes=cfg.train.soft_label_weight > 0)
        if d.max_rows_per_source and len(ds) > d.max_rows_per_source:
            ds = ds.shuffle(seed=cfg.train.seed).select(range(d.max_rows_per_source))
        if name == d.eval_source:
            require_both_labels(ds)
        how = d.split if name == d.eval_source else "random"
        parts[name] = split_dataset(ds, how=how, seed=cfg.train.seed, test_size=d.test_size, dev_size=d.dev_size,
                                    folds=d.folds, fold=d.fold, test_outlets=d.test_outlets)
        if name == "babe" and d.babe_extra_words:  # training sentences only: dev/test keep SG2's words
            words = other_words(root, d.babe_extra_words)
            parts[name]["train"] = parts[name]["train"].map(add_words, fn_kwargs={"words": words})
        if name == "ptc":
            parts[name]["train"] = relabel_other_techniques(
                thin_negatives(parts[name]["train"], d.ptc_negatives, d.ptc_sentence_negatives, cfg.train.seed),
                root, d.ptc_other_techniques)
    framing = d.eval_source if d.eval_source in parts else ""
    held = [parts[framing]["dev"], parts[framing]["test"]] if framing else []
    train_parts = [parts[n]["train"] if n == framing else drop_overlap(parts[n]["train"], held)
                   for n in parts if n in d.train or n == framing]
    stance = make_stance_data(root, cfg) if any(n in STANCE_SOURCES for n in names) else None
    if stance is not None:
        train_parts.append(stance["train"])
    train = concatenate_datasets(train_parts)
    if d.span_sources:
        keep = {row_source(n) for n in d.span_sources}
        train = train.map(lambda r: {"has_spans": r["has_spans"] and r["source"] in keep})
    if d.sentence_sources:
        keep_labels = {row_source(n) for n in d.sentence_sources}
        train = train.map(lambda r: {"label": r["label"] if r["source"] in keep_labels else -1})
    splits = {"train": column(train, "id"), "dev": column(parts[framing]["dev"], "id") if framing else [],
              **{f"test:{n}": column(p["test"], "id") for n, p in parts.items()}}
    span_dev = None
    if parts:
        span_dev = concatenate_datasets([p["dev"] for p in parts.values()]).filter(lambda r: r["has_spans"])
        splits["dev_spans"] = column(span_dev, "id")
    if stance is not None:
        splits["dev_stance"] = column(stance["dev"], "id")
        splits.update({f"test:{n}": column(t, "id") for n, t in stance["tests"].items()})
    return RunData(train=train, dev=parts[framing]["dev"] if framing else None,
                   tests={n: p["test"] for n, p in parts.items()}, splits=splits, eval_source=d.eval_source,
                   span_dev=span_dev, stance_dev=stance["dev"] if stance else None,
                   stance_tests=stance["tests"] if stance else {},
                   untyped_sources=[row_source(n) for n in d.untyped_span_sources])


def make_eval_data(cfg: Config) -> RunData:
    """A saved run's splits rebuilt to evaluate its model: ``make_data`` without the training-only
    stance files (``data.stance_extra``, pseudo-labels written beside the run). Its dev and test rows
    never draw on them, and they rarely travel with a model folder: the shipped stance model's
    config names a file on the machine that trained it."""
    return make_data(replace(cfg, data=replace(cfg.data, stance_extra=[])))


def make_stance_data(root, cfg: Config) -> dict:
    """NewsMTSC: its train file split into train/dev (grouped by sentence, stratified by
    stance); the two published test files as tests, their sentences kept out of training."""
    d = cfg.data
    ds = load_source("newsmtsc", root)
    if d.max_rows_per_source and len(ds) > d.max_rows_per_source:
        ds = ds.shuffle(seed=cfg.train.seed).select(range(d.max_rows_per_source))
    tests = {f"newsmtsc_{p.removeprefix('devtest_')}": load_source("newsmtsc", root, part=p)
             for p in ("devtest_rw", "devtest_mt")}
    ds = drop_overlap(ds, list(tests.values()))
    rest, dev = stance_dev_split(ds, d.dev_size, cfg.train.seed)
    for path in d.stance_extra:
        extra = to_dataset(load_newsmtsc_file(Path(path), "stance_extra", f"extra-{Path(path).stem}"))
        rest = concatenate_datasets([rest, drop_overlap(extra, [dev, *tests.values()])])
    return {"train": rest, "dev": dev, "tests": tests}


def repeat_source(ds: Dataset, source: str, times: int) -> Dataset:
    """``ds`` with ``source``'s rows ``times`` times over (``data.eval_source_repeat``): what the
    training loop is shown. Baselines, the span lexicon and ``splits.json`` keep each row once."""
    if times <= 1:
        return ds
    rows = [i for i, s in enumerate(column(ds, "source")) if s == source]
    return ds.select(list(range(len(ds))) + rows * (times - 1))


def train_only_sources(cfg: Config, tested: set[str]) -> list[dict]:
    """The training sources without a test set of their own (an extra corpus, a user's file, the
    pseudo-labelled stance rows), so the model card lists the licence of everything it learnt from."""
    rows = [{"source": name, "licence": licence_of(name), "train_only": True}
            for name in cfg.data.train if name not in tested]
    rows += [{"source": f"stance_extra:{Path(path).name}", "train_only": True,
              "licence": "stance rows from a file (data.stance_extra): the licences of the sentences in it apply "
                         "(training.pseudo_stance draws them from BABE, PTC and Lim 2020 unless told otherwise)"}
             for path in cfg.data.stance_extra]
    return rows


def architecture(cfg: Config, typed_spans: bool = True) -> Architecture:
    """The network ``cfg`` asks for. With ``typed_spans`` False (every span in the training data is
    an untyped weak label, as in ``configs/quality.yaml``: BABE's biased words alone) the token
    head gets loaded language's tags only, the convention those words are scored by; with the
    other techniques' tags too it would split each span between them by chance, since nothing
    tells them apart (MiniLM named most of BABE's words exaggeration, MPNet name-calling)."""
    from training.schema import LABELS, bio_tags

    m = cfg.model
    tags = (bio_tags() if typed_spans else bio_tags(["loaded_language"])) if m.token_head else []
    return Architecture(base=m.base, adapter=m.adapter, lora_r=m.lora_r, lora_alpha=m.lora_alpha,
                        lora_dropout=m.lora_dropout, lora_targets=list(m.lora_targets),
                        lora_frozen_layers=m.lora_frozen_layers, labels=list(LABELS),
                        tags=tags, opinion_head=m.opinion_head,
                        stance_head=m.stance_head, stance_query=m.stance_query, stance_local=m.stance_local,
                        max_length=m.max_length, dropout=m.dropout, layers=m.layers)


def encode(ds: Dataset, tokenizer, arch: Architecture, untyped_sources=()) -> Dataset:
    return ds.map(encode_rows, batched=True, fn_kwargs={"tokenizer": tokenizer, "max_length": arch.max_length,
                                                        "tags": arch.tags, "stance_query": arch.stance_query,
                                                        "untyped_sources": tuple(untyped_sources)},
                  desc=None)


def encoded_training_rows(data: RunData, tokenizer, arch: Architecture, repeat: int) -> Dataset:
    """What the training loop is shown: the training rows with the untyped sources' spans blanked,
    tokenised once, and the eval source's rows ``repeat`` times over (the copies not tokenised again)."""
    return repeat_source(encode(data.train, tokenizer, arch, data.untyped_sources),
                         row_source(data.eval_source), repeat)


def load_weights(model: FramingModel, folder: Path) -> None:
    model.load_state_dict(load_file(str(folder / WEIGHTS)), strict=False)


def train(cfg: Config, out: Path, *, resume: bool = False) -> Path | None:
    """Train ``cfg`` into the run folder ``out`` (``training.launch.train``: here, or in
    ``train.processes`` worker processes). Returns the ``best/`` model folder."""
    return launch.train(cfg, out, resume=resume)


def check_same_splits(out: Path, splits: dict[str, list[str]]) -> None:
    """``--resume`` goes on only on the rows the run started with: the splits rebuilt from the data
    must equal the saved ``splits.json`` (rows added to a CSV since had put test rows in training)."""
    saved = out / "splits.json"
    if saved.is_file() and json.loads(saved.read_text()) != json.loads(json.dumps(splits)):
        raise SlantError(f"--resume: the data changed since this run started: its splits differ from {saved}; "
                         "restore the data or train into a new --out")


def train_process(cfg: Config, out: Path, resume: bool) -> Path | None:
    """One training process (of ``train.processes``, or the only one); ``training.launch.train``
    checks the run folder and starts it. Returns ``best/`` (None on ranks other than 0)."""
    bound_onednn_caches()  # before the first oneDNN op: same weights, a third less peak memory
    rank, world = init_distributed()
    try:
        return _train(cfg, out, resume, rank, world)
    finally:
        shutdown(world)


def _train(cfg: Config, out: Path, resume: bool, rank: int, world: int) -> Path | None:
    torch.manual_seed(cfg.train.seed)
    if cfg.train.threads:
        torch.set_num_threads(cfg.train.threads)
    started = time.time()

    data = make_data(cfg)
    if resume:  # every rank checks, so all stop together
        check_same_splits(out, data.splits)
    arch = architecture(cfg, typed_spans=has_typed_spans(data.train, data.untyped_sources))
    tokenizer = load_tokenizer(arch.base)
    model = FramingModel.build(arch)
    if cfg.train.dropout_seed:
        torch.manual_seed(cfg.train.dropout_seed)  # only the dropout masks change from here on
    if rank > 0:  # every rank built the same network; each draws its own masks
        torch.manual_seed((cfg.train.dropout_seed or cfg.train.seed) * 1000 + rank)
    if cfg.train.fast_dropout:
        use_fast_dropout(model)
    train_enc = encoded_training_rows(data, tokenizer, arch, cfg.data.eval_source_repeat)
    dev_enc = encode(data.dev, tokenizer, arch) if data.dev is not None else None
    stance_dev_enc = encode(data.stance_dev, tokenizer, arch) if data.stance_dev is not None else None
    optimizer = make_optimizer(model, cfg.train)
    bf16 = use_bf16(cfg.train.bf16)
    main = rank == 0
    barrier(world)  # every rank has checked the run folder before rank 0 writes to it
    if main:
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.yaml").write_text(cfg.to_yaml())
        (out / "splits.json").write_text(json.dumps(data.splits))

    state = FitState()
    average = WeightAverage(cfg.train.ema) if cfg.train.ema > 0 else None
    averaged = (lambda: average.applied(model)) if average is not None else nullcontext
    if resume:
        load_weights(model, out / "last")
        progress = load_trainer_state(out / "last", optimizer, average, rank)
        state = FitState(**{k: progress[k] for k in ("step", "epoch", "best_score", "evals_since_best")})
        if main:
            console.print(f"resuming {out} from step {state.step}")

    def save_checkpoint(s: FitState, name: str = "last", rng_states: list | None = None) -> None:
        if not main:
            return
        save_model(model, tokenizer, out / name, {"kind": "checkpoint", **s.to_dict()}, config_yaml=cfg.to_yaml())
        if name == "last":
            save_trainer_state(out / name, optimizer, s.to_dict(), average, rng_states)

    def evaluate_dev() -> float:
        """Dev macro-F1 of framing, of stance, or their mean when both are trained (of the
        averaged weights when ``train.ema`` is on)."""
        scores = []
        with averaged():
            if dev_enc is not None:
                scores.append(sentence_scores(predict(model, dev_enc, bf16).logits, dev_enc["label"])["macro_f1"])
            if stance_dev_enc is not None:
                scores.append(stance_scores(predict(model, stance_dev_enc, bf16).stance_logits, stance_dev_enc["stance"])["macro_f1"])
        return sum(scores) / len(scores)

    def on_eval(s: FitState, score: float, improved: bool) -> None:
        rng_states = rank_rng_states(world)  # every rank takes part, so --resume restores each one's masks
        if not main:
            return
        with (out / "metrics.jsonl").open("a") as f:
            f.write(json.dumps({"step": s.step, "epoch": s.epoch, "dev_macro_f1": round(score, 4),
                                "best": improved, "seconds": round(time.time() - started, 1)}) + "\n")
        console.print(f"step {s.step}: dev macro-F1 {score:.4f}{' (best)' if improved else ''}")
        if improved:
            with averaged():
                save_checkpoint(s, "best")
        save_checkpoint(s, "last", rng_states)  # the raw weights and the average: what --resume continues from

    def on_interrupt(s: FitState) -> None:  # a second Ctrl-C: rank 0 saves what it has
        save_checkpoint(s, "last")

    def on_stop(s: FitState) -> None:  # Ctrl-C: every rank after the same whole step
        save_checkpoint(s, "last", rank_rng_states(world))

    try:
        with progress_bar(console, disable=not main) as bar:
            state = fit(model, optimizer, train_enc, cfg.train, state, evaluate=evaluate_dev,
                        on_eval=on_eval, on_interrupt=on_interrupt, on_stop=on_stop, progress=bar,
                        rank=rank, world=world,
                        on_step=(lambda: average.update(model)) if average is not None else None)
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted at step {state.step}; checkpoint saved — continue with: "
                         f"slant train {out / 'config.yaml'} --out {out} --resume") from None

    barrier(world)
    if not main:
        return None
    if world > 1:  # the other ranks are done: evaluate on their cores too (torchrun ranks may each hold them all)
        torch.set_num_threads(min(os.cpu_count() or 1, world * torch.get_num_threads()))
    load_weights(model, out / "best")
    # held-out figures of the network the scorer runs: best/ as load_model reads it, a LoRA adapter
    # merged into the encoder (logits within 3e-6 of the adapter's; a fifth less time than its extra matmuls)
    scored = load_model(out / "best").model
    report = evaluate_all(scored, tokenizer, data, bf16=bf16, encode=lambda ds: encode(ds, tokenizer, arch),
                          threshold=cfg.train.threshold)
    tests = {**data.tests, **data.stance_tests}
    source_of = {**{n: n for n in data.tests}, **{n: "newsmtsc" for n in data.stance_tests}}  # a user's path may hold "_"
    meta = {
        "kind": "model",
        "tasks": (["framing"] if data.dev is not None else []) + (["spans"] if arch.tags else [])
                 + (["stance"] if arch.stance_head else []),
        "base": arch.base,
        "labels": arch.labels,
        "tags": arch.tags,
        "temperature": report["temperature"],
        "threshold": report["threshold"],
        "span_threshold": report.get("span_threshold", 0.5),
        "technique_weights": report.get("technique_weights", {}),
        "stances": arch.stances if arch.stance_head else [],
        "stance_temperature": report.get("stance_temperature", 1.0),
        "metrics": report["metrics"],
        "data": [{"source": n, "licence": licence_of(source_of[n]), "n_test": len(t)} for n, t in tests.items()]
                + train_only_sources(cfg, set(source_of.values()))
                + [{"source": "all", "n_train": len(data.train), "n_dev": len(data.dev) if data.dev is not None else 0,
                    "n_dev_stance": len(data.stance_dev) if data.stance_dev is not None else 0}],
        "train": {"steps": state.step, "best_dev_macro_f1": state.best_score, "processes": world,
                  "seconds": round(time.time() - started, 1), "bf16": bf16},
        "lexicon": report.get("lexicon"),
    }
    best = save_model(model, tokenizer, out / "best", meta, config_yaml=cfg.to_yaml(), splits=data.splits,
                      card=model_card(meta, cfg))
    (out / "report.json").write_text(json.dumps(report["metrics"], indent=2, default=float))
    return best
