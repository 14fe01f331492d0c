"""Rows -> model inputs: word pieces, BIO tags from character spans, dynamic padding.

Tags come from the tokenizer's offset mapping, so a span given in characters
lands on exactly the word pieces it covers. Rows never annotated for spans get
tag -100 everywhere, which masks the token loss for them.
"""
from __future__ import annotations

import torch

IGNORE = -100


def bio_for_offsets(offsets: list[tuple[int, int]], spans: list[dict], tag_index: dict[str, int]) -> list[int]:
    tags = []
    prev_span = None
    for s, e in offsets:
        if s == e:  # special token
            tags.append(IGNORE)
            prev_span = None
            continue
        hit = next((sp for sp in spans if s < sp["end"] and e > sp["start"] and f"B-{sp['technique']}" in tag_index), None)
        if hit is None:
            tags.append(tag_index["O"])
            prev_span = None
        else:
            inside = prev_span is hit
            tags.append(tag_index[f"{'I' if inside else 'B'}-{hit['technique']}"])
            prev_span = hit
    return tags


def encode_rows(rows: dict, tokenizer, max_length: int, tags: list[str]) -> dict:
    """Batched ``datasets.map`` function."""
    enc = tokenizer(rows["text"], truncation=True, max_length=max_length, return_offsets_mapping=True)
    tag_index = {t: i for i, t in enumerate(tags)}
    token_labels = []
    for offsets, spans, has in zip(enc["offset_mapping"], rows["spans"], rows["has_spans"]):
        if tags and has:
            token_labels.append(bio_for_offsets(offsets, spans, tag_index))
        else:
            token_labels.append([IGNORE] * len(offsets))
    return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"],
            "token_labels": token_labels, "labels": rows["label"], "opinion_labels": rows["opinion"]}


def collate(batch: list[dict], pad_id: int = 0) -> dict[str, torch.Tensor]:
    """Pad to the longest row in this batch only (dynamic padding)."""
    width = max(len(b["input_ids"]) for b in batch)

    def pad(key, value):
        return torch.tensor([b[key] + [value] * (width - len(b[key])) for b in batch])

    return {
        "input_ids": pad("input_ids", pad_id),
        "attention_mask": pad("attention_mask", 0),
        "token_labels": pad("token_labels", IGNORE),
        "labels": torch.tensor([b["labels"] for b in batch]),
        "opinion_labels": torch.tensor([b["opinion_labels"] for b in batch]),
    }
