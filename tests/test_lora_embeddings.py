"""A LoRA adapter on the word-embedding table (``word_embeddings`` in ``model.lora_targets``)."""
import torch
from safetensors.torch import load_file

from inference.scorer import Scorer
from models.encoders import LORA_TARGETS
from models.model_folder import load_model
from training.calibration import apply_temperature
from training.config import load_config
from training.train import train
from tests.conftest import tiny_overrides

SENTS = ["A plain sentence.", "Officials held a hearing in a disgraceful move.", "The pariah leader spoke."]


def test_an_embedding_adapter_is_saved_merged_at_load_and_scores_as_trained(tmp_path, synthetic_jsonl):
    targets = ",".join([*LORA_TARGETS["bert"], "word_embeddings"])
    cfg = load_config(None, tiny_overrides(synthetic_jsonl, **{
        "train.max_steps": 4, "model.adapter": "lora", "model.lora_r": 4, "model.lora_targets": f"[{targets}]"}))
    best = train(cfg, tmp_path / "run")
    keys = load_file(str(best / "model.safetensors")).keys()
    assert any("word_embeddings.lora_embedding_A" in k for k in keys)
    unmerged = load_model(best, merge=False)
    a = next(p for n, p in unmerged.model.named_parameters() if "lora_embedding_A" in n)
    assert a.abs().sum() > 0  # peft starts A at zero: training moved it, so the merge below is not a no-op
    enc = unmerged.tokenizer(SENTS, padding=True, return_tensors="pt")
    with torch.no_grad():
        logits = unmerged.model(enc["input_ids"], enc["attention_mask"])["logits"].numpy()
    expected = apply_temperature(logits, unmerged.temperature)
    scored = Scorer.load(best, bf16=False).score_sentences(SENTS)  # the scorer's own loading route
    assert max(abs(x - s.score) for x, s in zip(expected, scored)) < 1e-5
    merged = load_model(best)  # the transformers route merges the same deltas
    with torch.no_grad():
        again = merged.model(enc["input_ids"], enc["attention_mask"])["logits"].numpy()
    assert abs(again - logits).max() < 1e-4
