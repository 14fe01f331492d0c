"""Distant-supervision pre-training of MiniLM on outlet leaning, for issue 2's "what else helps".

Spinde et al. (2021), who published BABE and its 0.804 anchor, pre-trained on news headlines
labelled by their outlet's leaning (left or right: biased; centre: neutral) before fine-tuning
on BABE. This script tries the same for the default encoder with the news text there is here:
the sentences of MBIC's 918 source articles (BABE's own sentences removed, as
``benchmarks/domain_mlm.py`` selects them, so no test sentence is seen), each labelled by its
article's outlet leaning (MBIC's ``type``: Breitbart, Federalist, Fox News, Alternet, HuffPost,
MSNBC → 1; Reuters, USA Today → 0). A LoRA adapter (rank ``--r`` on every linear layer) and a
linear head on the mean-pooled encoder train on it with class-balanced cross-entropy; the
adapter is then merged and the encoder written as a plain Hugging Face folder, which a config
names as its base:

    python benchmarks/distant_supervision.py --out runs/minilm_leaning
    python benchmarks/cv.py configs/default.yaml model.base=runs/minilm_leaning --folds 5 --name leaning

The labels are the outlet's, so this can only help BABE's random split through what outlet
style and bias share; the outlet-held-out split is the honest check (BABE's label and outlet
are confounded).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from domain_mlm import news_sentences  # benchmarks/
from encoder_pretraining import fit, pretraining_args, save_encoder, start, with_lora  # benchmarks/

from training.data_root import resolve_data_root

from script_args import at_least, run

LEANING_LABEL = {"left": 1, "right": 1, "center": 0}


def leaning_rows(root: Path) -> tuple[list[tuple[str, int]], int]:
    """(sentence, leaning label) for MBIC's article sentences, minus BABE's; and how many were removed."""
    sentences, removed = news_sentences(root)
    return [(s, LEANING_LABEL[article["type"]]) for s, _, article in sentences], removed


def main() -> None:
    ap = pretraining_args(epochs=1.0, description=__doc__.split("\n\n")[0])
    ap.add_argument("--max-length", type=at_least(1), default=128)
    args = ap.parse_args()
    root = resolve_data_root(args.data_root or "")  # checked before torch loads
    import torch

    from models.encoders import resolve_base
    from models.precision import bf16_pays

    start()
    from transformers import AutoTokenizer, BertModel

    path = resolve_base("all-MiniLM-L6-v2")
    tok = AutoTokenizer.from_pretrained(path)
    rows, removed = leaning_rows(root)
    positives = sum(label for _, label in rows)
    print(f"{len(rows)} sentences ({removed} BABE sentences removed), {positives} from left/right outlets",
          file=sys.stderr)
    encoder = with_lora(BertModel.from_pretrained(path, add_pooling_layer=False), args.r)
    head = torch.nn.Linear(encoder.config.hidden_size, 2)
    # class-balanced: centre outlets wrote a fifth of the articles
    weight = torch.tensor([len(rows) / (2 * (len(rows) - positives)), len(rows) / (2 * positives)])
    use_bf16 = bf16_pays()
    encoder.train()
    hits = [0, 0]  # right, seen since the last progress line

    def batch_loss(picked: list[int]) -> torch.Tensor:
        enc = tok([rows[i][0] for i in picked], padding=True, truncation=True,
                  max_length=args.max_length, return_tensors="pt")
        labels = torch.tensor([rows[i][1] for i in picked])
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=use_bf16):
            hidden = encoder(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            logits = head((hidden * mask).sum(1) / mask.sum(1)).float()
        hits[0] += int((logits.argmax(-1) == labels).sum())
        hits[1] += len(picked)
        return torch.nn.functional.cross_entropy(logits, labels, weight=weight)

    def train_accuracy() -> str:
        text = f", train acc {hits[0] / max(hits[1], 1):.3f}"
        hits[:] = [0, 0]
        return text

    started = time.time()
    params = [p for p in encoder.parameters() if p.requires_grad] + list(head.parameters())
    steps, loss = fit(params, len(rows), args, batch_loss, "leaning", train_accuracy)
    save_encoder(encoder.merge_and_unload(), tok, args.out, "distant_supervision.json",
                 {"sentences": len(rows), "left_right": positives, "babe_sentences_removed": removed,
                  "steps": steps, "r": args.r, "lr": args.lr, "epochs": args.epochs, "bf16": use_bf16,
                  "final_loss": loss, "seconds": time.time() - started})


if __name__ == "__main__":
    run(main)
