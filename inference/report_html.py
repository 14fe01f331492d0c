"""The report as one self-contained HTML file a researcher can mail to colleagues.

Self-contained means: styles inline, charts inline SVG (:mod:`inference.report_svg`),
no script at all, and a Content-Security-Policy that forbids loading anything
from anywhere, so the page opens offline and makes no network request. Every
piece of corpus text (group names, titles, sentences, URLs) is escaped, and
sentences are highlighted through :func:`inference.highlight.html_sentence`,
which escapes before it marks; a corpus holding ``<script>`` renders inert.
Links to articles are kept only for http(s) URLs (never ``javascript:``).
Headings, column names, notes and the p-value format come from
:mod:`inference.report_words`, shared with the Markdown report, and rows come
in the report's own order, so the page and the numbers files agree.
"""
from __future__ import annotations

from html import escape

from inference.highlight import COLOURS, html_sentence
from inference.report_stance import StanceCell, fmt_polarity
from inference.report_stats import METRICS, PRIMARY, CorpusReport, Estimate
from inference.report_svg import ci_chart, distribution_chart, fmt_value, heatmap
from inference.report_words import (EXAMPLES_TITLE, NA_NOTE, NO_EXAMPLES, NO_SPANS, ONE_GROUP, ORDER_NOTE,
                                    STANCE_TITLE, VOICE_NOTE, count, fmt_p, framed_note, group_columns, pair_columns,
                                    pairs_note, plural, safe_url, stance_missing, story_columns, story_empty,
                                    story_missing, story_note, topics_cells, topics_note)

__all__ = ["render_html", "safe_url"]

#: Rows of the pairwise table shown in the page (all of them are in --format csv/json).
MAX_PAIRS = 60

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{margin-bottom:.2em} h2{margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
.meta,.note{color:#666;font-size:.9em} table{border-collapse:collapse;margin:1em 0;font-size:.92em}
th,td{padding:.3em .6em;border-bottom:1px solid #eee;text-align:right;vertical-align:top}
th{background:#f6f6f6} td.name,th.name{text-align:left} #group-table td.name{white-space:nowrap} .ci{color:#777;font-size:.85em;white-space:nowrap}
.sig{font-weight:600;color:#c0392b} .chart{max-width:100%;height:auto;display:block;margin:1em 0}
.scroll{overflow-x:auto} blockquote{margin:.6em 0;padding:.4em .8em;border-left:4px solid #e76f51;background:#fcf8f6}
blockquote .src{display:block;color:#666;font-size:.85em;margin-top:.2em} mark{padding:0 .1em;border-radius:2px}
.group{margin-top:1.5em} .phrases{color:#444} .legend mark{margin-right:.6em}
#stance-table td{text-align:center} #stance-table td.name{text-align:left}
"""


def _ci(e: Estimate, metric: str) -> str:
    if e.value is None:
        return '<span class="ci">n/a</span>'
    ci = (f"{fmt_value(e.low, metric)} to {fmt_value(e.high, metric)}" if e.has_ci else "n/a")
    return f'{fmt_value(e.value, metric)}<br><span class="ci">95% CI {ci}</span>'


def _p(p: float | None) -> str:
    return escape(fmt_p(p))


def _note(text: str, ident: str = "") -> str:
    """A note paragraph ("" for no note), its text escaped."""
    return f'<p class="note"{f" id={ident!r}" if ident else ""}>{escape(text)}</p>' if text else ""


def _head(columns: list[str], names: int = 1) -> str:
    """A table head; the first ``names`` columns hold names (left-aligned)."""
    return "<thead><tr>" + "".join(f'<th{" class=name" if i < names else ""}>{escape(c)}</th>'
                                   for i, c in enumerate(columns)) + "</tr></thead>"


def _group_table(report: CorpusReport, by: str, anchors: dict[str, str]) -> str:
    rows = []
    for g in report.groups:
        cells = "".join(f"<td>{_ci(g.estimates[m], m)}</td>" for m in METRICS)
        rows.append(f'<tr><td class="name"><a href="#{anchors[g.name]}">{escape(g.name)}</a></td>'
                    f"<td>{g.articles:,}</td><td>{g.sentences:,}</td><td>{g.words:,}</td>{cells}</tr>")
    return (f'<table id="group-table" class="groups">{_head(group_columns(by))}<tbody>{"".join(rows)}</tbody>'
            "</table>")


def _pairwise(report: CorpusReport) -> str:
    if not report.pairwise:
        return _note(ONE_GROUP)
    rows = []
    for c in report.pairwise[:MAX_PAIRS]:      # already in report_stats.pair_order, as in every format
        sig = c.p_holm is not None and c.p_holm < 0.05
        rows.append(f'<tr{" class=sig" if sig else ""}><td class="name">{escape(c.a)}</td>'
                    f'<td class="name">{escape(c.b)}</td><td>{_ci(c.diff, c.metric)}</td><td>{_p(c.p)}</td>'
                    f"<td>{_p(c.p_holm)}</td></tr>")
    more = len(report.pairwise) - MAX_PAIRS
    return (f"<p>{escape(pairs_note(report))} Rows in red: Holm p &lt; 0.05.</p>"
            f'<div class="scroll"><table id="pairwise-table">{_head(pair_columns(), 2)}<tbody>{"".join(rows)}</tbody>'
            "</table></div>"
            + _note(f"{more} more pairs, the last in this order, are in the Markdown, CSV and JSON output." if more > 0
                    else ""))


def _same_story(report: CorpusReport, by: str, story: str) -> str:
    if not report.same_story:
        return _note(story_empty(by, story), "same-story-note")
    rows = "".join(
        f'<tr{" class=sig" if r.p_holm is not None and r.p_holm < 0.05 else ""}><td class="name">{escape(r.group)}</td>'
        f"<td>{r.stories}</td><td>{r.articles}</td><td>{r.others}</td><td>{_ci(r.diff, PRIMARY)}</td>"
        f"<td>{_p(r.p)}</td><td>{_p(r.p_holm)}</td></tr>" for r in report.same_story)
    return (f'<table id="same-story-table">{_head(story_columns(by, story))}<tbody>{rows}</tbody></table>'
            + _note(story_missing(report, by, story)))


def _anchors(names: list[str]) -> dict[str, str]:
    """One distinct element id per group: "fox news" and "fox-news" (or two long names alike in their first
    60 characters) once shared an id, and the table's link led to the wrong section; a group named "table"
    took the id of the group table itself."""
    out: dict[str, str] = {}
    taken = {"group-table"}
    for name in names:
        base = "group-" + ("".join(ch if ch.isalnum() else "-" for ch in name.lower())[:60] or "x")
        ident, k = base, 1
        while ident in taken:
            k += 1
            ident = f"{base}-{k}"
        out[name] = ident
        taken.add(ident)
    return out


def _examples(report: CorpusReport, anchors: dict[str, str]) -> str:
    out = []
    for g in report.groups:
        phrases = ", ".join(f"{escape(p)} <span class=ci>({n})</span>" for p, n in g.top_phrases) or \
            '<span class="note">none marked</span>'
        quotes = []
        for e in g.examples:
            label = escape(e.title or e.article)
            url = safe_url(e.url)
            link = f'<a href="{escape(url)}" rel="noopener noreferrer">{label}</a>' if url else label
            quotes.append(f"<blockquote>{html_sentence(e.sentence)}<span class=src>score {e.score:.2f} · {link}"
                          f"{'' if not e.title else ' · ' + escape(e.article)}</span></blockquote>")
        body = "".join(quotes) or _note(NO_EXAMPLES)
        out.append(f'<section class="group" id="{anchors[g.name]}"><h3>{escape(g.name)}</h3>'
                   f'<p class="phrases"><b>Top loaded phrases:</b> {phrases}</p>{body}</section>')
    return "".join(out)


def _stance_colour(value: float | None) -> str:
    """Cell background by the sign of the mean polarity (reddish negative, greenish positive), deeper when larger."""
    if not value:
        return ""
    alpha = 0.12 + 0.45 * min(1.0, abs(value))
    rgb = "192,57,43" if value < 0 else "39,174,96"
    return f' style="background:rgba({rgb},{alpha:.2f})"'


def _stance_cell(c: StanceCell | None) -> str:
    if c is None:
        return '<td class="ci">–</td>'
    e = c.polarity
    ci = f"{fmt_polarity(e.low)} to {fmt_polarity(e.high)}" if e.has_ci else "n/a"
    tip = f"{c.negative} negative · {c.neutral} neutral · {c.positive} positive"
    return (f'<td{_stance_colour(e.value)} title="{tip}">{fmt_polarity(e.value)}<br><span class="ci">95% CI {ci}'
            f'</span><br><span class="ci">{count(c.mentions, "mention")} · {count(c.articles, "article")}</span></td>')


def _stance(report: CorpusReport, by: str) -> str:
    """The group × target stance section (empty when the report has no stance table at all)."""
    st = report.stance
    if st is None:
        return ""
    head = (f"<h2>{escape(STANCE_TITLE)}</h2><p>Mean polarity (P(positive) − "
            f"P(negative), from −1 to +1) of each {escape(by)}'s mentions of a target in its own voice; quotes are "
            "left out. Red: negative on average, green: positive. The 95% interval comes from resampling the "
            f"articles that name the target. Shown: targets named {st.min_mentions}+ times by {st.min_groups}+ "
            f"groups; – means fewer mentions in that group.</p>")
    if not st.targets:
        return head + f'<p class="note" id="stance-note">{escape(st.note or "")}.</p>'
    cols = "".join(f'<th>{escape(t.entity)}</th>' for t in st.targets)
    rows = []
    for g in report.groups:
        cells = [st.cell(g.name, t.entity) for t in st.targets]
        if any(cells):
            rows.append(f'<tr><td class="name">{escape(g.name)}</td>{"".join(_stance_cell(c) for c in cells)}</tr>')
    return (head + f'<div class="scroll"><table id="stance-table"><thead><tr><th class="name">{escape(by)}</th>'
            f"{cols}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>" + _note(stance_missing(report, by)))


def render_html(report: CorpusReport, *, by: str, story: str | None = None, title: str | None = None) -> str:
    """The whole report page as a string."""
    m = report.meta
    title = title or f"Framing by {by}"
    legend = "".join(f'<mark style="background:{c}">{escape(t.replace("_", " "))}</mark>' for t, c in COLOURS.items())
    spans_note = "" if m.get("spans_available", True) else _note(NO_SPANS)
    anchors = _anchors([g.name for g in report.groups])
    story_html = ""
    if story:
        groups = [g.name for g in report.groups]
        heat = heatmap(report.topics, groups, "chart-topics") if report.topics else ""
        story_html = (f"<h2>Same {escape(story)}, different {escape(plural(by))}</h2><p>{escape(story_note(by, story))}"
                      f"</p>{_same_story(report, by, story)}<h2>By {escape(story)}</h2>"
                      f"<p>{escape(topics_cells(story))}</p>{_note(topics_note(report, story), 'topics-note')}"
                      f'<div class="scroll">{heat}</div>')
    label, per_words = METRICS[PRIMARY][3], METRICS["per_1000_words"][3]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title><style>{_STYLE}</style></head>
<body>
<h1>{escape(title)}</h1>
<p class="meta">{count(m.get("articles", 0), "article")} in {count(m.get("groups", 0), "group")} from
{escape(str(m.get("corpus", "")))} · model {escape(str(m.get("model", "")))}
· {m.get("bootstrap")} bootstrap resamples of articles, seed {m.get("seed")}
· generated {escape(str(m.get("generated", "")))}</p>
<p class="note">{escape(framed_note(report))} {escape(NA_NOTE)} {escape(VOICE_NOTE)}</p>
<h2>Groups</h2>
<p class="note">{escape(ORDER_NOTE)}</p>
<div class="scroll">{_group_table(report, by, anchors)}</div>
{ci_chart(report.groups, PRIMARY, f"{label[:1].upper()}{label[1:]} (95% CI)", "chart-rates")}
{ci_chart(report.groups, "per_1000_words", f"{per_words.capitalize()} (95% CI)", "chart-per-words")}
{distribution_chart(report.groups, "chart-distribution")}
<h2>Pairwise differences</h2>
{_pairwise(report)}
{story_html}
{_stance(report, by)}
<h2>{escape(EXAMPLES_TITLE)}</h2>
<p class="legend">{legend}</p>{spans_note}
{_examples(report, anchors)}
</body></html>
"""
