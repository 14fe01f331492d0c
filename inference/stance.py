"""Stance toward each target: one extra forward pass per (sentence, target) pair.

The input is the sentence with the target mention between markers, exactly as in
training (``training.features.mark_target``); the stance head reads the
opening marker's vector beside the sentence mean. Only sentences with targets
pay for it, and pairs are batched by length like sentences are.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from inference.batching import length_batches, pad_batch
from inference.targets import Mention
from models.errors import SlantError
from models.model_folder import read_config
from models.precision import autocast
from training.calibration import softmax_with_temperature
from training.features import crop_to_marker, mark_target, query_tails


def check_stance_folder(folder: Path) -> None:
    """A ``--stance-model`` folder exists, is whole and has a stance head: checked when the scorer
    loads (it loads the weights later, on the first target), so a wrong path is one error before
    any output is opened, not an error per input after each framing pass."""
    if not folder.is_dir():
        raise SlantError(f"stance model {folder}: no such directory; check the --stance-model path "
                         "(--stance-model default uses the shipped one)")
    has_head = read_config(folder).stance_head
    if not has_head:
        raise SlantError(f"stance model {folder} has no stance head; pass a folder trained with configs/stance.yaml "
                         "(or --stance-model default for the shipped one)")


def stance_inputs(tokenizer, sentences: list[str], pairs: list[Mention], max_length: int,
                  query: bool = False) -> list[tuple[list[int], int]]:
    """(word-piece ids with [CLS]/[SEP], index of the opening marker) per pair. A sentence
    too long for the window keeps the word pieces around the marker, as training does
    (``training.features.crop_to_marker``). With ``query`` (a model
    trained with ``model.stance_query``) the target's words follow as ``[SEP] target [SEP]``."""
    texts, marks = [], []
    for m in pairs:
        text, at = mark_target(sentences[m.sentence], m.start, m.end)
        texts.append(text)
        marks.append(at)
    enc = tokenizer(texts, add_special_tokens=False, return_offsets_mapping=True)
    tails = query_tails(tokenizer, [sentences[m.sentence][m.start:m.end] if query else None for m in pairs], max_length)
    out = []
    for ids, offs, at, tail in zip(enc["input_ids"], enc["offset_mapping"], marks, tails):
        kept, _, pos = crop_to_marker(ids, offs, at, max_length - 2 - len(tail))
        out.append(([tokenizer.cls_token_id, *kept, tokenizer.sep_token_id, *tail], pos + 1))
    return out


@torch.inference_mode()
def stance_probs(model, inputs: list[tuple[list[int], int]], temperature: float, autocast_bf16: bool,
                 token_budget: int = 4096, max_batch: int = 128) -> np.ndarray:
    """Calibrated (n, 3) probabilities over the model's stances. ``autocast_bf16`` runs an fp32
    model under bf16 autocast (the scorer passes its bf16-weight network and False)."""
    probs = np.zeros((len(inputs), len(model.arch.stances)), dtype=np.float64)
    for batch in length_batches([len(ids) for ids, _ in inputs], token_budget, max_batch):
        ids, mask = pad_batch([inputs[j][0] for j in batch])
        target = torch.tensor([inputs[j][1] for j in batch])
        with autocast(autocast_bf16):
            logits = model(ids, mask, spans=False, target_index=target)["stance_logits"].float().numpy()
        probs[batch] = softmax_with_temperature(logits, temperature)
    return probs
