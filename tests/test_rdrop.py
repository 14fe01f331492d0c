"""R-Drop: the KL term is zero without dropout, positive with it, and training still converges."""
import dataclasses
import json

import pytest
import torch

from training import loop
from training.config import load_config
from tests.conftest import tiny_overrides

ROWS = [
    {"text": "The senator is a disgraceful pariah.", "label": 1, "spans": [[17, 28]]},
    {"text": "The budget was published on Monday.", "label": 0, "spans": []},
    {"text": "Those radical thugs wrecked the town.", "label": 1, "spans": [[6, 13], [14, 19]]},
    {"text": "The court will meet again in June.", "label": 0, "spans": []},
]


@pytest.fixture
def four(tmp_path):
    from models.encoders import load_tokenizer
    from models.framing_model import FramingModel
    from training.train import architecture, encode, make_data

    path = tmp_path / "four.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in ROWS * 4))
    cfg = load_config(None, tiny_overrides(path, **{"data.test_size": 0.25, "data.dev_size": 0.34,
                                                    "train.warmup_ratio": 0.0, "train.rdrop": 1.0}))
    torch.manual_seed(0)
    arch = architecture(cfg)
    model = FramingModel.build(arch)
    enc = encode(make_data(cfg).train.select(range(4)), load_tokenizer(arch.base), arch)
    rows = enc.select_columns(["input_ids", "attention_mask", "token_labels", "labels", "opinion_labels"])
    return cfg, model, loop.collate([rows[i] for i in range(len(rows))])


def test_kl_term_is_zero_without_dropout_and_positive_with_it(four):
    cfg, model, batch = four
    model.train()
    off = dataclasses.replace(cfg.train, rdrop=0.0)
    torch.manual_seed(1)
    with_kl = loop.rdrop_loss(model, batch, cfg.train, bf16=False)
    torch.manual_seed(1)  # the same dropout masks: the difference is the KL term alone
    kl = with_kl - loop.rdrop_loss(model, batch, off, bf16=False)
    for m in model.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0
    plain = loop.compute_loss(model(batch["input_ids"], batch["attention_mask"], target_index=batch["target_index"]),
                              batch, off)
    assert torch.allclose(loop.rdrop_loss(model, batch, cfg.train, bf16=False), plain, atol=1e-5)
    assert loop.rdrop_loss(model, batch, off, bf16=False).item() == pytest.approx(plain.item(), abs=1e-5)
    assert kl.item() > 1e-6


def test_training_with_rdrop_still_overfits_four_examples(four):
    cfg, model, batch = four
    opt = loop.make_optimizer(model, cfg.train)
    losses = [loop.train_step(model, opt, batch, cfg.train, bf16=False) for _ in range(150)]
    assert losses[-1] < 0.1 < losses[0]


def test_negative_rdrop_is_rejected():
    from models.errors import SlantError

    with pytest.raises(SlantError, match="train.rdrop must be >= 0"):
        load_config(None, ["train.rdrop=-1"])
