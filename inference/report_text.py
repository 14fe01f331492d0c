"""The report's numbers as Markdown, JSON or CSV (``slant report --format md|json|csv``).

HTML is for reading; these are for pasting into a paper (Markdown), for further
analysis (JSON has everything, CSV is one tidy long table: one row per figure,
with its interval and p-values, so a spreadsheet or pandas can pivot it; the
stance table's rows are ``section=stance``, ``other`` = the target).
"""
from __future__ import annotations

import csv
import io
import json
from html import escape

from inference.highlight import markdown_sentence
from inference.report_stance import fmt_polarity
from inference.report_stats import METRICS, PRIMARY, CorpusReport, Estimate
from inference.report_svg import fmt_value

__all__ = ["render_markdown", "render_json", "render_csv", "CSV_COLUMNS"]

CSV_COLUMNS = ["section", "group", "other", "metric", "value", "ci_low", "ci_high", "p", "p_holm", "articles"]


def _md(text: str) -> str:
    """Markdown-safe text: <, > and & escaped, quotes left as written (titles read "&#x27;" before)."""
    return escape(str(text), quote=False).replace("|", "\\|").replace("\n", " ")


def plural(noun: str) -> str:
    """A column name as a plural heading: "stories", "topics", "leanings" ("storys" before)."""
    if noun[-1:] == "y" and noun[-2:-1] not in tuple("aeiou"):
        return noun[:-1] + "ies"
    return noun + ("es" if noun.endswith(("s", "x", "ch", "sh")) else "s")


def _md_ci(e: Estimate, metric: str) -> str:
    if e.value is None:
        return "n/a"
    ci = f"{fmt_value(e.low, metric)} to {fmt_value(e.high, metric)}" if e.has_ci else "n/a"
    return f"{fmt_value(e.value, metric)} [{ci}]"


def _p(p: float | None) -> str:
    return "n/a" if p is None else f"{p:.3g}"


def render_markdown(report: CorpusReport, *, by: str, story: str | None = None) -> str:
    m = report.meta
    lines = [f"# Framing by {_md(by)}", "",
             f"{m.get('articles', 0):,} articles in {m.get('groups', 0)} groups from `{_md(m.get('corpus', ''))}`; "
             f"model `{_md(m.get('model', ''))}`; {m.get('bootstrap')} bootstrap resamples of articles (seed "
             f"{m.get('seed')}); values with [95% CI]; n/a = not available (e.g. a single article).", "",
             "| " + " | ".join([_md(by), "articles", "sentences", "words"] + [METRICS[k][3] for k in METRICS]) + " |",
             "|" + "---|" * (4 + len(METRICS))]
    for g in report.groups:
        lines.append(f"| {_md(g.name)} | {g.articles} | {g.sentences} | {g.words} | "
                     + " | ".join(_md_ci(g.estimates[k], k) for k in METRICS) + " |")
    lines += ["", f"## Pairwise differences ({METRICS[PRIMARY][3]}; permutation p, Holm-corrected)", ""]
    if report.pairwise:
        lines += ["| A | B | A − B [95% CI] | p | p (Holm) |", "|---|---|---|---|---|"]
        for c in sorted(report.pairwise, key=lambda c: (c.p_holm is None, c.p_holm or 1.0)):
            lines.append(f"| {_md(c.a)} | {_md(c.b)} | {_md_ci(c.diff, c.metric)} | {_p(c.p)} | {_p(c.p_holm)} |")
    else:
        lines.append("One group only: nothing to compare.")
    if story:
        lines += ["", f"## Same {_md(story)}: each group against the others", ""]
        if report.same_story:
            lines += [f"| group | shared {_md(plural(story))} | its articles | others' articles | group − others [95% CI] "
                      "| p | p (Holm) |", "|---|---|---|---|---|---|---|"]
            for r in report.same_story:
                lines.append(f"| {_md(r.group)} | {r.stories} | {r.articles} | {r.others} | "
                             f"{_md_ci(r.diff, PRIMARY)} | {_p(r.p)} | {_p(r.p_holm)} |")
        else:
            lines.append("No story was covered by more than one group.")
        topics = sorted({c.topic for c in report.topics})
        if topics:
            cells = {(c.group, c.topic): c for c in report.topics}
            lines += ["", f"## By {_md(story)} ({METRICS[PRIMARY][3]}, articles)", "",
                      "| group | " + " | ".join(_md(t) for t in topics) + " |", "|---|" + "---|" * len(topics)]
            for g in [g.name for g in report.groups] + [""]:
                row = [f"{fmt_value(c.rate, PRIMARY)} ({c.articles})" if (c := cells.get((g, t))) else ""
                       for t in topics]
                lines.append(f"| {_md(g) if g else '**all**'} | " + " | ".join(row) + " |")
    lines += _md_stance(report, by)
    lines += ["", "## Loaded phrases and most framed sentences", ""]
    for g in report.groups:
        lines.append(f"### {_md(g.name)}")
        lines.append("Top phrases: " + (", ".join(f"{_md(p)} ({n})" for p, n in g.top_phrases) or "none marked"))
        lines.append("")
        for e in g.examples:
            lines.append(f"- {markdown_sentence(e.sentence)} — *{_md(e.title or e.article)}* ({e.score:.2f})"
                         + (f" <{_md(e.url)}>" if e.url else ""))
        lines.append("")
    return "\n".join(lines)


def _md_stance(report: CorpusReport, by: str) -> list[str]:
    """The group × target stance table (one row per group, one column per target)."""
    st = report.stance
    if st is None:
        return []
    lines = ["", "## Stance toward people, organisations and countries (author's voice)", ""]
    if not st.targets:
        return lines + [f"{_md(st.note)}."]
    lines += [f"Mean polarity (P(positive) − P(negative), from −1 to +1) of each {_md(by)}'s mentions in its own "
              f"voice, [95% CI] from resampling articles, (mentions/articles). Targets named {st.min_mentions}+ "
              f"times by {st.min_groups}+ groups; blank: fewer mentions in that group. Quotes are left out.", "",
              f"| {_md(by)} | " + " | ".join(_md(t.entity) for t in st.targets) + " |",
              "|---|" + "---|" * len(st.targets)]
    for g in report.groups:
        cells = [st.cell(g.name, t.entity) for t in st.targets]
        if any(cells):
            lines.append(f"| {_md(g.name)} | " + " | ".join(_md_stance_cell(c) for c in cells) + " |")
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
