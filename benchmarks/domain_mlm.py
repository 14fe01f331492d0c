"""Domain-adaptive pre-training (masked-LM) of MiniLM on unlabelled news, for issue 2's "what else helps".

DA-RoBERTa (0.814 on BABE) owes its edge over RoBERTa to masked-LM training on news text
first. This script tries the same for the default encoder: a LoRA adapter (rank ``--r`` on
every linear layer) and a fresh MLM head (all-MiniLM-L6-v2 ships none) train on the sentences
of MBIC's 918 source articles, with every sentence that is also a BABE sentence removed (so no
test sentence is seen, even unlabelled); consecutive sentences are packed into 128-piece
chunks, 15% of pieces masked (80/10/10). The adapter is then merged and the encoder written as
a plain Hugging Face folder, which a config names as its base:

    python benchmarks/domain_mlm.py --out runs/minilm_news
    python benchmarks/cv.py configs/default.yaml model.base=runs/minilm_news --folds 5 --name news_mlm

Not kept: on four of the default's five folds it lowered BABE macro-F1 (benchmarks/README.md, "Domain-adaptive pre-training").
"""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from encoder_pretraining import fit, pretraining_args, save_encoder, start, with_lora  # benchmarks/

from inference.segment import segment
from training.data_mbic import mbic_articles
from training.data_root import resolve_data_root

from script_args import run

if TYPE_CHECKING:
    import torch


def news_documents(root: Path, articles: list[dict] | None = None) -> tuple[list[list[str]], int]:
    """MBIC's article sentences per article (of ``articles``, MBIC's rows, read here when not
    given), minus every sentence that BABE also holds."""
    from training.data import load_source
    from training.splits import norm_text

    babe = [norm_text(t) for t in load_source("babe", root)["text"]]
    babe_set = set(babe)
    docs, removed = [], 0
    for row in articles if articles is not None else mbic_articles(root):
        article = norm_text(row["article"])
        here = [b for b in babe if b[:60] in article]
        keep = []
        for sentence in (s.text for s in segment(row["article"])):
            key = norm_text(sentence)
            if key in babe_set or any(b[:60] in key or (len(key) > 20 and key in b) for b in here):
                removed += 1
            else:
                keep.append(sentence)
        docs.append(keep)
    return docs, removed


def news_sentences(root: Path, min_words: int = 4) -> tuple[list[tuple[str, int, dict]], int]:
    """(sentence, article number, MBIC article row) for every article sentence of at least
    ``min_words`` words that BABE does not hold; and how many sentences were removed as BABE's."""
    articles = list(mbic_articles(root))
    docs, removed = news_documents(root, articles)
    return [(s, i, row) for i, (doc, row) in enumerate(zip(docs, articles, strict=True))
            for s in doc if len(s.split()) >= min_words], removed


def chunks_of(docs: list[list[str]], tokenizer, width: int = 126) -> list[list[int]]:
    chunks = []
    for doc in docs:
        current: list[int] = []
        for sentence in doc:
            ids = tokenizer(sentence, add_special_tokens=False)["input_ids"][:width]
            if current and len(current) + len(ids) > width:
                chunks.append(current)
                current = []
            current = current + ids
        if current:
            chunks.append(current)
    return chunks


def masked_batch(chunks: list[list[int]], collator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """[CLS] chunk [SEP], padded and masked by transformers' MLM collator (15%, 80/10/10)."""
    batch = collator([{"input_ids": [collator.tokenizer.cls_token_id, *c, collator.tokenizer.sep_token_id]}
                      for c in chunks])
    return batch["input_ids"], batch["attention_mask"], batch["labels"]


def main() -> None:
    args = pretraining_args(epochs=2.0, description=__doc__.split("\n\n")[0]).parse_args()
    root = resolve_data_root(args.data_root or "")  # checked before torch loads
    import torch

    from models.encoders import resolve_base

    start()
    from transformers import AutoTokenizer, BertForMaskedLM, DataCollatorForLanguageModeling

    path = resolve_base("all-MiniLM-L6-v2")
    tok = AutoTokenizer.from_pretrained(path)
    collator = DataCollatorForLanguageModeling(tok, mlm_probability=0.15, return_tensors="pt")
    docs, removed = news_documents(root)
    chunks = chunks_of(docs, tok)
    print(f"{sum(map(len, docs))} sentences ({removed} BABE sentences removed), {len(chunks)} chunks, "
          f"{sum(map(len, chunks))} word pieces", file=sys.stderr)
    model = with_lora(BertForMaskedLM.from_pretrained(path), args.r)  # the MLM head is new: the checkpoint has none
    for name, p in model.named_parameters():
        if "cls.predictions.transform" in name or name.endswith("cls.predictions.bias"):
            p.requires_grad = True
    model.train()

    def batch_loss(picked: list[int]) -> torch.Tensor:
        ids, mask, labels = masked_batch([chunks[i] for i in picked], collator)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return model(input_ids=ids, attention_mask=mask, labels=labels).loss

    started = time.time()
    steps, loss = fit([p for p in model.parameters() if p.requires_grad], len(chunks), args, batch_loss, "mlm")
    save_encoder(model.merge_and_unload().bert, tok, args.out, "domain_mlm.json",
                 {"chunks": len(chunks), "babe_sentences_removed": removed, "steps": steps, "r": args.r,
                  "lr": args.lr, "final_loss": loss, "seconds": time.time() - started})


if __name__ == "__main__":
    run(main)
