"""An HTML page's <blockquote> is a source's voice: its plain text keeps no quotation marks."""
import json

import pytest

from inference.cli import main
from inference.html_text import extract_article

BODY = "The senator spoke at length on Tuesday about the new budget and what it would mean for the state."
QUOTED = ["This budget is a disgrace and a betrayal of every family in this state.",
          "We will fight it in every committee room and on the floor of the chamber."]
AFTER = "Critics disagreed with that view of the plan, saying the numbers were sound and the spending modest."
LINK = '<a href="#">committee</a>'
PAGE = (f"<html><body><nav>Home | About</nav><article><h1>Budget fight in the capital</h1><p>{BODY}</p>"
        f"<blockquote><p>{QUOTED[0].replace('disgrace', '<em>disgrace</em>')}</p>"
        f"<p>{QUOTED[1].replace('committee', LINK)}</p></blockquote>"
        f"<p>{AFTER}</p></article><footer>(c) 2023</footer></body></html>")


def test_block_quotations_are_found_in_the_unchanged_article_text():
    import trafilatura

    from inference.html_text import EXTRACT_OPTIONS

    text, ranges = extract_article(PAGE)
    assert text == trafilatura.extract(PAGE, **EXTRACT_OPTIONS)  # the text is trafilatura's, untouched
    assert [text[a:b] for a, b in ranges] == ["\n".join(QUOTED)]
    plain = PAGE.replace("<blockquote>", "<div>").replace("</blockquote>", "</div>")
    assert extract_article(plain) == (trafilatura.extract(plain, **EXTRACT_OPTIONS), [])


def test_a_rendering_that_does_not_match_the_text_gives_no_ranges(monkeypatch):
    """Another trafilatura version might render its XML differently: then the page simply has no
    quotation ranges, and the text is still the plain extraction."""
    import trafilatura.xml

    monkeypatch.setattr(trafilatura.xml, "xmltotxt", lambda tree, formatting: "something else")
    text, ranges = extract_article(PAGE)
    assert QUOTED[0] in text and ranges == []


@pytest.mark.parametrize("suffix", [".html", ".txt"])
def test_slant_score_gives_blockquoted_sentences_the_quote_voice(tiny_model, tmp_path, capsys, suffix):
    page = tmp_path / f"page{suffix}"  # a .txt holding a page is extracted the same way
    page.write_text(PAGE)
    code = main(["score", str(page), "--model", str(tiny_model), "--format", "jsonl", "--no-targets"])
    out, err = capsys.readouterr()
    assert code == 0, err
    voice = {r["text"]: r["voice"] for r in map(json.loads, out.splitlines())}
    assert voice[BODY] == "author" and voice[AFTER] == "author"
    assert voice[QUOTED[0]] == "quote" and voice[QUOTED[1]] == "quote"


def test_the_report_cache_keeps_a_page_with_quotations_apart():
    from inference.report_cache import text_key

    assert text_key("A text.") == text_key("A text.", [])
    assert text_key("A text.", [(0, 7)]) != text_key("A text.")


def test_report_folders_carry_the_quotations_of_html_articles(tmp_path):
    from inference.report_corpus import open_corpus

    (tmp_path / "outlet").mkdir()
    (tmp_path / "outlet" / "a.html").write_text(PAGE)
    (tmp_path / "outlet" / "b.txt").write_text(BODY + "\n")
    arts = {a.id: a for a in open_corpus(tmp_path)}
    a = arts["outlet/a.html"]
    assert [a.text[s:e] for s, e in a.quotations] == ["\n".join(QUOTED)] and arts["outlet/b.txt"].quotations == []


@pytest.mark.parametrize("as_bytes", [False, True])
def test_an_inline_q_is_shown_with_quotation_marks_inside_its_sentence(as_bytes):
    """trafilatura made a <q> a line of its own ("He called the plan\\na betrayal\\nof ..."), so the
    sentence was cut in three and the quotation lost its marks; a browser shows “…”."""
    page = (f"<html><body><article><p>{BODY}</p><p>He called the plan <q cite='x'>a betrayal</q> of working "
            f"families and said he would vote against it next week.</p><p>{AFTER}</p></article></body></html>")
    text, ranges = extract_article(page.encode("cp1252") if as_bytes else page)
    assert "He called the plan “a betrayal” of working families and said he would vote against it next week." in text
    assert ranges == []


def test_a_page_with_quotations_is_extracted_once(monkeypatch):
    """The text and the quotation ranges come from one extraction (it had run twice: once for the
    text, once for the XML), and the text is still what trafilatura.extract gives."""
    import trafilatura
    import trafilatura.core

    from inference.html_text import EXTRACT_OPTIONS

    expected = trafilatura.extract(PAGE, **EXTRACT_OPTIONS)
    calls = []
    real = trafilatura.core.bare_extraction
    monkeypatch.setattr(trafilatura.core, "bare_extraction", lambda *a, **k: calls.append(1) or real(*a, **k))
    monkeypatch.setattr(trafilatura, "bare_extraction", trafilatura.core.bare_extraction)
    text, ranges = extract_article(PAGE)
    assert text == expected and [text[a:b] for a, b in ranges] == ["\n".join(QUOTED)]
    assert len(calls) == 1
