"""Machine-readable and shareable outputs: json, jsonl, csv, md, html.

Writers stream article by article (``write``) so a large corpus never sits in
memory; ``close`` finishes the document (closing brackets, HTML footer).
"""
from __future__ import annotations

import csv
import json
from typing import TextIO

from inference.highlight import (COLOURS, STANCE_TAGS, TECHNIQUE_TAGS, html_sentence, html_text, markdown_sentence,
                                 markdown_text)
from inference.records import ArticleScore
from inference.summary import ArticleSummary
from inference.terminal import framing_line, score_text, target_line

FORMATS = ("json", "jsonl", "csv", "md", "html")
CSV_FIELDS = ("doc", "index", "paragraph", "start", "end", "text", "score", "label", "voice", "spans", "targets")


class JsonlWriter:
    def __init__(self, out: TextIO):
        self.out = out

    def write(self, article: ArticleScore, summary: ArticleSummary) -> None:
        for rec in article.records():
            self.out.write(json.dumps(rec, ensure_ascii=False) + "\n")

    def close(self) -> None:
        self.out.flush()


class JsonWriter:
    def __init__(self, out: TextIO):
        self.out, self.first = out, True
        out.write("[\n")

    def write(self, article: ArticleScore, summary: ArticleSummary) -> None:
        doc = {"doc": article.doc, "threshold": article.threshold, "spans_available": article.spans_available,
               "targets_available": article.targets_available,
               "summary": summary.to_dict(), "sentences": article.records()}
        self.out.write(("" if self.first else ",\n") + json.dumps(doc, ensure_ascii=False, indent=1))
        self.first = False

    def close(self) -> None:
        self.out.write("\n]\n")


#: What a spreadsheet reads as the start of a formula (or, after a tab or CR, as one) in a cell.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A text cell a spreadsheet will show as text: one starting like a formula gets a leading "'"
    (OWASP's CSV-injection rule; spreadsheets hide it). Why: a sentence "=HYPERLINK(…)" or
    "=cmd|' /C calc'!A0" from an article, or such a file name, ran as a formula when the CSV was
    opened in Excel or LibreOffice. A reader wanting the exact text drops a "'" before one of
    ``FORMULA_START``; the JSONL always has it exactly. stdin's doc id "-" alone is no formula."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) and value != "-" else value


class CsvWriter:
    """One row per sentence, as the JSONL; ``doc`` and ``text`` go through ``csv_cell``."""

    def __init__(self, out: TextIO, header: bool = True):
        self.w = csv.DictWriter(out, fieldnames=CSV_FIELDS)
        if header:  # not when appending to a resumed file
            self.w.writeheader()

    def write(self, article: ArticleScore, summary: ArticleSummary) -> None:
        for rec in article.records():
            self.w.writerow({**rec, "doc": csv_cell(rec["doc"]), "text": csv_cell(rec["text"]),
                             "spans": json.dumps(rec["spans"], ensure_ascii=False),
                             "targets": json.dumps(rec["targets"], ensure_ascii=False)})

    def close(self) -> None:
        pass


def legend(article: ArticleScore) -> str:
    """What the tags mean, as text: '‹LL› loaded_language, …; targets ‹neg› negative, …'."""
    text = ", ".join(f"‹{c}› {t}" for t, c in TECHNIQUE_TAGS.items())
    if article.targets_available:
        text += "; each target is followed by the stance toward it: " + ", ".join(
            f"‹{c}› {s}" for s, c in STANCE_TAGS.items()) + ", ‹“neg› a source's stance (reported speech)"
    return text


class MarkdownWriter:
    for_reading = True  # a person reads it: a streamed file's later chunks are headed as such

    def __init__(self, out: TextIO):
        self.out = out

    def write(self, article: ArticleScore, summary: ArticleSummary) -> None:
        """Names, phrases and entities go through ``markdown_text``: a file "[x](javascript:…).txt"
        or an entity "*Kim*" is shown as written, not made a link or italics."""
        o = self.out
        o.write(f"## {markdown_text(article.doc)}\n\n")
        line = framing_line(summary, article.threshold)
        o.write(markdown_text(line[:1].upper() + line[1:]) + ".\n\n")
        if summary.top_phrases:
            o.write("Top framed phrases (author voice): " + ", ".join(f"{markdown_text(p)} ({n})" for p, n in summary.top_phrases) + "\n\n")
        if summary.main_targets:
            o.write("Main targets (author's stance): " + "; ".join(markdown_text(target_line(t)) for t in summary.main_targets) + "\n\n")
        if not article.spans_available:
            o.write("*This model has no span head: loaded words are not highlighted.*\n\n")
        o.write(f"Framed words are in **bold**, each followed by its technique's tag; {markdown_text(legend(article))}.\n\n")
        o.write("| # | score | label | voice | sentence |\n|---|---|---|---|---|\n")
        for s in article.sentences:
            o.write(f"| {s.index} | {score_text(s.score, s.label, article.threshold)} | {s.label} | {s.voice} | "
                    f"{markdown_sentence(s, tags=True)} |\n")
        o.write("\n")

    def close(self) -> None:
        pass


_CSS = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;line-height:1.5;color:#222}
.s{padding:.2rem .4rem;border-left:4px solid transparent;margin:.15rem 0}.s.framing{border-color:#e76f51;background:#fff5f2}
.sc{font-variant-numeric:tabular-nums;color:#666;font-size:.85em;margin-right:.5rem}.q{font-style:italic}
.legend mark{padding:0 .3rem;margin-right:.5rem}.st.negative{color:#b5312a}.st.positive{color:#2a7f3f}
.tg{color:#555;font-size:.7em;vertical-align:super}mark{print-color-adjust:exact;-webkit-print-color-adjust:exact}"""


class HtmlWriter:
    """One page for the whole run: the header and legend once, a <section> per article, the footer
    at ``close``. A sentence's score, label and voice are written out, and framed words and targets
    tagged (``html_sentence(tags=True)``): backgrounds are not printed and colour is not seen by all."""

    for_reading = True  # a person reads it: a streamed file's later chunks are headed as such

    def __init__(self, out: TextIO):
        self.out = out
        legend = "".join(f'<mark style="background:{c}">{t} ‹{TECHNIQUE_TAGS[t]}›</mark>' for t, c in COLOURS.items())
        stances = " ".join(f'<span class="st {s}">‹{c}› {s}</span>' for s, c in STANCE_TAGS.items())
        out.write(f"<!doctype html><html><head><meta charset='utf-8'><title>Slant</title><style>{_CSS}</style></head>"
                  f"<body><h1>Slant: framing by sentence</h1><p class='legend'>{legend}</p>"
                  f"<p class='legend'>Targets, by the stance toward them: {stances}; ‹“neg› a source's stance "
                  "(reported speech). “ marks a quoted sentence (a source's voice).</p>\n")

    def write(self, article: ArticleScore, summary: ArticleSummary) -> None:
        o = self.out
        line = framing_line(summary, article.threshold)
        o.write(f"<section><h2>{html_text(article.doc)}</h2><p>{html_text(line[:1].upper() + line[1:])}.</p>\n")
        if summary.main_targets:
            o.write("<p>Main targets (author's stance): " + "; ".join(
                f'<span class="st {t["author_stance"] or ""}">{html_text(target_line(t))}</span>'
                for t in summary.main_targets) + "</p>\n")
        if not article.spans_available:
            o.write("<p><i>This model has no span head: loaded words are not highlighted.</i></p>\n")
        for s in article.sentences:
            cls = "s framing" if s.label == "framing" else "s"
            q = " q" if s.voice == "quote" else ""
            o.write(f'<div class="{cls}{q}"><span class="sc">{score_text(s.score, s.label, article.threshold)} '
                    f'{s.label}{" “" if s.voice == "quote" else ""}</span><bdi>{html_sentence(s, tags=True)}</bdi></div>\n')
        o.write("</section>\n")

    def close(self) -> None:
        self.out.write("</body></html>\n")


WRITERS = {"jsonl": JsonlWriter, "json": JsonWriter, "csv": CsvWriter, "md": MarkdownWriter, "html": HtmlWriter}
