"""The transformers-free inference path gives the same numbers as transformers."""
import json

import pytest
import torch

from inference.scorer import Scorer
from models.fast_bert import FastBert
from models.fast_load import FastTokenizer, load_for_scoring
from models.model_folder import load_model


def test_fast_bert_matches_transformers_bert():
    from transformers import BertConfig, BertModel

    cfg = BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64)
    torch.manual_seed(0)
    hf = BertModel(cfg, add_pooling_layer=False).eval()
    fast = FastBert(cfg.to_dict()).eval()
    assert not fast.load_state_dict(hf.state_dict(), strict=False).missing_keys
    ids = torch.randint(1, 100, (3, 9))
    mask = torch.ones_like(ids)
    mask[1, 5:] = 0
    with torch.no_grad():
        a = hf(input_ids=ids, attention_mask=mask).last_hidden_state
        b = fast(ids, mask).last_hidden_state
    real = mask.bool()
    assert torch.allclose(a[real], b[real], atol=1e-5)


def test_fast_path_scores_equal_the_transformers_path(tiny_model):
    sents = ["The council met on Monday.", "Officials held a hearing in a disgraceful move, said the mayor."]
    fast = Scorer.load(tiny_model, bf16=False)
    assert isinstance(fast.loaded.tokenizer, FastTokenizer)
    slow = Scorer(load_model(tiny_model), bf16=False)
    for a, b in zip(fast.score_sentences(sents), slow.score_sentences(sents)):
        assert abs(a.score - b.score) < 1e-5
        assert [(s.start, s.end, s.technique) for s in a.spans] == [(s.start, s.end, s.technique) for s in b.spans]


def test_fast_tokenizer_offsets_match_the_hf_tokenizer(tiny_model):
    text = "North Korea’s ‘pariah’ leader — Kim Jong-Un — visits the U.S.A. (café)"
    fast = load_for_scoring(tiny_model).tokenizer([text])
    hf = load_model(tiny_model).tokenizer([text], add_special_tokens=False, return_offsets_mapping=True)
    assert fast["input_ids"] == hf["input_ids"]
    assert [list(map(tuple, o)) for o in fast["offset_mapping"]] == [list(map(tuple, o)) for o in hf["offset_mapping"]]


def test_old_folder_without_encoder_config_falls_back(tiny_model, tmp_path):
    import shutil

    copy = tmp_path / "old"
    shutil.copytree(tiny_model, copy)
    (copy / "encoder_config.json").unlink()
    [rec] = Scorer.load(copy).score_sentences(["The council met."])
    assert 0 <= rec.score <= 1
    assert json.loads((copy / "config.json").read_text())["base"] == "tiny-random-bert"


def test_packed_linear_matches_nn_linear():
    from models.packed_linear import PackedLinear, packs_correctly

    if not packs_correctly():
        pytest.skip("this torch build cannot pack oneDNN linear weights")
    torch.manual_seed(1)
    lin = torch.nn.Linear(40, 24).to(torch.bfloat16)
    x = torch.randn(3, 7, 40, dtype=torch.bfloat16)
    with torch.inference_mode():
        assert torch.allclose(PackedLinear(lin.weight, lin.bias)(x).float(), lin(x).float(), atol=0.03, rtol=0.02)


@pytest.mark.parametrize("bf16", [True, False])
def test_scorer_packs_its_own_encoder_and_keeps_its_scores(tiny_model, monkeypatch, bf16):
    """The scoring network's encoder linears are packed (where the build can), the heads are
    not, and scores match the same network unpacked; without packing it still scores; a model
    handed in by the caller is never changed."""
    import models.packed_linear as packed_linear
    from models.packed_linear import PackedLinear

    sents = ["The council met on Monday.", "Officials held a hearing in a disgraceful move, said the mayor."]
    packed = Scorer.load(tiny_model, bf16=bf16, targets=False)
    a = packed.score_sentences(sents)
    network = packed.network()
    n_packed = sum(isinstance(m, PackedLinear) for m in network.encoder.modules())
    assert n_packed == (12 if packed_linear.packs_correctly(torch.bfloat16 if bf16 else torch.float32) else 0)
    assert not isinstance(network.sentence_head, PackedLinear)
    theirs = load_for_scoring(tiny_model)
    Scorer(theirs, bf16=bf16, targets=False).score_sentences(sents)
    assert not any(isinstance(m, PackedLinear) for m in theirs.model.modules())
    monkeypatch.setattr(packed_linear, "packs_correctly", lambda dtype=None: False)
    plain = Scorer.load(tiny_model, bf16=bf16, targets=False)
    b = plain.score_sentences(sents)
    assert not any(isinstance(m, PackedLinear) for m in plain.network().modules())
    for x, y in zip(a, b):
        assert abs(x.score - y.score) < (0.02 if bf16 else 1e-5)
