import json
from pathlib import Path

import pytest

from models.errors import SlantError
from training.config import load_config, parse_dotted_flags


def test_defaults_yaml_and_dotted_flags_layer_in_order(tmp_path):
    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text("train:\n  lr: 1.0e-4\n  epochs: 7\nmodel:\n  adapter: lora\n")
    cfg = load_config(cfg_file, parse_dotted_flags(["--train.lr", "3e-5", "--data.train=babe,ptc"]))
    assert cfg.train.lr == 3e-5          # flag beats YAML
    assert cfg.train.epochs == 7         # YAML beats default
    assert cfg.train.batch_size == 32    # default kept
    assert cfg.model.adapter == "lora"
    assert cfg.data.train == ["babe", "ptc"]


def test_resolved_config_round_trips_through_yaml(tmp_path):
    cfg = load_config(None, ["train.max_steps=5", "model.token_head=false"])
    saved = tmp_path / "saved.yaml"
    saved.write_text(cfg.to_yaml())
    assert load_config(saved).to_dict() == cfg.to_dict()


@pytest.mark.parametrize("yaml_text, message", [
    ("train:\n  lrr: 1\n", "did you mean 'train.lr'"),
    ("trian:\n  lr: 1\n", "did you mean 'train'"),
    ("model:\n  lr: 1\n", "did you mean 'train.lr'"),  # a key filed under the wrong group
    ("train:\n  zzz: 1\n", "keys of train are seed, epochs"),
    ("train:\n  lr: fast\n", "train.lr"),
    ("train:\n  epochs: 2.5\n", "must be an integer"),
    ("model:\n  adapter: qlora\n", "must be one of none, lora"),
    ("train: [1, 2]\n", "must be a mapping"),
    ("train:\n  lr: 1\n   bad: indent\n", "not valid YAML"),
    ("train:\n  lr: -1\n", "train.lr must be > 0"),
    ("train:\n  ema: 1.5\n", "train.ema must be in [0, 1)"),
])
def test_bad_configs_fail_with_one_clear_line(tmp_path, yaml_text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml_text)
    with pytest.raises(SlantError) as err:
        load_config(path)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_config_file_and_bad_flags():
    with pytest.raises(SlantError, match="no such file"):
        load_config("does/not/exist.yaml")
    with pytest.raises(SlantError, match="needs a value"):
        parse_dotted_flags(["--train.lr"])
    with pytest.raises(SlantError, match="unknown option"):
        parse_dotted_flags(["--verbose"])


def test_span_sources_must_be_training_sources_and_mask_the_others(tmp_path):
    from tests.conftest import synthetic_rows
    from training.train import make_data

    with pytest.raises(SlantError, match="span_sources"):
        load_config(None, ["data.train=babe", "data.span_sources=ptc"])
    path = tmp_path / "syn.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in synthetic_rows()) + "\n")
    other = tmp_path / "other.jsonl"
    other.write_text("\n".join(json.dumps({**r, "id": "o" + r["id"]}) for r in synthetic_rows(seed=1)) + "\n")
    cfg = load_config(None, [f"data.train={path},{other}", f"data.eval_source={path}", "data.span_sources=syn"])
    train = make_data(cfg).train
    assert {s for s, h in zip(train["source"], train["has_spans"]) if h} == {"syn"}


@pytest.mark.parametrize("path", sorted((Path(__file__).parents[1] / "configs").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_config_loads(path):
    cfg = load_config(path)  # unknown keys, bad values and cross-field rules all raise here
    assert cfg.model.base and cfg.data.train


@pytest.mark.parametrize("flag, message", [
    ("train.max_steps=-5", "train.max_steps must be 0 (train.epochs decides) or more, got -5"),
    ("train.epochs=-1", "train.epochs must be 0 or more"),
    ("train.threads=-2", "train.threads must be 0 (torch's default) or more, got -2"),
    ("train.seed=-1", "train.seed must be from 0 to 4294967294"),
    ("train.seed=4294967295", "train.seed must be from 0 to 4294967294"),
    ("train.eval_every=-1", "train.eval_every must be 0 (once per epoch) or more"),
    ("train.patience=-1", "train.patience must be 0 (no early stop) or more"),
    ("train.head_lr=-1e-4", "train.head_lr must be 0 (same as train.lr) or more"),
    ("train.weight_decay=-0.1", "train.weight_decay must be 0 (off) or more"),
    ("train.grad_clip=-1", "train.grad_clip must be 0 (off) or more"),
    ("train.soft_label_weight=1.5", "train.soft_label_weight must be in [0, 1]"),
    ("train.token_loss_weight=-0.5", "token_loss_weight, opinion_loss_weight and stance_loss_weight must be 0"),
    ("data.max_rows_per_source=-1", "data.max_rows_per_source must be 0 (keep all) or more, got -1"),
    ("model.dropout=2", "model.dropout must be in [0, 1), got 2.0"),
    ("model.dropout=1", "model.dropout must be in [0, 1)"),
    ("model.lora_dropout=-0.1", "model.lora_dropout must be in [0, 1)"),
    ("model.lora_r=0", "model.lora_r must be 1 or more"),
    ("model.lora_alpha=0", "model.lora_alpha must be > 0"),
])
def test_out_of_range_numbers_fail_before_training_with_one_line(flag, message):
    """Each of these once passed and failed later as a library traceback or a silently odd run."""
    with pytest.raises(SlantError) as err:
        load_config(None, [flag])
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_zero_keeps_its_documented_meaning_for_counts():
    cfg = load_config(None, ["train.max_steps=0", "train.threads=0", "train.eval_every=0", "train.patience=0",
                             "train.seed=0", "train.head_lr=0", "train.grad_clip=0", "data.max_rows_per_source=0",
                             "model.dropout=0", "model.lora_dropout=0"])
    assert cfg.train.threads == 0 and cfg.data.max_rows_per_source == 0


def test_print_config_refuses_a_bad_value(tmp_path, capsys):
    from inference.cli import main

    cfg = tmp_path / "c.yaml"
    cfg.write_text("train:\n  epochs: 1\n")
    assert main(["train", str(cfg), "--print-config", "--train.threads", "-2"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "slant: error: config: train.threads must be 0 (torch's default) or more, got -2"


@pytest.mark.parametrize("yaml_text, message", [
    ("train:\n  lr: 1.0e-4\n  lr: 3.0e-4\n", "key 'lr' is given twice (lines 2 and 3)"),  # YAML kept the last
    ("train:\n  lr: 1.0e-4\nmodel:\n  adapter: lora\ntrain:\n  epochs: 1\n",
     "section 'train' is given twice (lines 1 and 5)"),  # the first section's keys were dropped silently
    ("", "empty; start from a shipped one"),  # trained the code defaults, a recipe no config uses
    ("# model:\n#   adapter: lora\n", "empty; start from a shipped one"),
    ("train:\n", "section 'train' is empty"),
    ("train: null\n", "section 'train' is empty"),
    ("train:\n\tlr: 1\n", "at line 2: a tab; indent with spaces"),
    ("lr: 1\n", "'lr' is a key of train: put it under 'train:'"),
    ("train.lr: 1\n", "write 'train:' and under it '  lr: ...'"),
    ("train:\n  epochs: !!int x\n", "not valid YAML"),  # a ValueError traceback
    ("train:\n  lr: .inf\n", "train.lr (config"),  # passed "> 0" and trained on
    ("train:\n  epochs: .inf\n", "train.epochs (config"),  # an OverflowError traceback
    ("model:\n  base: null\n", "model.base must name an encoder"),  # "" passed, failed after the data loaded
    ("data:\n  eval_source: null\n", "data.eval_source must name a source"),
])
def test_yaml_edge_cases_fail_with_one_clear_line(tmp_path, yaml_text, message):
    path = tmp_path / "edge.yaml"
    path.write_text(yaml_text)
    with pytest.raises(SlantError) as err:
        load_config(path)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("flag, message", [
    ("trian.lr=1", "did you mean 'train.lr'?"),  # suggested the section alone
    ("train.LR=1", "did you mean 'train.lr'?"),  # listed every key of train
    ("model.epoch=2", "did you mean 'train.epochs'?"),  # listed model's keys
    ("data.eval-source=babe", "did you mean 'data.eval_source'?"),
    ("train.lr.x=1", "a key has two parts"),  # suggested 'train'
    ("train.epochs=1e400", "train.epochs (override) must be an integer"),  # OverflowError traceback
    ("train.epochs=nan", "train.epochs (override) must be an integer"),  # ValueError traceback
    ("train.grad_clip=inf", "train.grad_clip (override) must be a number"),  # accepted
    ("train.lr=[1", "train.lr (override) must be a number, got '[1'"),  # yaml ParserError traceback
    ("data.train=babe,ptcc", "'ptcc' is not a source (did you mean 'ptc'?)"),  # refused only after babe loaded
    ("data.eval_source=babe.txt", "data.eval_source: 'babe.txt' is not a source"),
    ("data.ptc_other_techniques=unlabeled", "must be one of neutral, unlabelled, framing, got 'unlabeled'"),
    ("data.babe_extra_words=sg2", "takes sg1 and/or mbic, got ['sg2']"),
])
def test_near_misses_and_bad_flag_values_name_the_fix(flag, message):
    with pytest.raises(SlantError) as err:
        load_config(None, [flag])
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_a_flag_without_its_section_names_the_key():
    with pytest.raises(SlantError, match=r"unknown option '--lr'; did you mean --train.lr\?"):
        parse_dotted_flags(["--lr", "3e-5"])
    with pytest.raises(SlantError, match=r"did you mean --train.batch_size\?"):
        parse_dotted_flags(["--batch-size", "8"])
    with pytest.raises(SlantError, match=r"did you mean --train.lr=3\?"):
        parse_dotted_flags(["train.lr=3"])


def test_every_kind_of_field_takes_the_spelling_the_readme_shows():
    flags = ["--model.token_head", "false", "--model.opinion_head", "1", "--train.lr", "3e-4", "--train.max_steps",
             "200", "--data.split", "outlet", "--data.train", "babe,ptc", "--model.lora_targets=[query, value]",
             "--data.untyped_span_sources", "[]", "--data.test_outlets", "null", "--data.root", "",
             "--train.bf16", "off", "--data.root", "'quoted dir"]
    cfg = load_config(None, parse_dotted_flags(flags))
    assert (cfg.model.token_head, cfg.model.opinion_head, cfg.train.lr, cfg.train.max_steps) == (False, True, 3e-4, 200)
    assert (cfg.data.split, cfg.data.train, cfg.model.lora_targets) == ("outlet", ["babe", "ptc"], ["query", "value"])
    assert (cfg.data.untyped_span_sources, cfg.data.test_outlets, cfg.train.bf16) == ([], [], "off")
    assert cfg.data.root == "'quoted dir"  # not YAML: taken as it stands (was a yaml.ScannerError traceback)


@pytest.mark.parametrize("path", sorted((Path(__file__).parents[1] / "configs").glob("*.yaml")), ids=lambda p: p.name)
def test_print_config_output_fed_back_resolves_the_same(path, tmp_path, capsys):
    from inference.cli import main

    flags = ["--data.root", "/data/a b: c", "--train.bf16", "on", "--data.test_outlets", "Fox News,null",
             "--model.base", "1e-3", "--train.seed", "7"]
    assert main(["train", str(path), "--print-config", *flags]) == 0
    saved = tmp_path / "resolved.yaml"
    saved.write_text(capsys.readouterr().out)
    assert main(["train", str(saved), "--print-config"]) == 0
    assert capsys.readouterr().out == saved.read_text()
    assert load_config(saved).to_dict() == load_config(path, parse_dotted_flags(flags)).to_dict()
