"""The report's corpus reader decodes and checks columns as ``slant score`` does."""
import json

import pytest

from inference.report_corpus import open_corpus
from models.errors import SlantError

CP1252 = "The caf\xe9 owner said the plan was a disgrace \x96 a \x93scandal\x94.".encode("latin-1")


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_non_utf8_rows_are_read_as_cp1252_with_one_warning_as_score_reads_them(tmp_path, kind):
    path = tmp_path / f"c.{kind}"
    if kind == "csv":
        path.write_bytes(b"id,outlet,text\n1,a," + CP1252 + b"\n2,b,Markets rose.\n3,b," + CP1252 + b"\n")
    else:
        row = json.dumps({"id": "1", "outlet": "a", "text": "PLACEHOLDER"}, ensure_ascii=False).encode()
        path.write_bytes(row.replace(b"PLACEHOLDER", CP1252) + b"\n"
                         + json.dumps({"id": "2", "outlet": "b", "text": "Markets rose."}).encode() + b"\n")
    warnings = []
    corpus = open_corpus(path, warn=warnings.append)
    corpus.check()
    articles = list(corpus)
    assert articles[0].text == "The café owner said the plan was a disgrace – a “scandal”."  # was "caf\ufffd"
    assert articles[1].text == "Markets rose." and len(articles) == (3 if kind == "csv" else 2)
    assert len(warnings) == 1 and "not valid UTF-8; decoded as cp1252" in warnings[0]


def test_a_utf8_bom_and_crlf_lines_still_read_cleanly(tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes("\ufeffid,outlet,text\r\n1,a,Caf\u00e9 news.\r\n".encode())
    warnings = []
    (article,) = list(open_corpus(path, warn=warnings.append))
    assert (article.id, article.group, article.text, warnings) == ("1", "a", "Café news.", [])


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_an_id_column_that_is_not_there_is_refused_like_score_refuses_it(tmp_path, kind):
    path = tmp_path / f"c.{kind}"
    if kind == "csv":
        path.write_text("outlet,text\na,The regime lied.\nb,Markets rose.\n")
    else:
        path.write_text("".join(json.dumps({"outlet": o, "text": t}) + "\n"
                                for o, t in [("a", "The regime lied."), ("b", "Markets rose.")]))
    corpus = open_corpus(path, id_col="url")
    for read in (corpus.check, lambda: list(corpus)):  # before the model loads, and while reading
        with pytest.raises(SlantError, match=r"no column 'url' with the ids \(columns: 'outlet', 'text'\); "
                                             "choose one with --id-col"):
            read()
    # the default id column may be absent: ids are then line numbers
    first = 2 if kind == "csv" else 1  # the CSV header is line 1
    assert [a.id for a in open_corpus(path)] == [f"{path.name}:{first}", f"{path.name}:{first + 1}"]
    with pytest.raises(SlantError, match="no column 'id' with the ids"):  # unless named on the command line
        open_corpus(path, id_col="id").check()


def test_a_named_id_column_that_is_there_is_used(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps({"url": u, "outlet": "a", "text": "Markets rose."}) + "\n" for u in "xx"))
    warnings = []
    assert [a.id for a in open_corpus(path, id_col="url", warn=warnings.append)] == ["x"]
    assert "duplicated id 'x'" in warnings[0]
