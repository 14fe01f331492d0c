"""Training on the tiny random BERT: save/load, overfitting, resume, bad input."""
import json

import pytest
import torch
from safetensors.torch import load_file

from inference.scorer import Scorer
from models.errors import SlantError
from models.model_folder import load_model
from tests.conftest import batch_loss_with_ctrl_c_at, same_weights, tiny_overrides
from training import loop
from training.config import load_config
from training.schema import bio_tags
from training.train import train


def test_train_save_load_gives_the_same_predictions(tmp_path, synthetic_jsonl):
    cfg = load_config(None, tiny_overrides(synthetic_jsonl, **{"train.epochs": 2}))
    best = train(cfg, tmp_path / "run")
    for name in ("model.safetensors", "config.json", "meta.json", "config.yaml", "splits.json", "README.md", "tokenizer.json"):
        assert (best / name).is_file(), name
    meta = json.loads((best / "meta.json").read_text())
    assert {"temperature", "threshold", "metrics", "versions", "data", "base"} <= set(meta)
    assert "tfidf_logreg" in meta["metrics"]["test"][str(synthetic_jsonl)]["baselines"]
    assert (tmp_path / "run" / "metrics.jsonl").read_text().count("\n") == 2  # one eval per epoch

    sentences = ["The council met to discuss the budget on Monday.", "Officials held a hearing in a disgraceful move."]
    first = Scorer.load(best).score_sentences(sentences)
    again = Scorer.load(best).score_sentences(sentences)
    assert [s.score for s in first] == [s.score for s in again]
    # the unmerged model (as trained) agrees with the loaded, merged one
    raw = load_model(best, merge=False)
    enc = raw.tokenizer(sentences, padding=True, return_tensors="pt")
    with torch.no_grad():
        logits = raw.model(enc["input_ids"], enc["attention_mask"])["logits"].numpy()
    from training.calibration import apply_temperature

    assert abs(apply_temperature(logits, raw.temperature)[1] - first[1].score) < 1e-4


def test_overfits_four_examples(tmp_path):
    rows = [
        {"text": "The senator is a disgraceful pariah.", "label": 1, "spans": [[17, 28]]},
        {"text": "The budget was published on Monday.", "label": 0, "spans": []},
        {"text": "Those radical thugs wrecked the town.", "label": 1, "spans": [[6, 13], [14, 19]]},
        {"text": "The court will meet again in June.", "label": 0, "spans": []},
    ]
    path = tmp_path / "four.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows * 4))
    cfg = load_config(None, tiny_overrides(path, **{"train.epochs": 40, "data.test_size": 0.25, "data.dev_size": 0.34,
                                                    "train.warmup_ratio": 0.0}))
    torch.manual_seed(0)
    data_cfg = cfg
    from training.train import architecture, encode, make_data
    from models.encoders import load_tokenizer
    from models.framing_model import FramingModel

    data = make_data(data_cfg)
    four = data.train.select(range(4)) if len(data.train) >= 4 else data.train
    arch = architecture(cfg)
    tok = load_tokenizer(arch.base)
    model = FramingModel.build(arch)
    enc = encode(four, tok, arch)
    opt = loop.make_optimizer(model, cfg.train)
    rows_ = enc.select_columns(["input_ids", "attention_mask", "token_labels", "labels", "opinion_labels"])
    batch = loop.collate([rows_[i] for i in range(len(rows_))])
    losses = [loop.train_step(model, opt, batch, cfg.train, bf16=False) for _ in range(150)]
    assert losses[-1] < 0.05 < losses[0]
    preds = loop.predict(model, enc, bf16=False)
    assert list(preds.logits.argmax(-1)) == list(four["label"])


@pytest.mark.parametrize("ema, fast_dropout", [(0.0, False), (0.9, False), (0.0, True)])
def test_resume_after_interruption_reaches_the_same_weights(tmp_path, synthetic_jsonl, monkeypatch, ema, fast_dropout):
    overrides = tiny_overrides(synthetic_jsonl, **{"train.max_steps": 12, "train.eval_every": 4, "train.ema": ema,
                                                   "train.fast_dropout": fast_dropout})
    cfg = load_config(None, overrides)
    train(cfg, tmp_path / "straight")

    real_step, calls = loop.train_step, {"n": 0}

    def flaky_step(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 7:
            raise KeyboardInterrupt
        return real_step(*args, **kwargs)

    monkeypatch.setattr(loop, "train_step", flaky_step)
    with pytest.raises(SlantError, match="interrupted at step 6; checkpoint saved"):
        train(cfg, tmp_path / "bumpy")
    monkeypatch.setattr(loop, "train_step", real_step)
    assert json.loads((tmp_path / "bumpy" / "last" / "trainer_state.json").read_text())["step"] == 6
    train(load_config(tmp_path / "bumpy" / "config.yaml"), tmp_path / "bumpy", resume=True)

    for folder in ("last", "best"):  # with ema, best/ holds the average: it must resume too
        a = load_file(str(tmp_path / "straight" / folder / "model.safetensors"))
        b = load_file(str(tmp_path / "bumpy" / folder / "model.safetensors"))
        assert a.keys() == b.keys()
        for k in a:
            assert torch.equal(a[k], b[k]), (folder, k)


@pytest.mark.parametrize("fast_dropout", [False, True])
def test_ctrl_c_stops_after_the_whole_step_and_resume_reaches_the_same_weights(tmp_path, synthetic_jsonl, monkeypatch,
                                                                               fast_dropout):
    """A real SIGINT in the middle of a step (its masks drawn, its update not yet made): the step
    is finished, saved with the generator as it stands after it, and the resumed run matches."""
    import signal

    cfg = load_config(None, tiny_overrides(synthetic_jsonl, **{"train.max_steps": 12, "train.eval_every": 4,
                                                               "train.fast_dropout": fast_dropout}))
    train(cfg, tmp_path / "straight")
    real_loss = loop.batch_loss
    handler = signal.getsignal(signal.SIGINT)  # default_int_handler, or SIG_IGN under nohup / a background job
    monkeypatch.setattr(loop, "batch_loss", batch_loss_with_ctrl_c_at(7))
    with pytest.raises(SlantError, match="interrupted at step 7; checkpoint saved"):
        train(cfg, tmp_path / "bumpy")
    monkeypatch.setattr(loop, "batch_loss", real_loss)
    assert signal.getsignal(signal.SIGINT) is handler  # restored after training
    assert json.loads((tmp_path / "bumpy" / "last" / "trainer_state.json").read_text())["step"] == 7
    train(load_config(tmp_path / "bumpy" / "config.yaml"), tmp_path / "bumpy", resume=True)
    assert same_weights(tmp_path / "straight" / "best", tmp_path / "bumpy" / "best")


def test_resume_without_checkpoint_and_reused_run_folder_are_refused(tmp_path, synthetic_jsonl):
    cfg = load_config(None, tiny_overrides(synthetic_jsonl, **{"train.max_steps": 2}))
    with pytest.raises(SlantError, match="no checkpoint"):
        train(cfg, tmp_path / "empty", resume=True)
    train(cfg, tmp_path / "run")
    with pytest.raises(SlantError, match="already holds a run"):
        train(cfg, tmp_path / "run")


SENTS = ["A plain sentence.", "Officials held a hearing in a disgraceful move."]


def transformers_scores(loaded, sents: list[str]):
    """Calibrated framing probabilities from a folder loaded the transformers way (``load_model``),
    to check the scorer's own loading route against."""
    from training.calibration import apply_temperature

    enc = loaded.tokenizer(sents, padding=True, return_tensors="pt")
    with torch.no_grad():
        logits = loaded.model(enc["input_ids"], enc["attention_mask"])["logits"].numpy()
    return apply_temperature(logits, loaded.temperature)


def test_lora_adapter_saves_only_what_training_changed(tmp_path, synthetic_jsonl):
    cfg = load_config(None, tiny_overrides(synthetic_jsonl, **{"train.max_steps": 3, "model.adapter": "lora",
                                                               "model.lora_r": 4}))
    best = train(cfg, tmp_path / "run")
    keys = load_file(str(best / "model.safetensors")).keys()
    assert all("lora_" in k or "head" in k for k in keys)
    full = load_config(None, tiny_overrides(synthetic_jsonl, **{"train.max_steps": 3}))
    full_best = train(full, tmp_path / "full")
    assert (best / "model.safetensors").stat().st_size < (full_best / "model.safetensors").stat().st_size / 5
    # merging the adapter by hand at load gives the same scores as peft's unmerged model
    merged = Scorer.load(best, bf16=False).score_sentences(SENTS)
    for a, b in zip(transformers_scores(load_model(best, merge=False), SENTS), merged):
        assert abs(a - b.score) < 1e-5


def test_frozen_first_layers_carry_no_adapter_and_load_the_same(tmp_path, synthetic_jsonl):
    cfg = load_config(None, tiny_overrides(synthetic_jsonl, **{"train.max_steps": 3, "model.adapter": "lora",
                                                               "model.lora_r": 4, "model.lora_frozen_layers": 1}))
    best = train(cfg, tmp_path / "run")
    keys = [k for k in load_file(str(best / "model.safetensors")) if "lora_A" in k]
    assert keys and not any("layer.0." in k for k in keys) and all("layer.1." in k for k in keys)
    merged = Scorer.load(best, bf16=False).score_sentences(SENTS)
    for a, b in zip(transformers_scores(load_model(best, merge=False), SENTS), merged):
        assert abs(a - b.score) < 1e-5
    with pytest.raises(SlantError, match="has 2 layers"):
        train(load_config(None, tiny_overrides(synthetic_jsonl, **{"model.adapter": "lora", "model.lora_frozen_layers": 2})),
              tmp_path / "all_frozen")
    with pytest.raises(SlantError, match="needs model.adapter: lora"):
        load_config(None, ["model.lora_frozen_layers=1"])


def test_a_model_on_the_first_layers_only_saves_and_loads_that_depth(tmp_path, synthetic_jsonl):
    cfg = load_config(None, tiny_overrides(synthetic_jsonl, **{"train.max_steps": 3, "model.layers": 1}))
    best = train(cfg, tmp_path / "run")
    assert json.loads((best / "encoder_config.json").read_text())["num_hidden_layers"] == 1
    assert not any(".layer.1." in k for k in load_file(str(best / "model.safetensors")))
    assert "first 1 layers" in (best / "README.md").read_text()
    fast = Scorer.load(best, bf16=False).score_sentences(SENTS)  # FastBert, built from encoder_config.json
    raw = load_model(best)  # transformers' BertModel, cut to one layer by the architecture
    assert len(raw.model.encoder.encoder.layer) == 1
    for a, b in zip(transformers_scores(raw, SENTS), fast):
        assert abs(a - b.score) < 1e-5
    with pytest.raises(SlantError, match="has only 2 layers"):
        train(load_config(None, tiny_overrides(synthetic_jsonl, **{"model.layers": 3})), tmp_path / "deep")


def test_plain_progress_lines_when_stderr_is_not_a_terminal():
    import io

    from training.progress import PlainProgress

    out = io.StringIO()
    with PlainProgress(out, every_share=0.25, min_gap_s=0.0) as bar:
        task = bar.add_task("train", total=8, completed=0, loss=float("nan"))
        for _ in range(8):
            bar.update(task, advance=1, loss=0.5)
    lines = out.getvalue().splitlines()
    assert len(lines) == 5 and lines[-1].startswith("train: 8/8 steps, loss 0.500")
    assert "ETA" in lines[0]


def test_a_model_taught_untyped_spans_only_marks_them_as_loaded_language(tmp_path, synthetic_jsonl):
    """With BABE's biased words alone (configs/quality.yaml) nothing tells the techniques apart,
    so the head gets loaded language's tags only instead of naming each span by chance."""
    untyped = load_config(None, tiny_overrides(synthetic_jsonl, **{"train.max_steps": 4,
                                                                 "data.untyped_span_sources": f"[{synthetic_jsonl}]"}))
    best = train(untyped, tmp_path / "untyped")
    assert json.loads((best / "meta.json").read_text())["tags"] == ["O", "B-loaded_language", "I-loaded_language"]
    spans = [sp for s in Scorer.load(best, targets=False).score_sentences(["Those radical thugs wrecked the town."] * 2)
             for sp in s.spans]
    assert all(sp.technique == "loaded_language" for sp in spans)
    typed = load_config(None, tiny_overrides(synthetic_jsonl, **{"train.max_steps": 4}))
    assert json.loads((train(typed, tmp_path / "typed") / "meta.json").read_text())["tags"] == bio_tags()


def test_options_that_name_a_users_file_by_its_path_reach_its_rows(tmp_path, synthetic_jsonl):
    from training.train import make_data

    other = tmp_path / "other.jsonl"
    other.write_text(synthetic_jsonl.read_text())
    cfg = load_config(None, tiny_overrides(synthetic_jsonl, **{
        "data.train": f"[{synthetic_jsonl},{other}]", "data.sentence_sources": f"[{synthetic_jsonl}]",
        "data.span_sources": f"[{other}]", "data.untyped_span_sources": f"[{other}]"}))
    data = make_data(cfg)
    rows = list(zip(data.train["source"], data.train["label"], data.train["has_spans"]))
    assert {s for s, _, _ in rows} == {"synthetic", "other"}
    assert all(label == -1 for s, label, _ in rows if s == "other")
    assert any(label != -1 for s, label, _ in rows if s == "synthetic")
    assert not any(has for s, _, has in rows if s == "synthetic") and any(has for s, _, has in rows if s == "other")
    assert data.untyped_sources == ["other"]


def test_eval_source_repeat_shows_its_training_rows_that_many_times(tmp_path, synthetic_jsonl):
    from training.train import make_data, repeat_source

    other = tmp_path / "other.jsonl"
    other.write_text(synthetic_jsonl.read_text().replace("The", "A"))
    data = make_data(load_config(None, tiny_overrides(synthetic_jsonl, **{"data.train": f"[{synthetic_jsonl},{other}]"})))
    shown = repeat_source(data.train, "synthetic", 3)
    count = lambda d, s: sum(1 for x in d["source"] if x == s)  # noqa: E731
    assert count(shown, "synthetic") == 3 * count(data.train, "synthetic") > 0
    assert count(shown, "other") == count(data.train, "other") > 0
    assert repeat_source(data.train, "synthetic", 1) is data.train
    with pytest.raises(SlantError, match="eval_source_repeat"):
        load_config(None, tiny_overrides(synthetic_jsonl, **{"data.eval_source_repeat": 0}))


def test_eval_source_repeat_changes_what_the_model_sees_not_the_baselines(tmp_path, synthetic_jsonl):
    runs = {}
    for times in (1, 2):
        best = train(load_config(None, tiny_overrides(synthetic_jsonl, **{"train.max_steps": 3,
                                                                       "data.eval_source_repeat": times})),
                     tmp_path / f"x{times}")
        meta = json.loads((best / "meta.json").read_text())
        runs[times] = (meta["metrics"]["test"][str(synthetic_jsonl)]["baselines"],
                       json.loads((best / "splits.json").read_text())["train"], (best / "model.safetensors").read_bytes())
    assert runs[1][0] == runs[2][0] and runs[1][1] == runs[2][1]
    assert runs[1][2] != runs[2][2]


def test_training_caps_onednn_caches(tmp_path, synthetic_jsonl, monkeypatch):
    """Per-shape oneDNN caches took a default training run's peak from 2.7 to 3.9 GB."""
    import os

    from models.precision import ONEDNN_CACHE_ENTRIES

    monkeypatch.delenv("ONEDNN_PRIMITIVE_CACHE_CAPACITY", raising=False)
    monkeypatch.delenv("LRU_CACHE_CAPACITY", raising=False)
    train(load_config(None, tiny_overrides(synthetic_jsonl, **{"train.max_steps": 2})), tmp_path / "run")
    assert os.environ["ONEDNN_PRIMITIVE_CACHE_CAPACITY"] == os.environ["LRU_CACHE_CAPACITY"] == ONEDNN_CACHE_ENTRIES


def test_a_fixed_threshold_is_used_as_given_and_a_bad_one_is_refused(tmp_path, synthetic_jsonl):
    cfg = load_config(None, tiny_overrides(synthetic_jsonl, **{"train.epochs": 1, "train.threshold": 0.5}))
    best = train(cfg, tmp_path / "run")
    meta = json.loads((best / "meta.json").read_text())
    assert meta["threshold"] == 0.5
    test = meta["metrics"]["test"][str(synthetic_jsonl)]
    assert test["macro_f1"] == pytest.approx(test["macro_f1_argmax"])  # calibrated 0.5 is the raw argmax
    assert "fixed by train.threshold" in (best / "README.md").read_text()
    with pytest.raises(SlantError, match="train.threshold must be in"):
        load_config(None, tiny_overrides(synthetic_jsonl, **{"train.threshold": 1.5}))
    from training.evaluation import calibrate

    logits = torch.tensor([[2.0, -1.0], [0.5, 0.2], [-1.0, 1.5], [0.1, 0.3]]).numpy()
    assert calibrate(logits, [0, 1, 1, 0], 0.3)[1] == 0.3
    assert calibrate(logits, [0, 1, 1, 0])[1] != 0.3  # fitted on these labels instead


def test_dropout_seed_changes_the_masks_and_nothing_else(tmp_path, synthetic_jsonl):
    """The noise control: same split, same initial weights, other masks; the same dropout seed
    reproduces its run."""
    def run(name, **extra):
        cfg = load_config(None, tiny_overrides(synthetic_jsonl, **{"train.max_steps": 3, "model.dropout": 0.3, **extra}))
        best = train(cfg, tmp_path / name)
        return json.loads((best / "splits.json").read_text()), load_file(str(best / "model.safetensors"))

    def first_weights(name, **extra):
        cfg = load_config(None, tiny_overrides(synthetic_jsonl, **{"train.max_steps": 1, "train.lr": 1e-12, **extra}))
        return load_file(str(train(cfg, tmp_path / name) / "model.safetensors"))

    splits, plain = run("plain")
    splits_a, a = run("a", **{"train.dropout_seed": 5})
    _, a_again = run("a_again", **{"train.dropout_seed": 5})
    assert splits_a == splits
    assert any(not torch.equal(plain[k], a[k]) for k in plain)
    assert all(torch.equal(a[k], a_again[k]) for k in a)
    # the initialisation is the run's seed's, whatever the dropout seed
    start, start_5 = first_weights("i0"), first_weights("i5", **{"train.dropout_seed": 5})
    assert all(torch.allclose(start[k], start_5[k], atol=1e-6) for k in start)
    with pytest.raises(SlantError, match="dropout_seed must be >= 0"):
        load_config(None, ["train.dropout_seed=-1"])


def test_fast_dropout_is_used_only_when_asked(tmp_path, synthetic_jsonl, monkeypatch):
    import training.train as train_module

    swapped = []
    real = train_module.use_fast_dropout
    monkeypatch.setattr(train_module, "use_fast_dropout", lambda model: swapped.append(real(model)))
    for fast in (False, True):
        train(load_config(None, tiny_overrides(synthetic_jsonl, **{"train.max_steps": 2, "train.fast_dropout": fast})),
              tmp_path / str(fast))
    assert len(swapped) == 1 and swapped[0] > 0
    a = load_file(str(tmp_path / "False" / "last" / "model.safetensors"))
    b = load_file(str(tmp_path / "True" / "last" / "model.safetensors"))
    assert any(not torch.equal(a[k], b[k]) for k in a)  # other masks, other weights


def test_a_runs_saved_figures_are_those_slant_evaluate_reproduces(tmp_path, synthetic_jsonl):
    """The run evaluates best/ as load_model reads it (the adapter merged), the network the scorer and
    ``slant evaluate`` run, so the figures in meta.json are the ones a user can reproduce."""
    from training.evaluate_cli import evaluate_model

    cfg = load_config(None, tiny_overrides(synthetic_jsonl, **{"train.max_steps": 6, "model.adapter": "lora",
                                                               "model.lora_r": 4}))
    best = train(cfg, tmp_path / "run")
    saved = json.loads((best / "meta.json").read_text())
    again = evaluate_model(str(best), out=str(tmp_path / "e.json"))
    assert again["span_threshold"] == saved["span_threshold"]
    for name, block in saved["metrics"]["test"].items():
        assert again["metrics"]["test"][name]["macro_f1"] == block["macro_f1"]
        assert again["metrics"]["test"][name]["ece"] == pytest.approx(block["ece"], abs=1e-9)
        assert again["metrics"]["test"][name]["spans"] == block["spans"]


def test_sigterm_stops_a_single_process_run_after_the_step_with_a_checkpoint(tmp_path, synthetic_jsonl, monkeypatch):
    """A scheduler's SIGTERM (or `timeout`) had killed a one-process run on the spot, losing every step since
    the last evaluation; it now stops as Ctrl-C does, and the handler is restored afterwards."""
    import signal

    cfg = load_config(None, tiny_overrides(synthetic_jsonl, **{"train.max_steps": 12, "train.eval_every": 4}))
    handler = signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr(loop, "batch_loss", batch_loss_with_ctrl_c_at(6, "SIGTERM"))
    with pytest.raises(SlantError, match="interrupted at step 6; checkpoint saved"):
        train(cfg, tmp_path / "run")
    assert signal.getsignal(signal.SIGTERM) is handler
    assert json.loads((tmp_path / "run" / "last" / "trainer_state.json").read_text())["step"] == 6
