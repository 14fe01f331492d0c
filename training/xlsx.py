"""A minimal .xlsx reader (first sheet, strings and numbers), standard library only.

Why: MBIC ships as an Excel file; an .xlsx is zipped XML, and reading one sheet of
strings does not justify a spreadsheet dependency. Used by the stance pseudo-labelling
(MBIC's full articles) and the report demo corpora.
"""
from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

from models.errors import SlantError

_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _col_index(ref: str) -> int:
    n = 0
    for ch in re.match(r"[A-Z]+", ref).group(0):
        n = n * 26 + ord(ch) - 64
    return n - 1


def read_xlsx(path: Path, dataset: str) -> Iterator[dict]:
    """Rows of the first worksheet as dicts keyed by the header row. A file that is not a
    readable xlsx is a one-line ``SlantError`` telling the user to re-download ``dataset``."""
    try:
        yield from _rows(path)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, ElementTree.ParseError) as e:
        raise SlantError(f"{path}: not a readable xlsx ({e.__class__.__name__}); re-download {dataset} into the data root") from None


def _rows(path: Path) -> Iterator[dict]:
    with zipfile.ZipFile(path) as z:
        shared = []
        if "xl/sharedStrings.xml" in z.namelist():
            root = ElementTree.fromstring(z.read("xl/sharedStrings.xml"))
            shared = ["".join(t.text or "" for t in si.iter(f"{{{_NS['m']}}}t")) for si in root.findall("m:si", _NS)]
        book = ElementTree.fromstring(z.read("xl/workbook.xml"))
        first = book.find("m:sheets/m:sheet", _NS).get(_REL)
        rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        target = next(r.get("Target") for r in rels if r.get("Id") == first)
        sheet = "xl/" + target.lstrip("/").removeprefix("xl/")
        header: list[str] | None = None
        with z.open(sheet) as f:
            for _, row in ElementTree.iterparse(f):
                if row.tag != f"{{{_NS['m']}}}row":
                    continue
                values: dict[int, str] = {}
                for c in row.findall("m:c", _NS):
                    kind, v = c.get("t"), c.find("m:v", _NS)
                    if kind == "s" and v is not None:
                        values[_col_index(c.get("r"))] = shared[int(v.text)]
                    elif kind == "inlineStr":
                        values[_col_index(c.get("r"))] = "".join(t.text or "" for t in c.iter(f"{{{_NS['m']}}}t"))
                    elif v is not None:
                        values[_col_index(c.get("r"))] = v.text or ""
                row.clear()
                if header is None:
                    header = [values.get(i, "") for i in range(max(values) + 1)] if values else []
                    continue
                yield {h: values.get(i, "") for i, h in enumerate(header) if h}
