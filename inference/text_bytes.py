"""Bytes to text for user input: is it text at all, and which encoding.

Why its own module: ``slant score`` and the Ray engine both sniff and decode
files the user names, and a wrong guess either scores mojibake or crashes on
the first stray byte. UTF-8 (BOM stripped) or UTF-16 with a BOM is decoded as
such; anything else falls back to cp1252 (latin-1 for its undefined bytes),
which never fails, and the reader warns about it. A UTF-16 byte-order mark
in front of 8-bit text (a tool that stamped the wrong mark) would decode as a
page of CJK characters without an error, so it is caught by its bytes and
ignored, with a warning.
"""
from __future__ import annotations

import codecs


#: Document formats that are not text, by their first bytes: what the file is, and what to do.
#: A PDF's first kilobytes can be plain ASCII, so the byte statistics below would call it text.
DOCUMENT_FORMATS = (
    (b"%PDF-", "a PDF document", "extract its text first (e.g. pdftotext FILE.pdf FILE.txt) and pass the .txt"),
    (b"PK\x03\x04", "a zip archive (as a .docx, .odt or .epub file is)",
     "save the article as plain text (.txt) or HTML from the program that made it"),
    (b"{\\rtf", "an RTF document", "save it as plain text (.txt) from the program that made it"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Microsoft Office document (.doc)",
     "save it as plain text (.txt) from the program that made it"),
)


#: What a table (a corpus: .csv, .jsonl, .json) that is one of those formats most likely is, and what to do.
TABLE_NAMES = {b"PK\x03\x04": "a zip archive (as an .xlsx workbook is)",
               b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": "an old Microsoft Office document (an .xls workbook)"}
TABLE_FIX = "export the table as CSV UTF-8 (or JSONL) and pass that file"


def document_format(head: bytes, table: bool = False) -> tuple[str, str] | None:
    """``(what it is, what to do)`` when ``head`` opens a known non-text document, else None;
    ``table``: the file was named as a corpus, so the fix is to export the table."""
    for magic, name, fix in DOCUMENT_FORMATS:
        if head.lstrip()[:len(magic)] == magic:
            return (TABLE_NAMES.get(magic, name), TABLE_FIX) if table else (name, fix)
    return None


def looks_binary(head: bytes) -> bool:
    """A known document format (PDF, Office, RTF), NUL bytes or many control characters in the
    first bytes: not text."""
    if not head:
        return False
    if document_format(head):
        return True
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27) or b == 127)
    return control / len(head) > 0.1


def decode_legacy(data: bytes) -> str:
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:  # bytes cp1252 leaves undefined (0x81, 0x8d, ...)
        return data.decode("latin-1")


def eight_bit_after_bom(head: bytes) -> bool:
    """A UTF-16 byte-order mark followed by 8-bit text: no NUL byte and nearly all bytes
    printable ASCII. UTF-16 text of any Latin script has a NUL in every other byte, and
    UTF-16 text whose every byte is printable ASCII would be CJK ideographs made only of the
    code units 0x2020-0x7E7E, which real text is not."""
    body = head[2:]
    if len(body) < 16 or b"\x00" in body:
        return False
    printable = sum(1 for b in body if 32 <= b < 127 or b in (9, 10, 13))
    return printable / len(body) >= 0.95


class Decoder:
    """Incremental UTF-8 (BOM stripped, or UTF-16 with BOM) falling back to cp1252.

    The fallback is per stream: once a chunk fails to decode as UTF-8, it and
    everything after it are decoded as cp1252 and :attr:`fell_back` is set.
    :attr:`ignored_bom` is set when a UTF-16 mark stood before 8-bit text
    (``eight_bit_after_bom``): the mark is dropped and the rest read as UTF-8.
    """

    def __init__(self, head: bytes) -> None:
        utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        self.ignored_bom = utf16 and eight_bit_after_bom(head)
        if self.ignored_bom:
            utf16 = False
        self.encoding = "UTF-16" if utf16 else "UTF-8"
        """What the stream was read as until any fallback (the warning names it)."""
        self._dec = codecs.getincrementaldecoder("utf-16" if utf16 else "utf-8-sig")()
        self._skip = 2 if self.ignored_bom else 0
        self.fell_back = False

    def decode(self, data: bytes, final: bool = False) -> str:
        if self._skip:
            data, self._skip = data[self._skip:], 0  # the first chunk starts with the head
        if self.fell_back:
            return decode_legacy(data)
        pending = self._dec.getstate()[0]
        try:
            return self._dec.decode(data, final)
        except UnicodeDecodeError:
            self.fell_back = True
            return decode_legacy(pending + data)
