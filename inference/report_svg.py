"""Inline SVG charts for the HTML report: no script, no library, no network.

A report must open offline, years later, from an e-mail attachment, so the
charts are plain SVG strings written into the page: rates with 95 % interval
bars, article-level distributions (box plot plus a strip of dots), and a
group × topic heat map. Every label is escaped; hover text uses SVG
``<title>`` elements, which need no JavaScript.
"""
from __future__ import annotations

from html import escape

from inference.report_stats import Estimate, GroupStats, TopicCell

__all__ = ["ci_chart", "distribution_chart", "heatmap", "fmt_value"]

_LABEL_W = 180      # room for group names on the left (22 characters)
_ROW_H = 26
_PLOT_W = 460
_FONT = 'font-family="system-ui, sans-serif" font-size="12"'
_INK, _ACCENT, _MUTED = "#222", "#c0392b", "#888"


def fmt_value(value: float | None, metric: str) -> str:
    """How a metric is printed everywhere in the report ("n/a" when missing)."""
    if value is None:
        return "n/a"
    if metric.endswith("_rate"):
        return f"{100 * value:.1f}%"
    if metric == "per_1000_words":
        return f"{value:.2f}"
    return f"{value:.3f}"


def _short(name: str, n: int = 22) -> str:
    return name if len(name) <= n else name[:n - 1] + "…"


def _svg(width: int, height: int, body: list[str], ident: str, title: str) -> str:
    return (f'<svg class="chart" id="{ident}" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg" {_FONT}>'
            f"<title>{escape(title)}</title>{''.join(body)}</svg>")


def _ticks(top: float, n: int = 5) -> list[float]:
    step = top / n
    return [step * i for i in range(n + 1)]


def _axis(x0: int, y_top: int, y_bottom: int, top: float, metric: str) -> list[str]:
    out = []
    for t in _ticks(top):
        x = x0 + _PLOT_W * t / top
        out.append(f'<line x1="{x:.1f}" y1="{y_top}" x2="{x:.1f}" y2="{y_bottom}" stroke="#e5e5e5"/>'
                   f'<text x="{x:.1f}" y="{y_bottom + 14}" text-anchor="middle" fill="{_MUTED}">'
                   f"{escape(fmt_value(t, metric))}</text>")
    return out


def _nice_top(values: list[float]) -> float:
    top = max([v for v in values if v is not None] + [1e-9])
    for nice in (0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100, 200, 500, 1000):
        if top <= nice:
            return nice
    return top


def ci_chart(groups: list[GroupStats], metric: str, title: str, ident: str) -> str:
    """One row per group: a dot at the value and a bar across its 95 % interval ("n/a" when none)."""
    ests: list[Estimate] = [g.estimates[metric] for g in groups]
    top = _nice_top([e.high if e.has_ci else e.value for e in ests])
    x0, y0 = _LABEL_W, 28
    height = y0 + _ROW_H * len(groups) + 30
    body = [f'<text x="0" y="16" font-weight="600" fill="{_INK}">{escape(title)}</text>']
    body += _axis(x0, y0 - 6, y0 + _ROW_H * len(groups), top, metric)
    for i, (g, e) in enumerate(zip(groups, ests)):
        y = y0 + _ROW_H * i + _ROW_H / 2
        body.append(f'<text x="{x0 - 8}" y="{y + 4:.1f}" text-anchor="end" fill="{_INK}">{escape(_short(g.name))}'
                    f"<title>{escape(g.name)}</title></text>")
        if e.value is None:
            body.append(f'<text x="{x0 + 4}" y="{y + 4:.1f}" fill="{_MUTED}">n/a (no sentences)</text>')
            continue
        x = x0 + _PLOT_W * e.value / top
        tip = f"{g.name}: {fmt_value(e.value, metric)}"
        if e.has_ci:
            xl, xh = (x0 + _PLOT_W * v / top for v in (e.low, e.high))
            tip += f" (95% CI {fmt_value(e.low, metric)} to {fmt_value(e.high, metric)}, {g.articles} articles)"
            body.append(f'<line x1="{xl:.1f}" y1="{y:.1f}" x2="{xh:.1f}" y2="{y:.1f}" stroke="{_INK}" stroke-width="2"/>'
                        f'<line x1="{xl:.1f}" y1="{y - 5:.1f}" x2="{xl:.1f}" y2="{y + 5:.1f}" stroke="{_INK}"/>'
                        f'<line x1="{xh:.1f}" y1="{y - 5:.1f}" x2="{xh:.1f}" y2="{y + 5:.1f}" stroke="{_INK}"/>')
        else:
            tip += f" (no interval: {g.articles} article{'s' if g.articles != 1 else ''})"
            body.append(f'<text x="{x + 9:.1f}" y="{y + 4:.1f}" fill="{_MUTED}">CI n/a</text>')
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{_ACCENT}"><title>{escape(tip)}</title></circle>')
    return _svg(x0 + _PLOT_W + 40, height, body, ident, title)


def _quantiles(values: list[float]) -> tuple[float, float, float, float, float]:
    v = sorted(values)

    def q(p: float) -> float:
        k = (len(v) - 1) * p
        lo = int(k)
        return v[lo] + (v[min(lo + 1, len(v) - 1)] - v[lo]) * (k - lo)

    return q(0), q(0.25), q(0.5), q(0.75), q(1)


def distribution_chart(groups: list[GroupStats], ident: str, max_dots: int = 300) -> str:
    """Per group: the author-voice framed rate of each article as dots, with a box of its quartiles."""
    title = "Article-level framed-sentence rate (author's voice)"
    x0, y0, row = _LABEL_W, 28, 34
    height = y0 + row * len(groups) + 30
    body = [f'<text x="0" y="16" font-weight="600" fill="{_INK}">{escape(title)}</text>']
    body += _axis(x0, y0 - 6, y0 + row * len(groups), 1.0, "author_rate")
    for i, g in enumerate(groups):
        yc = y0 + row * i + row / 2
        body.append(f'<text x="{x0 - 8}" y="{yc + 4:.1f}" text-anchor="end" fill="{_INK}">{escape(_short(g.name))}'
                    f"<title>{escape(g.name)}</title></text>")
        rates = g.article_rates
        if not rates:
            body.append(f'<text x="{x0 + 4}" y="{yc + 4:.1f}" fill="{_MUTED}">no author-voice sentences</text>')
            continue
        lo, q1, med, q3, hi = (x0 + _PLOT_W * v for v in _quantiles(rates))
        body.append(f'<line x1="{lo:.1f}" y1="{yc:.1f}" x2="{hi:.1f}" y2="{yc:.1f}" stroke="{_MUTED}"/>'
                    f'<rect x="{q1:.1f}" y="{yc - 9:.1f}" width="{max(q3 - q1, 1):.1f}" height="18" fill="#f3d9d5" '
                    f'stroke="{_ACCENT}"/><line x1="{med:.1f}" y1="{yc - 9:.1f}" x2="{med:.1f}" y2="{yc + 9:.1f}" '
                    f'stroke="{_ACCENT}" stroke-width="2"/>')
        shown = sorted(rates)
        if len(shown) > max_dots:  # an even sample over the sorted values keeps the shape, bounds the page size
            shown = [shown[round(k * (len(shown) - 1) / (max_dots - 1))] for k in range(max_dots)]
        for k, r in enumerate(shown):
            jitter = ((k * 7919) % 13 - 6) * 1.1   # deterministic jitter: same report, same picture
            body.append(f'<circle cx="{x0 + _PLOT_W * r:.1f}" cy="{yc + jitter:.1f}" r="2" fill="{_INK}" '
                        f'fill-opacity="0.45"/>')
        body.append(f"<title>{escape(g.name)}: {len(rates)} articles, median {100 * _quantiles(rates)[2]:.1f}%</title>")
    return _svg(x0 + _PLOT_W + 40, height, body, ident, title)


def _colour(t: float) -> str:
    """White to deep orange-red as ``t`` goes 0 → 1."""
    lo, hi = (255, 247, 236), (179, 39, 0)
    return "#" + "".join(f"{round(a + (b - a) * t):02x}" for a, b in zip(lo, hi))


def heatmap(cells: list[TopicCell], groups: list[str], ident: str) -> str:
    """Groups down, topics across; each cell the author-voice framed rate, blank where not covered."""
    topics = sorted({c.topic for c in cells})
    lookup = {(c.group, c.topic): c for c in cells}
    rows = groups + [""]
    cw, ch, x0, y0 = 74, 24, _LABEL_W, 110
    top = max([c.rate for c in cells if c.rate is not None] + [1e-9])
    title = "Framed-sentence rate (author's voice) by topic"
    body = [f'<text x="0" y="16" font-weight="600" fill="{_INK}">{escape(title)}</text>']
    for j, t in enumerate(topics):
        x = x0 + cw * j + cw / 2
        body.append(f'<text transform="translate({x:.1f},{y0 - 6}) rotate(-40)" fill="{_INK}">{escape(_short(t, 18))}'
                    f"<title>{escape(t)}</title></text>")
    for i, g in enumerate(rows):
        y = y0 + ch * i
        label = g or "all groups"
        weight = ' font-weight="600"' if not g else ""
        body.append(f'<text x="{x0 - 8}" y="{y + 16}" text-anchor="end" fill="{_INK}"{weight}>{escape(_short(label))}</text>')
        for j, t in enumerate(topics):
            c = lookup.get((g, t))
            x = x0 + cw * j
            if c is None:
                body.append(f'<rect x="{x}" y="{y}" width="{cw - 2}" height="{ch - 2}" fill="#fafafa" stroke="#eee"/>')
                continue
            share = (c.rate or 0.0) / top
            fill = _colour(share) if c.rate is not None else "#eee"
            ink = "#fff" if share > 0.6 else _INK
            text = fmt_value(c.rate, "author_rate")
            body.append(f'<rect x="{x}" y="{y}" width="{cw - 2}" height="{ch - 2}" fill="{fill}">'
                        f"<title>{escape(label)} · {escape(t)}: {text} over {c.articles} article"
                        f"{'s' if c.articles != 1 else ''}</title></rect>"
                        f'<text x="{x + cw / 2 - 1:.1f}" y="{y + 16}" text-anchor="middle" fill="{ink}" '
                        f'pointer-events="none">{text}</text>')
    return _svg(x0 + cw * len(topics) + 20, y0 + ch * len(rows) + 10, body, ident, title)
