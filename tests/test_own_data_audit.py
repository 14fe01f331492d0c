"""A practitioner's own annotations (README, "Data"): CSV/JSONL files as spreadsheets and
scripts write them, their splits, and evaluating a model trained on them from another folder."""
from __future__ import annotations

import json

import pytest

from models.errors import SlantError
from tests.conftest import synthetic_rows, tiny_overrides
from training.data import load_source
from training.splits import norm_text, split_dataset


def _write(path, text: str, encoding: str = "utf-8"):
    path.write_text(text, encoding=encoding)
    return str(path)


def _jsonl(path, rows):
    return _write(path, "".join(json.dumps(r) + "\n" for r in rows))


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_csv_with_another_delimiter_reads_like_a_comma_csv(tmp_path, delimiter):
    """BABE's own CSV and European spreadsheets use ';': it was 'no text column (has ['text;label'])'."""
    body = "text{d}label{d}outlet\n\"A vile, shameful stunt.\"{d}biased{d}X\nThe court met.{d}0{d}Y\n"
    ds = load_source(_write(tmp_path / "mine.csv", body.format(d=delimiter), "utf-8-sig"), None)
    assert ds["text"] == ["A vile, shameful stunt.", "The court met."] and ds["label"] == [1, 0]
    assert ds["outlet"] == ["X", "Y"]


def test_csv_header_case_and_padding_are_forgiven_and_a_doubled_column_refused(tmp_path):
    ds = load_source(_write(tmp_path / "mine.csv", "Text, Label ,Outlet\nhello,1,Fox News \nbye,0,Fox News\n"), None)
    assert ds["label"] == [1, 0] and ds["outlet"] == ["Fox News", "Fox News"]  # one outlet, not two
    with pytest.raises(SlantError, match="column 'label' appears twice in the header; rename or drop one"):
        load_source(_write(tmp_path / "two.csv", "text,label,Label\nhello,1,0\n"), None)


def test_a_csv_row_with_more_fields_than_the_header_is_refused_not_cut_short(tmp_path):
    """An unquoted comma in the text: the row trained as 'He is a liar', the rest dropped."""
    path = _write(tmp_path / "mine.csv", "label,text\n0,The court met.\n1,He is a liar, says Bob\n")
    with pytest.raises(SlantError) as err:
        load_source(path, None)
    assert "mine.csv:3: 3 fields but the header has 2; put a text holding the delimiter in double quotes" \
        in str(err.value)


def test_empty_spreadsheet_rows_are_skipped_and_a_missing_label_says_so(tmp_path):
    ds = load_source(_write(tmp_path / "mine.csv", "text,label\nhello,1\nbye,0\n,\n , \n"), None)
    assert ds["text"] == ["hello", "bye"]
    for name, body in (("short.csv", "text,label\nhello,1\nbye\n"), ("blank.csv", "text,label\nhello,1\nbye,\n")):
        with pytest.raises(SlantError, match=rf"{name}:3: no label; every row needs label 0/1"):
            load_source(_write(tmp_path / name, body), None)
    with pytest.raises(SlantError, match=r"null.jsonl:1: no label"):
        load_source(_jsonl(tmp_path / "null.jsonl", [{"text": "hello", "label": None}]), None)


@pytest.mark.parametrize("row, message", [
    ({"text": ["They", "lied"], "label": 1}, "text is list ['They', 'lied'], not a string"),
    ({"text": 12345, "label": 1}, "text is int 12345, not a string"),
    ({"sentence": "They lied.", "label": 1}, "no text field (has sentence, label); name the sentence's field text"),
])
def test_a_jsonl_text_that_is_not_a_string_is_refused(tmp_path, row, message):
    """A list or number trained as its Python repr ("['They', 'lied']"); a missing field said 'empty text'."""
    with pytest.raises(SlantError) as err:
        load_source(_jsonl(tmp_path / "mine.jsonl", [{"text": "ok", "label": 0}, row]), None)
    assert f"mine.jsonl:2: {message}" in str(err.value)


def test_ids_and_groups_of_zero_are_kept(tmp_path):
    ds = load_source(_jsonl(tmp_path / "mine.jsonl", [{"id": 0, "text": "a", "label": 0, "group": 0},
                                                      {"id": 1, "text": "b", "label": 1}]), None)
    assert ds["id"] == ["0", "1"] and ds["group"] == ["0", "1"]


def test_a_sentence_written_twice_never_straddles_train_and_test(tmp_path):
    """Each row was its own group, so a duplicated sentence could be trained on and tested on."""
    rows = synthetic_rows(120)
    for i, r in enumerate(rows):
        r["text"] = f"{r['text']} ({i})"
        del r["id"]
    rows += [dict(r) for r in rows[::2]]  # every other sentence twice, as an export merged twice would
    ds = load_source(_jsonl(tmp_path / "mine.jsonl", rows), None)
    assert len(set(ds["group"])) == 120
    for seed in range(3):
        parts = split_dataset(ds, how="random", seed=seed, test_size=0.2, dev_size=0.1)
        trained = {norm_text(t) for t in parts["train"]["text"]}
        assert not [t for p in ("dev", "test") for t in parts[p]["text"] if norm_text(t) in trained]


def test_held_out_outlets_of_one_label_are_refused_before_training(tmp_path):
    """The outlet split held out an all-neutral outlet: the run trained and reported a macro-F1 over
    a class with no test rows (0.375) as its figure."""
    rows = synthetic_rows(100)
    for i, r in enumerate(rows):
        r["outlet"] = "A" if r["label"] == 0 and i % 10 < 4 else ("B" if i % 4 < 2 else "C")
    ds = load_source(_jsonl(tmp_path / "mine.jsonl", rows), None)
    with pytest.raises(SlantError) as err:
        split_dataset(ds, how="outlet", seed=13, test_size=0.2, dev_size=0.1)
    assert "the test split of mine (test outlets: A) holds only neutral (0) rows" in str(err.value)
    assert "name data.test_outlets holding both labels" in str(err.value) and "\n" not in str(err.value)
    parts = split_dataset(ds, how="outlet", seed=13, test_size=0.2, dev_size=0.1, test_outlets=["C"])
    assert set(parts["test"]["label"]) == {0, 1}


def test_a_relative_data_file_missing_from_this_folder_says_so(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SlantError, match=r"mine.jsonl: no such data file in .*a relative path counts from the current"):
        load_source("mine.jsonl", None)


def test_a_model_trained_on_a_relative_path_evaluates_from_another_folder(tmp_path, monkeypatch):
    """config.yaml keeps 'mine.jsonl' as given: from elsewhere slant evaluate said 'no such data file;
    give a .csv or .jsonl path', and giving the full path failed as 'differs from splits.json'."""
    from training.config import load_config
    from training.evaluate_cli import evaluate_model
    from training.train import train

    work = tmp_path / "work"
    work.mkdir()
    _jsonl(work / "mine.jsonl", synthetic_rows())
    monkeypatch.chdir(work)
    best = train(load_config(None, tiny_overrides("mine.jsonl", **{"train.max_steps": 2})), work / "run")
    saved = json.loads((best / "meta.json").read_text())["metrics"]["test"]["mine.jsonl"]["macro_f1"]
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SlantError) as err:
        evaluate_model(str(best), out=str(tmp_path / "e.json"))
    assert "was trained on mine.jsonl, not found from" in str(err.value) and "--data.eval_source" in str(err.value)
    full = str(work / "mine.jsonl")
    result = evaluate_model(str(best), out=str(tmp_path / "e.json"),
                            overrides=[f"data.train={full}", f"data.eval_source={full}"])
    assert result["metrics"]["test"][full]["macro_f1"] == pytest.approx(saved)


def test_a_sentence_labelled_both_ways_is_warned_about_once(tmp_path, capsys, monkeypatch):
    """Copies of one sentence with opposite labels share a split group, so training saw both answers
    and nothing said so."""
    path = tmp_path / "mine.csv"
    path.write_text("text,label\nThe mayor spoke.,0\nA shameful scam.,1\nthe mayor spoke,1\nRain fell.,0\n")
    rows = load_source(str(path), None)
    err = capsys.readouterr().err
    assert len(rows) == 4 and err.count("\n") == 1
    assert "1 row(s) repeat a sentence with the other label (line 2 says 0, line 4 says 1" in err
    monkeypatch.setenv("RANK", "1")  # the second process of a two-process run stays quiet
    load_source(str(path), None)
    assert capsys.readouterr().err == ""
    path.write_text("text,label\nThe mayor spoke.,0\nThe mayor spoke.,0\n")
    monkeypatch.delenv("RANK")
    load_source(str(path), None)
    assert capsys.readouterr().err == ""
