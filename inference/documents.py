"""What reading produces: a :class:`Document` to score, or a :class:`ReadProblem` with one input.

Shared by the local reader (:mod:`inference.reading`), the corpus row readers
(:mod:`inference.corpus_rows`) and the Ray engine's datasource, so every route
reports a bad input in the same words.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from inference.text_bytes import TABLE_FIX, document_format

#: Bytes looked at to tell text from binary.
SNIFF_BYTES = 8192
_BINARY_HINT = "pass a .txt, .html, .jsonl or .csv file"
_TABLE_EXTS = (".csv", ".jsonl", ".json")


@dataclass
class Document:
    """Text to score.

    ``doc_id`` is the file path, the corpus id, or ``"-"`` for stdin. A huge
    file arrives as several Documents with the same ``doc_id``; ``offset`` is
    the character offset of ``text`` within the whole decoded file, so
    ``offset + segment.start`` addresses the original. ``meta`` holds corpus
    columns other than text/id (outlet, title, date, url...) and
    ``meta["per_line"] = True`` when each line is to be scored as one unit.
    ``quotations`` are ``(start, end)`` ranges of ``text`` that the source itself
    marks as quotations (an HTML page's ``<blockquote>``: its plain text keeps no
    quotation marks, :mod:`inference.html_text`).
    """

    doc_id: str
    text: str
    meta: dict = field(default_factory=dict)
    offset: int = 0
    quotations: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class ReadProblem:
    """A one-line problem with one input (or one corpus row); never raised.

    ``message`` names the input, the problem and the fix. ``fatal=True``
    means "this counts as an error": the run goes on with the other inputs
    but ends with a non-zero exit code. ``fatal=False`` is a warning (text
    decoded as cp1252, HTML in a .txt file, a malformed corpus row skipped).
    """

    path: str
    message: str
    fatal: bool


Item = Document | ReadProblem


@dataclass
class ReadOptions:
    """How to read corpus rows: the text and id columns, and whether each line is one sentence."""

    text_col: str
    id_col: str | None
    per_line: bool

    def meta(self, extra: dict | None = None) -> dict:
        meta = dict(extra or {})
        if self.per_line:
            meta["per_line"] = True
        return meta


def binary_problem(path: str, head: bytes = b"") -> ReadProblem:
    """The one line for a file that is not text; a known document format (``head``, its first
    bytes) is named with what to do instead. A corpus name (.csv, .jsonl, .json: a workbook saved
    under it) gets the advice to export the table, not to save an article as .txt."""
    table = path.lower().endswith(_TABLE_EXTS)
    if known := document_format(head, table=table):
        return ReadProblem(path, f"{path}: {known[0]}, not text; {known[1]}", True)
    return ReadProblem(path, f"{path}: looks like a binary file, not text; {TABLE_FIX if table else _BINARY_HINT}", True)


def cp1252_warning(path: str, encoding: str = "UTF-8") -> ReadProblem:
    """``encoding``: what the file looked like (UTF-16 when it starts with that BOM)."""
    return ReadProblem(path, f"{path}: not valid {encoding}; decoded as cp1252 from the first bad byte — "
                       "re-save as UTF-8 to silence this", False)


def ignored_bom_warning(path: str) -> ReadProblem:
    return ReadProblem(path, f"{path}: starts with a UTF-16 byte-order mark but the text after it is 8-bit; "
                       "the mark was ignored and the text read as UTF-8 — re-save as UTF-8 to silence this", False)


def empty_problem(path: str) -> ReadProblem:
    return ReadProblem(path, f"{path}: file is empty (no text to score); pass a file "
                       "with article text", True)


def no_words_problem(path: str) -> ReadProblem:
    """A text without a letter or digit (only punctuation, quotation marks, symbols, a divider or
    invisible characters): ``segment`` makes no sentence of it. Why its own line: such an input was
    written as nothing at all, with exit code 0, as if it had been scored."""
    return ReadProblem(path, f"{path}: no words to score (only punctuation, symbols or invisible characters); "
                       "pass a file with article text", True)
