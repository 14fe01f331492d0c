"""Build the two demo corpora for ``slant report`` from the annotated datasets.

    python benchmarks/build_demo_corpora.py OUT_DIR [--data-root DIR]

writes, into OUT_DIR (never into the repository: both datasets have their own
licences, AGPL-3.0 and research-use-only):

* ``mbic_articles.jsonl`` — MBIC's full source articles (the ``article``
  column), one row per distinct article, with ``outlet``, ``topic``,
  ``leaning`` (MBIC's ``type``) and ``url`` (``news_link``). MBIC repeats an
  article once per annotated sentence; duplicates are dropped.
* ``lim2020_articles.jsonl`` — Lim et al. 2020's 46 articles (the file has one
  row per annotator × article), with ``outlet`` (from ``source``, e.g.
  ``001_Washington Post_1``), ``story`` (the event), ``title``, ``url``,
  ``date`` and ``leaning``. The text is the article's first ≤ 20 sentences, the
  ones the crowd rated (``s0``…``s19``): the file's ``docbody`` is cut at 255
  characters.

The data root is ``--data-root``, else ``$SLANT_DATA_ROOT``. MBIC's articles come from
``training.data_mbic``; the xlsx is read by ``training.xlsx`` (standard library only).
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import zipfile
from collections.abc import Iterator
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

from models.errors import SlantError
from training.data_mbic import mbic_articles

from script_args import ScriptParser, fail, make_folder, output_folder, run

# ---- HTML fragment to text ---------------------------------------------------------------------

class _Text(HTMLParser):
    BLOCKS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "blockquote", "tr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_to_text(fragment: str) -> str:
    """Paragraphs of an HTML fragment as plain text, one blank line between them."""
    p = _Text()
    p.feed(fragment)
    p.close()
    paras = (re.sub(r"[ \t\r\f\v]+", " ", unescape(x)).strip() for x in "".join(p.parts).split("\n\n"))
    return "\n\n".join(x for x in paras if x)


# ---- the two corpora ---------------------------------------------------------------------------

def _title_from_url(url: str) -> str:
    """MBIC has no titles: the URL's slug (``/youtube-wont-allow-deepfake-videos/``) is the best stand-in."""
    path = urlparse(url).path
    slugs = [s for s in path.split("/") if s.count("-") >= 2]
    if not slugs:
        return ""
    words = re.sub(r"[-_]+", " ", re.sub(r"\.\w{2,5}$", "", slugs[-1])).strip()
    return words[:1].upper() + words[1:]


def _outlet(source: str) -> str:
    """``001_Washington Post_1`` and ``003_NBCNews`` → ``Washington Post``, ``NBCNews``."""
    m = re.match(r"^\d+_(.+?)(?:_\d+)?$", source.strip())
    return m.group(1).strip() if m else source.strip()


def mbic_rows(root: Path) -> Iterator[dict]:
    for row in mbic_articles(root):
        text = row["article"]
        url = (row.get("news_link") or "").strip()
        yield {"id": f"mbic-{hashlib.sha256(text.encode()).hexdigest()[:12]}", "text": text,
               "outlet": row.get("outlet", "").strip(), "topic": row.get("topic", "").strip(),
               "leaning": row.get("type", "").strip(), "title": _title_from_url(url), "url": url}


def _lim_text(row: dict) -> str:
    """The article's annotated sentences ``s0``…``s19`` (``docbody`` is cut at 255 characters in the file).

    Each sentence is one line, so the segmenter keeps the dataset's sentence boundaries; sentences were
    capped at 255 characters by the dataset, so a few end mid-way. Falls back to ``docbody`` if none.
    """
    sents = [re.sub(r"^\[\d+\]:\s*", "", (row.get(f"s{i}") or "").strip()) for i in range(20)]
    return "\n".join(s for s in sents if s) or html_to_text(row.get("docbody", ""))


def lim_rows(root: Path) -> Iterator[dict]:
    csv.field_size_limit(2**31 - 1)
    seen: set[str] = set()
    path = root / "lim2020_biased_sentences" / "Sora_LREC2020_biasedsentences.csv"
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            ident = row["id_article"].strip()
            if ident in seen:          # one row per annotator: keep the article once
                continue
            seen.add(ident)
            yield {"id": f"lim-{ident}", "text": _lim_text(row), "outlet": _outlet(row["source"]),
                   "story": row["event"].strip(), "title": row["doctitle"].strip(), "url": row["url"].strip(),
                   "date": row["date_event"].strip(), "leaning": row["source_bias"].strip()}


def write_jsonl(rows: Iterator[dict], path: Path) -> int:
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
            n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    ap = ScriptParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=output_folder, help="folder to write the corpora into (outside the repository)")
    ap.add_argument("--data-root", help="folder holding mbic/ and lim2020_biased_sentences/ (default: $SLANT_DATA_ROOT)")
    args = ap.parse_args(argv)
    # an empty value is no data root (as training.data_root reads it): Path("") would be the current folder
    raw = args.data_root or os.environ.get("SLANT_DATA_ROOT", "")
    if not raw:
        fail("no data root; pass --data-root DIR or set SLANT_DATA_ROOT")
    args.data_root = Path(raw).expanduser()
    if not args.data_root.is_dir():
        fail(f"no data root: {raw} is not a folder; pass --data-root DIR or set SLANT_DATA_ROOT to the folder "
             "holding mbic/ and lim2020_biased_sentences/")
    make_folder(args.out)
    for name, rows in (("mbic_articles.jsonl", mbic_rows), ("lim2020_articles.jsonl", lim_rows)):
        try:
            n = write_jsonl(rows(Path(args.data_root)), args.out / name)
        except (OSError, KeyError, zipfile.BadZipFile, SlantError) as e:
            fail(f"{name}: {e}; check the dataset files under {args.data_root}")
        print(f"wrote {args.out / name}: {n} articles")
    return 0


if __name__ == "__main__":
    run(main)
