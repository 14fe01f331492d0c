"""Resume on changed data, report's --id-col default, symlinked
folders in slant score, slant score's CSV reading, short non-Latin text, a workbook named as a corpus,
and what the README tells."""
import csv
import json
import re
from pathlib import Path

import pytest

from inference import cli
from inference.language import looks_english
from inference.reading import Document, ReadProblem, iter_documents
from inference.report_corpus import open_corpus
from models.errors import SlantError
from tests.conftest import synthetic_rows, tiny_overrides, write_xlsx

README = (Path(__file__).parents[1] / "README.md").read_text()


def _read(*paths) -> tuple[list[Document], list[ReadProblem]]:
    items = list(iter_documents([str(p) for p in paths]))
    return [i for i in items if isinstance(i, Document)], [i for i in items if isinstance(i, ReadProblem)]


# 1. --resume on data that changed since the run started ---------------------------------------

def _write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, ["id", "text", "label", "outlet", "spans"])
        w.writeheader()
        w.writerows({**r, "spans": json.dumps(r["spans"])} for r in rows)


def test_resume_refuses_data_that_changed_since_the_run_started(tmp_path, monkeypatch):
    from training import loop
    from training.config import load_config
    from training.train import train

    data, run = tmp_path / "mine.csv", tmp_path / "run"
    _write_csv(data, synthetic_rows())
    cfg = load_config(None, tiny_overrides(data, **{"train.max_steps": 6, "train.eval_every": 3}))
    real_step, calls = loop.train_step, {"n": 0}

    def ctrl_c_at_step_3(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real_step(*args, **kwargs)

    monkeypatch.setattr(loop, "train_step", ctrl_c_at_step_3)
    with pytest.raises(SlantError, match="interrupted at step 2"):
        train(cfg, run)
    monkeypatch.setattr(loop, "train_step", real_step)
    saved = (run / "splits.json").read_text()

    added = [dict(r, id=f"new{i}", text=f"{r['text']} ({i})", spans=[]) for i, r in enumerate(synthetic_rows(20, 5))]
    _write_csv(data, synthetic_rows() + added)  # rows appended to the CSV
    with pytest.raises(SlantError, match=r"^--resume: the data changed since this run started: its splits differ "
                                         r"from .*splits.json; restore the data or train into a new --out$"):
        train(load_config(run / "config.yaml"), run, resume=True)
    assert (run / "splits.json").read_text() == saved  # not overwritten
    assert not (run / "best").exists()

    _write_csv(data, synthetic_rows())  # the data restored: the resume goes on
    best = train(load_config(run / "config.yaml"), run, resume=True)
    assert (best / "model.safetensors").is_file() and (run / "splits.json").read_text() == saved


# 2. slant report --id-col defaults to None, as slant score's ------------------------------------

def test_report_id_col_defaults_to_none_and_a_named_id_column_must_exist(tmp_path, capsys):
    parser = cli.build_parser()
    assert parser.parse_args(["report", "c.jsonl", "-o", "r.json"]).id_col is None
    assert parser.parse_args(["score", "c.jsonl"]).id_col is None
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps({"outlet": o, "text": "Markets rose."}) + "\n" for o in "ab"))
    code = cli.main(["report", str(corpus), "-o", str(tmp_path / "r.json"), "--id-col", "id"])
    assert code == 2 and f"{corpus}: no column 'id' with the ids" in capsys.readouterr().err


# 3. slant score FOLDER follows symlinked sub-folders, once ---------------------------------------

def test_score_folder_follows_symlinked_sub_folders_with_a_loop_guard(tmp_path):
    elsewhere, news = tmp_path / "scrapes", tmp_path / "news"
    elsewhere.mkdir()
    (elsewhere / "a.txt").write_text("Markets rose on Monday.")
    (news / "local").mkdir(parents=True)
    (news / "local" / "b.txt").write_text("Prices fell on Tuesday.")
    (news / "linked").symlink_to(elsewhere, target_is_directory=True)
    (elsewhere / "back").symlink_to(news, target_is_directory=True)  # a link back up the tree
    (news / "again").symlink_to(elsewhere, target_is_directory=True)  # the same folder twice: read once
    docs, problems = _read(news)
    assert problems == []
    assert [d.doc_id for d in docs] == [str(news / "again" / "a.txt"), str(news / "local" / "b.txt")]  # was: b only


# 4. slant score's CSV: the separator from the header, an unclosed quote named ------------------

@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_score_reads_a_csv_separated_by_semicolons_tabs_or_pipes(tmp_path, sep):
    path = tmp_path / "c.csv"
    lines = ["id", "text", "outlet"], ["1", "Prices fell, and rents rose.", "a"], ["2", "The regime lied.", "b"]
    path.write_bytes(("\ufeff" + "\r\n".join(sep.join(line) for line in lines) + "\r\n").encode())
    docs, problems = _read(path)
    assert problems == []  # was: no column 'text' (columns: 'id;text;outlet'); choose one with --text-col
    assert [(d.doc_id, d.text, d.meta) for d in docs] == [("1", "Prices fell, and rents rose.", {"outlet": "a"}),
                                                          ("2", "The regime lied.", {"outlet": "b"})]


def test_score_names_a_csv_quote_never_closed(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text('id,text\n1,Markets rose.\n2,"He said no\n3,Prices fell.\n4,Rents rose.\n')
    docs, (problem,) = _read(path)
    assert [d.doc_id for d in docs] == ["1", "3", "4"]  # was: row 2 a document holding rows 3 and 4, no warning
    assert not problem.fatal and problem.message.startswith(
        f"{path}:3: a quote opened in this row is never closed; row skipped, the lines after it read again")
    # a comma CSV with semicolons in its text stays comma-separated; slant report reads CSV the same way
    path.write_text('id,text,outlet\n1,"One; two; three; four.",a\n')
    assert [d.text for d in _read(path)[0]] == [a.text for a in open_corpus(path)] == ["One; two; three; four."]
    from inference.corpus_rows import CsvTable

    with path.open("rb") as f:
        assert CsvTable(str(path), (line.decode() for line in f)).delimiter == ","


# 5. short non-Latin-script text is not English ------------------------------------------------

@pytest.mark.parametrize("text", ["北京时间周一，中国政府宣布新的经济计划。", "東京で新しい計画が発表されました。",
                                  "서울에서 새로운 계획이 발표되었습니다.", "Правительство объявило новый план.",
                                  "الحكومة أعلنت خطة جديدة"])
def test_a_short_non_latin_script_text_does_not_look_english(text):
    assert not looks_english(text)  # was: under 20 "words", given the benefit of the doubt


def test_english_with_a_few_foreign_names_still_looks_english():
    assert looks_english("Xi Jinping (习近平) met Vladimir Putin (Владимир Путин) in Moscow on Monday.")
    assert looks_english("The café in Zürich, Łódź and São Paulo reopened.")
    assert looks_english("Kurz und knapp.")  # a short Latin-script text is still not judged


# 6. a workbook saved under a corpus name is told to export the table ---------------------------

@pytest.mark.parametrize("name", ["c.csv", "c.jsonl", "c.json"])
def test_a_workbook_named_as_a_corpus_is_told_to_export_the_table(tmp_path, name):
    path = tmp_path / name
    write_xlsx(path, [["text", "outlet"], ["Markets rose.", "a"]])
    docs, (problem,) = _read(path)
    assert docs == [] and problem.fatal
    assert problem.message == (f"{path}: a zip archive (as an .xlsx workbook is), not text; export the table as "
                               "CSV UTF-8 (or JSONL) and pass that file")  # was: save the article as .txt
    with pytest.raises(SlantError, match=re.escape("export the table as CSV UTF-8 (or JSONL)")):
        open_corpus(path)
    article = tmp_path / "a.txt"
    article.write_bytes(path.read_bytes())
    assert "save the article as plain text (.txt)" in _read(article)[1][0].message


# 7. the README says what a caller catches, how report reads a corpus, what an empty spans cell means

def test_the_readme_documents_the_api_errors_report_input_and_span_cells():
    api = README[README.index("### Python API"):README.index("### Bad input")]
    for words in ("models.errors.SlantError", "ModelUnavailable", "TypeError", "a string\nwithout a letter or digit in the list",
                  'stance_model="default"'):
        assert words in api, words
    report = README[README.index("Other inputs: a CSV"):README.index("The stance table of the Lim 2020")]
    for words in ("separated by", "symlink", "rows skipped", "the same text twice", "look like English"):
        assert words in report, words
    assert "An empty `spans` cell" in README and "`[]` means\nannotated with no framed words" in README
