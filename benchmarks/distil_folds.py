"""Distil each cross-validation fold's large model (the teacher) into the default recipe, for
issue 2's MiniLM target: does a teacher 0.02 macro-F1 better than the student lift it?

Each fold's teacher (``configs/quality.yaml``, MPNet, trained on that fold's training rows only)
labels the sentences of MBIC's 918 source articles with every BABE sentence removed (as
``benchmarks/domain_mlm.py`` selects them, so no test sentence of any fold is seen). Its confident
labels become a generic data file per fold: every sentence with p >= ``--hi`` as framing, and
``--neutral`` sentences drawn from those with p <= ``--lo`` as neutral; no spans (the teacher's
token head is weak, so these rows train the sentence head only). The student is then the default
config with the fold's file added to its training sources, run by ``benchmarks/cv.py``:

    python benchmarks/cv.py configs/quality.yaml --folds 5 --out runs/cv_quality        # the teachers
    python benchmarks/distil_folds.py --teachers runs/cv_quality --out runs/distil
    python benchmarks/cv.py configs/default.yaml 'data.train=[babe,ptc,runs/distil/fold{fold}.jsonl]' \\
        --folds 5 --name distil_mpnet

A fold's file already written is kept, so an interrupted run resumes.

Measured (benchmarks/README.md, "Distillation from MPNet"): 0.785 ± 0.019 against the default's
0.783 ± 0.015 on the same folds, paired +0.002: no gain, so the default recipe does not use it.
"""
from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

from domain_mlm import news_sentences  # benchmarks/

from training.data_root import resolve_data_root

from script_args import ScriptParser, at_least, existing_folder, fail, fraction, make_folder, output_folder, run


def teacher_probs(teacher: Path, texts: list[str], chunk: int = 512) -> list[float]:
    from inference.scorer import Scorer

    scorer = Scorer.load(teacher, spans=False, targets=False)
    probs: list[float] = []
    started = time.time()
    for i in range(0, len(texts), chunk):
        probs.extend(r.score for r in scorer.score_sentences(texts[i:i + chunk]))
        done = len(probs)
        print(f"\r{teacher}: {done}/{len(texts)} ({done / (time.time() - started):.0f}/s)", end="", file=sys.stderr)
    print(file=sys.stderr)
    return probs


def pseudo_rows(rows: list[tuple[str, str]], probs: list[float], hi: float, lo: float, neutral: int, seed: int) -> list[dict]:
    framing = [(r, p) for r, p in zip(rows, probs) if p >= hi]
    calm = [(r, p) for r, p in zip(rows, probs) if p <= lo]
    calm = random.Random(seed).sample(calm, min(neutral, len(calm)))
    return [{"text": text, "label": int(p >= hi), "group": group, "outlet": "mbic_article", "id": f"{group}:{n}"}
            for n, ((text, group), p) in enumerate(framing + calm)]


def check_teachers(teachers: Path, folds: list[int]) -> None:
    """Every fold still to label has its teacher saved (``fold<k>/best``), checked before any loads."""
    missing = [k for k in folds if not (teachers / f"fold{k}" / "best" / "meta.json").is_file()]
    if missing:
        fail(f"--teachers {teachers} has no saved model for fold {missing[0]} (fold{missing[0]}/best); pass the "
             "--out folder of a finished benchmarks/cv.py run of configs/quality.yaml, or drop the fold from --folds")


def main() -> None:
    ap = ScriptParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--teachers", required=True, type=existing_folder, help="a cv.py output folder (fold<k>/best per fold)")
    ap.add_argument("--out", required=True, type=output_folder)
    ap.add_argument("--folds", type=at_least(0), nargs="*", default=[0, 1, 2, 3, 4])
    ap.add_argument("--hi", type=fraction, default=0.8)
    ap.add_argument("--lo", type=fraction, default=0.2)
    ap.add_argument("--neutral", type=at_least(0), default=5000)
    ap.add_argument("--limit", type=at_least(0), default=0, help="label only this many sentences (drawn at random); 0: all")
    ap.add_argument("--data-root")
    ap.add_argument("--threads", type=at_least(0), default=0, help="torch threads; 0 keeps torch's default")
    args = ap.parse_args()
    if not args.lo < args.hi:
        fail(f"--lo {args.lo} must be below --hi {args.hi} (a sentence is framing at p >= hi, neutral at p <= lo)")
    check_teachers(args.teachers, [k for k in args.folds if not (args.out / f"fold{k}.jsonl").is_file()])
    root = resolve_data_root(args.data_root or "")
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    sentences, removed = news_sentences(root)
    print(f"{removed} sentences removed as BABE's", file=sys.stderr)
    rows = [(s, f"mbic{i}") for s, i, _ in sentences]  # (sentence, its article as the split group)
    if args.limit:
        rows = random.Random(13).sample(rows, min(args.limit, len(rows)))
    out = make_folder(Path(args.out))
    for k in args.folds:
        target = out / f"fold{k}.jsonl"
        if target.is_file():
            continue
        probs = teacher_probs(Path(args.teachers) / f"fold{k}" / "best", [t for t, _ in rows])
        picked = pseudo_rows(rows, probs, args.hi, args.lo, args.neutral, seed=k)
        tmp = target.with_suffix(".tmp")
        tmp.write_text("".join(json.dumps(r) + "\n" for r in picked))
        tmp.rename(target)
        n_framing = sum(r["label"] for r in picked)
        print(f"fold {k}: {len(rows)} labelled, {n_framing} framing (p >= {args.hi}), "
              f"{len(picked) - n_framing} neutral (p <= {args.lo}) -> {target}", file=sys.stderr)


if __name__ == "__main__":
    run(main)
