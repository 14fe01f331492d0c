"""Read a report corpus into :class:`Article` records that keep their group, story and links.

``slant report`` needs more than ``slant score`` gets from :mod:`inference.reading`:
every row's line number (so a duplicated id or an empty group can be named
precisely), the group and story columns checked up front, and a choice
between skipping a bad row and stopping at it (``--on-bad-row``). JSONL and
CSV are therefore read here, row by row (memory stays bounded: only the ids
seen so far are kept, to catch duplicates). A folder with one sub-folder per
outlet reuses :func:`inference.reading.iter_documents` for its .txt/.html
files, so HTML extraction and encoding fallbacks behave as in ``slant score``;
JSONL and CSV lines are decoded by :class:`inference.corpus_rows.Lines` for the
same reason (UTF-8, else cp1252 with one warning, never silent U+FFFD), and CSV
rows split by :class:`inference.corpus_rows.CsvTable` (separator, unclosed quotes).
"""
from __future__ import annotations

import codecs
import csv
import hashlib
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from inference.corpus_rows import CsvTable, Lines, csv_delimiter, json_rows
from inference.documents import SNIFF_BYTES, binary_problem
from inference.reading import ReadProblem, folder_files, iter_documents
from inference.text_bytes import looks_binary
from models.errors import SlantError

__all__ = ["Article", "Corpus", "open_corpus"]

#: A folder article is scored whole up to this many characters (its streamed chunks joined).
ARTICLE_MAX_CHARS = 8 * 2**20
#: Files taken from a folder corpus.
FOLDER_EXTS = (".txt", ".html", ".htm")


@dataclass
class Article:
    """One article to score: text plus the metadata the report groups and links by."""

    id: str
    text: str
    group: str
    story: str | None = None
    title: str = ""
    url: str = ""
    date: str = ""
    where: str = ""        # "<path>:<line>" or the file path, for messages
    quotations: list[tuple[int, int]] = field(default_factory=list)  # an HTML page's block quotations


Warn = Callable[[str], None]


def _stderr_warn(message: str) -> None:
    print(f"slant: warning: {message}", file=sys.stderr)


class Corpus:
    """A corpus on disk, read lazily; iterate it for :class:`Article` objects.

    Problems with single rows go to ``warn`` (one line each, with the line
    number) and the row is skipped, or, with ``on_bad_row="fail"``, raise a
    :class:`SlantError`. Problems with the corpus as a whole (no such file,
    no group column) always raise.
    """

    def __init__(self, path: str | Path, *, by: str = "outlet", story: str | None = None,
                 text_col: str = "text", id_col: str | None = None, on_bad_row: str = "skip",
                 warn: Warn = _stderr_warn, exclude: str | Path | None = None) -> None:
        self.path = Path(path)
        # the report's own output (and its temporary file) when written inside the corpus folder:
        # never read back as an article on the next run
        self.exclude = {Path(exclude).resolve(), Path(str(exclude) + ".tmp").resolve()} if exclude else set()
        # ids come from "id" when present; a column named on the command line must be there
        self.by, self.story, self.text_col, self.id_col = by, story, text_col, id_col or "id"
        self.id_col_given = id_col is not None
        self.on_bad_row, self.warn = on_bad_row, warn
        self.skipped = 0
        self._json_cache: list[dict] | None = None
        self._delimiter: str | None = None
        if not self.path.exists():
            raise SlantError(f"{path}: no such file or folder; pass a .jsonl/.csv/.json corpus or a folder of outlet sub-folders")
        if self.path.is_dir():
            self.kind = "folder"
            if story:
                raise SlantError(f"{path}: --story needs a JSONL/CSV/JSON corpus with a story column; a folder "
                                 "corpus only knows each article's outlet (its sub-folder)")
        elif self.path.suffix.lower() in (".jsonl", ".csv", ".json"):
            self.kind = self.path.suffix.lower().lstrip(".")
            self._refuse_binary()
        else:
            raise SlantError(f"{path}: not a .jsonl, .csv or .json corpus; convert it, or pass a folder with one "
                             "sub-folder of .txt/.html files per outlet")

    def _refuse_binary(self) -> None:
        """A workbook saved as .csv, a gzipped .jsonl or a UTF-16 export is named, as ``slant score`` names
        it; read line by line as cp1252 it gave a column list of control characters."""
        try:
            with open(self.path, "rb") as f:
                head = f.read(SNIFF_BYTES)
        except OSError as e:
            raise SlantError(f"{self.path}: cannot read ({e.strerror or e}); check that the file is readable") from None
        if looks_binary(head):
            raise SlantError(binary_problem(str(self.path), head).message)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise SlantError(f"{self.path}: UTF-16 text (a spreadsheet's 'Unicode text' export); save it as UTF-8 "
                             "(CSV UTF-8, or JSONL) and pass that file")

    def check(self) -> None:
        """Fail now, before the model loads, if a named column is missing: from no row of a JSONL or
        .json corpus (a row may leave a key out; JSONL is read until every named column was seen, which is
        usually the first row) or from a CSV's header."""
        if self.kind == "json":  # parsed whole anyway: a column is missing when no object has it
            self._check_columns(dict.fromkeys(k for row in self._json() for k in row))
        elif self.kind == "csv":
            with open(self.path, "rb") as f:
                header = CsvTable(str(self.path), self._lines(f, warn=False)).header
            if not header:
                raise SlantError(f"{self.path}: holds no header row and no rows; nothing to report")
            self._check_columns(header)
        elif self.kind == "jsonl":
            # a JSONL row may leave a key out (an empty cell): a column is missing only when no row has it,
            # so read on past rows that lack one (usually the first row has them all and this stops there)
            keys: dict[str, None] = {}
            with open(self.path, "rb") as f:
                for line in self._lines(f, warn=False):
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError:
                        continue
                    if isinstance(row, dict):
                        keys.update(dict.fromkeys(row))
                        if all(col in keys for col in self._named_columns()):
                            return
            if not keys:  # empty, blank lines or no object at all: say so before the model loads
                raise SlantError(f"{self.path}: holds no JSON object rows (one per line); nothing to report")
            self._check_columns(keys)

    def delimiter(self) -> str:
        """A CSV's field separator, from its header row (``corpus_rows.csv_delimiter``)."""
        if self._delimiter is None:
            with open(self.path, "rb") as f:
                self._delimiter = csv_delimiter(next(iter(self._lines(f, warn=False)), ""))
        return self._delimiter

    # ---- counting, for the progress bar ------------------------------------------------
    def count(self) -> int | None:
        """Rows or files to expect (a cheap pre-pass; blank lines not counted)."""
        if self.kind == "folder":
            return sum(1 for p in self._folder_files())
        if self.kind == "json":
            return len(self._json())
        if self.kind == "jsonl":
            with open(self.path, "rb") as f:
                return sum(1 for line in f if line.strip())
        try:
            with open(self.path, encoding="utf-8-sig", errors="replace", newline="") as f:
                return max(0, sum(1 for _ in csv.reader(f, delimiter=self.delimiter())) - 1)
        except csv.Error:
            return None

    # ---- reading ---------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Article]:
        self.skipped = 0
        seen: dict[str, str] = {}
        texts: dict[bytes, str] = {}  # (group, text) digest -> where: the same article saved twice
        rows = self._folder() if self.kind == "folder" else self._table()
        for art in rows:
            if art.id in seen:
                self.bad(f"{art.where}: duplicated id {art.id!r} (first at {seen[art.id]}); row skipped — "
                         f"give every article its own id in column '{self.id_col}'")
                continue
            seen[art.id] = art.where
            key = hashlib.blake2b(f"{art.group}\0{art.text}".encode("utf-8", "surrogatepass"), digest_size=16).digest()
            if key in texts:
                self.warn(f"{art.where}: the same text as {texts[key]}, in the same {self.by} {art.group!r}; "
                          "counted twice — remove one if they are the same article")
            else:
                texts[key] = art.where
            yield art

    def bad(self, message: str) -> None:
        """A bad row: stop (``--on-bad-row fail``) or warn and skip."""
        if self.on_bad_row == "fail":
            raise SlantError(f"{message.replace('; row skipped', '')} (or pass --on-bad-row skip to skip such rows)")
        self.skipped += 1
        self.warn(message)

    def _table(self) -> Iterator[Article]:
        rows = (self._jsonl_rows() if self.kind == "jsonl" else enumerate(self._json(), 1) if self.kind == "json"
                else self._csv_rows())
        checked = False
        for line, row in rows:
            if not checked:
                if self.kind == "csv":
                    self._check_columns(row.keys())
                elif any(col not in row for col in self._named_columns()):
                    self.check()  # raises only when no row has the column; else this row is a bad row below
                checked = True
            art = self._article(line, row)
            if art is not None:
                yield art
        if not checked:
            raise SlantError(f"{self.path}: no rows to read; the corpus is empty or every row is malformed")

    def _check_columns(self, columns) -> None:
        """Every named column must exist, as in ``slant score``; only the default id column 'id' may be
        absent (ids are then line numbers): a mistyped ``--id-col`` would otherwise silently number the
        rows and lose the duplicate-id check."""
        cols = list(columns)
        shown = ", ".join(repr(c) for c in cols) or "none"
        named = ((self.text_col, "--text-col", "with the text"), (self.by, "--by", "to group by"),
                 (self.story, "--story", "with stories"),
                 (self.id_col if self.id_col_given else None, "--id-col", "with the ids"))
        for col, flag, what in named:
            if col and col not in cols:
                raise SlantError(f"{self.path}: no column '{col}' {what} (columns: {shown}); choose one with {flag}")

    def _named_columns(self) -> set[str]:
        """The columns the corpus must have (the default id column 'id' may be absent)."""
        return {c for c in (self.text_col, self.by, self.story, self.id_col if self.id_col_given else None) if c}

    def _article(self, line: int, row: dict) -> Article | None:
        where = f"{self.path}:{line}"
        text = row.get(self.text_col)
        if not isinstance(text, str) or not text.strip():
            self.bad(f"{where}: no text in column '{self.text_col}'; row skipped (fill it in or remove the row)")
            return None
        group = _cell(row.get(self.by))
        if not group:
            self.bad(f"{where}: empty '{self.by}' (the group column); row skipped — fill it in or remove the row")
            return None
        story = _cell(row.get(self.story)) if self.story else None
        if self.story and not story:
            self.bad(f"{where}: empty '{self.story}' (the story column); row skipped — fill it in or remove the row")
            return None
        ident = _cell(row.get(self.id_col)) or f"{self.path.name}:{line}"
        return Article(id=ident, text=text, group=group, story=story, title=_cell(row.get("title")),
                       url=_cell(row.get("url")), date=_cell(row.get("date")), where=where)

    def _lines(self, raw, *, warn: bool = True) -> Iterator[str]:
        """The decoded lines of a binary file, decoded as ``slant score`` decodes them; the cp1252
        warning goes to ``warn`` once, before the first row it affects."""
        lines = Lines(str(self.path), raw)
        for line in lines:
            for problem in lines.drain():
                if warn:
                    self.warn(problem.message)
            yield line

    def _json(self) -> list[dict]:
        """A .json corpus's objects (``corpus_rows.json_rows``), parsed once per Corpus."""
        if self._json_cache is None:
            with open(self.path, "rb") as f:
                self._json_cache = json_rows(str(self.path), f, self.text_col)
        return self._json_cache

    def _jsonl_rows(self) -> Iterator[tuple[int, dict]]:
        with open(self.path, "rb") as f:
            for line_no, line in enumerate(self._lines(f), 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as e:
                    self.bad(f"{self.path}:{line_no}: not valid JSON ({e.msg}); row skipped — fix or remove that line")
                    continue
                if not isinstance(row, dict):
                    self.bad(f"{self.path}:{line_no}: expected a JSON object, got {type(row).__name__}; row skipped")
                    continue
                yield line_no, row

    def _csv_rows(self) -> Iterator[tuple[int, dict]]:
        with open(self.path, "rb") as f:
            table = None
            try:
                table = CsvTable(str(self.path), self._lines(f))
                if not table.header:
                    raise SlantError(f"{self.path}: empty CSV; put a header row (text, {self.by}, …) and rows below it")
                self._check_columns(table.header)
                for line, row, problem in table.rows():
                    if row is None:
                        self.bad(problem)
                    else:
                        yield line, row
            except csv.Error as e:
                raise SlantError(f"{self.path}:{table.line_num if table else 1}: malformed CSV ({e}); fix the quoting "
                                 "there or export the file again") from None

    # ---- folder of outlet sub-folders -------------------------------------------------------
    def _folder_files(self) -> Iterator[Path]:
        # an outlet sub-folder that is a symlink (news/fox -> /data/scrapes/fox) is followed, as slant score follows one
        yield from folder_files(self.path, FOLDER_EXTS, self.exclude)

    def _folder(self) -> Iterator[Article]:
        files = list(self._folder_files())
        if not files:
            raise SlantError(f"{self.path}: no .txt/.html files in sub-folders; lay it out as "
                             f"{self.path}/<outlet>/<article>.txt")
        from inference.report_html import _CSP  # here: report_html imports this module through report_stats

        report_head = f'content="{_CSP}"'.encode()
        for p in files:
            rel = p.relative_to(self.path)
            if p.suffix.lower() in (".html", ".htm") and _starts_with(p, report_head):
                # an earlier report written into the corpus under another name was scored as an article
                self.warn(f"{p}: a slant report, not an article; file skipped")
                continue
            if len(rel.parts) < 2:
                self.bad(f"{p}: not inside an outlet sub-folder; file skipped — move it to {self.path}/<outlet>/")
                continue
            parts: list[str] = []
            quotations: list[tuple[int, int]] = []
            for item in iter_documents([str(p)]):
                if isinstance(item, ReadProblem):
                    if item.fatal:
                        self.bad(item.message)
                    else:
                        self.warn(item.message)
                    continue
                # a file over HUGE_BYTES arrives in consecutive chunks; one article is one file
                if item.offset + len(item.text) > ARTICLE_MAX_CHARS:
                    self.warn(f"{p}: longer than {ARTICLE_MAX_CHARS // 2**20} M characters; only its first "
                              f"{item.offset:,} were scored as one article")
                    break
                quotations += [(item.offset + a, item.offset + b) for a, b in item.quotations]
                parts.append(item.text)
            if parts:
                yield Article(id=rel.as_posix(), text="".join(parts), group=rel.parts[0], title=p.stem, where=str(p),
                              quotations=quotations)


def _starts_with(path: Path, marker: bytes, size: int = 2048) -> bool:
    """Whether ``marker`` is in the first ``size`` bytes of ``path`` (False when it cannot be read)."""
    try:
        with open(path, "rb") as f:
            return marker in f.read(size)
    except OSError:
        return False


def _cell(value) -> str:
    """A metadata cell as stripped text ('' for missing, NaN-like or null)."""
    if value is None:
        return ""
    if isinstance(value, float) and value != value:
        return ""
    return str(value).strip()


def open_corpus(path: str | Path, **kwargs) -> Corpus:
    """Open ``path`` (JSONL, CSV or a folder of outlet sub-folders) for reading; see :class:`Corpus`."""
    return Corpus(path, **kwargs)
