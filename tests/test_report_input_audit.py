"""``slant report`` fed a researcher's own corpus: faults found by an audit of reading and grouping."""
import json

import pytest

from inference import cli
from inference.report_corpus import open_corpus
from models.errors import SlantError
from tests.test_report import article_text, train_tiny_model

GERMAN = ("Die Regierung hat am Montag einen neuen Plan für die Wirtschaft vorgestellt. Kritiker sagen, dass der "
          "Plan nicht ausreicht und die Bürger zu stark belastet. Der Minister wies die Vorwürfe zurück und sprach "
          "von einem wichtigen Schritt für das ganze Land.")


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return train_tiny_model(tmp_path_factory.mktemp("audit_model"))


def _rows(with_ids: bool) -> list[dict]:
    import random

    rng = random.Random(1)
    rows = [{"outlet": o, "text": article_text(rng, 0.5)} for o in ("a", "a", "b", "b")]
    rows += [{"outlet": "de", "text": GERMAN}, {"outlet": "de", "text": GERMAN + " Noch ein Satz dazu."}]
    return [dict(r, id=f"x{i}") for i, r in enumerate(rows)] if with_ids else rows


def _report(tmp_path, model, rows, *extra):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows) + '{"outlet": \n')
    return cli.main(["report", str(corpus), "-o", str(tmp_path / "r.json"), "--model", str(model),
                     "--bootstrap", "0", *extra])


def test_a_corpus_without_an_id_column_is_reported(tmp_path, model, capsys):
    # the parser's default --id-col 'id' made every corpus without an id column an error
    assert _report(tmp_path, model, _rows(with_ids=False)) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err and "no column 'id'" not in err and "6 articles in 3 groups" in err
    assert json.loads((tmp_path / "r.json").read_text())["meta"]["skipped_rows"] == 1
    # a named id column must still exist
    assert _report(tmp_path, model, _rows(with_ids=False), "--id-col", "url") == 2
    assert "no column 'url' with the ids" in capsys.readouterr().err


def test_the_summary_counts_skipped_rows_and_non_english_groups_are_warned_about(tmp_path, model, capsys):
    assert _report(tmp_path, model, _rows(with_ids=True)) == 0
    err = capsys.readouterr().err
    # the summary says how many rows were skipped (the reasons are the warnings above it)
    assert "6 articles in 3 groups" in err and "; 1 row skipped (see the warnings above)" in err
    # non-English articles are warned about once per group, as slant score warns per input
    assert err.count("do not look like English") == 1
    assert "outlet 'de': 2 of 2 articles do not look like English" in err


@pytest.mark.parametrize("kind", ["jsonl", "json"])
def test_a_row_that_leaves_out_the_group_key_is_a_bad_row_not_a_missing_column(tmp_path, kind):
    path = tmp_path / f"c.{kind}"
    rows = [{"id": "1", "text": "Markets rose."}, {"id": "2", "outlet": "a", "text": "The regime lied."},
            {"id": "3", "outlet": "b", "text": "Prices fell.", "topic": "t"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) if kind == "jsonl" else json.dumps(rows))
    warnings = []
    corpus = open_corpus(path, warn=warnings.append)
    corpus.check()  # was: "no column 'outlet' to group by", for the whole corpus
    assert [a.id for a in corpus] == ["2", "3"]
    assert corpus.skipped == 1 and f"c.{kind}:1: empty 'outlet'" in warnings[0]
    # reading without check() first behaves the same
    assert [a.id for a in open_corpus(path, warn=lambda m: None)] == ["2", "3"]
    # a column that no row has is still one error, naming every key seen
    for read in (lambda c: c.check(), lambda c: list(c)):
        with pytest.raises(SlantError, match=r"no column 'source' to group by \(columns: 'id', 'text', 'outlet', "
                                             r"'topic'\); choose one with --by"):
            read(open_corpus(path, by="source"))
    with pytest.raises(SlantError, match="no column 'story' with stories"):
        open_corpus(path, story="story").check()


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_a_csv_separated_by_semicolons_or_tabs_is_read(tmp_path, sep):
    path = tmp_path / "c.csv"
    lines = ["id", "outlet", "text"], ["1", "a", "Prices fell, and rents rose."], ["2", "b", "The regime lied."]
    path.write_bytes(("\ufeff" + "\r\n".join(sep.join(line) for line in lines) + "\r\n").encode())
    corpus = open_corpus(path, warn=lambda m: pytest.fail(m))
    corpus.check()  # was: no column 'text' (columns: 'id;outlet;text'); choose one with --text-col
    assert corpus.count() == 2
    assert [(a.id, a.group, a.text) for a in corpus] == [("1", "a", "Prices fell, and rents rose."),
                                                         ("2", "b", "The regime lied.")]


def test_a_comma_csv_with_semicolons_in_its_text_stays_comma_separated(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text('id,outlet,text\n1,a,"One; two; three; four."\n')
    assert [a.text for a in open_corpus(path)] == ["One; two; three; four."]


def test_a_quote_never_closed_does_not_swallow_the_rest_of_the_csv_silently(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text('id,outlet,text\n1,a,Markets rose.\n2,a,"He said no\n3,b,Prices fell.\n4,b,Rents rose.\n')
    warnings = []
    corpus = open_corpus(path, warn=warnings.append)
    assert [a.id for a in corpus] == ["1", "3", "4"]  # was: row 2 an article holding rows 3 and 4, no warning
    assert corpus.skipped == 1
    assert warnings == ["%s:3: a quote opened in this row is never closed; row skipped, the lines after it read "
                        'again — close the quote there (a quote inside a quoted field is written "")' % path]
    with pytest.raises(SlantError, match=r"c.csv:3: a quote opened in this row is never closed"):
        list(open_corpus(path, on_bad_row="fail"))
    # a closed multi-line field at the end of the file is fine
    path.write_text('id,outlet,text\n1,a,"Markets rose.\n\nPrices fell."\n')
    assert [a.text for a in open_corpus(path, warn=lambda m: pytest.fail(m))] == ["Markets rose.\n\nPrices fell."]


def test_the_same_text_twice_in_one_group_is_warned_about(tmp_path):
    path = tmp_path / "c.jsonl"
    rows = [{"id": "1", "outlet": "a", "text": "Markets rose."}, {"id": "2", "outlet": "b", "text": "Markets rose."},
            {"id": "3", "outlet": "a", "text": "Markets rose."}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    warnings = []
    assert [a.id for a in open_corpus(path, warn=warnings.append)] == ["1", "2", "3"]  # kept: the user decides
    # wire copy in two outlets is normal; the same article twice in one outlet counts it twice
    assert warnings == [f"{path}:3: the same text as {path}:1, in the same outlet 'a'; counted twice — remove one "
                        "if they are the same article"]


@pytest.mark.parametrize("name, data, message", [
    ("c.csv", "id\toutlet\ttext\n1\ta\tMarkets rose.\n".encode("utf-16"), "c.csv: UTF-16 text"),
    ("c.jsonl", __import__("gzip").compress(b'{"outlet": "a", "text": "Markets rose."}\n' * 40), "looks like a binary"),
    ("c.csv", b"%PDF-1.4\n" + bytes(range(256)) * 8, "a PDF document, not text"),
], ids=["utf16", "gzip", "pdf"])
def test_a_binary_or_utf16_table_is_named_not_read_as_columns_of_control_characters(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(SlantError, match=message):  # was: no column 'text' (columns: 'ÿþi\x00d\x00', …)
        open_corpus(path).check()


def test_an_earlier_report_inside_an_outlet_folder_is_not_scored_as_an_article(tmp_path):
    from inference.report_html import _CSP

    for outlet in "ab":
        (tmp_path / outlet).mkdir()
        (tmp_path / outlet / "1.txt").write_text(f"Markets rose in {outlet}.")
    # `slant report news/ -o news/a/by_outlet.html`, then a second report under another name
    (tmp_path / "a" / "by_outlet.html").write_text(f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
                                                   f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
                                                   "<title>Framing</title></head><body><p>Loud Daily framed 40% of "
                                                   "its sentences.</p></body></html>")
    warnings = []
    corpus = open_corpus(tmp_path, warn=warnings.append, exclude=tmp_path / "b" / "other.html")
    assert [a.id for a in corpus] == ["a/1.txt", "b/1.txt"]  # was: a/by_outlet.html an article of outlet 'a'
    assert warnings == [f"{tmp_path / 'a' / 'by_outlet.html'}: a slant report, not an article; file skipped"]


def test_an_outlet_folder_that_is_a_symlink_is_read(tmp_path):
    elsewhere = tmp_path / "scrapes" / "fox"
    (elsewhere / "2024").mkdir(parents=True)
    (elsewhere / "2024" / "1.txt").write_text("Markets rose.")
    news = tmp_path / "news"
    (news / "cnn").mkdir(parents=True)
    (news / "cnn" / "1.txt").write_text("Prices fell.")
    (news / "fox").symlink_to(elsewhere, target_is_directory=True)
    corpus = open_corpus(news, warn=lambda m: pytest.fail(m))
    assert corpus.count() == 2
    assert [(a.id, a.group) for a in corpus] == [("cnn/1.txt", "cnn"), ("fox/2024/1.txt", "fox")]  # was: no fox


def test_a_csv_row_missing_its_trailing_empty_cells_is_read_as_score_reads_it(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id,outlet,text,topic\n1,a,Markets rose.,t1\n2,b,Prices fell.\n3,c\n")
    warnings = []
    corpus = open_corpus(path, warn=warnings.append)
    assert [(a.id, a.group) for a in corpus] == [("1", "a"), ("2", "b")]  # was: row 2 skipped, "quote commas"
    assert warnings == [f"{path}:4: no text in column 'text'; row skipped (fill it in or remove the row)"]


@pytest.mark.parametrize("name, body", [("empty.jsonl", ""), ("blank.jsonl", "\n\n"), ("empty.csv", "")])
def test_an_empty_corpus_is_refused_before_the_model_loads(tmp_path, monkeypatch, capsys, name, body):
    import inference.scorer
    from inference.cli import main

    monkeypatch.setattr(inference.scorer.Scorer, "load", classmethod(lambda *a, **k: pytest.fail("model loaded")))
    (tmp_path / name).write_text(body)
    assert main(["report", str(tmp_path / name), "-o", str(tmp_path / "r.md")]) == 2
    assert "nothing to report" in capsys.readouterr().err
