"""The report's numbers as Markdown, JSON or CSV (``slant report --format md|json|csv``).

HTML is for reading; these are for pasting into a paper (Markdown), for further
analysis (JSON has everything, CSV is one tidy long table: one row per figure,
with its interval and p-values, so a spreadsheet or pandas can pivot it; the
stance table's rows are ``section=stance``, ``other`` = the target). Every
format lists rows in the report's own order (:mod:`inference.report_stats`)
and takes its column names, notes and p-value format from
:mod:`inference.report_words`, so the four files tell the same story.
"""
from __future__ import annotations

import csv
import io
import json

from inference.highlight import markdown_sentence, markdown_text
from inference.report_stance import fmt_polarity
from inference.report_stats import METRICS, PRIMARY, CorpusReport, Estimate
from inference.report_svg import fmt_value
from inference.report_words import (EXAMPLES_TITLE, NA_NOTE, NO_EXAMPLES, NO_SPANS, ONE_GROUP, ORDER_NOTE,
                                    STANCE_TITLE, VOICE_NOTE, count, fmt_p, framed_note, group_columns, pair_columns,
                                    pairs_note, plural, safe_url, stance_missing, story_columns, story_empty,
                                    story_missing, story_note, topics_cells, topics_note)

__all__ = ["render_markdown", "render_json", "render_csv", "CSV_COLUMNS", "plural"]

CSV_COLUMNS = ["section", "group", "other", "metric", "value", "ci_low", "ci_high", "p", "p_holm", "articles"]


_md = markdown_text  # one escaping for report text and highlighted sentences


def _code(text: str) -> str:
    """A code span: its content is shown as written, so it is not entity-escaped ("&amp;" showed there)."""
    text = str(text).replace("\n", " ")
    fence = "``" if "`" in text else "`"
    return f"{fence} {text} {fence}" if fence == "``" else f"`{text}`"


def _line(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(columns: list[str]) -> list[str]:
    return [_line([_md(c) for c in columns]), "|" + "---|" * len(columns)]


def _md_ci(e: Estimate, metric: str) -> str:
    if e.value is None:
        return "n/a"
    ci = f"{fmt_value(e.low, metric)} to {fmt_value(e.high, metric)}" if e.has_ci else "n/a"
    return f"{fmt_value(e.value, metric)} [{ci}]"


def render_markdown(report: CorpusReport, *, by: str, story: str | None = None) -> str:
    m = report.meta
    lines = [f"# Framing by {_md(by)}", "",
             f"{count(m.get('articles', 0), 'article')} in {count(m.get('groups', 0), 'group')} from "
             f"{_code(m.get('corpus', ''))} · model {_code(m.get('model', ''))} · {m.get('bootstrap')} bootstrap "
             f"resamples of articles, seed {m.get('seed')} · generated {_md(m.get('generated', ''))}", "",
             _md(framed_note(report)) + " Values with [95% CI]. " + _md(NA_NOTE) + " " + _md(VOICE_NOTE), "",
             "## Groups", "", _md(ORDER_NOTE), ""] + _table(group_columns(by))
    for g in report.groups:
        lines.append(_line([_md(g.name), f"{g.articles:,}", f"{g.sentences:,}", f"{g.words:,}"]
                          + [_md_ci(g.estimates[k], k) for k in METRICS]))
    lines += ["", "## Pairwise differences", ""]
    if report.pairwise:
        lines += [_md(pairs_note(report)), ""] + _table(pair_columns())
        for c in report.pairwise:     # already in report_stats.pair_order, as in every format
            lines.append(_line([_md(c.a), _md(c.b), _md_ci(c.diff, c.metric), fmt_p(c.p), fmt_p(c.p_holm)]))
    else:
        lines.append(ONE_GROUP)
    if story:
        lines += ["", f"## Same {_md(story)}, different {_md(plural(by))}", "", _md(story_note(by, story)), ""]
        if report.same_story:
            lines += _table(story_columns(by, story))
            for r in report.same_story:
                lines.append(_line([_md(r.group), str(r.stories), str(r.articles), str(r.others),
                                   _md_ci(r.diff, PRIMARY), fmt_p(r.p), fmt_p(r.p_holm)]))
            if note := story_missing(report, by, story):
                lines += ["", _md(note)]
        else:
            lines.append(_md(story_empty(by, story)))
        lines += ["", f"## By {_md(story)}", "", _md(topics_cells(story))]
        if note := topics_note(report, story):
            lines += ["", _md(note)]
        topics = sorted({c.topic for c in report.topics})
        if topics:
            cells = {(c.group, c.topic): c for c in report.topics}
            lines += [""] + _table([by] + topics)
            for g in [g.name for g in report.groups] + [""]:
                row = [f"{fmt_value(c.rate, PRIMARY)} ({c.articles})" if (c := cells.get((g, t))) else ""
                       for t in topics]
                lines.append(_line([_md(g) if g else "**all groups**"] + row))
    lines += _md_stance(report, by)
    lines += ["", f"## {EXAMPLES_TITLE}", ""]
    if not m.get("spans_available", True):
        lines += [NO_SPANS, ""]
    for g in report.groups:
        lines.append(f"### {_md(g.name)}")
        lines.append("Top loaded phrases: " + (", ".join(f"{_md(p)} ({n})" for p, n in g.top_phrases) or "none marked"))
        lines.append("")
        for e in g.examples:
            url = safe_url(e.url)
            lines.append(f"- {markdown_sentence(e.sentence)} — score {e.score:.2f} · *{_md(e.title or e.article)}*"
                         + (f" <{url}>" if url else ""))
        lines += [NO_EXAMPLES] if not g.examples else []
        lines.append("")
    return "\n".join(lines)


def _md_stance(report: CorpusReport, by: str) -> list[str]:
    """The group × target stance table (one row per group, one column per target)."""
    st = report.stance
    if st is None:
        return []
    lines = ["", f"## {STANCE_TITLE}", ""]
    if not st.targets:
        return lines + [f"{_md(st.note)}."]
    lines += [f"Mean polarity (P(positive) − P(negative), from −1 to +1) of each {_md(by)}'s mentions in its own "
              f"voice, [95% CI] from resampling articles, (mentions/articles). Targets named {st.min_mentions}+ "
              f"times by {st.min_groups}+ groups; blank: fewer mentions in that group. Quotes are left out.", ""]
    lines += _table([by] + [t.entity for t in st.targets])
    for g in report.groups:
        cells = [st.cell(g.name, t.entity) for t in st.targets]
        if any(cells):
            lines.append(_line([_md(g.name)] + [_md_stance_cell(c) for c in cells]))
    if note := stance_missing(report, by):
        lines += ["", _md(note)]
    return lines


def _md_stance_cell(c) -> str:
    if c is None:
        return ""
    e = c.polarity
    ci = f"{fmt_polarity(e.low)} to {fmt_polarity(e.high)}" if e.has_ci else "n/a"
    return f"{fmt_polarity(e.value)} [{ci}] ({c.mentions}/{c.articles})"


def render_json(report: CorpusReport, **_) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False, default=str) + "\n"


def _row(section, group, other, metric, e: Estimate | None = None, *, value=None, p=None, p_holm=None, articles=None):
    if e is not None:
        value = e.value
    return {"section": section, "group": group, "other": other, "metric": metric,
            "value": "" if value is None else round(value, 6),
            "ci_low": "" if e is None or e.low is None else round(e.low, 6),
            "ci_high": "" if e is None or e.high is None else round(e.high, 6),
            "p": "" if p is None else round(p, 6), "p_holm": "" if p_holm is None else round(p_holm, 6),
            "articles": "" if articles is None else articles}


def render_csv(report: CorpusReport, **_) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    for g in report.groups:
        for name in ("sentences", "words", "author_sentences", "quote_sentences"):
            w.writerow(_row("group", g.name, "", name, value=getattr(g, name), articles=g.articles))
        for k in METRICS:
            w.writerow(_row("group", g.name, "", k, g.estimates[k], articles=g.articles))
    for c in report.pairwise:
        w.writerow(_row("pairwise", c.a, c.b, c.metric, c.diff, p=c.p, p_holm=c.p_holm))
    for r in report.same_story:
        w.writerow(_row("same_story", r.group, "others", PRIMARY, r.diff, p=r.p, p_holm=r.p_holm, articles=r.articles))
    for t in report.topics:
        w.writerow(_row("topic", t.group or "(all)", t.topic, PRIMARY, value=t.rate, articles=t.articles))
    for c in report.stance.cells if report.stance else []:
        w.writerow(_row("stance", c.group, c.entity, "polarity", c.polarity, articles=c.articles))
        w.writerow(_row("stance", c.group, c.entity, "mentions", value=c.mentions, articles=c.articles))
    return buf.getvalue()
