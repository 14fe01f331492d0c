"""Pseudo-label stance toward people in unlabelled news sentences with a larger stance model.

Why: the MPNet stance model (configs/stance_quality.yaml) is far better than MiniLM but
too big to ship. Its predictions on other news sentences (BABE, PTC, Lim 2020, and the
full MBIC source articles; people found by the same NER step as scoring) become extra
training rows for the small model (``data.stance_extra``), written in NewsMTSC's JSONL
layout. With ``--soft`` each target keeps the teacher's three probabilities (``probs``)
and training fits them (knowledge distillation); without it, confident argmax labels
only. NewsMTSC's test sentences are never labelled here, and training drops any overlap
again. ``--newsmtsc-train`` instead writes the teacher's probabilities for the gold targets of
NewsMTSC's own train file (distillation on the labelled data: each such target then trains on
its gold label and, in a second row, on the teacher's probabilities; the rows of sentences in
the dev split are dropped by training).

    python -m training.pseudo_stance --teacher runs/stance_quality/best --out pseudo.jsonl
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from inference.stance import stance_inputs, stance_probs
from inference.targets import Mention, find_mentions
from models.fast_load import load_for_scoring
from models.precision import bf16_pays
from inference.segment import segment
from models.errors import SlantError
from training.data import load_source
from training.data_mbic import mbic_articles
from training.data_newsmtsc import DIR as NEWSMTSC_DIR, POLARITY as STANCE_OF_POLARITY, load_newsmtsc
from training.data_root import resolve_data_root
from training.splits import norm_text

POLARITY = {k: v for v, k in STANCE_OF_POLARITY.items()}
"""Stance index -> NewsMTSC polarity (2.0 / 4.0 / 6.0), for the written file."""
MBIC_ARTICLES = "mbic_articles"
"""Pseudo source: the sentences of MBIC's ``article`` column (918 full news articles)."""


def mbic_article_sentences(root: Path) -> list[str]:
    """Every sentence of MBIC's distinct source articles (unlabelled news text)."""
    return [seg.text for row in mbic_articles(root) for seg in segment(row["article"])]


def candidate_sentences(root: Path, sources: list[str], limit: int) -> list[str]:
    banned = {norm_text(t) for p in ("devtest_rw", "devtest_mt") for t in load_source("newsmtsc", root, part=p)["text"]}
    seen, out = set(), []
    for name in sources:
        texts = mbic_article_sentences(root) if name == MBIC_ARTICLES else load_source(name, root)["text"]
        for text in texts:
            key = norm_text(text)
            if key in seen or key in banned or not 40 <= len(text) <= 400:
                continue
            seen.add(key)
            out.append(text)
    return out[:limit]


def teacher_probs(teacher, sentences: list[str], pairs: list[Mention]) -> np.ndarray:
    """The teacher's calibrated stance probabilities, one row per (sentence, mention) pair."""
    return stance_probs(teacher.model, stance_inputs(teacher.tokenizer, sentences, pairs, teacher.arch.max_length,
                                                     query=teacher.arch.stance_query),
                        float(teacher.meta.get("stance_temperature", 1.0)), bf16_pays())


def as_written(p: np.ndarray) -> list[float]:
    """Probabilities as the file keeps them: renormalised, 4 decimals."""
    return [round(float(x), 4) for x in p / p.sum()]


def write_records(out: Path, prefix: str, sentences: list[str], by_sentence: dict[int, list]) -> None:
    """One NewsMTSC-layout record per sentence with its targets, in sentence order."""
    with out.open("w", encoding="utf-8") as f:
        for i, targets in sorted(by_sentence.items()):
            f.write(json.dumps({"primary_gid": f"{prefix}_{i}", "sentence_normalized": sentences[i],
                                "targets": targets}) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m training.pseudo_stance")
    ap.add_argument("--teacher", required=True, help="stance model folder")
    ap.add_argument("--out", required=True)
    ap.add_argument("--sources", default="babe,ptc,lim2020", help=f"comma-separated; also {MBIC_ARTICLES}")
    ap.add_argument("--min-prob", type=float, default=0.7, help="keep predictions at least this confident")
    ap.add_argument("--soft", action="store_true", help="also write the teacher's probabilities (distillation)")
    ap.add_argument("--limit", type=int, default=20000, help="at most this many sentences")
    ap.add_argument("--newsmtsc-train", action="store_true",
                    help="the teacher's probabilities for the gold targets of NewsMTSC's train file instead")
    args = ap.parse_args(argv)
    root = resolve_data_root("")
    teacher = load_for_scoring(args.teacher)
    if args.newsmtsc_train:
        return write_teacher_probs_for_gold(teacher, root, Path(args.out))
    sentences = candidate_sentences(root, [s.strip() for s in args.sources.split(",") if s.strip()], args.limit)
    mentions = find_mentions(sentences)
    pairs = [m for row in mentions for m in row if m.type == "PERSON"]  # NewsMTSC's domain
    print(f"{len(sentences)} sentences, {len(pairs)} person mentions", file=sys.stderr)
    probs = teacher_probs(teacher, sentences, pairs)
    by_sentence: dict[int, list] = {}
    for m, p in zip(pairs, probs):
        if p.max() >= args.min_prob:
            target = {"from": m.start, "to": m.end, "mention": m.text, "polarity": POLARITY[int(p.argmax())]}
            if args.soft:
                target["probs"] = as_written(p)
            by_sentence.setdefault(m.sentence, []).append(target)
    write_records(Path(args.out), "pseudo", sentences, by_sentence)
    kept = sum(len(t) for t in by_sentence.values())
    print(f"wrote {args.out}: {kept} targets in {len(by_sentence)} sentences (p >= {args.min_prob})", file=sys.stderr)
    return 0


def write_teacher_probs_for_gold(teacher, root: Path, out: Path) -> int:
    """Every gold target of NewsMTSC's train file with the teacher's probabilities (all kept:
    distillation wants the teacher's doubt too); the gold polarity stays in ``polarity``."""
    rows = load_newsmtsc(root, "train")
    sentences = list(dict.fromkeys(r["text"] for r in rows))
    index = {t: i for i, t in enumerate(sentences)}
    pairs = [Mention(index[r["text"]], r["target_start"], r["target_end"], r["text"][r["target_start"]:r["target_end"]],
                     "PERSON") for r in rows]
    probs = teacher_probs(teacher, sentences, pairs)
    by_sentence: dict[int, list] = {}
    for r, m, p in zip(rows, pairs, probs):
        by_sentence.setdefault(m.sentence, []).append(
            {"from": m.start, "to": m.end, "mention": m.text, "polarity": POLARITY[r["stance"]], "probs": as_written(p)})
    write_records(out, "teacher", sentences, by_sentence)
    agree = sum(int(p.argmax()) == r["stance"] for r, p in zip(rows, probs))
    print(f"wrote {out}: the teacher's probabilities for {len(rows)} gold targets of {NEWSMTSC_DIR}/train.jsonl "
          f"(argmax agrees with gold on {agree})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except SlantError as e:
        print(f"error: {e}", file=sys.stderr)
        raise SystemExit(2) from None
