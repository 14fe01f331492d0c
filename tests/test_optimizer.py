"""The optimiser's parameter groups: which weights learn at which rate."""
import pytest

from models.errors import SlantError
from models.framing_model import FramingModel
from training import loop
from training.config import load_config
from training.train import architecture


def _rates(overrides: list[str]) -> dict[str, float]:
    cfg = load_config(None, ["model.base=tiny-random-bert", "model.adapter=lora", "train.lr=1e-3",
                             "train.head_lr=2e-3", *overrides])
    model = FramingModel.build(architecture(cfg))
    opt = loop.make_optimizer(model, cfg.train)
    lr_of = {id(p): g["lr"] for g in opt.param_groups for p in g["params"]}
    return {name: lr_of[id(p)] for name, p in model.named_parameters() if p.requires_grad}


def test_lora_plus_gives_the_b_matrices_a_multiple_of_the_rate_and_nothing_else_changes():
    plain = _rates([])
    plus = _rates(["train.lora_b_lr_ratio=8"])
    assert plain.keys() == plus.keys()
    b = [n for n in plain if ".lora_B." in n]
    a = [n for n in plain if ".lora_A." in n]
    assert b and a and len(a) == len(b)
    assert all(plain[n] == pytest.approx(1e-3) and plus[n] == pytest.approx(8e-3) for n in b)
    assert all(plus[n] == plain[n] for n in plain if n not in b)
    assert all(plus[n] == pytest.approx(1e-3) for n in a)
    assert any(plus[n] == pytest.approx(2e-3) for n in plus if not n.startswith("encoder."))  # the heads


def test_a_non_positive_lora_b_ratio_is_rejected():
    with pytest.raises(SlantError, match="lora_b_lr_ratio must be > 0"):
        load_config(None, ["train.lora_b_lr_ratio=0"])
