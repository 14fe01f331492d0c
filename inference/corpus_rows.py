"""Corpus files (JSONL, CSV, JSON) read row by row: each row with text becomes a :class:`Document`.

Rows are decoded line by line (UTF-8, with a per-line cp1252 fallback), so memory stays
bounded on large corpora; a malformed row is a warning and is skipped, a missing column
ends the file with one error. The Ray engine's datasource reads through the same functions.
"""
from __future__ import annotations

import codecs
import csv
import itertools
import json
import sys
from typing import IO, Iterable, Iterator

from inference.documents import Document, Item, ReadOptions, ReadProblem, cp1252_warning, empty_problem
from inference.text_bytes import decode_legacy
from models.errors import SlantError


class Lines:
    """Decode a byte stream line by line (UTF-8, per-line cp1252 fallback).

    The cp1252 warning is parked in :attr:`pending` for the caller to yield
    once, at the next row, so warnings stay in order with the rows.
    """

    def __init__(self, path: str, raw: IO[bytes]) -> None:
        self.path, self.raw = path, raw
        self.pending: ReadProblem | None = None
        self._warned = False

    def __iter__(self) -> Iterator[str]:
        for i, line in enumerate(self.raw):
            if i == 0 and line.startswith(codecs.BOM_UTF8):
                line = line[len(codecs.BOM_UTF8):]
            try:
                yield line.decode("utf-8")
            except UnicodeDecodeError:
                if not self._warned:
                    self._warned = True
                    self.pending = cp1252_warning(self.path)
                yield decode_legacy(line)

    def drain(self) -> Iterator[ReadProblem]:
        if self.pending is not None:
            yield self.pending
            self.pending = None


def row_doc(path: str, line: int, row: dict, opts: ReadOptions) -> Item:
    """One corpus row as a Document (id from the id column, else ``path:line``; other columns as meta),
    or a warning when its text is empty."""
    text = row.get(opts.text_col)
    if not isinstance(text, str) or not text.strip():
        return ReadProblem(path, f"{path}:{line}: no text in column '{opts.text_col}'; "
                           "row skipped (fill it in or remove the row)", False)
    id_col = opts.id_col or ("id" if "id" in row else None)
    doc_id = str(row[id_col]) if id_col and row.get(id_col) not in (None, "") else f"{path}:{line}"
    meta = {k: v for k, v in row.items() if k not in (opts.text_col, id_col)}
    return Document(doc_id, text, opts.meta(meta))


def missing_column(path: str, opts: ReadOptions, columns: Iterable[str]) -> ReadProblem | None:
    """The error for the first of the text and id columns (as ``opts`` names them) that ``columns``
    lacks; None when both are there. JSONL, CSV and the Ray engine's Parquet rows all check this."""
    columns = list(columns)
    for col, flag in ((opts.text_col, "--text-col"), (opts.id_col, "--id-col")):
        if col and col not in columns:
            cols = ", ".join(repr(c) for c in columns) or "none"
            return ReadProblem(path, f"{path}: no column '{col}' (columns: {cols}); choose one "
                               f"with {flag}", True)
    return None


def read_jsonl(path: str, raw: IO[bytes], opts: ReadOptions) -> Iterator[Item]:
    lines = Lines(path, raw)
    checked = seen = False
    for line_no, line in enumerate(lines, 1):
        yield from lines.drain()
        if not line.strip():
            continue
        seen = True
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            yield ReadProblem(path, f"{path}:{line_no}: not valid JSON ({e.msg}); row skipped — "
                              "fix or remove that line", False)
            continue
        if not isinstance(row, dict):
            yield ReadProblem(path, f"{path}:{line_no}: expected a JSON object per line, got "
                              f"{type(row).__name__}; row skipped", False)
            continue
        if not checked:  # the first good row decides whether the columns exist at all
            checked = True
            if problem := missing_column(path, opts, row.keys()):
                yield problem
                return
        yield row_doc(path, line_no, row, opts)
    yield from lines.drain()
    if not checked:
        yield empty_problem(path) if not seen else ReadProblem(
            path, f"{path}: no valid JSON rows; write one JSON object per line", True)


#: Field separators a CSV may use: spreadsheets in many locales save ';'-separated .csv files.
CSV_DELIMITERS = (",", ";", "\t", "|")


def csv_delimiter(header: str) -> str:
    """A CSV's field separator from its header line: ',' unless ';', a tab or '|' splits it into more
    columns (read with ',' a ';' header was one column, and the error sent the user to --text-col)."""
    widths = {d: len(next(csv.reader([header], delimiter=d), [])) for d in CSV_DELIMITERS}
    return max(widths, key=lambda d: (widths[d], d == ","))


class _RecordedLines:
    """Lines for ``csv.reader`` that keeps the ones of the row being read (``lines``; all the rest of
    the file after a quote never closed) and knows when the end was reached (``at_end``: a row read
    then was ended by the end of the file, inside quotes)."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._it, self.lines, self.at_end = iter(lines), [], False

    def __iter__(self) -> "_RecordedLines":
        return self

    def __next__(self) -> str:
        try:
            line = next(self._it)
        except StopIteration:
            self.at_end = True
            raise
        self.lines.append(line)
        return line


class CsvTable:
    """A CSV read row by row from decoded lines (``slant score`` and ``slant report`` both read CSV
    through this): the separator detected from the header row, the header in :attr:`header`, and
    :meth:`rows` giving each row with the line it starts on, or the one-line problem of a row that
    must be skipped. ``csv.Error`` propagates, for the caller to report at :attr:`line_num`."""

    def __init__(self, path: str, lines: Iterable[str]) -> None:
        csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # articles exceed the 128 KB default
        self.path = path
        it = iter(lines)
        first = next(it, None)
        self.delimiter = csv_delimiter(first or "")
        self._source = _RecordedLines(itertools.chain([first] if first is not None else [], it))
        self._reader = csv.reader(self._source, delimiter=self.delimiter)
        self.header: list[str] | None = next(self._reader, None)
        self._source.lines.clear()

    @property
    def line_num(self) -> int:
        return self._reader.line_num

    def rows(self) -> Iterator[tuple[int, dict[str, str] | None, str]]:
        """``(line, row, "")`` for each row with a value (a short row padded with empty cells, as a
        spreadsheet leaves trailing empty cells out), or ``(line, None, message)`` for a row to skip: a
        quote never closed (it had swallowed the rest of the file into one row) or more fields than the
        header (usually an unquoted comma in the text). The message ends in '; row skipped — FIX'."""
        yield from self._rows(self._reader, self._source, 0)

    def _rows(self, reader, source: "_RecordedLines", offset: int):
        """The rows ``reader`` reads from ``source`` (line numbers from ``offset``). After a quote never
        closed, only its own row is lost: the lines after its first are read again as rows (they had all
        been lost with it)."""
        header, path = self.header or [], self.path
        end = reader.line_num
        for values in reader:
            start, end = end + 1, reader.line_num
            row_lines = source.lines[:]
            source.lines.clear()
            if not any(v.strip() for v in values):
                continue
            if source.at_end and end > start:
                yield offset + start, None, (f"{path}:{offset + start}: a quote opened in this row is never closed; "
                                             "row skipped, the lines after it read again — close the quote there "
                                             '(a quote inside a quoted field is written "")')
                rest = _RecordedLines(row_lines[1:])
                yield from self._rows(csv.reader(rest, delimiter=self.delimiter), rest, offset + start)
                return
            elif len(values) > len(header):
                yield offset + start, None, (f"{path}:{offset + start}: {len(values)} fields, the header has "
                                             f"{len(header)}; row skipped — quote fields that contain commas")
            else:
                yield offset + start, dict(zip(header, values + [""] * (len(header) - len(values)))), ""


def read_csv(path: str, raw: IO[bytes], opts: ReadOptions) -> Iterator[Item]:
    lines = Lines(path, raw)
    table = None
    try:
        table = CsvTable(path, lines)
        yield from lines.drain()
        if not table.header:
            yield empty_problem(path)
            return
        if problem := missing_column(path, opts, table.header):
            yield problem
            return
        rows = 0
        for line, row, problem in table.rows():
            yield from lines.drain()
            rows += 1
            yield row_doc(path, line, row, opts) if row is not None else ReadProblem(path, problem, False)
        if not rows:
            yield ReadProblem(path, f"{path}: header but no rows; add rows below the header", True)
    except csv.Error as e:
        yield ReadProblem(path, f"{path}:{table.line_num if table else 1}: malformed CSV ({e}); fix the quoting "
                          "there or export the file again", True)
    yield from lines.drain()


#: A .json corpus is parsed whole (JSON has no rows to stream); past this, JSONL is the format.
JSON_MAX_BYTES = 256 * 2**20


def json_rows(path: str, raw: IO[bytes], text_col: str) -> list[dict]:
    """The objects of a ``.json`` corpus: a list of objects with a text field, or one such object
    (the shape scrapers and notebooks write), parsed whole. A file that is not that raises one
    ``SlantError`` line; shared by ``slant score`` and ``slant report``."""
    data = raw.read(JSON_MAX_BYTES + 1)
    if len(data) > JSON_MAX_BYTES:
        raise SlantError(f"{path}: over {JSON_MAX_BYTES // 2**20} MB of JSON, which is parsed whole; "
                         "write it as JSONL (one object per line), which is read row by row")
    if not data.strip():
        raise SlantError(empty_problem(path).message)
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise SlantError(f"{path}: not UTF-8; JSON must be UTF-8 — re-save the file as UTF-8") from None
    except json.JSONDecodeError as e:
        raise SlantError(f"{path}: not valid JSON ({e.msg} at line {e.lineno}); a .json corpus holds one list "
                         f"of objects with a '{text_col}' field (or write JSONL, one object per line)") from None
    rows = [value] if isinstance(value, dict) else value
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        got = "a list holding other values" if isinstance(rows, list) else type(value).__name__
        raise SlantError(f"{path}: expected a list of JSON objects with a '{text_col}' field (or one such "
                         f"object), got {got}")
    if not rows:
        raise SlantError(empty_problem(path).message)
    return rows


def read_json(path: str, raw: IO[bytes], opts: ReadOptions) -> Iterator[Item]:
    """``slant score``'s reading of a ``.json`` corpus (:func:`json_rows`): each object a Document,
    numbered from 1 in messages and default ids. Why: read as plain text it was scored as JSON
    syntax ('{"text": "hello"}' as a sentence)."""
    try:
        rows = json_rows(path, raw, opts.text_col)
    except SlantError as e:
        yield ReadProblem(path, str(e), True)
        return
    if problem := missing_column(path, opts, rows[0].keys()):
        yield problem
        return
    for number, row in enumerate(rows, 1):
        yield row_doc(path, number, row, opts)
