"""The Markdown and HTML views of ``slant score`` agree with the JSONL and tell nothing by colour alone."""
import io

from inference.formats import HtmlWriter, MarkdownWriter
from inference.summary import summarize
from tests.test_terminal_view import _article


def _write(writer_cls, *articles) -> str:
    out = io.StringIO()
    writer = writer_cls(out)
    for art in articles:
        writer.write(art, summarize(art))
    writer.close()
    return out.getvalue()


HOSTILE = "[x](javascript:alert(1))_*b*.txt"


def _hostile():
    return _article([("The *radical* [thugs](javascript:alert(1)) met Kim_Jong.", 0.9, "author",
                      [("*radical*", "name_calling")], [("Kim_Jong", "negative", "author")]),
                     ("\"Kim_Jong is great,\" he said.", 0.4996, "quote", [], [("Kim_Jong", "positive", "quote")])],
                    doc=HOSTILE)


def test_markdown_names_phrases_and_entities_are_escaped():
    md = _write(MarkdownWriter, _hostile())
    assert "## \\[x\\](javascript:alert(1))\\_\\*b\\*.txt" in md  # was a javascript: link in the heading
    assert "Top framed phrases (author voice): \\*radical\\* (1)" in md  # was *radical* in italics
    assert "Kim\\_Jong: negative" in md  # entity names, from the article's text, too
    assert "](javascript" not in md.replace("\\](javascript", "")


def test_markdown_shows_techniques_stances_labels_and_scores_as_the_jsonl_does():
    md = _write(MarkdownWriter, _hostile())
    assert "**\\*radical\\***‹NC›" in md  # the technique was lost: every span just **bold**
    assert "Kim\\_Jong‹neg›" in md and "Kim\\_Jong‹“pos›" in md  # targets had no mark at all
    assert "| 1 | 0.49 | neutral | quote |" in md  # was "0.50 | neutral"
    assert "‹NC› name\\_calling" in md and "author 1 of 1 sentences (100%), in quotes 0 of 1 (0%)" in md


def test_html_is_one_page_with_label_voice_and_tags_written_out():
    other = _article([("Officials met.", 0.1, "author", [], [])], doc="<b>two</b>.txt")
    page = _write(HtmlWriter, _hostile(), other)
    assert page.count("<html") == 1 and page.count("</html>") == 1 and page.count("<section>") == 2
    assert "<h2>&lt;b&gt;two&lt;/b&gt;.txt</h2>" in page
    assert '<span class="sc">0.90 framing</span>' in page  # the label was a border colour only
    assert '<span class="sc">0.49 neutral “</span>' in page  # was "0.50", and the voice italics only
    assert '‹NC›</small>' in page and "‹“pos›</small>" in page and "loaded_language ‹LL›</mark>" in page
    assert "<script" not in page and "<a " not in page and "<b>" not in page
