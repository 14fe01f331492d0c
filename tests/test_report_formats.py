"""The four report formats tell the same story: one row order, one p-value format, true labels and notes.

Built from hand-made scored articles (no model), so each test runs in well under a second.
"""
import csv
import io
import json
import re
from html.parser import HTMLParser

from markdown_it import MarkdownIt

from inference.records import ArticleScore, SentenceScore
from inference.report_collect import Collector
from inference.report_corpus import Article
from inference.report_html import render_html
from inference.report_stats import METRICS, build_report
from inference.report_text import render_csv, render_json, render_markdown


def scored(ident: str, group: str, framed: int, plain: int, quoted: int = 0, *, story: str | None = None,
           url: str = "", title: str = "") -> tuple[Article, ArticleScore]:
    """An article of ``framed`` framed and ``plain`` neutral author sentences, then ``quoted`` framed quotes."""
    kinds = [("framing", 0.8, "author")] * framed + [("neutral", 0.1, "author")] * plain + \
        [("framing", 0.9, "quote")] * quoted
    text, sents = "", []
    for i, (label, score, voice) in enumerate(kinds):
        sentence = f'"Sentence {i} of {ident}," a source said.' if voice == "quote" else f"Sentence {i} of {ident}."
        start = len(text)
        text += sentence + " "
        sents.append(SentenceScore(doc=ident, index=i, paragraph=0, start=start, end=start + len(sentence),
                                   text=sentence, score=score, label=label, voice=voice))
    art = Article(id=ident, text=text.strip(), group=group, story=story, title=title or ident, url=url)
    return art, ArticleScore(doc=ident, sentences=sents, threshold=0.5, targets_available=False)


def collect(items) -> Collector:
    c = Collector()
    for art, scores in items:
        c.add(art, scores)
    return c


def every_format(report, by="outlet", story=None):
    return (render_html(report, by=by, story=story), render_markdown(report, by=by, story=story),
            json.loads(render_json(report)), list(csv.DictReader(io.StringIO(render_csv(report)))))


def md_section(md: str, heading: str) -> list[list[str]]:
    """The table rows (header first) of the Markdown section whose heading starts with ``heading``."""
    body = md.split("\n## " + heading, 1)[1].split("\n## ", 1)[0]
    return [[c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]] for line in body.splitlines()
            if line.startswith("| ") and not set(line) <= set("|- ")]


def html_rows(page: str, table_id: str) -> list[list[str]]:
    """The cell texts of an HTML table, as a browser reads them."""
    rows: list[list[str]] = []

    class Rows(HTMLParser):
        inside = cell = None

        def handle_starttag(self, tag, attrs):
            if tag == "table":
                self.inside = dict(attrs).get("id") == table_id
            elif self.inside and tag == "tr":
                rows.append([])
            elif self.inside and tag in ("td", "th"):
                self.cell = []

        def handle_endtag(self, tag):
            if tag == "table":
                self.inside = False
            elif self.inside and tag in ("td", "th"):
                rows[-1].append(" ".join("".join(self.cell).split()))
                self.cell = None

        def handle_data(self, data):
            if self.cell is not None:
                self.cell.append(data)

    Rows().feed(page)
    return rows


def four_close_outlets():
    """Four outlets of three articles each, so alike that every Holm p is 1: the order rests on the tie-breaks."""
    shapes = {"Ant": [(3, 7), (1, 9), (2, 8)], "Bee": [(2, 8), (2, 8), (1, 9)], "Cat": [(1, 9), (3, 7), (1, 9)],
              "Dog": [(1, 9), (1, 9), (2, 8)]}
    return collect(scored(f"{g}{i}", g, f, p, story=f"s{i}") for g, rows in shapes.items()
                   for i, (f, p) in enumerate(rows))


def test_pairwise_rows_come_in_one_documented_order_in_every_format():
    report = build_report(four_close_outlets(), resamples=200, seed=0)
    page, md, data, table = every_format(report)
    html_pairs = [tuple(r[:2]) for r in html_rows(page, "pairwise-table")[1:]]
    md_pairs = [tuple(r[:2]) for r in md_section(md, "Pairwise differences")[1:]]
    json_pairs = [(c["a"], c["b"]) for c in data["pairwise"]]
    csv_pairs = [(r["group"], r["other"]) for r in table if r["section"] == "pairwise"]
    assert len(html_pairs) == 6 and html_pairs == md_pairs == json_pairs == csv_pairs
    # the documented order: Holm p, then p, then the larger difference, then the names
    key = [(c["p_holm"], c["p"], -abs(c["diff"]["value"]), c["a"], c["b"]) for c in data["pairwise"]]
    assert key == sorted(key)
    # the same p-values, printed alike (Markdown gave "0.03" and "1" where the page gave "0.030" and "1.000")
    assert [r[3:] for r in html_rows(page, "pairwise-table")[1:]] == [r[3:] for r in md_section(md, "Pairwise")[1:]]
    assert html_rows(page, "pairwise-table")[0] == md_section(md, "Pairwise")[0]


def test_counts_that_include_quotes_say_so_and_the_note_does_not_claim_otherwise():
    report = build_report(collect([scored("a1", "A", 1, 4, quoted=5), scored("a2", "A", 2, 3),
                                   scored("b1", "B", 0, 5, quoted=5), scored("b2", "B", 1, 4)]), resamples=50)
    page, md, data, _ = every_format(report)
    # B's framed sentences per 1,000 words count its quoted framing: 6 framed of which 5 are quotes
    b = next(g for g in report.groups if g.name == "B")
    assert b.estimates["per_1000_words"].value * b.words / 1000 == 6
    for metric in ("mean_score", "per_1000_words"):
        label = METRICS[metric][3]
        assert "quotes included" in label and data["meta"]["metrics"][metric] == label
        assert label in md_section(md, "Groups")[0] and label in html_rows(page, "group-table")[0]
    assert "counted apart: a group is not charged" not in page         # true only of the two framed-sentence rates
    assert "quotes included" in page and "quotes included" in md
    assert html_rows(page, "group-table")[0] == md_section(md, "Groups")[0]


def test_holm_family_size_is_the_pairs_that_have_a_p_value():
    items = [scored(f"{g}{i}", g, f, 10 - f) for g, f in (("A", 6), ("B", 2), ("C", 4)) for i in range(3)]
    report = build_report(collect(items + [scored("solo", "Solo", 3, 7)]), resamples=100)
    assert sum(c.p is not None for c in report.pairwise) == 3 and len(report.pairwise) == 6
    page, md, _, _ = every_format(report)
    for text in (page, md):
        assert "Holm-corrected over the 3 pairs with a p-value" in text and "3 pairs have neither interval" in text
        assert "6 comparisons" not in text
    # untested pairs come last, everywhere
    assert [c.p is None for c in report.pairwise] == [False] * 3 + [True] * 3


def test_group_links_lead_to_distinct_sections():
    report = build_report(collect([scored("1", "fox news", 1, 3), scored("2", "fox-news", 2, 2),
                                   scored("3", "table", 0, 4)]), resamples=0)
    page = render_html(report, by="outlet")
    ids = re.findall(r' id="([^"]+)"', page)
    assert len(ids) == len(set(ids))                                  # "fox news" and "fox-news" shared one
    links = re.findall(r'href="#([^"]+)"', page)
    assert len(links) == 3 and set(links) <= set(ids) and "group-table" not in links


def test_markdown_links_code_and_names_render_as_written():
    url = "https://example.org/a?x=1&y=2"
    items = [scored("a1", "*Loud*", 3, 1, url=url), scored("a2", "*Loud*", 2, 2, url="javascript:alert(1)"),
             scored("b1", "Calm", 1, 3, url="https://example.org/b c")]
    report = build_report(collect(items), resamples=0, meta={"corpus": "R&D <news>.jsonl", "model": "m"})
    md = render_markdown(report, by="outlet")
    out = MarkdownIt("commonmark").render(md)
    assert 'href="https://example.org/a?x=1&amp;y=2"' in out            # was "&amp;amp;": a broken link
    assert "javascript:" not in md                                     # the HTML page never linked it either
    assert 'href="https://example.org/b%20c"' in out
    assert "<code>R&amp;D &lt;news&gt;.jsonl</code>" in out             # showed "R&amp;amp;D" in its code span
    assert "<em>Loud</em>" not in out and "*Loud*" in out                # a group name is not markup


def test_missing_tables_and_rows_say_why_in_both_formats():
    single = build_report(collect([scored("a", "Only", 1, 3, story="s"), scored("b", "Only", 2, 2, story="t")]),
                          resamples=50, stories=True)
    page, md, _, _ = every_format(single, story="story")
    for text in (page, md):
        assert "One group only: nothing to compare." in text and "2 articles in 1 group " in text
        assert "No story was covered by two or more outlets" in text
    # B covers story s too, but with no author-voice sentence: the old note said no story was shared at all
    items = [scored("a1", "A", 1, 3, story="s"), scored("a2", "A", 2, 2, story="t"),
             scored("b1", "B", 0, 0, 2, story="s"), scored("c1", "C", 2, 2, story="t"), scored("d1", "D", 1, 3, story="u")]
    report = build_report(collect(items), resamples=50, stories=True)
    page, md, _, _ = every_format(report, story="story")
    for text in (page, md):
        assert "Not listed: D, B (no story shared with another outlet" in text   # group order
    assert [r[0] for r in html_rows(page, "same-story-table")[1:]] == [r[0] for r in md_section(md, "Same story")[1:]]
    assert html_rows(page, "same-story-table")[0] == md_section(md, "Same story")[0]


def test_p_values_below_a_thousandth_print_alike():
    items = [scored(f"{g}{i}", g, f, 10 - f) for g, f in (("Hot", 9), ("Cold", 0)) for i in range(12)]
    report = build_report(collect(items), resamples=2000, seed=1)
    assert report.pairwise[0].p < 0.001
    page, md, _, _ = every_format(report)
    assert html_rows(page, "pairwise-table")[1][3] == md_section(md, "Pairwise")[1][3] == "<0.001"


def test_user_strings_are_escaped_in_every_html_table():
    evil_group, evil_story = 'Evil <b>&"Co\'', 'topic <i>&"x'
    items = [scored("e1", evil_group, 2, 2, story=evil_story), scored("e2", evil_group, 1, 3, story="s"),
             scored("n1", "Nice", 1, 3, story=evil_story), scored("n2", "Nice", 0, 4, story="s")]
    report = build_report(collect(items), resamples=50, stories=True)
    page = render_html(report, by="out<let>", story="st&ory")
    assert "<b>&" not in page and "<i>&" not in page and "out<let>" not in page   # never markup
    assert html_rows(page, "group-table")[0][0] == "out<let>"                      # shown as written
    assert {r[0] for r in html_rows(page, "group-table")[1:]} == {evil_group, "Nice"}
    assert evil_group in [r[0] for r in html_rows(page, "same-story-table")]
    assert "&lt;i&gt;&amp;&quot;x" in page and "st&amp;ory" in page


def test_a_cut_per_story_table_says_so_in_both_formats():
    from inference.report_stats import MAX_TOPICS

    items = [scored(f"{g}{i}", g, 1, 3, story=f"story {i:02d}") for g in "AB" for i in range(MAX_TOPICS + 2)]
    report = build_report(collect(items), resamples=0, stories=True)
    assert len({c.topic for c in report.topics}) == MAX_TOPICS and report.meta["stories_total"] == MAX_TOPICS + 2
    page, md, _, _ = every_format(report, story="story")
    note = f"Only the {MAX_TOPICS} most covered of {MAX_TOPICS + 2} stories are shown, in every format"
    assert note in page and note in md


def test_highlighted_sentences_escape_every_markdown_character():
    """A sentence's own underscores, brackets and backticks show as written in the Markdown views
    (before, only * and | were escaped, so "snake_case_name" turned italic and "[1](x)" a link)."""
    from inference.highlight import markdown_sentence
    from inference.records import SentenceScore, Span

    text = "A_b_c called [1](javascript:x) a `pariah` | <b>"
    sent = SentenceScore(doc="d", index=0, paragraph=0, start=10, end=10 + len(text), text=text, score=0.9,
                         label="framing", voice="author",
                         spans=[Span(start=10 + text.index("pariah"), end=10 + text.index("pariah") + 6, text="pariah",
                                     score=0.8, technique="loaded_language")])
    md = markdown_sentence(sent)
    assert md == r"A\_b\_c called \[1\](javascript:x) a \`**pariah**\` \| &lt;b&gt;"
