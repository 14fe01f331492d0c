"""Reading inputs: formats, encodings, bad files as one-line problems, huge files."""
import io
import json
import tracemalloc

from inference.reading import Document, ReadProblem, iter_documents, looks_english

ENGLISH = ("The council met on Monday to discuss the budget and the plan for new schools in the "
           "district, and officials said that the vote would happen next week after more hearings.\n")


def _read(*inputs, **kw):
    items = list(iter_documents([str(i) for i in inputs], **kw))
    return [i for i in items if isinstance(i, Document)], [i for i in items if isinstance(i, ReadProblem)]


def test_text_file(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text(ENGLISH, encoding="utf-8")
    docs, probs = _read(f)
    assert probs == [] and docs == [Document(str(f), ENGLISH, {}, 0)]


def test_utf8_bom_is_stripped_and_per_line_flag(tmp_path):
    f = tmp_path / "a"
    f.write_bytes(b"\xef\xbb\xbfFirst line\nSecond line\n")
    (doc,), _ = _read(f, per_line=True)
    assert doc.text == "First line\nSecond line\n" and doc.meta == {"per_line": True}


def test_stdin_text_and_bytes():
    (doc,), _ = _read("-", stdin=io.StringIO(ENGLISH))
    assert doc.doc_id == "-" and doc.text == ENGLISH
    stdin = io.TextIOWrapper(io.BytesIO("Caf\u00e9 owners said no.".encode("cp1252")))
    (doc,), (warn,) = _read("-", stdin=stdin)
    assert doc.text == "Caf\u00e9 owners said no." and not warn.fatal


def test_empty_file_is_an_error(tmp_path):
    (tmp_path / "e.txt").write_text(" \n\n ")
    docs, (p,) = _read(tmp_path / "e.txt")
    assert docs == [] and p.fatal and "empty" in p.message


def test_binary_file(tmp_path):
    f = tmp_path / "b.txt"
    f.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    docs, (p,) = _read(f)
    assert docs == [] and p.fatal
    assert p.message == f"{f}: looks like a binary file, not text; pass a .txt, .html, .jsonl or .csv file"


def test_cp1252_is_decoded_with_a_warning(tmp_path):
    f = tmp_path / "w.txt"
    f.write_bytes("He called it \u201cnonsense\u201d \u2014 caf\u00e9 owners agreed.".encode("cp1252"))
    (doc,), (p,) = _read(f)
    assert doc.text == "He called it \u201cnonsense\u201d \u2014 caf\u00e9 owners agreed."
    assert not p.fatal and "not valid UTF-8; decoded as cp1252" in p.message and "UTF-8" in p.message


def test_a_broken_utf16_file_is_named_as_utf16(tmp_path):
    f = tmp_path / "u.txt"
    f.write_bytes("Officials met on Monday.".encode("utf-16") + b"\x00")  # one stray byte at the end
    (doc,), (p,) = _read(f)
    assert doc.text.startswith("Officials met on Monday.")
    assert not p.fatal and "not valid UTF-16; decoded as cp1252 from the first bad byte" in p.message


def test_a_utf16_mark_before_8_bit_text_is_ignored_with_a_warning(tmp_path):
    """Read as UTF-16, these bytes would be a page of CJK characters and no error at all."""
    import codecs

    f = tmp_path / "b.txt"
    f.write_bytes(codecs.BOM_UTF16_LE + "Officials met on Monday. The council agreed.".encode("utf-8"))
    (doc,), (p,) = _read(f)
    assert doc.text == "Officials met on Monday. The council agreed."
    assert not p.fatal and "UTF-16 byte-order mark but the text after it is 8-bit" in p.message
    for text in ("Officials met on Monday. The council agreed.", "\u5317\u4eac\u5e02\u653f\u5e9c\u5468\u4e00\u5f00\u4f1a\u3002" * 3):
        g = tmp_path / "real16.txt"
        g.write_bytes(text.encode("utf-16"))  # genuine UTF-16 (Latin and CJK) is still read as UTF-16
        (doc,), problems = _read(g)
        assert doc.text == text and not problems


HTML = """<!doctype html><html><head><title>Council vote</title>
<script>alert(1)</script></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/w">World News Menu</a></li></ul></nav>
<article><h1>Council delays school vote</h1><p>{body}</p>
<p>Officials said the vote would happen next week after more hearings with residents.</p></article>
<footer>Copyright 2024 Example Media. All rights reserved.</footer></body></html>"""
BODY = "The council met on Monday to discuss the budget and the plan for new schools in the district. " * 3


def test_html_main_text_only(tmp_path):
    f = tmp_path / "page.html"
    f.write_text(HTML.format(body=BODY), encoding="utf-8")
    (doc,), probs = _read(f)
    assert probs == []
    assert "The council met on Monday" in doc.text and "Officials said the vote" in doc.text
    assert "alert(1)" not in doc.text and "World News Menu" not in doc.text


def test_short_html_page_drops_its_menu(tmp_path):
    """A one-paragraph page sends trafilatura to its fallback extractors, which kept menus."""
    f = tmp_path / "short.html"
    f.write_text("<html><body><nav>Home | About</nav><article><p>The senator slammed the pariah "
                 "regime.</p></article><footer>Privacy | Terms</footer></body></html>", encoding="utf-8")
    (doc,), probs = _read(f)
    assert probs == [] and doc.text == "The senator slammed the pariah regime."


def test_broken_html_extractor_fails_that_file_only(tmp_path, monkeypatch):
    """An install whose trafilatura cannot import (lxml 6 without lxml_html_clean) is one line per
    HTML file, and the text files beside it are still read."""
    monkeypatch.setitem(__import__("sys").modules, "trafilatura", None)  # import now raises ImportError
    page, text = tmp_path / "page.html", tmp_path / "a.txt"
    page.write_text(HTML.format(body=BODY), encoding="utf-8")
    text.write_text(ENGLISH, encoding="utf-8")
    (doc,), (p,) = _read(page, text)
    assert p.fatal and p.message.startswith(f"{page}: cannot extract HTML text (")
    assert "\n" not in p.message and "reinstall Slant" in p.message
    assert doc.text.startswith("The council met")


def test_html_in_txt_is_extracted_with_warning(tmp_path):
    f = tmp_path / "page.txt"
    f.write_text(HTML.format(body=BODY), encoding="utf-8")
    (doc,), (p,) = _read(f)
    assert not p.fatal and "looks like HTML" in p.message
    assert "alert(1)" not in doc.text and "The council met" in doc.text


def test_html_bulk_is_dropped_and_a_huge_page_is_one_line(tmp_path, monkeypatch):
    """Scripts, styles and base64 images do not count against the size cap; real text does."""
    import inference.reading as reading

    monkeypatch.setattr(reading, "HTML_MAX_BYTES", 20_000)
    image = '<img src="data:image/png;base64,' + "iVBORw0KGgo" * 5000 + '">'
    script = "<script>" + "var x = 1;" * 5000 + "</script><style>" + "p{color:red}" * 3000 + "</style>"
    bloated = tmp_path / "bloated.html"
    bloated.write_text(HTML.format(body=image + script + BODY), encoding="utf-8")
    (doc,), probs = _read(bloated)
    assert probs == [] and "The council met on Monday" in doc.text and "iVBOR" not in doc.text
    huge = tmp_path / "huge.html"
    huge.write_text(HTML.format(body="<p>The council met on Monday and talked.</p>" * 600), encoding="utf-8")
    docs, (p,) = _read(huge, bloated)
    assert len(docs) == 1 and p.fatal and "\n" not in p.message
    assert p.message.startswith(f"{huge}: 0 MB of HTML") and "save the article text as a .txt file" in p.message


def test_html_without_text(tmp_path):
    f = tmp_path / "empty.htm"
    f.write_text("<html><body><script>var x = 1;</script></body></html>")
    docs, (p,) = _read(f)
    assert docs == [] and p.fatal and "no article text" in p.message


def test_jsonl_with_malformed_line(tmp_path):
    f = tmp_path / "c.jsonl"
    rows = [json.dumps({"id": "a1", "text": "First article.", "outlet": "X", "title": "T"}),
            '{"id": "a2", "text": "broken',
            json.dumps({"text": "Third article.", "url": "http://u"})]
    f.write_text("\n".join(rows) + "\n", encoding="utf-8")
    docs, (p,) = _read(f)
    assert [d.doc_id for d in docs] == ["a1", f"{f}:3"]
    assert docs[0].meta == {"outlet": "X", "title": "T"} and docs[1].meta == {"url": "http://u"}
    assert p.message.startswith(f"{f}:2: not valid JSON") and not p.fatal


def test_jsonl_text_and_id_columns(tmp_path):
    f = tmp_path / "c.jsonl"
    f.write_text(json.dumps({"uid": 7, "body": "Hello there."}) + "\n")
    (doc,), _ = _read(f, text_col="body", id_col="uid")
    assert (doc.doc_id, doc.text, doc.meta) == ("7", "Hello there.", {})
    docs, (p,) = _read(f)
    assert docs == [] and p.fatal and "'body'" in p.message and "--text-col" in p.message


def test_csv(tmp_path):
    f = tmp_path / "c.csv"
    f.write_text('id,text,outlet\n1,"Multi-line\narticle, with comma.",A\n2,Second.,B\n', encoding="utf-8")
    docs, probs = _read(f)
    assert probs == []
    assert [(d.doc_id, d.text, d.meta) for d in docs] == [
        ("1", "Multi-line\narticle, with comma.", {"outlet": "A"}), ("2", "Second.", {"outlet": "B"})]


def test_csv_missing_text_column(tmp_path):
    f = tmp_path / "c.csv"
    f.write_text("id,body,outlet\n1,Some text.,A\n", encoding="utf-8")
    docs, (p,) = _read(f)
    assert docs == [] and p.fatal
    assert "no column 'text'" in p.message and "'body'" in p.message and "--text-col" in p.message


def test_directory_and_missing_paths(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("Second file.")
    (tmp_path / "a.txt").write_text("First file.")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    docs, probs = _read(tmp_path)
    assert probs == [] and [d.text for d in docs] == ["First file.", "Second file."]
    empty = tmp_path / "nothing"
    empty.mkdir()
    (empty / "x.pdf").write_bytes(b"%PDF")
    docs, (p,) = _read(empty)
    assert p.fatal and f"no .txt/.html/.htm/.jsonl/.csv files under {empty}" in p.message
    docs, (p,) = _read(tmp_path / "nope.txt", tmp_path / "a.txt")
    assert p.fatal and p.message.startswith(f"{tmp_path / 'nope.txt'}: no such file or directory")
    assert [d.text for d in docs] == ["First file."]  # the good input is still read


def test_huge_file_streams_in_chunks(tmp_path):
    f = tmp_path / "huge.txt"
    para = ENGLISH + "Second \u00e9 line of the paragraph, with a little more text in it.\n\n"
    reps = 50 * 1024 * 1024 // len(para.encode()) + 1
    with open(f, "w", encoding="utf-8") as out:
        block = para * 1000
        for _ in range(reps // 1000 + 1):
            out.write(block)
    tracemalloc.start()
    try:
        n = total = 0
        checks = {}
        expected_offset = 0
        for item in iter_documents([str(f)]):
            assert isinstance(item, Document) and item.doc_id == str(f)
            assert item.offset == expected_offset and item.text.endswith("\n")
            expected_offset += len(item.text)
            if n in (0, 7) or len(item.text) < 900_000:
                checks[item.offset] = item.text
            n += 1
            total += len(item.text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n > 10
    assert peak < 40 * 1024 * 1024  # never holds the whole 50 MB file (plus copies)
    original = f.read_text(encoding="utf-8")
    assert total == len(original)
    for offset, text in checks.items():
        assert original[offset:offset + len(text)] == text


def test_looks_english():
    assert looks_english(ENGLISH * 3)
    assert looks_english("Kurz und knapp.")  # too short to judge
    german = ("Die Bundesregierung hat am Montag neue Maßnahmen zur Entlastung der Bürger "
              "beschlossen. Nach Angaben des Finanzministeriums sollen die Hilfen vor allem "
              "Familien mit geringem Einkommen zugutekommen, die unter den hohen Energiepreisen "
              "leiden. Kritiker bemängeln jedoch, dass die Pläne zu spät kommen und nicht weit "
              "genug gehen.")
    assert not looks_english(german)


def test_corpus_edge_rows(tmp_path):
    f = tmp_path / "w.jsonl"
    f.write_bytes(json.dumps({"text": "Caf\u00e9"}, ensure_ascii=False).encode("cp1252") + b"\n{}\n")
    items = list(iter_documents([str(f)]))
    assert [type(i).__name__ for i in items] == ["ReadProblem", "Document", "ReadProblem"]
    assert "cp1252" in items[0].message and items[1].text == "Caf\u00e9"
    assert items[2].message.startswith(f"{f}:2: no text in column 'text'") and not items[2].fatal
    g = tmp_path / "h.csv"
    g.write_text("id,text\n")
    docs, (p,) = _read(g)
    assert p.fatal and "no rows" in p.message
    g.write_text("id,text,outlet\n1,Short row.\n2,Too,many,fields\n")
    docs, (p,) = _read(g)
    assert [(d.doc_id, d.meta) for d in docs] == [("1", {"outlet": ""})]
    assert p.message.startswith(f"{g}:3: 4 fields") and not p.fatal


def test_html_fragment_in_txt_is_extracted_and_a_tiny_one_loses_its_tags(tmp_path):
    """A CMS body field or a copied <article> has no <html>/<!doctype>; its tags were scored
    as sentences ("</p>")."""
    f = tmp_path / "body.txt"
    f.write_text("<p>The minister said the plan was a <em>disgrace</em>. Critics agreed.</p>\n"
                 "<p>Second paragraph here.</p>\n", encoding="utf-8")
    (doc,), (p,) = _read(f)
    assert not p.fatal and "looks like HTML" in p.message
    assert doc.text == "The minister said the plan was a disgrace. Critics agreed.\nSecond paragraph here."
    (doc,), (p,) = _read("-", stdin=io.StringIO("<p>Short &amp; sharp.</p>"))  # too short for the extractor:
    assert not p.fatal and "HTML fragment" in p.message and doc.text == "Short & sharp."  # its text, not its tags
    (doc,), probs = _read("-", stdin=io.StringIO("<b>Bold</b> claims were made on Monday."))
    assert probs == [] and doc.text.startswith("<b>")


def test_huge_old_mac_file_is_cut_at_line_breaks(monkeypatch):
    """CR-only (and CRLF) text is cut at a line break, never inside a sentence at a space."""
    import inference.reading as reading
    monkeypatch.setattr(reading, "CHUNK_CHARS", 100)
    for nl in ("\r", "\r\n"):
        para = "The council met on Monday. Officials said the vote would happen next week." + nl
        docs = list(reading._chunk_stream("old.txt", [para * 20], reading.ReadOptions("text", None, False)))
        assert len(docs) > 2 and all(d.text.endswith(nl) for d in docs)
        assert "".join(d.text for d in docs) == para * 20


def test_documents_that_are_not_text_and_web_addresses_are_named_with_the_fix(tmp_path):
    """A PDF whose first kilobytes are ASCII was scored as text ("%PDF-1.4", "1 0 obj" as
    sentences); a .docx, an RTF and an old .doc got the generic binary message; a URL was 'no such
    file'."""
    from inference.reading import iter_documents

    files = {"a.pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
             "b.docx": b"PK\x03\x04\x14\x00\x06\x00word/document.xml",
             "c.txt": b"{\\rtf1\\ansi\\deff0 {\\fonttbl}} Hello",
             "d.doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    items = list(iter_documents([str(tmp_path / n) for n in files] + ["https://example.com/news/story"]))
    messages = [i.message for i in items]
    assert all(isinstance(i, ReadProblem) and i.fatal for i in items), messages
    assert "a PDF document, not text; extract its text first" in messages[0]
    assert "a zip archive" in messages[1] and "an RTF document" in messages[2] and "(.doc)" in messages[3]
    assert "a web address, not a file; Slant does not fetch pages" in messages[4]


def test_a_json_corpus_is_read_as_rows_not_scored_as_json_syntax(tmp_path):
    """'{"text": "hello"}' in a .json file was scored as one sentence of JSON syntax."""
    import json

    good = tmp_path / "a.json"
    good.write_text(json.dumps([{"id": "x1", "text": "The council met.", "outlet": "A"},
                                {"text": "They are thugs."}]))
    docs, problems = _read(good)
    assert [(d.doc_id, d.text) for d in docs] == [("x1", "The council met."), (f"{good}:2", "They are thugs.")]
    assert docs[0].meta["outlet"] == "A" and not problems
    one = tmp_path / "one.json"
    one.write_text('{"text": "Hello there."}')
    assert [d.text for d in _read(one)[0]] == ["Hello there."]
    for name, content, message in [("bad.json", '[{"text": "a"},', "not valid JSON"),
                                    ("strings.json", '["a", "b"]', "expected a list of JSON objects"),
                                    ("nocol.json", '[{"body": "a"}]', "no column 'text'"),
                                    ("empty.json", "  ", "file is empty")]:
        (tmp_path / name).write_text(content)
        docs, problems = _read(tmp_path / name)
        assert not docs and len(problems) == 1 and problems[0].fatal and message in problems[0].message, problems
