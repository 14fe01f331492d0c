import json

import numpy as np
import pytest

from models.errors import SlantError
from training.data import load_source
from training.data_babe import word_spans
from training.splits import drop_overlap, require_both_labels, split_dataset

BABE_HEADER = "text;news_link;outlet;topic;type;label_bias;label_opinion;biased_words\n"


def write_babe(root, rows):
    (root / "babe").mkdir(parents=True)
    lines = [BABE_HEADER] + [f'"{t}";http://x;{o};{tp};left;{lab};Entirely factual;"{w}"\n' for t, o, tp, lab, w in rows]
    (root / "babe" / "final_labels_SG2.csv").write_text("".join(lines), encoding="utf-8")


def test_babe_rows_drop_no_agreement_and_map_words_to_spans(tmp_path):
    write_babe(tmp_path, [
        ("The Radical left slammed the radical plan.", "Alternet", "blm", "Biased", "['radical', 'slammed']"),
        ("Officials met on Monday.", "Reuters", "gun-control", "Non-biased", "[]"),
        ("Unclear sentence.", "Reuters", "x", "No agreement", "[]"),
    ])
    ds = load_source("babe", tmp_path)
    assert len(ds) == 2
    first = ds[0]
    assert first["label"] == 1 and first["outlet"] == "Alternet" and first["topic"] == "black lives matter"
    assert [first["text"][s["start"]:s["end"]] for s in first["spans"]] == ["Radical", "slammed", "radical"]
    assert ds[1]["label"] == 0 and ds[1]["spans"] == []


def test_babe_vote_shares_come_from_the_raw_annotator_file_when_present(tmp_path):
    from tests.conftest import write_xlsx

    rows = [("The radical plan.", "Alternet", "x", "Biased", "['radical']"),
            ("Officials met on Monday.", "Reuters", "x", "Non-biased", "[]")]
    write_babe(tmp_path, rows)
    assert load_source("babe", tmp_path)["label_soft"] == [-1.0, -1.0]  # no raw file: majority labels only
    votes = [["text", "annotator_id", "Label_bias_0-1"]]
    votes += [["The radical plan.", str(a), v] for a, v in enumerate("11101")]
    votes += [["Officials met on Monday.", str(a), v] for a, v in enumerate("00000")] + [["Officials met on Monday.", "9", ""]]
    write_xlsx(tmp_path / "babe" / "raw_labels_SG2.xlsx", votes)
    assert load_source("babe", tmp_path, votes=True)["label_soft"] == pytest.approx([0.8, 0.0])
    assert load_source("babe", tmp_path)["label_soft"] == [-1.0, -1.0]  # not asked for: the file is not read


def test_word_spans_match_whole_words_only():
    spans = word_spans("Claims about claimants: claim.", ["claim"])
    assert [(s["start"], s["end"]) for s in spans] == [(24, 29)]


def test_ptc_lines_become_sentences_labelled_by_loaded_language(tmp_path):
    base = tmp_path / "semeval2020_task11_ptc"
    (base / "train-articles").mkdir(parents=True)
    text = "Title here\n\nThey are evil thugs.\nThe vote is on Tuesday.\nA truly massive disaster.\n"
    (base / "train-articles" / "article1.txt").write_text(text)
    s1 = text.index("evil thugs")
    s2 = text.index("massive")
    (base / "train-task2-TC.labels").write_text(
        f"1\tName_Calling,Labeling\t{s1}\t{s1 + 10}\n1\tExaggeration,Minimisation\t{s2}\t{s2 + 7}\n")
    ds = load_source("ptc", tmp_path)
    by_text = {r["text"]: r for r in ds}
    assert by_text["They are evil thugs."]["label"] == 1
    assert by_text["They are evil thugs."]["spans"] == [{"start": 9, "end": 19, "technique": "name_calling"}]
    assert by_text["A truly massive disaster."]["label"] == 0  # exaggeration alone is not framing
    assert by_text["A truly massive disaster."]["spans"][0]["technique"] == "exaggeration"
    assert {r["group"] for r in ds} == {"ptc:1"}


def test_ptc_labels_with_bad_offsets_name_the_file_and_line(tmp_path):
    base = tmp_path / "semeval2020_task11_ptc"
    (base / "train-articles").mkdir(parents=True)
    (base / "train-articles" / "article1.txt").write_text("They are evil thugs.\n")
    (base / "train-task2-TC.labels").write_text("1\tLoaded_Language\t9\t13\n1\tLoaded_Language\tnine\t13\n")
    with pytest.raises(SlantError, match=r"train-task2-TC.labels:2: span offsets 'nine'"):
        load_source("ptc", tmp_path)


@pytest.mark.parametrize("content, message", [
    ('{"text": "a", "label": "maybe"}\n', "not in the label set"),
    ('{"text": "", "label": 1}\n', "empty text"),
    ('{"text": "abc", "label": 1, "spans": [[0, 9]]}\n', "outside the text"),
    ('{"text": "abc", "label": 1}\nnot json\n', ":2: not valid JSON"),
    ('', "no rows"),
])
def test_generic_format_rejects_bad_rows_with_line_numbers(tmp_path, content, message):
    path = tmp_path / "mine.jsonl"
    path.write_text(content)
    with pytest.raises(SlantError, match=message):
        load_source(str(path), None)


def test_scored_jsonl_trains_with_spans_moved_to_the_sentence(tmp_path):
    """`slant score --format jsonl` output, corrected by hand, is training data: its spans are
    document offsets and its sentences keep their article together in the splits."""
    doc = "The council met on Monday.  They are disgraceful thugs."
    second = doc.index("They")
    rows = [{"doc": "a.txt", "index": 0, "paragraph": 0, "start": 0, "end": 26, "text": doc[:26], "score": 0.1,
             "label": "neutral", "voice": "author", "spans": [], "targets": []},
            {"doc": "a.txt", "index": 1, "paragraph": 0, "start": second, "end": len(doc), "text": doc[second:],
             "score": 0.9, "label": "framing", "voice": "author", "targets": [],
             "spans": [{"start": doc.index("disgraceful"), "end": doc.index(" thugs"), "text": "disgraceful",
                        "score": 0.8, "technique": "loaded_language"},
                       {"start": doc.index("thugs"), "end": len(doc) - 1, "text": "thugs", "score": 0.7,
                        "technique": "name_calling"}]}]
    path = tmp_path / "scored.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    ds = load_source(str(path), None)
    assert ds["id"] == ["a.txt#0", "a.txt#1"] and ds["label"] == [0, 1]
    assert ds["group"][0] == ds["group"][1]  # one article: never split across train and test
    text, spans = ds["text"][1], ds["spans"][1]
    assert [(text[sp["start"]:sp["end"]], sp["technique"]) for sp in spans] == [
        ("disgraceful", "loaded_language"), ("thugs", "name_calling")]


def test_generic_spans_count_from_the_text_as_written(tmp_path):
    path = tmp_path / "mine.jsonl"
    path.write_text(json.dumps({"text": "  They are thugs.", "label": 1, "spans": [[11, 16]]}) + "\n")
    ds = load_source(str(path), None)
    assert ds["text"][0][ds["spans"][0][0]["start"]:ds["spans"][0][0]["end"]] == "thugs"


def test_generic_csv_needs_text_and_label_columns(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("sentence,label\nhello,1\n")
    with pytest.raises(SlantError, match="no 'text' column"):
        load_source(str(path), None)


def test_missing_data_file_names_the_fix(tmp_path):
    with pytest.raises(SlantError, match="missing .*final_labels_SG2.csv"):
        load_source("babe", tmp_path)


def _dataset(synthetic_jsonl):
    return load_source(str(synthetic_jsonl), None)


def test_random_split_is_disjoint_stratified_and_seeded(synthetic_jsonl):
    ds = _dataset(synthetic_jsonl)
    a = split_dataset(ds, how="random", seed=1, test_size=0.2, dev_size=0.1)
    b = split_dataset(ds, how="random", seed=1, test_size=0.2, dev_size=0.1)
    ids = {k: set(v["id"]) for k, v in a.items()}
    assert not (ids["train"] & ids["test"]) and not (ids["train"] & ids["dev"]) and not (ids["dev"] & ids["test"])
    assert sum(len(v) for v in ids.values()) == len(ds)
    assert ids == {k: set(v["id"]) for k, v in b.items()}
    assert sum(a["test"]["label"]) == len(a["test"]) // 2  # stratified: half framing


def test_kfold_test_sets_cover_every_row_once(synthetic_jsonl):
    ds = _dataset(synthetic_jsonl)
    seen = []
    for k in range(4):
        seen += list(split_dataset(ds, how="kfold", seed=3, test_size=0.2, dev_size=0.1, folds=4, fold=k)["test"]["id"])
    assert sorted(seen) == sorted(ds["id"])


def test_outlet_split_holds_out_whole_outlets(synthetic_jsonl):
    ds = _dataset(synthetic_jsonl)
    parts = split_dataset(ds, how="outlet", seed=0, test_size=0.2, dev_size=0.1, test_outlets=["outlet1"])
    assert set(parts["test"]["outlet"]) == {"outlet1"}
    assert "outlet1" not in set(parts["train"]["outlet"]) | set(parts["dev"]["outlet"])
    with pytest.raises(SlantError, match="not in the data"):
        split_dataset(ds, how="outlet", seed=0, test_size=0.2, dev_size=0.1, test_outlets=["nope"])


def test_outlet_kfold_tests_every_outlet_once_and_whole(synthetic_jsonl):
    ds = _dataset(synthetic_jsonl)
    tested = []
    for k in range(5):
        parts = split_dataset(ds, how="outlet_kfold", seed=3, test_size=0.2, dev_size=0.1, folds=5, fold=k)
        held = set(parts["test"]["outlet"])
        assert held and not held & (set(parts["train"]["outlet"]) | set(parts["dev"]["outlet"]))
        tested += sorted(held)
    assert sorted(tested) == sorted(set(ds["outlet"]))
    with pytest.raises(SlantError, match="at least data.folds=6 outlets"):
        split_dataset(ds, how="outlet_kfold", seed=3, test_size=0.2, dev_size=0.1, folds=6, fold=0)


def test_extra_sources_never_carry_a_test_sentence_into_training(synthetic_jsonl, tmp_path):
    ds = _dataset(synthetic_jsonl)
    parts = split_dataset(ds, how="random", seed=0, test_size=0.2, dev_size=0.1)
    leaked = tmp_path / "extra.jsonl"
    test_text = parts["test"][0]["text"]
    leaked.write_text(json.dumps({"text": test_text.upper() + " ", "label": 1}) + "\n"
                      + json.dumps({"text": "A brand new sentence.", "label": 0}) + "\n")
    extra = drop_overlap(load_source(str(leaked), None), [parts["dev"], parts["test"]])
    assert list(extra["text"]) == ["A brand new sentence."]


def test_ptc_test_articles_keep_every_line_and_only_training_is_thinned(tmp_path):
    """A test set thinned like the training set would hide the spans a model wrongly marks in
    the unannotated lines of an article (it once made loaded-language F1 look 0.18 higher)."""
    from training.config import load_config
    from training.train import make_data

    base = tmp_path / "semeval2020_task11_ptc"
    (base / "train-articles").mkdir(parents=True)
    labels = []
    for art in range(1, 11):
        lines = [f"Article {art} plain line {k}." for k in range(8)] + [f"They are evil thugs {art}."]
        text = "\n".join(lines) + "\n"
        (base / "train-articles" / f"article{art}.txt").write_text(text)
        s = text.index("evil")
        labels.append(f"{art}\tLoaded_Language\t{s}\t{s + 4}\n")
    (base / "train-task2-TC.labels").write_text("".join(labels))
    cfg = load_config(None, [f"data.root={tmp_path}", "data.train=ptc", "data.eval_source=ptc",
                             "data.ptc_negatives=0.0", "data.test_size=0.2", "data.dev_size=0.2"])
    data = make_data(cfg)
    test = data.tests["ptc"]
    assert len(test) and len(test) == 9 * len({g for g in test["group"]})  # whole articles
    assert sum(1 for s in data.train["spans"] if not s) == 0                  # negatives thinned away
    assert len(data.dev) == 9 * len(set(data.dev["group"]))
    cfg = load_config(None, [f"data.root={tmp_path}", "data.train=ptc", "data.eval_source=ptc",
                             "data.ptc_negatives=1.0", "data.ptc_sentence_negatives=0.0", "data.dev_size=0.2"])
    train = make_data(cfg).train
    assert {label for label, spans in zip(train["label"], train["spans"]) if not spans} == {-1}  # token head only
    assert {label for label, spans in zip(train["label"], train["spans"]) if spans} == {1}
    with pytest.raises(SlantError, match="ptc_negatives"):
        load_config(None, ["data.ptc_negatives=1.5"])


def test_thinning_keeps_every_span_row_a_seeded_share_of_the_rest_and_the_schema():
    from datasets import concatenate_datasets

    from training.data import to_dataset
    from training.data_ptc import thin_negatives

    rows = [{"id": f"ptc:1:{k}", "text": f"Line {k}.", "label": int(k % 10 == 0), "source": "ptc",
             "spans": [{"start": 0, "end": 4, "technique": "loaded_language"}] if k % 10 == 0 else [],
             "has_spans": True, "group": "ptc:1", "outlet": "", "topic": "", "opinion": -1} for k in range(400)]
    rows += [{"id": f"babe:{k}", "text": f"Babe {k}.", "label": k % 2, "source": "babe", "group": f"babe:{k}",
              "spans": [], "has_spans": False, "outlet": "X", "topic": "t", "opinion": -1} for k in range(20)]
    full = to_dataset(rows)
    ds = full.select(range(len(full) - 1, -1, -1))  # as a split hands it over: rows behind an index mapping
    out = thin_negatives(ds, 0.5, 0.25, seed=3)
    assert out.features == ds.features
    assert out.to_list() == thin_negatives(ds, 0.5, 0.25, seed=3).to_list()
    by_id = {r["id"]: r for r in out}
    assert all(f"ptc:1:{k}" in by_id for k in range(0, 400, 10)) and all(f"babe:{k}" in by_id for k in range(20))
    plain = [r for r in out if r["source"] == "ptc" and not r["spans"]]
    assert 120 < len(plain) < 240                                           # about half of 360
    assert 0.1 < sum(r["label"] == 0 for r in plain) / len(plain) < 0.45    # about a quarter keep label 0
    assert {r["label"] for r in plain} == {0, -1}
    assert [r["id"] for r in out] == [r["id"] for r in ds if r["id"] in by_id]  # order kept
    assert len(concatenate_datasets([out, full])) == len(out) + len(full)


def test_ptc_lines_of_other_techniques_can_lose_or_flip_their_sentence_label(tmp_path):
    from training.config import load_config
    from training.data_ptc import relabel_other_techniques

    base = tmp_path / "semeval2020_task11_ptc"
    (base / "train-articles").mkdir(parents=True)
    text = "Title here\nThey are evil thugs.\nSo-called experts doubt it.\nA massive disaster.\nThe vote is Tuesday.\n"
    (base / "train-articles" / "article1.txt").write_text(text)
    at = {w: text.index(w) for w in ("evil", "So-called", "massive")}
    (base / "train-task2-TC.labels").write_text(
        f"1\tLoaded_Language\t{at['evil']}\t{at['evil'] + 4}\n1\tDoubt\t{at['So-called']}\t{at['So-called'] + 9}\n"
        f"1\tExaggeration,Minimisation\t{at['massive']}\t{at['massive'] + 7}\n")
    ds = load_source("ptc", tmp_path)
    labels = lambda d: [r["label"] for r in d]  # noqa: E731
    assert labels(ds) == [0, 1, 0, 0, 0]
    assert labels(relabel_other_techniques(ds, tmp_path, "neutral")) == [0, 1, 0, 0, 0]
    assert labels(relabel_other_techniques(ds, tmp_path, "unlabelled")) == [0, 1, -1, -1, 0]
    assert labels(relabel_other_techniques(ds, tmp_path, "framing")) == [0, 1, 1, 1, 0]
    with pytest.raises(SlantError, match="ptc_other_techniques"):
        load_config(None, ["data.ptc_other_techniques=maybe"])


def test_a_corrupt_xlsx_is_a_one_line_error_naming_the_dataset(tmp_path):
    from training.data_babe import vote_shares
    from training.data_mbic import mbic_articles

    for folder, name in (("babe", "raw_labels_SG2.xlsx"), ("mbic", "final_labels_MBIC.xlsx")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / name).write_bytes(b"not a zip")
    with pytest.raises(SlantError, match="raw_labels_SG2.xlsx: not a readable xlsx .*re-download BABE"):
        vote_shares(tmp_path)
    with pytest.raises(SlantError, match="final_labels_MBIC.xlsx: not a readable xlsx .*re-download MBIC"):
        list(mbic_articles(tmp_path))


def test_other_annotations_add_words_to_training_sentences_only(tmp_path):
    from tests.conftest import write_xlsx
    from training.config import load_config
    from training.train import make_data

    rows = [(f"Story {k} was a shameful and bizarre sham.", "Alternet" if k % 2 else "Reuters", "x",
             "Biased" if k % 2 else "Non-biased", "['shameful']" if k % 2 else "[]") for k in range(40)]
    write_babe(tmp_path, rows)
    sg1 = [BABE_HEADER] + [f'"{t}";http://x;{o};{tp};left;{lab};Entirely factual;"[\'bizarre\']"\n'
                           for t, o, tp, lab, _ in rows]
    (tmp_path / "babe" / "final_labels_SG1.csv").write_text("".join(sg1), encoding="utf-8")
    (tmp_path / "mbic").mkdir()
    write_xlsx(tmp_path / "mbic" / "final_labels_MBIC.xlsx",
               [["text", "biased_words"]] + [[t, "['sham']"] for t, *_ in rows])

    def words(which):
        cfg = load_config(None, {"data.root": str(tmp_path), "data.train": ["babe"], "data.babe_extra_words": which})
        data = make_data(cfg)
        marked = lambda ds: {r["text"][s["start"]:s["end"]] for r in ds for s in r["spans"]}
        return marked(data.train), marked(data.dev) | marked(data.tests["babe"])

    assert words([]) == ({"shameful"}, {"shameful"})
    assert words(["sg1"]) == ({"shameful", "bizarre"}, {"shameful"})
    assert words(["sg1", "mbic"]) == ({"shameful", "bizarre", "sham"}, {"shameful"})
    with pytest.raises(SlantError, match="babe_extra_words takes sg1 and/or mbic"):
        load_config(None, {"data.babe_extra_words": ["sg3"]})


def _rows_file(tmp_path, rows, name="mine.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.mark.parametrize("outlet, message", [
    ("", "mine has no outlets; use --data.split random, or add an outlet column"),
    ("half", "mine has too few outlets to hold one out (2, each over 40% of the rows); use --data.split random"),
])
def test_outlet_split_without_outlets_to_hold_out_fails_before_training(tmp_path, outlet, message):
    """It used to leave the test split empty, and the run failed only at evaluation, after training."""
    rows = [{"text": f"Sentence {i}.", "label": i % 2, **({"outlet": f"{outlet}{i % 4 // 2}"} if outlet else {})}
            for i in range(40)]
    ds = load_source(str(_rows_file(tmp_path, rows)), None)
    with pytest.raises(SlantError) as err:
        split_dataset(ds, how="outlet", seed=0, test_size=0.2, dev_size=0.1)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_test_outlets_that_hold_out_every_row_are_refused(synthetic_jsonl):
    ds = _dataset(synthetic_jsonl)
    with pytest.raises(SlantError, match="the test split takes every row of synthetic; leave some outlets"):
        split_dataset(ds, how="outlet", seed=0, test_size=0.2, dev_size=0.1, test_outlets=sorted(set(ds["outlet"])))


def test_too_few_rows_of_each_label_for_the_dev_folds_is_one_line(tmp_path):
    """14 rows: sklearn refused the dev split (10 folds, 5-6 rows a label) with a ValueError traceback."""
    ds = load_source(str(_rows_file(tmp_path, [{"text": f"Sentence {i}.", "label": i % 2} for i in range(14)])), None)
    with pytest.raises(SlantError, match="cannot split 11 rows into 10 folds; .*data.dev_size"):
        split_dataset(ds, how="random", seed=13, test_size=0.2, dev_size=0.1)


def test_a_split_that_leaves_a_part_empty_is_refused(synthetic_jsonl, monkeypatch):
    import training.splits as splits

    real = splits._fold
    monkeypatch.setattr(splits, "_fold", lambda labels, groups, n, k, seed: (
        real(labels, groups, n, k, seed) if seed == 0 else (np.arange(len(labels)), np.array([], dtype=int))))
    with pytest.raises(SlantError, match="data.split=random leaves the dev split of synthetic empty .80 rows.; add rows"):
        split_dataset(_dataset(synthetic_jsonl), how="random", seed=0, test_size=0.2, dev_size=0.1)


@pytest.mark.parametrize("label, message", [
    ("framing", "every row is labelled framing (1); training needs both labels, add neutral (0) rows"),
    (0, "every row is labelled neutral (0); training needs both labels, add framing (1) rows"),
])
def test_a_source_of_one_label_is_refused_before_training(tmp_path, label, message):
    """It used to train a whole run and fail at the end, in the baseline, without naming the file.
    Loading it stays fine: ``slant evaluate --data`` may score a file of one label."""
    path = _rows_file(tmp_path, [{"text": f"Sentence {i}.", "label": label} for i in range(40)], "oneclass.jsonl")
    ds = load_source(str(path), None)
    with pytest.raises(SlantError) as err:
        require_both_labels(ds)
    assert str(err.value) == f"data source oneclass: {message}"
    split_dataset(ds, how="random", seed=0, test_size=0.2, dev_size=0.1)  # as an extra training source it may
    from training.config import load_config
    from training.train import make_data

    cfg = load_config(None, ["model.base=tiny-random-bert", f"data.train=[{path}]", f"data.eval_source={path}"])
    with pytest.raises(SlantError, match="training needs both labels"):  # the eval source judges the run: it may not
        make_data(cfg)


@pytest.mark.parametrize("span, message", [
    ({"start": 10, "end": 3}, "ends before it starts (start 10 > end 3); swap them"),
    ({"start": 3, "end": 3}, "is empty (start = end)"),
    ({"start": "a", "end": 5}, "has start 'a', not a whole number"),
    ({"start": 1.5, "end": 5}, "has start 1.5, not a whole number"),
    ({"start": True, "end": 5}, "has start True, not a whole number"),
    ({"start": 0, "end": "5"}, "has end '5', not a whole number"),
    ({"end": 5}, "has no start; give both start and end"),
    ([2, None], "has no end; give both start and end"),
    ({"start": -3, "end": 5}, "is outside the text (length 16)"),
    ({"start": 10, "end": 99}, "is outside the text (length 16)"),
])
def test_each_span_problem_gets_its_own_message(tmp_path, span, message):
    path = _rows_file(tmp_path, [{"text": "They are thugs. ", "label": 0},
                                 {"text": "They are thugs.!", "label": 1, "spans": [span]}])
    with pytest.raises(SlantError) as err:
        load_source(str(path), None)
    assert str(err.value).startswith(f"{path}:2: span ") and message in str(err.value)
    assert "\n" not in str(err.value)
