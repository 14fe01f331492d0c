"""The report as one self-contained HTML file a researcher can mail to colleagues.

Self-contained means: styles inline, charts inline SVG (:mod:`inference.report_svg`),
no script at all, and a Content-Security-Policy that forbids loading anything
from anywhere, so the page opens offline and makes no network request. Every
piece of corpus text (group names, titles, sentences, URLs) is escaped, and
sentences are highlighted through :func:`inference.highlight.html_sentence`,
which escapes before it marks; a corpus holding ``<script>`` renders inert.
Links to articles are kept only for http(s) URLs (never ``javascript:``).
"""
from __future__ import annotations

from html import escape
from urllib.parse import urlparse

from inference.highlight import COLOURS, html_sentence
from inference.report_stance import StanceCell, fmt_polarity
from inference.report_stats import METRICS, PRIMARY, CorpusReport, Estimate
from inference.report_svg import ci_chart, distribution_chart, fmt_value, heatmap
from inference.report_text import plural

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


def safe_url(url: str) -> str | None:
    """``url`` if it is an absolute http(s) link, else None (no ``javascript:``, no local files)."""
    url = (url or "").strip()
    try:
        parsed = urlparse(url)
    except ValueError:
        return None
    return url if parsed.scheme in ("http", "https") and parsed.netloc else None


def _ci(e: Estimate, metric: str) -> str:
    if e.value is None:
        return '<span class="ci">n/a</span>'
    ci = (f"{fmt_value(e.low, metric)} to {fmt_value(e.high, metric)}" if e.has_ci else "n/a")
    return f'{fmt_value(e.value, metric)}<br><span class="ci">95% CI {ci}</span>'


def _p(p: float | None) -> str:
    return "n/a" if p is None else ("&lt;0.001" if p < 0.001 else f"{p:.3f}")


def _group_table(report: CorpusReport, by: str) -> str:
    head = "".join(f"<th>{escape(METRICS[m][3])}</th>" for m in METRICS)
    rows = []
    for g in report.groups:
        cells = "".join(f"<td>{_ci(g.estimates[m], m)}</td>" for m in METRICS)
        rows.append(f'<tr><td class="name"><a href="#group-{_anchor(g.name)}">{escape(g.name)}</a></td>'
                    f"<td>{g.articles:,}</td><td>{g.sentences:,}</td><td>{g.words:,}</td>{cells}</tr>")
    return (f'<table id="group-table" class="groups"><thead><tr><th class="name">{escape(by)}</th><th>articles</th>'
            f"<th>sentences</th><th>words</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _pairwise(report: CorpusReport) -> str:
    if not report.pairwise:
        return '<p class="note">One group only: nothing to compare.</p>'
    metric = report.pairwise[0].metric
    order = sorted(report.pairwise, key=lambda c: (c.p_holm is None, c.p_holm or 1.0, -abs(c.diff.value or 0)))
    rows = []
    for c in order[:MAX_PAIRS]:
        sig = c.p_holm is not None and c.p_holm < 0.05
        rows.append(f'<tr{" class=sig" if sig else ""}><td class="name">{escape(c.a)}</td><td class="name">{escape(c.b)}'
                    f"</td><td>{_ci(c.diff, metric)}</td><td>{_p(c.p)}</td><td>{_p(c.p_holm)}</td></tr>")
    more = (f'<p class="note">{len(order) - MAX_PAIRS} more pairs (least significant) are in the CSV/JSON output.</p>'
            if len(order) > MAX_PAIRS else "")
    return (f'<table id="pairwise-table"><thead><tr><th class="name">A</th><th class="name">B</th>'
            f"<th>A − B, {escape(METRICS[metric][3])}</th><th>p (permutation)</th><th>p (Holm)</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>{more}")


def _same_story(report: CorpusReport, story: str) -> str:
    if not report.same_story:
        return '<p class="note">No story was covered by more than one group: no same-story comparison.</p>'
    rows = "".join(
        f'<tr{" class=sig" if r.p_holm is not None and r.p_holm < 0.05 else ""}><td class="name">{escape(r.group)}</td>'
        f"<td>{r.stories}</td><td>{r.articles}</td><td>{r.others}</td><td>{_ci(r.diff, PRIMARY)}</td>"
        f"<td>{_p(r.p)}</td><td>{_p(r.p_holm)}</td></tr>" for r in report.same_story)
    return (f'<table id="same-story-table"><thead><tr><th class="name">group</th><th>shared {escape(plural(story))}</th>'
            "<th>its articles</th><th>others' articles</th><th>group − others (mean over stories)</th>"
            f"<th>p (permutation within story)</th><th>p (Holm)</th></tr></thead><tbody>{rows}</tbody></table>")


def _anchor(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name.lower())[:60] or "group"


def _examples(report: CorpusReport) -> str:
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
        body = "".join(quotes) or '<p class="note">No framed sentence in the author\'s voice.</p>'
        out.append(f'<section class="group" id="group-{_anchor(g.name)}"><h3>{escape(g.name)}</h3>'
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
            f'</span><br><span class="ci">{c.mentions} mentions · {c.articles} articles</span></td>')


def _stance(report: CorpusReport, by: str) -> str:
    """The group × target stance section (empty when the report has no stance table at all)."""
    st = report.stance
    if st is None:
        return ""
    head = ("<h2>Stance toward people, organisations and countries</h2><p>Mean polarity (P(positive) − "
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
            f"{cols}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


def render_html(report: CorpusReport, *, by: str, story: str | None = None, title: str | None = None) -> str:
    """The whole report page as a string."""
    m = report.meta
    title = title or f"Framing by {by}"
    legend = "".join(f'<mark style="background:{c}">{escape(t.replace("_", " "))}</mark>' for t, c in COLOURS.items())
    spans_note = "" if m.get("spans_available", True) else \
        '<p class="note">This model has no span head: loaded phrases are not marked.</p>'
    story_html = ""
    if story:
        groups = [g.name for g in report.groups]
        heat = heatmap(report.topics, groups, "chart-topics") if report.topics else ""
        story_html = (f"<h2>Same {escape(story)}, different {escape(plural(by))}</h2><p>Each group against all the "
                      f"others, only on the {escape(plural(story))} both covered: per {escape(story)}, the group's framed-sentence rate "
                      "minus the others'; averaged over them. This removes differences that come from <i>what</i> a "
                      "group covers.</p>" + _same_story(report, story) +
                      f'<h2>By {escape(story)}</h2><div class="scroll">{heat}</div>')
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title><style>{_STYLE}</style></head>
<body>
<h1>{escape(title)}</h1>
<p class="meta">{m.get("articles", 0):,} articles in {m.get("groups", 0)} groups from {escape(str(m.get("corpus", "")))}
· model {escape(str(m.get("model", "")))} (framing threshold {m.get("threshold") or 0:.2f})
· {m.get("bootstrap")} bootstrap resamples, seed {m.get("seed")} · generated {escape(str(m.get("generated", "")))}</p>
<p class="note">A sentence counts as <i>framed</i> when the model's calibrated score reaches the threshold. Rates are
pooled over a group's articles; the 95% intervals come from resampling whole articles, so a group whose framing
sits in a few articles gets a wide interval. A group with a single article has no interval (n/a). Sentences inside
quotation marks are counted apart: a group is not charged for what its sources said.</p>
<h2>Groups</h2>
<div class="scroll">{_group_table(report, by)}</div>
{ci_chart(report.groups, PRIMARY, "Framed-sentence rate, author's voice (95% CI)", "chart-rates")}
{ci_chart(report.groups, "per_1000_words", "Framed sentences per 1,000 words (95% CI)", "chart-per-words")}
{distribution_chart(report.groups, "chart-distribution")}
<h2>Pairwise differences</h2>
<p>Difference in the framed-sentence rate in the author's voice, with a bootstrap 95% interval; p-values from a
permutation test on articles, Holm-corrected for the {len(report.pairwise)} comparisons. Rows in red: Holm p &lt; 0.05.</p>
<div class="scroll">{_pairwise(report)}</div>
{story_html}
{_stance(report, by)}
<h2>Loaded phrases and the most framed sentences</h2>
<p class="legend">{legend}</p>{spans_note}
{_examples(report)}
</body></html>
"""
