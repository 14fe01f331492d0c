"""Rows -> model inputs: word pieces, BIO tags from character spans, dynamic padding.

Tags come from the tokenizer's offset mapping, so a span given in characters
lands on exactly the word pieces it covers. Rows never annotated for spans get
tag -100 everywhere, which masks the token loss for them.
"""
from __future__ import annotations

import torch

from training.schema import TARGET_MARKERS, column

IGNORE = -100
UNTYPED_B, UNTYPED_I = -2, -3
"""Tags of a word piece inside a span whose technique is unknown (technique ""): the token
loss asks for *some* B- (or I-) tag, leaving the technique to sources that name one."""
STANCE_WINDOW = 250
"""Characters kept on each side of a target in a long stance sentence, so the markers
are never cut off by ``max_length``."""


def mark_target(text: str, start: int, end: int) -> tuple[str, int]:
    """The text with markers around ``text[start:end]`` (cropped to a window around it
    when long), and the character offset of the opening marker."""
    lo = max(0, start - STANCE_WINDOW)
    hi = min(len(text), end + STANCE_WINDOW)
    left, right = TARGET_MARKERS
    marked = f"{text[lo:start]}{left} {text[start:end]} {right}{text[end:hi]}"
    return marked, start - lo


def target_token_index(offsets: list[tuple[int, int]], marker_at: int) -> int:
    """The word piece holding the opening marker (the stance head reads its vector);
    -1 when truncation cut it off."""
    return next((i for i, (s, e) in enumerate(offsets) if s <= marker_at < e), -1)


def crop_to_marker(ids: list[int], offsets: list, marker_at: int, window: int) -> tuple[list[int], list, int]:
    """The word pieces of a stance text that fit ``window``, and the opening marker's index among
    them: all of them when they fit, else a window that starts a quarter of its width before the
    marker, so the marker and the words after it stay in. Training and scoring both cut with this,
    so the stance head sees the same input in both."""
    pos = max(target_token_index(offsets, marker_at), 0)
    lo = max(0, min(pos - window // 4, len(ids) - window)) if len(ids) > window else 0
    return ids[lo:lo + window], offsets[lo:lo + window], pos - lo


def bio_for_offsets(offsets: list[tuple[int, int]], spans: list[dict], tag_index: dict[str, int]) -> list[int]:
    tags = []
    prev_span = None
    for s, e in offsets:
        if s == e:  # special token
            tags.append(IGNORE)
            prev_span = None
            continue
        hit = next((sp for sp in spans if s < sp["end"] and e > sp["start"]
                    and (not sp["technique"] or f"B-{sp['technique']}" in tag_index)), None)
        if hit is None:
            tags.append(tag_index["O"])
            prev_span = None
        else:
            inside = prev_span is hit
            if not hit["technique"]:
                tags.append(UNTYPED_I if inside else UNTYPED_B)
            else:
                tags.append(tag_index[f"{'I' if inside else 'B'}-{hit['technique']}"])
            prev_span = hit
    return tags


def has_typed_spans(ds, untyped_sources: list[str]) -> bool:
    """Whether any training row outside ``untyped_sources`` has a span, i.e. whether the data
    can teach the token head which technique a span is."""
    untyped = set(untyped_sources)
    rows = zip(column(ds, "has_spans"), column(ds, "spans"), column(ds, "source"))
    return any(has and spans for has, spans, source in rows if source not in untyped)


def query_tails(tokenizer, queries: list[str | None], max_length: int) -> list[list[int]]:
    """The word pieces that follow a stance sentence's closing [SEP]: the query's (at most
    ``max_length // 4``) and one more [SEP]; [] where the query is None. Training and scoring
    both build ``[CLS] text [SEP] tail`` from this, with one separator for every encoder (a
    tokenizer's own pair format differs: MPNet's puts two between the segments)."""
    given = [q for q in queries if q is not None]
    pieces = iter(tokenizer(given, add_special_tokens=False)["input_ids"] if given else [])
    return [[*next(pieces)[:max_length // 4], tokenizer.sep_token_id] if q is not None else [] for q in queries]


def _tokenize(tokenizer, texts: list[str], queries: list[str | None], marker_at: list[int], max_length: int) -> dict:
    """``[CLS] text [SEP]`` cut to ``max_length``, with the query's tail after it where a query is
    given (the text is cut to make room). A text with a target marker is cut around the marker
    (``crop_to_marker``), any other from its end. The tail's word pieces get the empty offset (0, 0)
    of a special token, so tags and the marker search see only the sentence."""
    # marked texts are at most 2 x STANCE_WINDOW characters plus the target: 4 x max_length pieces hold them
    enc = tokenizer(texts, add_special_tokens=False, truncation=True, max_length=4 * max_length,
                    return_offsets_mapping=True)
    out = {"input_ids": [], "attention_mask": [], "offset_mapping": []}
    tails = query_tails(tokenizer, queries, max_length)
    for ids, offs, tail, at in zip(enc["input_ids"], enc["offset_mapping"], tails, marker_at):
        keep = max_length - 2 - len(tail)
        ids, offs = (crop_to_marker(ids, offs, at, keep)[:2] if at >= 0 else (ids[:keep], offs[:keep]))
        out["input_ids"].append([tokenizer.cls_token_id, *ids, tokenizer.sep_token_id, *tail])
        out["attention_mask"].append([1] * len(out["input_ids"][-1]))
        out["offset_mapping"].append([(0, 0), *map(tuple, offs), *[(0, 0)] * (1 + len(tail))])
    return out


def encode_rows(rows: dict, tokenizer, max_length: int, tags: list[str], stance_query: bool = False,
                untyped_sources: tuple[str, ...] = ()) -> dict:
    """Batched ``datasets.map`` function. Stance rows get their target marked in the text and,
    with ``stance_query``, the target's words as a second segment. The spans of rows from
    ``untyped_sources`` are tagged without their technique (``UNTYPED_B``): blanked here, not by
    a map over the rows beforehand, which cost every training start seconds."""
    texts, marker_at, queries = [], [], []
    for text, start, end in zip(rows["text"], rows["target_start"], rows["target_end"]):
        query = None
        if start >= 0:
            query = text[start:end] if stance_query else None
            text, at = mark_target(text, start, end)
        else:
            at = -1
        texts.append(text)
        marker_at.append(at)
        queries.append(query)
    enc = _tokenize(tokenizer, texts, queries, marker_at, max_length)
    tag_index = {t: i for i, t in enumerate(tags)}
    token_labels, target_index = [], []
    untyped = set(untyped_sources)
    for offsets, spans, has, at, source in zip(enc["offset_mapping"], rows["spans"], rows["has_spans"], marker_at,
                                               rows.get("source") or [None] * len(texts)):
        if tags and has:
            if source in untyped:
                spans = [{**sp, "technique": ""} for sp in spans]
            token_labels.append(bio_for_offsets(offsets, spans, tag_index))
        else:
            token_labels.append([IGNORE] * len(offsets))
        target_index.append(target_token_index(offsets, at) if at >= 0 else -1)
    soft = rows.get("stance_soft") or [[] for _ in texts]
    # a row with a teacher's probabilities trains on them (soft loss), not on their argmax
    stance = [s if t >= 0 and not q else -1 for s, t, q in zip(rows["stance"], target_index, soft)]
    soft = [q if t >= 0 and q else [-1.0, -1.0, -1.0] for t, q in zip(target_index, soft)]
    return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"],
            "token_labels": token_labels, "labels": rows["label"], "opinion_labels": rows["opinion"],
            "target_index": target_index, "stance_labels": stance, "stance_soft": soft,
            "label_soft": rows.get("label_soft") or [-1.0] * len(texts)}


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
        "target_index": torch.tensor([b.get("target_index", -1) for b in batch]),
        "stance_labels": torch.tensor([b.get("stance_labels", -1) for b in batch]),
        "stance_soft": torch.tensor([b.get("stance_soft", [-1.0, -1.0, -1.0]) for b in batch], dtype=torch.float32),
        "label_soft": torch.tensor([b.get("label_soft", -1.0) for b in batch], dtype=torch.float32),
    }
