"""``slant evaluate``: what it prints and saves is labelled, matches, and refuses bad input in one line.

Tiny models from conftest only; no network, no data root.
"""
from __future__ import annotations

import json
import shutil

import pytest

from models.errors import SlantError
from tests.conftest import synthetic_rows


def _write(path, rows):
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def test_a_training_checkpoint_is_refused_in_one_line(tiny_model, tmp_path):
    """``last/`` (and ``best/`` before the final evaluation) has no fitted temperature or threshold:
    --data scored it at temperature 1 and threshold 0.5 and said nothing."""
    from training.evaluate_cli import evaluate_model

    last = tiny_model.parent / "last"
    assert json.loads((last / "meta.json").read_text())["kind"] == "checkpoint"
    data = _write(tmp_path / "mine.jsonl", synthetic_rows(20))
    for kwargs in ({"data": str(data)}, {}):
        with pytest.raises(SlantError) as err:
            evaluate_model(str(last), out=str(tmp_path / "e.json"), **kwargs)
        assert "training checkpoint" in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "e.json").exists()


def test_data_file_output_says_rows_threshold_and_calibration_and_saves_them(tiny_model, tmp_path, capsys):
    from training.evaluate_cli import evaluate_model

    meta = json.loads((tiny_model / "meta.json").read_text())
    data = _write(tmp_path / "mine.jsonl", synthetic_rows(30))
    result = evaluate_model(str(tiny_model), data=str(data), out=str(tmp_path / "e.json"))
    out = capsys.readouterr().out
    assert "(30 rows)" in out and f"calibrated probability >= {meta['threshold']:.3f}" in out
    assert f"temperature {meta['temperature']:.3f}" in out
    assert "15 equal-width bins" in out  # which ECE
    assert "baselines (TF-IDF+LR, TextBlob): not computed with --data" in out
    saved = json.loads((tmp_path / "e.json").read_text())
    assert saved["temperature"] == meta["temperature"] and saved["threshold"] == meta["threshold"]
    assert saved["metrics"]["macro_f1"] == pytest.approx(result["metrics"]["macro_f1"])
    assert f"macro_f1={saved['metrics']['macro_f1']:.3f}" in out


def test_data_file_with_spans_gets_span_metrics_for_a_model_with_a_token_head(tiny_model, tmp_path, capsys):
    """The promise: span metrics for models with a token head. --data read the file's spans and
    dropped them; the table also showed techniques the file has no gold spans of as 0.000."""
    from training.evaluate_cli import evaluate_model

    rows = synthetic_rows(30)
    data = _write(tmp_path / "mine.jsonl", rows)
    result = evaluate_model(str(tiny_model), data=str(data), out=str(tmp_path / "e.json"))
    spans = result["metrics"]["spans"]
    assert spans["spans_only"]["exact"]["n_gold"] == sum(len(r["spans"]) for r in rows)
    out = capsys.readouterr().out
    assert "(30 rows with spans" in out and "loaded_language" in out
    assert "name_calling" not in out  # no gold spans of it in the file
    assert json.loads((tmp_path / "e.json").read_text())["metrics"]["spans"] == spans


def test_data_file_with_one_label_says_what_macro_f1_means_there(tiny_model, tmp_path, capsys):
    from training.evaluate_cli import evaluate_model

    data = _write(tmp_path / "framing_only.jsonl", [r for r in synthetic_rows(30) if r["label"] == 1])
    result = evaluate_model(str(tiny_model), data=str(data), out=str(tmp_path / "e.json"))
    assert result["metrics"]["roc_auc"] is None
    assert "every row is framing" in result["note"]
    assert "note: every row is framing: macro_f1 averages in the absent class" in capsys.readouterr().out


def test_labels_as_words_score_as_their_ids(tiny_model, tmp_path):
    from training.evaluate_cli import evaluate_model

    rows = synthetic_rows(20)
    ids = _write(tmp_path / "ids.jsonl", rows)
    words = _write(tmp_path / "words.jsonl", [{**r, "label": ["neutral", "framing"][r["label"]]} for r in rows])
    a = evaluate_model(str(tiny_model), data=str(ids), out=str(tmp_path / "a.json"))["metrics"]
    b = evaluate_model(str(tiny_model), data=str(words), out=str(tmp_path / "b.json"))["metrics"]
    assert a == b


def test_a_precision_other_than_the_runs_is_said(tiny_model, tmp_path, capsys):
    """The shipped model saved its figures in bf16; a CPU without bf16 recomputes them in fp32 and they
    differ from meta.json and the card in the third decimal (PTC 0.702 against 0.701), without a word."""
    from training.evaluate_cli import evaluate_model

    folder = shutil.copytree(tiny_model, tmp_path / "model")
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["train"]["bf16"] is False  # the tiny model trains with train.bf16 off
    meta["train"]["bf16"] = True
    (folder / "meta.json").write_text(json.dumps(meta))
    data = _write(tmp_path / "mine.jsonl", synthetic_rows(10))
    result = evaluate_model(str(folder), data=str(data), out=str(tmp_path / "e.json"))
    assert result["bf16"] is False
    err = capsys.readouterr().err
    assert "saved its figures computed in bf16; this machine computes in fp32" in err


def test_the_saved_split_tables_are_labelled(tiny_model, tmp_path, capsys):
    from training.evaluate_cli import evaluate_model

    result = evaluate_model(str(tiny_model), out=str(tmp_path / "e.json"))
    out = capsys.readouterr().out
    meta = json.loads((tiny_model / "meta.json").read_text())
    for name, block in meta["metrics"]["test"].items():
        assert result["metrics"]["test"][name]["macro_f1"] == block["macro_f1"]
        assert f"{name} test split ({tiny_model}): framing if calibrated probability >= " in out
        assert f"n={block['n']}" in out
        assert f"ece_uncalibrated={block['ece_uncalibrated']:.3f}" in out
    assert "(fitted on dev)" in out  # the tiny run fits its threshold (train.threshold 0)
    assert "baseline tfidf_logreg (same rows; its threshold fitted on dev)" in out
    assert "15 equal-width bins" in out


def test_stance_tables_say_f1m_and_print_the_top_class_ece(tiny_stance_model, tmp_path, capsys):
    from training.evaluate_cli import evaluate_model

    result = evaluate_model(str(tiny_stance_model), out=str(tmp_path / "e.json"))
    out = capsys.readouterr().out
    for name, part in (("newsmtsc_rw", "devtest_rw"), ("newsmtsc_mt", "devtest_mt")):
        block = result["metrics"]["test"][name]
        assert f"{name} test split (NewsMTSC {part}" in out and "macro_f1 = F1m" in out
        assert f"ece_top_class={block['ece_top_class']:.3f}" in out


def test_format_metrics_shows_every_ece():
    from training.metrics import classification_metrics, format_metrics

    m = classification_metrics([0, 1, 2], [0, 1, 1], label_names=("negative", "neutral", "positive"))
    m["ece_top_class"] = 0.1234
    assert "ece_top_class=0.123" in format_metrics(m)


@pytest.mark.parametrize("where", ["folder", "missing"])
def test_a_bad_out_path_is_refused_in_one_line_before_loading(tiny_model, tmp_path, where):
    from training.evaluate_cli import evaluate_model

    out = tmp_path if where == "folder" else tmp_path / "nowhere" / "e.json"
    with pytest.raises(SlantError, match="--out") as err:
        evaluate_model(str(tiny_model), data=str(_write(tmp_path / "m.jsonl", synthetic_rows(4))), out=str(out))
    assert "\n" not in str(err.value)


def test_figures_that_differ_from_meta_json_are_named(tiny_model, tmp_path, capsys):
    """The shipped model's PTC macro-F1 recomputed 0.702 against the card's 0.701 and nothing said so."""
    from training.evaluate_cli import evaluate_model

    result = evaluate_model(str(tiny_model), out=str(tmp_path / "e.json"))
    assert result["differs_from_meta"] == []
    assert "every test n, accuracy, macro-F1 and ECE the same" in capsys.readouterr().out
    folder = shutil.copytree(tiny_model, tmp_path / "model")
    meta = json.loads((folder / "meta.json").read_text())
    name = next(iter(meta["metrics"]["test"]))
    meta["metrics"]["test"][name]["macro_f1"] += 0.01
    (folder / "meta.json").write_text(json.dumps(meta))
    again = evaluate_model(str(folder), out=str(tmp_path / "e2.json"))
    line = f"{name} macro_f1 {again['metrics']['test'][name]['macro_f1']:.3f} here, " \
           f"{meta['metrics']['test'][name]['macro_f1']:.3f} in meta.json"
    assert again["differs_from_meta"] == [line] and line in capsys.readouterr().out
    assert json.loads((tmp_path / "e2.json").read_text())["differs_from_meta"] == [line]


def test_data_rows_the_model_trained_on_are_counted_and_left_out_of_a_held_out_figure(tiny_model, tmp_path, capsys):
    """A user's --data file cut from the training corpus scored the model on its own training rows and
    said nothing; the overlap is now counted (train and dev apart) and the metrics given again on the rest."""
    import yaml

    from training.evaluate_cli import evaluate_model

    trained_on = yaml.safe_load((tiny_model / "config.yaml").read_text())["data"]["eval_source"]
    splits = json.loads((tiny_model / "splits.json").read_text())
    result = evaluate_model(str(tiny_model), data=trained_on, out=str(tmp_path / "e.json"))
    out = capsys.readouterr().out
    seen = result["seen_in_training"]
    assert seen == {"train": len(splits["train"]), "dev": len(splits["dev"])} and seen["train"] > 0
    assert f"{seen['train'] + seen['dev']} of 80 rows" in out and "overstate" in out
    assert result["metrics_unseen"]["n"] == 80 - seen["train"] - seen["dev"]
    assert json.loads((tmp_path / "e.json").read_text())["seen_in_training"] == seen

    new = [dict(r, text=f"Entirely new sentence number {i} about {r['text'].lower()}") for i, r in enumerate(synthetic_rows(20))]
    result = evaluate_model(str(tiny_model), data=str(_write(tmp_path / "new.jsonl", new)), out=str(tmp_path / "e.json"))
    assert result["seen_in_training"] == {"train": 0, "dev": 0} and "metrics_unseen" not in result
    assert "none of the 20 rows is a training or dev row" in capsys.readouterr().out


def test_an_overlap_that_cannot_be_checked_is_said(tiny_model, tmp_path, capsys):
    from training.evaluate_cli import evaluate_model

    folder = tmp_path / "moved"
    shutil.copytree(tiny_model, folder)
    text = (folder / "config.yaml").read_text()
    import yaml
    trained_on = yaml.safe_load(text)["data"]["eval_source"]
    (folder / "config.yaml").write_text(text.replace(trained_on, str(tmp_path / "gone.jsonl")))
    data = _write(tmp_path / "mine.jsonl", synthetic_rows(20))
    result = evaluate_model(str(folder), data=str(data), out=str(tmp_path / "e.json"))
    out = capsys.readouterr().out
    assert "could not check whether" in out and "gone.jsonl" in out and "seen_in_training" not in result
