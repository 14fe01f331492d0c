"""FastDropout: dropout's meaning (rate, expectation, gradient, eval identity) with masks fixed by torch's seed."""
from __future__ import annotations

import torch
from torch import nn

from models.fast_dropout import FastDropout, keep_mask, use_fast_dropout


def test_drops_at_rate_p_and_keeps_the_expectation():
    drop = FastDropout(0.1).train()
    y = drop(torch.ones(400, 500))
    dropped = (y == 0).float().mean().item()
    assert abs(dropped - 0.1) < 0.005
    assert abs(y.mean().item() - 1.0) < 0.01
    assert torch.allclose(y[y != 0], torch.full_like(y[y != 0], 65536 / (65536 - round(0.1 * 65536))))


def test_the_mask_follows_torchs_seed_and_changes_from_call_to_call():
    drop = FastDropout(0.3).train()
    x = torch.ones(64, 64)
    torch.manual_seed(5)
    a, b = drop(x), drop(x)
    torch.manual_seed(5)
    assert torch.equal(drop(x), a)
    assert not torch.equal(a, b)


def test_gradient_is_the_same_mask_and_scale():
    drop = FastDropout(0.5).train()
    x = torch.randn(32, 16, requires_grad=True)
    y = drop(x)
    y.sum().backward()
    kept = y.detach() != 0
    assert torch.equal(x.grad != 0, kept)
    assert torch.allclose(x.grad[kept], torch.full_like(x.grad[kept], 2.0))


def test_float32_path_gives_the_two_step_products_bit_for_bit():
    """One multiplication by a float mask of 0 / scale must give exactly what the boolean mask
    followed by the scale gave (the numbers behind the CV runs made with the two-step form)."""
    drop = FastDropout(0.1).train()
    x = torch.randn(48, 1536, requires_grad=True)
    g = torch.randn(48, 1536)
    torch.manual_seed(3)
    keep, scale = keep_mask(x.shape, 0.1)
    torch.manual_seed(3)
    y = drop(x)
    y.backward(g)
    assert torch.equal(y, x.detach().mul(keep).mul_(scale))
    assert torch.equal(x.grad, g.mul(keep).mul_(scale))
    half = x.detach().to(torch.bfloat16)
    torch.manual_seed(3)
    assert torch.equal(drop(half), half.mul(keep).mul_(scale))


def test_eval_mode_and_zero_rate_are_the_identity():
    x = torch.randn(8, 8)
    assert FastDropout(0.4).eval()(x) is x
    assert FastDropout(0.0).train()(x) is x


def test_keep_mask_rounds_p_to_sixteen_bits():
    keep, scale = keep_mask(torch.Size([10]), 0.25)
    assert keep.dtype == torch.bool and keep.shape == (10,)
    assert scale == 65536 / (65536 - 16384)


def test_swapping_keeps_each_rate_and_mode_and_changes_no_weight():
    net = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.2), nn.Sequential(nn.Dropout(0.7), nn.Linear(4, 2)))
    net.eval()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    assert use_fast_dropout(net) == 2
    assert [type(m) for m in net.modules()].count(FastDropout) == 2
    assert [m.p for m in net.modules() if isinstance(m, FastDropout)] == [0.2, 0.7]
    assert not any(m.training for m in net.modules())
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert use_fast_dropout(net) == 0  # already swapped
