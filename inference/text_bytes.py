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


#: NUL bytes a text file may hold (a stray one from a database dump or a C string) before it is
#: taken for binary: 2, or one in 200 bytes. Images, archives and programs have far more.
STRAY_NULS = (2, 200)


def looks_binary(head: bytes) -> bool:
    """A known document format (PDF, Office, RTF), more than a few NUL bytes (``STRAY_NULS``) or
    many control characters in the first bytes: not text. Why a few NULs pass: one stray NUL in
    an article refused the whole file as "a binary file", with the advice to pass a .txt."""
    if not head:
        return False
    if document_format(head):
        return True
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if head.count(0) > max(STRAY_NULS[0], len(head) // STRAY_NULS[1]):
        return True
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27) or b == 127)
    return control / len(head) > 0.1


def utf16_without_bom(head: bytes) -> str | None:
    """"utf-16-le" or "utf-16-be" for UTF-16 text without a byte-order mark (as some Windows and
    database tools write it), else None: most code units of a Latin-script text have a zero high
    byte, the low bytes are not NUL, and what it decodes to is not control characters. Why: such a
    file was refused as binary (its every other byte is NUL), though it is plain text."""
    body = head[:len(head) // 2 * 2]
    if len(body) < 16 or body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    for codec, high, low in (("utf-16-le", body[1::2], body[0::2]), ("utf-16-be", body[0::2], body[1::2])):
        if high.count(0) >= 0.7 * len(high) and low.count(0) <= len(low) // 100:
            text = body.decode(codec, errors="replace")
            control = sum(1 for c in text if c < " " and c not in "\t\n\r\f")
            return codec if control <= len(text) // 20 else None
    return None


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
    """Incremental UTF-8 (BOM stripped, UTF-16 with BOM, or the UTF-16 ``codec`` found without
    one) falling back to cp1252.

    The fallback is per stream: once a chunk fails to decode as UTF-8, it and
    everything after it are decoded as cp1252 and :attr:`fell_back` is set.
    :attr:`ignored_bom` is set when a UTF-16 mark stood before 8-bit text
    (``eight_bit_after_bom``): the mark is dropped and the rest read as UTF-8.
    """

    def __init__(self, head: bytes, codec: str | None = None) -> None:
        """``codec``: what the head was found to be without a byte-order mark (``utf16_without_bom``)."""
        utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        self.ignored_bom = utf16 and eight_bit_after_bom(head)
        if self.ignored_bom:
            utf16 = False
        self.encoding = codec.upper() if codec else "UTF-16" if utf16 else "UTF-8"
        """What the stream was read as until any fallback (the warning names it)."""
        self._dec = codecs.getincrementaldecoder(codec or ("utf-16" if utf16 else "utf-8-sig"))()
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
