"""The sentence head reading the token head's evidence (``model.sentence_pool: mean_evidence``)."""
import pytest
import torch

from inference.scorer import Scorer
from models.errors import SlantError
from models.framing_model import evidence_pool
from models.model_folder import load_model
from training.config import load_config
from training.train import train
from tests.conftest import tiny_overrides

SENTS = ["A plain sentence.", "Officials held a hearing in a disgraceful move.", "The pariah leader spoke."]


def test_evidence_pool_is_the_weighted_mean_of_the_marked_pieces_and_zero_without_any():
    hidden = torch.tensor([[[2.0, 0.0], [0.0, 4.0], [6.0, 6.0]]])
    mask = torch.tensor([[1, 1, 0]])
    sure_o, sure_span = [9.0, -9.0, -9.0], [-9.0, 9.0, -9.0]
    logits = torch.tensor([[sure_o, sure_span, sure_span]])  # the padded third piece must not count
    pooled = evidence_pool(hidden, logits, mask)
    assert torch.allclose(pooled, torch.tensor([[0.0, 2.0]]), atol=1e-3)  # (0, 4) * 1 / (1 + 1)
    none = evidence_pool(hidden, torch.tensor([[sure_o] * 3]), mask)
    assert none.abs().max() < 1e-3
    hidden.requires_grad_(True)
    logits.requires_grad_(True)
    evidence_pool(hidden, logits, mask).sum().backward()
    assert hidden.grad is not None and logits.grad is None  # the weights are detached: only span labels train the token head


def test_a_model_with_evidence_pooling_trains_saves_and_scores_the_same_every_way(tmp_path, synthetic_jsonl):
    cfg = load_config(None, tiny_overrides(synthetic_jsonl, **{
        "train.max_steps": 4, "model.adapter": "lora", "model.lora_r": 4, "model.sentence_pool": "mean_evidence"}))
    best = train(cfg, tmp_path / "run")
    loaded = load_model(best, merge=False)
    assert loaded.model.sentence_head.in_features == 2 * loaded.model.encoder.config.hidden_size
    enc = loaded.tokenizer(SENTS, padding=True, return_tensors="pt")
    with torch.no_grad():
        logits = loaded.model(enc["input_ids"], enc["attention_mask"])["logits"]
        without_spans = loaded.model(enc["input_ids"], enc["attention_mask"], spans=False)
    assert "token_logits" not in without_spans
    assert torch.allclose(logits, without_spans["logits"])  # the evidence is read even when spans are not wanted
    from training.calibration import apply_temperature

    expected = apply_temperature(logits.numpy(), loaded.temperature)
    for spans in (True, False):
        scored = Scorer.load(best, bf16=False, spans=spans).score_sentences(SENTS)
        assert max(abs(a - s.score) for a, s in zip(expected, scored)) < 1e-5


def test_evidence_pooling_needs_the_token_head_and_a_known_pool_name(synthetic_jsonl):
    with pytest.raises(SlantError, match="needs model.token_head"):
        load_config(None, tiny_overrides(synthetic_jsonl, **{"model.sentence_pool": "mean_evidence",
                                                             "model.token_head": False}))
    with pytest.raises(SlantError, match="must be one of mean, mean_evidence"):
        load_config(None, tiny_overrides(synthetic_jsonl, **{"model.sentence_pool": "max"}))
