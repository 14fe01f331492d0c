"""Turn what the user passes on the command line into documents to score.

Inputs are file paths, directories, or ``-`` for stdin. Text, HTML and
corpus files (JSONL, CSV) each become one or more :class:`Document` objects.
A problem with one input is yielded as a :class:`ReadProblem` instead of
raised, so that a run over a hundred files still scores the 99 good ones and
reports the bad one in a single line.

Memory stays bounded: corpora are read row by row, and text files larger
than :data:`HUGE_BYTES` are decoded incrementally and yielded in ~1 MB
chunks cut at line boundaries (same ``doc_id``, increasing ``offset``).
"""
from __future__ import annotations

import html as html_lib
import io
import os
import re
import sys
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

from inference.corpus_rows import read_csv, read_json, read_jsonl
from inference.documents import (SNIFF_BYTES, Document, Item, ReadOptions, ReadProblem, binary_problem,
                                 cp1252_warning, empty_problem, ignored_bom_warning, no_words_problem)
from inference.language import looks_english
from inference.text_bytes import Decoder, looks_binary, utf16_without_bom
from models.errors import SlantError


__all__ = ["Document", "ReadProblem", "iter_documents", "looks_english", "refuse_output_over_input", "INPUT_EXTS"]

#: Extensions picked up when a directory is given.
INPUT_EXTS = (".txt", ".html", ".htm", ".jsonl", ".csv")
_HTML_EXTS = {".html", ".htm"}
_CORPUS_EXTS = {".jsonl", ".csv"}
#: Text inputs larger than this are streamed in chunks instead of read whole. Why 2 MB: a
#: document is segmented and scored whole, so memory grows with it (a 7 MB text file held
#: 1.06 GB after 3 minutes with no sentence written); no news article comes near 2 MB.
HUGE_BYTES = 2 * 1024 * 1024
#: HTML is parsed whole (about 30 bytes of memory per byte of page): larger pages are refused.
HTML_MAX_BYTES = 8 * 1024 * 1024
#: Target size (characters) of one chunk of a huge text input.
CHUNK_CHARS = 1024 * 1024
_READ_BYTES = 1024 * 1024


def iter_documents(
    inputs: list[str],
    *,
    text_col: str | None = None,
    id_col: str | None = None,
    per_line: bool = False,
    stdin: IO[Any] = sys.stdin,
    exclude: str | None = None,
) -> Iterator[Item]:
    """Yield a Document or ReadProblem for everything in ``inputs``, in order.

    ``text_col``/``id_col`` name corpus columns (default ``"text"``, and
    ``"id"`` when present, else ``"<path>:<line>"``). ``per_line`` marks every
    Document with ``meta["per_line"] = True``. A folder's walk skips ``exclude`` (the run's
    own output file, when it is written inside an input folder).
    """
    opts = ReadOptions(text_col or "text", id_col, per_line)
    skip = {Path(exclude).resolve()} if exclude else set()
    seen: set = set()  # what was read: a file named twice, or also inside a named folder, is read once
    for name in inputs:
        if name == "-":
            if "-" in seen:
                yield ReadProblem("-", "-: standard input given more than once; it is read once", False)
                continue
            seen.add("-")
            if stdin is None:  # started with stdin closed (`<&-`, some service managers): no stream to read
                yield ReadProblem("-", "-: standard input is closed; pipe the article in "
                                  "(cat article.txt | slant score -) or pass its file", True)
                continue
            raw = getattr(stdin, "buffer", None)
            if raw is None:  # a text stream (e.g. io.StringIO in tests)
                yield from _text_doc("-", "-", stdin.read(), opts)
            else:
                yield from _read_text_stream("-", raw, opts)
            continue
        path = Path(name)
        if path.is_dir():
            files = folder_files(path, INPUT_EXTS, skip)
            if not files:
                yield ReadProblem(
                    name, f"{name}: no {'/'.join(INPUT_EXTS)} files under {name}; "
                    "pass a folder that contains articles, or the files themselves", True)
            new = [p for p in files if p.resolve() not in seen]
            if len(new) < len(files):
                yield _repeated(f"{name}: {len(files) - len(new)} of its files")
            for p in new:
                seen.add(p.resolve())
                yield from _read_file(str(p), opts)
        elif path.exists():
            if path.resolve() in seen:
                yield _repeated(name)
                continue
            seen.add(path.resolve())
            yield from _read_file(name, opts)
        elif re.match(r"(?i)https?://", name):  # Slant reads files; it never goes on the network
            yield ReadProblem(name, f"{name}: a web address, not a file; Slant does not fetch pages — save the "
                              "page (.html) or its text (.txt) and pass that file", True)
        elif path.is_symlink():
            yield ReadProblem(name, f"{name}: a symbolic link to {os.readlink(name)}, which does not exist or "
                              "links back to itself; pass the file it should point to", True)
        else:
            yield ReadProblem(name, f"{name}: no such file or directory; check the path "
                              "(or pass - to read from stdin)", True)


def _repeated(what: str) -> ReadProblem:
    """The warning for inputs read already. Why: ``slant score a.txt a.txt``, ``*.txt`` beside a
    file it matches, or a file inside a folder also given scored the article twice, so its
    sentences were written twice under one doc id and counted twice by any report over them."""
    return ReadProblem(what, f"{what}: given more than once (by name, or inside a folder also given); "
                       "each file is read and scored once", False)


def refuse_output_over_input(output: str | Path | None, inputs: Iterable[str | Path], writes: Iterable[str] = (),
                             option: str = "-o") -> None:
    """Raise before anything is opened for writing when the output would overwrite an input: the
    file itself (``slant score a.txt -o a.txt`` truncated the article, then called it empty), or
    an article inside an input folder (the walk leaves the output out, so it went unread and was
    overwritten). ``writes``: the extensions the output format is written under; a file inside a
    folder with one of them is taken for an earlier run's output (a report rewritten in place)."""
    if output is None or str(output) == "-" or not Path(output).is_file():
        return
    target, own = Path(output).resolve(), {e.lower() for e in writes}
    for name in inputs:
        path = Path(name)
        if str(name) == "-" or not path.exists():
            continue
        if path.is_file() and (path.resolve() == target or os.path.samefile(path, target)):  # or a hard link
            raise SlantError(f"{option} {output} is also an input, so writing it would erase it; "
                             "choose another output file")
        folder = path.resolve()
        if (path.is_dir() and target.is_relative_to(folder) and target.suffix.lower() in INPUT_EXTS
                and target.suffix.lower() not in own
                and not any(part.startswith(".") for part in target.relative_to(folder).parts)):
            raise SlantError(f"{option} {output} is an existing {target.suffix} file inside the input folder {name}, "
                             "so writing it would overwrite one of its articles; choose an output outside that folder")


def walk_files(folder: Path) -> Iterator[Path]:
    """Every file under ``folder`` (as paths under it), following symlinked folders; a folder whose
    resolved path was already walked is skipped, so a link back up the tree ends the loop. Why:
    ``Path.rglob`` does not follow links to folders, so a linked sub-folder was left out without a word."""
    seen: set[str] = set()
    for root, dirs, files in os.walk(folder, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs.sort()
        for name in files:
            yield Path(root, name)


def folder_files(folder: Path, exts: Iterable[str], exclude: Iterable[Path] = ()) -> list[Path]:
    """The files under ``folder`` with one of ``exts``, sorted, skipping hidden files and folders and
    the resolved paths in ``exclude`` (a run's own output written inside an input folder); symlinked
    folders are followed (:func:`walk_files`). Every engine and ``slant report`` walk folders with this,
    so they read the same files in the same order."""
    skip = set(exclude)
    return sorted(p for p in walk_files(folder)
                  if p.suffix.lower() in exts and p.is_file()
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts)
                  and p.resolve() not in skip)


def _read_file(path: str, opts: ReadOptions) -> Iterator[Item]:
    ext = Path(path).suffix.lower()
    try:
        with open(path, "rb") as raw:
            if ext in _HTML_EXTS:
                data = raw.read()
                if looks_binary(data[:SNIFF_BYTES]):
                    yield binary_problem(path, data[:SNIFF_BYTES])
                elif _no_markup(data):
                    yield ReadProblem(path, f"{path}: holds no HTML tags; read as plain text — rename it .txt "
                                      "to silence this", False)
                    yield from _read_text_stream(path, io.BytesIO(data), opts)
                else:
                    yield from _html_doc(path, data, opts)
            elif ext in _CORPUS_EXTS or ext == ".json":  # .json by name only: a folder's are often not articles
                head = raw.peek(SNIFF_BYTES)[:SNIFF_BYTES] if hasattr(raw, "peek") else b""
                if looks_binary(head):
                    yield binary_problem(path, head)
                elif ext == ".json":
                    yield from read_json(path, raw, opts)
                elif ext == ".jsonl":
                    yield from read_jsonl(path, raw, opts)
                else:
                    yield from read_csv(path, raw, opts)
            else:  # .txt, .text, no extension, anything else: try as text
                yield from _read_text_stream(path, raw, opts)
    except OSError as e:
        yield ReadProblem(path, f"{path}: cannot read ({e.strerror or e}); check that the "
                          "file exists and is readable", True)


#: An HTML tag or a doctype; in 8-bit or UTF-8 bytes (UTF-16 pages, with NULs, are left to the HTML path).
_MARKUP = re.compile(rb"<(?:!doctype|!--|/?(?:html|head|body|p|div|br|span|a|article|section|main|header|"
                     rb"footer|nav|h[1-6]|script|style|table|meta|title|link|ul|ol|li|img|b|i|em|strong|"
                     rb"blockquote|figure|form|iframe)\b)", re.IGNORECASE)


def _no_markup(data: bytes) -> bool:
    """A ".html" file without a tag: plain text saved under that name. Why: the extractor finds no
    article in it, so a whole article was refused as "no article text in this HTML page"."""
    return b"\x00" not in data[:SNIFF_BYTES] and not _MARKUP.search(data)


# --- plain text ---------------------------------------------------------------

def _read_text_stream(path: str, raw: IO[bytes], opts: ReadOptions) -> Iterator[Item]:
    """Read a text stream whole, or in chunks once it passes HUGE_BYTES."""
    first = raw.read(_READ_BYTES)
    codec = utf16_without_bom(first[:SNIFF_BYTES])
    if not codec and looks_binary(first[:SNIFF_BYTES]):
        yield binary_problem(path, first[:SNIFF_BYTES])
        return
    dec = Decoder(first, codec)
    if dec.ignored_bom:
        yield ignored_bom_warning(path)
    pieces, size, block = [], 0, first
    while block:
        size += len(block)
        pieces.append(dec.decode(block))
        if size > HUGE_BYTES:
            break
        block = raw.read(_READ_BYTES)
    else:
        pieces.append(dec.decode(b"", final=True))
        if dec.fell_back:
            yield cp1252_warning(path, dec.encoding)
        yield from _text_doc(path, path, "".join(pieces), opts)
        return
    # Huge: stream the rest in chunks.
    def rest() -> Iterator[str]:
        while pieces:
            yield pieces.pop(0)
        while block := raw.read(_READ_BYTES):
            yield dec.decode(block)
        yield dec.decode(b"", final=True)

    yield from _chunk_stream(path, rest(), opts)
    if dec.fell_back:
        yield cp1252_warning(path, dec.encoding)


def _chunk_stream(path: str, texts: Iterable[str], opts: ReadOptions) -> Iterator[Item]:
    """Re-cut decoded text into ~CHUNK_CHARS Documents at line boundaries, each marked
    ``meta["streamed"]``: one chunk without a word is no problem; a file of no words at all is."""
    buf, offset, any_text, any_word = "", 0, False, False
    for piece in texts:
        buf += piece
        while len(buf) >= 2 * CHUNK_CHARS:
            cut = _cut_point(buf, CHUNK_CHARS)
            chunk, buf = buf[:cut], buf[cut:]
            if chunk.strip():
                any_text, any_word = True, any_word or any(c.isalnum() for c in chunk)
                yield Document(path, chunk, opts.meta({"streamed": True}), offset)
            offset += len(chunk)
    if buf.strip():
        any_text, any_word = True, any_word or any(c.isalnum() for c in buf)
        yield Document(path, buf, opts.meta({"streamed": True}), offset)
    if not any_text:
        yield empty_problem(path)
    elif not any_word:
        yield no_words_problem(path)


def _cut_point(buf: str, target: int) -> int:
    """Index just after a blank line (else a line break, else a space) near ``target``; Windows
    (CRLF) and old-Mac (CR) breaks count, or a CR-only file was cut mid-sentence at a space."""
    lo = target // 2
    for sep in ("\n\n", "\r\n\r\n", "\r\r", "\n", "\r", " "):
        i = buf.rfind(sep, lo, target + len(sep))
        if i >= 0:
            return i + len(sep)
    return target


_HTML_START = re.compile(r"\A\s*(?:<!doctype\s+html|<html)", re.IGNORECASE)
# A fragment (a CMS body field, a copied <article>): opens with a block tag and closes one.
_FRAGMENT_START = re.compile(r"\A\s*<(?:p|div|article|section|main|body|h[1-6]|ul|ol|blockquote|table|figure|header)"
                             r"\b[^<>]*>", re.IGNORECASE)
_CLOSING_TAG = re.compile(r"</(?:p|div|article|section|main|body|h[1-6]|ul|ol|li|blockquote|table|figure|header)\s*>",
                          re.IGNORECASE)


_ANY_TAG = re.compile(r"<[^<>]*>")


def _text_doc(path: str, doc_id: str, text: str, opts: ReadOptions) -> Iterator[Item]:
    if not text.strip():
        yield empty_problem(path)
        return
    page = bool(_HTML_START.match(text[:200]))
    if page or (_FRAGMENT_START.match(text[:1000]) and _CLOSING_TAG.search(text)):
        items = list(_html_doc(path, text, opts, doc_id=doc_id))
        if page or any(isinstance(item, Document) for item in items):
            yield ReadProblem(path, f"{path}: looks like HTML; scoring the article text extracted "
                              "from it — pass it as a .html file to silence this", False)
            yield from items
            return
        # a fragment too short for the extractor ("<p>Short.</p>"): its text without the tags (it had
        # been scored as it stood, "<p>The mayor …" and "</p>" as sentences)
        plain = html_lib.unescape(_ANY_TAG.sub("", _CLOSING_TAG.sub("\n", text))).strip()
        if plain:
            yield ReadProblem(path, f"{path}: looks like an HTML fragment; scoring its text without the tags — "
                              "pass a whole page as a .html file, or plain text", False)
            yield Document(doc_id, plain, opts.meta())
            return
    yield Document(doc_id, text, opts.meta())


# --- HTML ---------------------------------------------------------------------

_BULK = r"<script\b.*?</script\s*>|<style\b.*?</style\s*>|<svg\b.*?</svg\s*>|data:[^\"'\s)>]{256,}"
_BULK_BYTES, _BULK_STR = re.compile(_BULK.encode(), re.I | re.S), re.compile(_BULK, re.I | re.S)


def _without_bulk(html: bytes | str) -> bytes | str:
    """The page without what never holds article text and can be most of its bytes: scripts,
    styles, inline SVG and base64 images (``data:`` URIs). Why: the HTML parser needs about
    30 bytes of memory per byte of page, so a 50 MB page grew past 3 GB and ran for over ten
    minutes without a sentence scored; after this, pages over :data:`HTML_MAX_BYTES` are refused."""
    if isinstance(html, bytes):
        return _BULK_BYTES.sub(lambda m: b"data:," if m.group(0)[:5].lower() == b"data:" else b"", html)
    return _BULK_STR.sub(lambda m: "data:," if m.group(0)[:5].lower() == "data:" else "", html)


def _html_doc(path: str, html: bytes | str, opts: ReadOptions, doc_id: str | None = None) -> Iterator[Item]:
    """Main article text via trafilatura (it detects the charset of bytes itself); imported
    here, because only HTML needs it and its import costs 0.12 s of every cold start."""
    try:
        import trafilatura  # noqa: F401  (checked at each page: its import is what fails in a broken install)

        from inference.html_text import extract_article
    except ImportError as e:  # a broken install (lxml without lxml_html_clean) fails this file, not the run
        yield ReadProblem(path, f"{path}: cannot extract HTML text ({e.msg.splitlines()[0] if e.msg else e}); "
                          "reinstall Slant (pip install -e .) or save the article body as a .txt file", True)
        return
    if not html.strip():
        yield empty_problem(path)
        return
    html = _without_bulk(html)
    if len(html) > HTML_MAX_BYTES:
        yield ReadProblem(path, f"{path}: {len(html) / 2**20:.0f} MB of HTML (without scripts, styles and inline "
                          f"images) is more than the {HTML_MAX_BYTES // 2**20} MB Slant parses as one page; save the "
                          "article text as a .txt file (large text files are read in chunks)", True)
        return
    text, quotations = extract_article(html)
    if not text or not text.strip():
        yield ReadProblem(path, f"{path}: found no article text in this HTML page; save the "
                          "article body as a .txt file and pass that instead", True)
        return
    yield Document(doc_id or path, text, opts.meta({"format": "html"}), quotations=quotations)


