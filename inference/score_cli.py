"""``slant score``: read inputs, score them, write one format; bad files are reported, good ones still scored.

Per-file problems are one line each on stderr; the exit code is 1 when any
input failed (the others are still written), 0 otherwise.
"""
from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from inference.formats import WRITERS
from inference.reading import Document, ReadProblem, iter_documents, looks_english
from inference.records import ArticleScore
from inference.scorer import Scorer
from inference.summary import summarize
from inference.terminal import TerminalWriter
from models.errors import SlantError, say as _say

stderr = Console(stderr=True, highlight=False)


def _writer(fmt: str, out):
    if fmt == "terminal":
        return TerminalWriter(Console(file=out, highlight=False) if out is not sys.stdout else None)
    return WRITERS[fmt](out)


def _choose_format(args) -> str:
    if args.format:
        return args.format
    if args.output:
        ext = Path(args.output).suffix.lstrip(".").lower()
        return ext if ext in WRITERS else "jsonl"
    return "terminal" if sys.stdout.isatty() else "jsonl"


def score_document(scorer: Scorer, doc: Document) -> ArticleScore:
    if doc.meta.get("per_line"):
        lines = [ln for ln in doc.text.split("\n")]
        sentences = scorer.score_sentences([ln for ln in lines if ln.strip()], doc=doc.doc_id)
        return ArticleScore(doc=doc.doc_id, sentences=sentences, threshold=scorer.threshold,
                            spans_available=scorer.spans_available, targets_available=scorer.targets_available)
    return scorer.score(doc.text, doc=doc.doc_id, offset=doc.offset)


def score_inputs(args) -> int:
    if args.engine == "ray":
        from inference.ray_engine import score_with_ray

        return score_with_ray(args)
    kwargs = {} if args.threshold is None else {"threshold": args.threshold}
    if args.threshold is not None and not 0.0 <= args.threshold <= 1.0:
        raise SlantError(f"--threshold {args.threshold}: must be a probability between 0 and 1")
    scorer = Scorer.load(args.model, precision=getattr(args, "precision", "auto"),
                         targets=not getattr(args, "no_targets", False),
                         stance_model=getattr(args, "stance_model", None), **kwargs)
    fmt = _choose_format(args)
    if not scorer.spans_available:
        _say("warning", f"model {scorer.loaded.folder} has no span head: spans are unavailable (framed words are not marked)")
    if not scorer.targets_available and not getattr(args, "no_targets", False):
        _say("warning", f"model {scorer.loaded.folder} has no stance head: targets are unavailable; "
                        "add --stance-model default for the shipped stance model")
    failures = 0
    out_ctx = open(args.output, "w", encoding="utf-8", newline="") if args.output else nullcontext(sys.stdout)
    with out_ctx as out:
        writer = _writer(fmt, out)
        show_bar = fmt != "terminal" or args.output
        with Progress(TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[doc]}"),
                      TimeElapsedColumn(), console=stderr, transient=True, disable=not show_bar) as bar:
            task = bar.add_task("score", total=None, doc="")
            for item in iter_documents(args.inputs, text_col=args.text_col, id_col=args.id_col, per_line=args.per_line):
                if isinstance(item, ReadProblem):
                    level = "error" if item.fatal else "warning"
                    failures += item.fatal
                    _say(level, item.message)
                    continue
                if item.offset == 0 and not looks_english(item.text[:20000]):
                    _say("warning", f"{item.doc_id}: text does not look like English; the model was trained on "
                                    "English news, so its scores may mean little")
                try:
                    article = score_document(scorer, item)
                except SlantError as e:
                    failures += 1
                    _say("error", str(e))
                    continue
                writer.write(article, summarize(article))
                bar.update(task, advance=1, doc=item.doc_id[-40:])
        writer.close()
    return 1 if failures else 0
