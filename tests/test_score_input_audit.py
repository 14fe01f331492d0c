"""``slant score`` on hostile and odd inputs: each works, or is one line naming the problem and the fix.

Found by an audit of the command as a practitioner runs it: text oddities (line endings, control
characters, invisible characters, encodings), HTML saved under the wrong name, output safety in
every view, and the CLI's options and paths. Each test failed before its fix.
"""
import codecs
import csv
import io
import json
import os

from rich.console import Console

import inference.score_cli as score_cli
from inference.cli import _exit_now, main
from inference.formats import CsvWriter, HtmlWriter, MarkdownWriter
from inference.reading import Document, ReadProblem, iter_documents
from inference.summary import summarize
from tests.test_terminal_view import _article, _plain

ARTICLE = "The council met on Monday. They are disgraceful thugs.\n"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def _write(writer_cls, art) -> str:
    out = io.StringIO()
    writer = writer_cls(out)
    writer.write(art, summarize(art))
    writer.close()
    return out.getvalue()


def _items(*inputs):
    return list(iter_documents([str(i) for i in inputs]))


# --- output safety -------------------------------------------------------------

def test_csv_cells_that_start_like_a_formula_are_kept_text():
    art = _article([("=cmd|' /C calc'!", 0.1, "author", [], []), ("+SUM(1,2) and @foo.", 0.1, "author", [], []),
                    ("Officials met.", 0.1, "author", [], [])], doc="=HYPERLINK(x).txt")
    rows = list(csv.DictReader(io.StringIO(_write(CsvWriter, art))))
    assert [r["text"] for r in rows] == ["'=cmd|' /C calc'!", "'+SUM(1,2) and @foo.", "Officials met."]
    assert rows[0]["doc"] == "'=HYPERLINK(x).txt"  # ran as a formula in a spreadsheet


def test_markdown_and_html_show_control_characters_one_for_one():
    text = "The minister \x1b[31mlied\x1b[0m again.\x07"
    art = _article([(text, 0.9, "author", [("lied", "loaded_language")], [])], doc="ev\x1b[2Jil.txt")
    for view in (_write(MarkdownWriter, art), _write(HtmlWriter, art)):
        assert "\x1b" not in view and "\x07" not in view  # `cat out.md` drove the terminal
        assert "\ufffd" in view and "lied" in view


def test_terminal_shows_a_crlf_or_cr_wrapped_sentence_without_replacement_marks():
    for brk in ("\r\n", "\r"):
        art = _article([(f"The plan was called{brk}disgraceful by critics.", 0.9, "author",
                         [("disgraceful", "loaded_language")], [])])
        shown = _plain(art)
        assert "\ufffd" not in shown and "\r" not in shown  # every line end of a CRLF file showed "�"
        assert "disgraceful‹LL›" in shown  # highlights stay on their words


def test_summary_counts_a_phrase_across_line_breaks_and_soft_hyphens_as_one():
    ll = "loaded_language"
    art = _article([("They were thumbing their\nnoses at us.", 0.9, "author", [("thumbing their\nnoses", ll)], []),
                    ("They were thumbing their noses again.", 0.9, "author", [("thumbing their noses", ll)], []),
                    ("An ultra\xadprovocative and ultra-provocative act.", 0.9, "author",
                     [("ultra\xadprovocative", "loaded_language"), ("ultra-provocative", "exaggeration")], [])])
    phrases = dict(summarize(art).top_phrases)
    assert phrases["thumbing their noses"] == 2  # was 1 + 1, one shown with the line break in it
    assert phrases["ultraprovocative"] == 1 and phrases["ultra-provocative"] == 1


def test_progress_bar_shows_markup_like_ids_as_written(tiny_model, tmp_path, capsys, monkeypatch):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(json.dumps({"id": "a", "text": "Officials met."}) + "\n"
                      + json.dumps({"id": "b[/]c", "text": "They are disgraceful thugs."}) + "\n")
    monkeypatch.setattr(score_cli, "stderr", Console(file=io.StringIO(), force_terminal=True, width=100))
    code, _, err = run(capsys, "score", str(corpus), "--model", str(tiny_model), "-o", str(tmp_path / "o.jsonl"))
    assert code == 0, err  # was rich.errors.MarkupError: closing tag '[/]' … has nothing to close
    assert len((tmp_path / "o.jsonl").read_text().splitlines()) == 2


def test_problem_lines_show_no_escape_sequences_from_file_names(tiny_model, tmp_path, capsys):
    bad = str(tmp_path / "ev\x1b[2Jil.txt")
    code, _, err = run(capsys, "score", bad, "--model", str(tiny_model), "--format", "jsonl")
    assert code == 1 and "\x1b" not in err and "no such file" in err
    code, _, err = run(capsys, "score", bad, "-o", str(tmp_path / "n\x1b[2Jo" / "x.jsonl"), "--model", str(tiny_model))
    assert code == 2 and "\x1b" not in err and len(err.strip().splitlines()) == 1


def test_file_formats_on_a_terminal_pass_no_control_characters():
    out = io.StringIO()
    score_cli.VisibleStream(out).write("a,The \x1b]0;x\x07 plan\r\n")
    assert out.getvalue() == "a,The \ufffd]0;x\ufffd plan\r\n"


# --- inputs ----------------------------------------------------------------------

def test_an_input_given_twice_is_read_once_with_a_warning(tmp_path):
    (tmp_path / "news").mkdir()
    a = tmp_path / "news" / "a.txt"
    a.write_text(ARTICLE)
    items = _items(a, a, tmp_path / "news")
    docs = [i for i in items if isinstance(i, Document)]
    warnings = [i for i in items if isinstance(i, ReadProblem)]
    assert len(docs) == 1  # was scored three times: its sentences written and counted thrice
    assert len(warnings) == 2 and all(not w.fatal and "more than once" in w.message for w in warnings)


def test_a_symlink_loop_is_named_as_such(tmp_path):
    loop = tmp_path / "loop.txt"
    os.symlink(loop, loop)
    [problem] = _items(loop)
    assert problem.fatal and "symbolic link" in problem.message  # was "no such file or directory"


def test_an_html_file_without_tags_is_read_as_text(tmp_path):
    page = tmp_path / "article.html"
    page.write_text("The council met on Monday.\nThey are disgraceful thugs & worse <for> sure.\n")
    items = _items(page)
    assert not items[0].fatal and "no HTML tags" in items[0].message
    assert items[1].text.startswith("The council met")  # was "found no article text in this HTML page"


def test_utf16_without_a_byte_order_mark_is_decoded(tmp_path):
    for codec in ("utf-16-le", "utf-16-be"):
        f = tmp_path / f"{codec}.txt"
        f.write_bytes(ARTICLE.encode(codec))
        [doc] = _items(f)
        assert doc.text == ARTICLE  # was refused as "a binary file"


def test_a_stray_nul_does_not_make_an_article_binary(tmp_path):
    f = tmp_path / "a.txt"
    f.write_bytes(b"The council met\x00 on Monday. They are disgraceful thugs.")
    [doc] = _items(f)
    assert isinstance(doc, Document) and "\x00" in doc.text
    f.write_bytes(codecs.BOM_UTF8 + b"\x89PNG\x00\x00\x00\rIHDR" * 50)
    assert _items(f)[0].fatal


def test_per_line_lines_end_at_a_lone_cr_too():
    assert [t for _, t in score_cli.nonblank_lines("First line\rSecond line\u2028Third")] == [
        "First line", "Second line", "Third"]  # an old-Mac file was one unit


def test_text_without_a_word_is_one_error_not_silence(tiny_model, tmp_path, capsys, small_chunks):
    files = {"punct.txt": "... !!! --- ***\n. . .\n", "quotes.txt": "\"\"\"\n“”\n« »\n",
             "big.txt": "* * *\n" * 600}  # big.txt streams in chunks
    for name, text in files.items():
        (tmp_path / name).write_text(text)
        code, out, err = run(capsys, "score", str(tmp_path / name), "--model", str(tiny_model), "--format", "jsonl")
        assert code == 1 and out == "" and "no words to score" in err, (name, err)  # was exit 0 and nothing


# --- options -----------------------------------------------------------------------

def test_format_other_than_the_output_extension_is_refused(tmp_path, capsys):
    code, _, err = run(capsys, "score", "x.txt", "-o", str(tmp_path / "out.html"), "--format", "csv",
                       "--model", str(tmp_path / "no_model"))
    assert code == 2 and "names the html format but --format csv" in err  # wrote CSV into out.html
    assert not (tmp_path / "out.html").exists()
    assert score_cli._choose_format(type("A", (), {"format": None, "output": "page.htm"})) == "html"  # was jsonl


def test_missing_output_folder_is_refused_before_the_model_loads(tmp_path, capsys):
    code, _, err = run(capsys, "score", "x.txt", "-o", str(tmp_path / "no" / "out.jsonl"),
                       "--model", str(tmp_path / "no_model"))
    assert code == 2 and "folder" in err and "does not exist" in err and "model" not in err


def test_dash_as_output_is_standard_output(tiny_model, tmp_path, capsys, monkeypatch):
    (tmp_path / "a.txt").write_text(ARTICLE)
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "score", "a.txt", "-o", "-", "--model", str(tiny_model), "--format", "jsonl")
    assert code == 0 and len(out.splitlines()) == 2 and not (tmp_path / "-").exists()  # wrote a file "-"


def test_no_progress_bar_while_the_output_goes_to_the_terminal(tiny_model, tmp_path, capsys, monkeypatch):
    (tmp_path / "a.txt").write_text(ARTICLE)
    bar = io.StringIO()
    monkeypatch.setattr(score_cli, "stderr", Console(file=bar, force_terminal=True, width=100))
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    code, out, err = run(capsys, "score", str(tmp_path / "a.txt"), "--model", str(tiny_model), "--format", "csv")
    assert code == 0 and len(out.splitlines()) == 3
    assert "scoring" not in bar.getvalue()  # the first CSV row was written onto the bar's line


def test_names_and_texts_no_utf8_output_can_hold_are_written_visibly(tiny_model, tmp_path, capsys):
    folder = tmp_path / "news"
    folder.mkdir()
    with open(os.path.join(os.fsencode(folder), b"caf\xe9.txt"), "w") as f:  # a Latin-1 file name
        f.write(ARTICLE)
    corpus = tmp_path / "c.jsonl"  # half an emoji, as a cut tweet has it
    corpus.write_text('{"id": "x\\ud800y", "text": "They are disgraceful \\ud83d thugs. Officials met."}\n')
    out = tmp_path / "o.jsonl"
    code, _, err = run(capsys, "score", str(folder), str(corpus), "--model", str(tiny_model), "-o", str(out))
    assert code == 0, err  # was UnicodeEncodeError: surrogates not allowed
    recs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert recs[0]["doc"].endswith("caf\\xe9.txt") and {r["doc"] for r in recs[2:]} == {"x\ufffdy"}
    assert recs[2]["text"] == "They are disgraceful \ufffd thugs." and "broken characters" in err


def test_markdown_strikethrough_tildes_are_shown_as_written():
    art = _article([("Officials said ~~50~~ 60 people died.", 0.1, "author", [], [])])
    assert "\\~\\~50\\~\\~ 60" in _write(MarkdownWriter, art)  # GFM struck "50" through


def test_output_that_is_a_hard_link_to_an_input_is_refused(tmp_path, capsys):
    a = tmp_path / "a.txt"
    a.write_text(ARTICLE)
    os.link(a, tmp_path / "same.txt")
    code, _, err = run(capsys, "score", str(a), "-o", str(tmp_path / "same.txt"), "--model", str(tmp_path / "m"))
    assert code == 2 and "also an input" in err and a.read_text() == ARTICLE  # the article was truncated


def test_unwritable_output_is_refused_before_the_model_loads(tmp_path, capsys, monkeypatch):
    code, _, err = run(capsys, "score", "x.txt", "-o", str(tmp_path), "--model", str(tmp_path / "m"))
    assert code == 2 and "it is a folder" in err
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # a read-only folder (the tests may run as root)
    code, _, err = run(capsys, "score", "x.txt", "-o", str(tmp_path / "o.jsonl"), "--model", str(tmp_path / "m"))
    assert code == 2 and "permission denied" in err  # was a model error first, or a minute's load


def test_a_streamed_file_opening_with_a_divider_chunk_is_scored_and_numbered_from_zero(tiny_model, tmp_path,
                                                                                       capsys, small_chunks):
    (tmp_path / "a.txt").write_text(ARTICLE)
    (tmp_path / "b.txt").write_text("* * *\n" * 150 + "The council met on Monday.\n" * 60)
    code, out, err = run(capsys, "score", str(tmp_path / "a.txt"), str(tmp_path / "b.txt"),
                         "--model", str(tiny_model), "--format", "jsonl", "--no-targets")
    recs = [json.loads(line) for line in out.splitlines() if '"b.txt' in line or "/b.txt" in line]
    assert code == 0 and "no words" not in err and recs and recs[0]["index"] == 0


def test_closed_standard_input_is_one_line():
    [problem] = list(iter_documents(["-"], stdin=None))  # `slant score - <&-`: sys.stdin is None
    assert problem.fatal and "standard input is closed" in problem.message  # was AttributeError


def test_closed_standard_output_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdout", None)  # `slant score a.txt >&-`
    code = main(["score", "a.txt", "--model", str(tmp_path / "m"), "--format", "jsonl"])
    err = capsys.readouterr().err
    assert code == 2 and "standard output is closed" in err  # was AttributeError: 'NoneType' … 'write'
    monkeypatch.setattr(os, "_exit", lambda code: None)
    _exit_now(2)  # the program's own exit flushed the closed (None) stream: AttributeError traceback


def test_closed_standard_error_keeps_problem_lines_out_of_the_scores(tiny_model, tmp_path, capsys, monkeypatch):
    (tmp_path / "a.txt").write_text(ARTICLE)
    monkeypatch.setattr("sys.stderr", None)  # `slant score … 2>&-`
    code = main(["score", str(tmp_path / "missing.txt"), str(tmp_path / "a.txt"), "--model", str(tiny_model),
                 "--format", "jsonl", "--no-targets"])
    out = capsys.readouterr().out
    assert code == 1 and all(json.loads(line) for line in out.splitlines())  # was "slant: error: …" among them


def test_the_report_counts_phrases_as_the_article_summary_does():
    """The report's top phrases collapsed whitespace but kept soft hyphens and zero-width characters, so
    one phrase could be two rows there while the summary counted it once."""
    from inference.report_collect import Collector
    from inference.report_corpus import Article

    ll = "loaded_language"
    art = _article([("An ultra\xadprovocative act.", 0.9, "author", [("ultra\xadprovocative", ll)], []),
                    ("An ultraprovocative\u200b act.", 0.9, "author", [("ultraprovocative\u200b", ll)], [])])
    c = Collector()
    c.add(Article(id="a", text="An ultra\xadprovocative act. An ultraprovocative\u200b act.", group="g"), art)
    assert c.top_phrases("g") == summarize(art).top_phrases == [("ultraprovocative", 2)]
