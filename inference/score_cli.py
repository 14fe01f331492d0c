"""``slant score``: read inputs, score them, write one format; bad files are reported, good ones still scored.

Per-file problems are one line each on stderr; the exit code is 1 when any
input failed (the others are still written), 0 otherwise.
"""
from __future__ import annotations

import dataclasses
import errno
import os
import re
import sys
from contextlib import contextmanager, nullcontext
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from inference.documents import no_words_problem
from inference.formats import WRITERS
from inference.highlight import visible
from inference.reading import Document, ReadProblem, iter_documents, looks_english, refuse_output_over_input
from inference.records import ArticleScore, check_threshold
from inference.score_resume import ScoreProgress
from inference.scorer import Scorer
from inference.segment import word_span
from inference.stance_prior import missing_prior_warning
from inference.summary import summarize
from inference.terminal import TerminalWriter, one_line, safe
from models.errors import Interrupted, ModelUnavailable, SlantError, say

stderr = Console(stderr=True, highlight=False)


def _say(level: str, message: str) -> None:
    """``say`` on one line (``terminal.one_line``): a file name or corpus id holding ESC sequences, or
    a newline, which made two lines of one problem, reached stderr raw."""
    say(level, one_line(message))


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
    """``--format``, else ``-o``'s extension when it names a format (".htm" too), else jsonl, or the
    terminal view on a terminal. A ``--format`` other than the one ``-o``'s extension names is
    refused: ``-o scores.html --format csv`` wrote CSV into a page a browser then showed as text."""
    named = None
    if args.output:
        ext = Path(args.output).suffix.lstrip(".").lower()
        named = next((f for f, exts in FORMAT_EXTS.items() if f".{ext}" in exts), None)
    if args.format and named and args.format != named:
        raise SlantError(f"-o {args.output} names the {named} format but --format {args.format} was given; "
                         f"drop --format (the extension chooses it) or name the output .{args.format}")
    if args.format:
        return args.format
    if args.output:
        return named or "jsonl"
    return "terminal" if sys.stdout.isatty() else "jsonl"


def check_output_folder(output: str | None) -> None:
    """Before the model loads: an ``-o`` in a folder that does not exist, a folder, or a path this
    user may not write is one line at once, not after the model's load (seconds, and a minute
    where spaCy loads too). ``writing`` still catches what only the write finds (a full disk)."""
    if not output or output == "-":
        return
    target, parent = Path(output), Path(output).parent
    if not parent.is_dir():
        raise SlantError(f"-o {output}: cannot write it (the folder {parent} does not exist); create it "
                         f"(mkdir -p {parent}) or choose another path")
    if target.is_dir():
        raise SlantError(f"-o {output}: cannot write it (it is a folder); name a file, "
                         f"such as {target / 'scores.jsonl'}")
    if not (os.access(target, os.W_OK) if target.exists() else os.access(parent, os.W_OK | os.X_OK)):
        raise SlantError(f"-o {output}: cannot write it (permission denied); choose a writable path")


class VisibleStream:
    """Standard output on a terminal for a file format (csv): control characters from the article
    made visible (``highlight.visible``), so ESC sequences in a sentence cannot drive the terminal.
    A file or a pipe gets the text exactly."""

    def __init__(self, out) -> None:
        self.out = out

    def write(self, text: str) -> int:
        return self.out.write(visible(text))

    def __getattr__(self, name):
        return getattr(self.out, name)


def nonblank_lines(text: str) -> list[tuple[int, str]]:
    """``--per-line`` units: each line that holds a letter or digit, without invisible edges, with
    where it starts in ``text``, so offsets index the document as in segmented output. A line of
    zero-width characters or a divider ("* * *") is no unit, as ``segment`` makes no sentence of it
    (scored, it came out a sentence of about 0.14). A line ends where ``segment``'s do: at "\\r" too
    (an old-Mac file was one unit), and at U+2028/U+2029."""
    units = []
    for m in re.finditer(r"[^\r\n\u2028\u2029]+", text):
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
    if args.output == "-":  # the usual spelling of standard output; it had written a file named "-"
        args.output = None
    if not args.output and sys.stdout is None:  # started with `>&-`: it was an AttributeError traceback
        raise SlantError("standard output is closed; write the scores to a file with -o FILE")
    kwargs = {} if args.threshold is None else {"threshold": args.threshold}
    check_threshold(args.threshold, "--threshold")  # before the model loads
    fmt = _choose_format(args)
    check_output_folder(args.output)
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
        if out is sys.stdout and fmt != "terminal" and sys.stdout.isatty():
            out = VisibleStream(out)
        writer = _writer(fmt, out, appending=bool(progress and progress.skip))
        # on a terminal only: rich draws nothing elsewhere but a stray blank line when the bar ends; and
        # not while the output itself goes to that terminal (csv or jsonl there was written into the bar)
        show_bar = stderr.is_terminal and bool(args.output or not sys.stdout.isatty())
        # the doc is shown as written, never read as rich markup: an id "a[/]b" stopped the bar with a traceback
        with Progress(TextColumn("scoring"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("{task.fields[doc]}", markup=False),
                      TimeElapsedColumn(), console=stderr, transient=True, disable=not show_bar) as bar:
            task = bar.add_task("score", total=None, doc="")
            items = iter_documents(args.inputs, text_col=args.text_col, id_col=args.id_col, per_line=args.per_line,
                                   exclude=args.output)
            try:
                for n, item in enumerate(items):
                    if progress and n < progress.skip:
                        continue  # written before the interruption
                    failures += _score_item(scorer, item, writer, numbering)
                    bar.update(task, advance=1, doc=safe(getattr(item, "doc_id", "")[-40:], newlines=False))
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


_SURROGATE = re.compile("[\ud800-\udfff]")


def utf8_safe(item: Document) -> Document:
    """``item`` with what no UTF-8 output can hold made visible: a file name's bytes that are not
    UTF-8 (Python keeps them as lone surrogates) as "\\xe9", any other lone surrogate (a corpus's
    JSON "\\ud83d", half an emoji) as "\ufffd", one for one in the text so offsets hold. Why:
    writing such a doc id or sentence stopped the run with a UnicodeEncodeError traceback."""
    if not _SURROGATE.search(item.doc_id) and not _SURROGATE.search(item.text):
        return item
    escaped = lambda m: (f"\\x{ord(m.group()) - 0xdc00:02x}"  # noqa: E731
                         if 0xdc80 <= ord(m.group()) <= 0xdcff else "\ufffd")
    if n := len(_SURROGATE.findall(item.text)):
        _say("warning", f"{item.doc_id}: {n} broken characters (lone UTF-16 surrogates) are shown as \ufffd")
    return dataclasses.replace(item, doc_id=_SURROGATE.sub(escaped, item.doc_id),
                               text=_SURROGATE.sub("\ufffd", item.text))


def _score_item(scorer: Scorer, item: Document | ReadProblem, writer, numbering: ChunkNumbering) -> int:
    """Score and write one input item; the number of errors it gave (0 or 1)."""
    if isinstance(item, ReadProblem):
        _say("error" if item.fatal else "warning", item.message)
        return int(item.fatal)
    item = utf8_safe(item)
    if not item.meta.get("streamed") and word_span(item.text) is None:  # "..." only (a streamed file: reading)
        problem = no_words_problem(item.doc_id)
        _say("error", problem.message)
        return 1
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
