"""Machine-readable and shareable outputs: json, jsonl, csv, md, html.

Writers stream article by article (``write``) so a large corpus never sits in
memory; ``close`` finishes the document (closing brackets, HTML footer).
"""
from __future__ import annotations

import csv
import html
import json
from typing import TextIO

from inference.highlight import COLOURS, html_sentence, markdown_sentence
from inference.records import ArticleScore
from inference.summary import ArticleSummary
from inference.terminal import target_line

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


class CsvWriter:
    def __init__(self, out: TextIO, header: bool = True):
        self.w = csv.DictWriter(out, fieldnames=CSV_FIELDS)
        if header:  # not when appending to a resumed file
            self.w.writeheader()

    def write(self, article: ArticleScore, summary: ArticleSummary) -> None:
        for rec in article.records():
            self.w.writerow({**rec, "spans": json.dumps(rec["spans"], ensure_ascii=False),
                             "targets": json.dumps(rec["targets"], ensure_ascii=False)})

    def close(self) -> None:
        pass


class MarkdownWriter:
    def __init__(self, out: TextIO):
        self.out = out

    def write(self, article: ArticleScore, summary: ArticleSummary) -> None:
        o = self.out
        o.write(f"## {html.escape(article.doc)}\n\n")
        o.write(f"Framing rate (author voice) {summary.framing_rate_author:.0%} of {summary.author_sentences} sentences; "
                f"in quotes {summary.framing_rate_quote:.0%} of {summary.quote_sentences}; mean score (all sentences) {summary.mean_score:.2f}.\n\n")
        if summary.top_phrases:
            o.write("Top loaded phrases: " + ", ".join(f"{html.escape(p)} ({n})" for p, n in summary.top_phrases) + "\n\n")
        if summary.main_targets:
            o.write("Main targets (author's stance): " + "; ".join(target_line(t) for t in summary.main_targets) + "\n\n")
        o.write("| # | score | label | voice | sentence |\n|---|---|---|---|---|\n")
        for s in article.sentences:
            o.write(f"| {s.index} | {s.score:.2f} | {s.label} | {s.voice} | {markdown_sentence(s)} |\n")
        o.write("\n")

    def close(self) -> None:
        pass


_CSS = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;line-height:1.5;color:#222}
.s{padding:.2rem .4rem;border-left:4px solid transparent;margin:.15rem 0}.s.framing{border-color:#e76f51;background:#fff5f2}
.sc{font-variant-numeric:tabular-nums;color:#666;font-size:.85em;margin-right:.5rem}.q{font-style:italic}
.legend mark{padding:0 .3rem;margin-right:.5rem}.st.negative{color:#b5312a}.st.positive{color:#2a7f3f}"""


class HtmlWriter:
    def __init__(self, out: TextIO):
        self.out = out
        legend = "".join(f'<mark style="background:{c}">{t}</mark>' for t, c in COLOURS.items())
        out.write(f"<!doctype html><html><head><meta charset='utf-8'><title>Slant</title><style>{_CSS}</style></head>"
                  f"<body><h1>Slant: framing by sentence</h1><p class='legend'>{legend}</p>\n")

    def write(self, article: ArticleScore, summary: ArticleSummary) -> None:
        o = self.out
        o.write(f"<section><h2>{html.escape(article.doc)}</h2><p>Framing rate (author voice) "
                f"<b>{summary.framing_rate_author:.0%}</b> of {summary.author_sentences} sentences; in quotes "
                f"{summary.framing_rate_quote:.0%} of {summary.quote_sentences}; mean score (all sentences) {summary.mean_score:.2f}.</p>\n")
        if summary.main_targets:
            o.write("<p>Main targets (author's stance): " + "; ".join(
                f'<span class="st {t["author_stance"] or ""}">{html.escape(target_line(t))}</span>'
                for t in summary.main_targets) + "</p>\n")
        if not article.spans_available:
            o.write("<p><i>This model has no span head: loaded words are not highlighted.</i></p>\n")
        for s in article.sentences:
            cls = "s framing" if s.label == "framing" else "s"
            q = " q" if s.voice == "quote" else ""
            o.write(f'<div class="{cls}{q}"><span class="sc">{s.score:.2f}</span>{html_sentence(s)}</div>\n')
        o.write("</section>\n")

    def close(self) -> None:
        self.out.write("</body></html>\n")


WRITERS = {"jsonl": JsonlWriter, "json": JsonWriter, "csv": CsvWriter, "md": MarkdownWriter, "html": HtmlWriter}
