"""``slant score``: read inputs, score them, write one format; bad files are reported, good ones still scored.

Per-file problems are one line each on stderr; the exit code is 1 when any
input failed (the others are still written), 0 otherwise.
"""
from __future__ import annotations

import dataclasses
import errno
import re
import sys
from contextlib import contextmanager, nullcontext
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from inference.formats import WRITERS
from inference.reading import Document, ReadProblem, iter_documents, looks_english, refuse_output_over_input
from inference.records import ArticleScore, check_threshold
from inference.score_resume import ScoreProgress
from inference.scorer import Scorer
from inference.segment import word_span
from inference.stance_prior import missing_prior_warning
from inference.summary import summarize
from inference.terminal import TerminalWriter
from models.errors import Interrupted, ModelUnavailable, SlantError, say as _say

stderr = Console(stderr=True, highlight=False)


FORMAT_EXTS = {"jsonl": (".jsonl",), "csv": (".csv",), "html": (".html", ".htm"), "json": (".json",), "md": (".md",)}
"""The names each format is written under: a file inside an input folder so named is taken for an
earlier run's output, and written again (``reading.refuse_output_over_input``)."""


def _writer(fmt: str, out, appending: bool = False):
    if fmt == "terminal":
        return TerminalWriter(Console(file=out, highlight=False) if out is not sys.stdout else None)
    if fmt == "csv":
        return WRITERS[fmt](out, header=not appending)
    return WRITERS[fmt](out)


class ChunkNumbering:
    """Sentence and paragraph numbers that run on across the chunks of a streamed file.

    A file over ``HUGE_BYTES`` arrives as ~1 MB chunks (Documents with ``offset > 0`` after the
    first), each scored on its own; without this, every chunk restarted ``index`` and
    ``paragraph`` at 0, so ``(doc, index)`` named several sentences. The state is saved with
    ``--resume`` progress, so a resumed run numbers on from where it stopped."""

    def __init__(self, state: dict | None = None) -> None:
        self.sentences = int((state or {}).get("sentences", 0))
        self.paragraphs = int((state or {}).get("paragraphs", 0))

    def state(self) -> dict:
        return {"sentences": self.sentences, "paragraphs": self.paragraphs}

    def apply(self, doc: Document, article: ArticleScore) -> None:
        if doc.offset == 0:  # a new document
            self.sentences = self.paragraphs = 0
        for rec in article.sentences:
            rec.index += self.sentences
            rec.paragraph += self.paragraphs
        self.sentences += len(article.sentences)
        if article.sentences:  # chunks are cut after a line break, rarely inside a long line
            self.paragraphs = article.sentences[-1].paragraph + (1 if doc.text.endswith("\n") else 0)


def _choose_format(args) -> str:
    if args.format:
        return args.format
    if args.output:
        ext = Path(args.output).suffix.lstrip(".").lower()
        return ext if ext in WRITERS else "jsonl"
    return "terminal" if sys.stdout.isatty() else "jsonl"


def nonblank_lines(text: str) -> list[tuple[int, str]]:
    """``--per-line`` units: each line that holds a letter or digit, without invisible edges, with
    where it starts in ``text``, so offsets index the document as in segmented output. A line of
    zero-width characters or a divider ("* * *") is no unit, as ``segment`` makes no sentence of it
    (scored, it came out a sentence of about 0.14)."""
    units = []
    for m in re.finditer(r"[^\n]+", text):
        span = word_span(m.group())
        if span is not None:
            units.append((m.start() + span[0], m.group()[span[0]:span[1]]))
    return units


def score_document(scorer: Scorer, doc: Document) -> ArticleScore:
    if doc.meta.get("per_line"):
        lines = nonblank_lines(doc.text)
        sentences = scorer.score_sentences([t for _, t in lines], doc=doc.doc_id, starts=[a for a, _ in lines],
                                           offset=doc.offset)
        return ArticleScore(doc=doc.doc_id, sentences=sentences, threshold=scorer.threshold,
                            spans_available=scorer.spans_available, targets_available=scorer.targets_available)
    return scorer.score(doc.text, doc=doc.doc_id, offset=doc.offset, quotations=doc.quotations)


@contextmanager
def writing(output: str | None):
    """Turn a failed write of the output (disk full, a read-only or vanished folder) into one line;
    a closed pipe (``slant score … | head``) still ends the run quietly in the CLI."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as e:
        where = f"-o {output}" if output else "standard output"
        fix = "free some space or choose another path" if e.errno == errno.ENOSPC else "choose a writable path"
        raise SlantError(f"{where}: cannot write it ({e.strerror or e}); {fix} "
                         "(with -o FILE, --resume continues what was written)") from None


def score_inputs(args) -> int:
    if args.engine != "ray":
        given = [f"--{n}" for n in ("out", "address", "workers") if getattr(args, n, None) is not None]
        if given:
            raise SlantError(f"{', '.join(given)}: only for --engine ray; with the local engine write to -o FILE")
    if args.engine == "ray":
        if getattr(args, "resume", False):
            raise SlantError("--resume is for the local engine; with --engine ray, rerun into a new --out folder")
        from inference.ray_engine import score_with_ray

        return score_with_ray(args)
    kwargs = {} if args.threshold is None else {"threshold": args.threshold}
    check_threshold(args.threshold, "--threshold")  # before the model loads
    fmt = _choose_format(args)
    if not getattr(args, "resume", False):  # a resumed output is this command's own
        refuse_output_over_input(args.output, args.inputs, writes=FORMAT_EXTS.get(fmt, ()))
    progress = ScoreProgress.check(args, fmt)  # a refused --resume costs no model load
    scorer = Scorer.load(args.model, precision=getattr(args, "precision", "auto"),
                         targets=not getattr(args, "no_targets", False),
                         stance_model=getattr(args, "stance_model", None),
                         stance_prior=not getattr(args, "raw_stance", False), **kwargs)
    if warning := missing_prior_warning(scorer):
        _say("warning", warning)
    if not scorer.spans_available:
        _say("warning", f"model {scorer.loaded.folder} has no span head: spans are unavailable (framed words are not marked)")
    if not scorer.targets_available and not getattr(args, "no_targets", False):
        _say("warning", f"model {scorer.loaded.folder} has no stance head: targets are unavailable; "
                        "add --stance-model default for the shipped stance model")
    with writing(args.output):
        if progress:
            out_file = progress.open_output()
        else:
            out_file = open(args.output, "w", encoding="utf-8", newline="") if args.output else None
    if progress and progress.skip:
        _say("info", f"resuming {args.output}: {progress.skip} inputs already written are skipped")
    failures = progress.failures if progress else 0
    numbering = ChunkNumbering(progress.numbering if progress else None)
    with writing(args.output), (out_file or nullcontext(sys.stdout)) as out:
        writer = _writer(fmt, out, appending=bool(progress and progress.skip))
        # on a terminal only: rich draws nothing elsewhere but a stray blank line when the bar ends
        show_bar = (fmt != "terminal" or args.output) and stderr.is_terminal
        with Progress(TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[doc]}"),
                      TimeElapsedColumn(), console=stderr, transient=True, disable=not show_bar) as bar:
            task = bar.add_task("score", total=None, doc="")
            items = iter_documents(args.inputs, text_col=args.text_col, id_col=args.id_col, per_line=args.per_line,
                                   exclude=args.output)
            try:
                for n, item in enumerate(items):
                    if progress and n < progress.skip:
                        continue  # written before the interruption
                    failures += _score_item(scorer, item, writer, numbering)
                    bar.update(task, advance=1, doc=getattr(item, "doc_id", "")[-40:])
                    if progress:
                        progress.mark(out, n + 1, failures, numbering.state())
            except KeyboardInterrupt:
                if not progress:
                    raise
                progress.save(out)  # the last whole item: a half-written one is cut off on --resume
                raise Interrupted(f"interrupted; {progress.done} inputs are in {args.output}: run the same "
                                  "command with --resume to score the rest") from None
        writer.close()
    if progress:
        progress.finish()
    return 1 if failures else 0


def _score_item(scorer: Scorer, item: Document | ReadProblem, writer, numbering: ChunkNumbering) -> int:
    """Score and write one input item; the number of errors it gave (0 or 1)."""
    if isinstance(item, ReadProblem):
        _say("error" if item.fatal else "warning", item.message)
        return int(item.fatal)
    if item.offset == 0 and not looks_english(item.text[:20000]):
        _say("warning", f"{item.doc_id}: text does not look like English; the model was trained on "
                        "English news, so its scores may mean little")
    try:
        article = score_document(scorer, item)
    except ModelUnavailable:
        raise  # the next input would fail the same way
    except SlantError as e:
        _say("error", str(e))
        return 1
    numbering.apply(item, article)
    summary = summarize(article)
    if item.offset > 0 and getattr(writer, "for_reading", False):
        # a file over HUGE_BYTES is scored in ~1 MB chunks, each with its own heading and summary in
        # the views a person reads; say so, rather than show the file again as if it began anew
        article = dataclasses.replace(article, doc=f"{article.doc} (continued from character {item.offset:,}; "
                                                   "the summary below is of this part)")
    writer.write(article, summary)
    return 0
