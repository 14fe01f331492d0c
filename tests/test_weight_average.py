"""The moving average of the weights: its arithmetic, and that applying it is undone."""
import torch
from torch import nn

from training.weight_average import WeightAverage


def test_average_follows_the_decay_and_skips_frozen_weights():
    model = nn.Linear(2, 1)
    model.bias.requires_grad_(False)
    average = WeightAverage(decay=0.2)
    for value in (1.0, 3.0, 5.0):
        with torch.no_grad():
            model.weight.fill_(value)
        average.update(model)
    # the first update copies; then decay min(0.2, (1 + t) / (10 + t)) = 0.2
    expected = (1.0 * 0.2 + 3.0 * 0.8) * 0.2 + 5.0 * 0.8
    assert torch.allclose(average.shadow["weight"], torch.full((1, 2), expected))
    assert set(average.shadow) == {"weight"}


def test_applied_swaps_the_average_in_and_restores_the_raw_weights():
    model = nn.Linear(2, 1)
    average = WeightAverage(decay=0.9)
    average.update(model)
    raw = model.weight.detach().clone()
    with torch.no_grad():
        model.weight.add_(1.0)
    moved = model.weight.detach().clone()
    with average.applied(model):
        assert torch.equal(model.weight, raw)
    assert torch.equal(model.weight, moved)


def test_applied_before_any_update_leaves_the_model_alone():
    model = nn.Linear(2, 1)
    before = model.weight.detach().clone()
    with WeightAverage(decay=0.9).applied(model):
        assert torch.equal(model.weight, before)
