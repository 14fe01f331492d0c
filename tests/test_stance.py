"""Stance: NewsMTSC rows, target markers, the stance head in training and scoring, targets."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from models.errors import SlantError
from training.config import load_config
from training.features import encode_rows, mark_target, target_token_index
from training.schema import TARGET_MARKERS
from tests.conftest import write_newsmtsc, write_xlsx


def test_newsmtsc_loader_maps_polarity_and_offsets(tmp_path):
    from training.data import load_source

    write_newsmtsc(tmp_path, n=12)
    ds = load_source("newsmtsc", tmp_path)
    assert len(ds) == 12 and set(ds["label"]) == {-1}
    row = ds[0]
    assert row["text"][row["target_start"]:row["target_end"]] in ("Anna Berg", "Carl Dunn", "Eva Frost", "Gus Hale")
    assert set(ds["stance"]) <= {0, 1, 2}
    assert len(load_source("newsmtsc", tmp_path, part="devtest_mt")) == 3


def test_newsmtsc_bad_row_is_one_line_error(tmp_path):
    from training.data import load_source

    write_newsmtsc(tmp_path, n=4)
    (tmp_path / "newsmtsc" / "train.jsonl").write_text('{"sentence_normalized": "x", "targets": [{"from": 0, "to": 9, "polarity": 4.0}]}\n')
    with pytest.raises(SlantError, match="bad offsets"):
        load_source("newsmtsc", tmp_path)


def test_mark_target_and_marker_index():
    text = "Critics said Kim Jong Un was a pariah."
    s = text.index("Kim")
    marked, at = mark_target(text, s, s + len("Kim Jong Un"))
    assert marked[at] == TARGET_MARKERS[0] and f"{TARGET_MARKERS[0]} Kim Jong Un {TARGET_MARKERS[1]}" in marked
    assert target_token_index([(0, 0), (0, 7), (at, at + 1), (at + 2, at + 5)], at) == 2
    assert target_token_index([(0, 0), (0, 7)], at) == -1


@pytest.mark.parametrize("filler", ["word ", "a b "])
def test_long_sentence_keeps_the_marker_inside_the_window_alike_in_training_and_scoring(filler):
    """A sentence longer than the window is cut around the target in both (with "a b " the marker
    lies past the first 64 word pieces, where cutting from the end would lose it)."""
    from inference.stance import stance_inputs
    from inference.targets import Mention
    from models.encoders import load_tokenizer

    tok = load_tokenizer("tiny-random-bert")
    text = filler * 400 + "Anna Berg was praised." + " word" * 400
    s = text.index("Anna")
    rows = {"text": [text], "target_start": [s], "target_end": [s + 9], "spans": [[]], "has_spans": [False],
            "label": [-1], "opinion": [-1], "stance": [2]}
    enc = encode_rows(rows, tok, 64, [])
    assert 0 < enc["target_index"][0] < 64 and enc["stance_labels"] == [2]
    ids, at = stance_inputs(tok, [text], [Mention(0, s, s + 9, "Anna Berg", "PERSON")], 64)[0]
    assert enc["input_ids"][0] == ids and enc["target_index"][0] == at and len(ids) == 64
    assert tok.decode(ids[at + 1:at + 3]).lower().startswith("anna")


@pytest.mark.parametrize("query", [False, True])
def test_training_and_scoring_build_the_same_stance_input(query):
    """The scorer must feed the stance head exactly what training did, with and without the
    target as a second segment; a row without a target in the same batch stays a plain sentence."""
    from inference.stance import stance_inputs
    from inference.targets import Mention
    from models.encoders import load_tokenizer

    tok = load_tokenizer("tiny-random-bert")
    text = "Critics said Anna Berg was reckless."
    s = text.index("Anna")
    rows = {"text": [text, "No one here."], "target_start": [s, -1], "target_end": [s + 9, -1],
            "spans": [[], [{"start": 0, "end": 2, "technique": "Loaded_Language"}]], "has_spans": [False, True],
            "label": [-1, 0], "opinion": [-1, -1], "stance": [0, -1]}
    enc = encode_rows(rows, tok, 64, ["O", "B-Loaded_Language", "I-Loaded_Language"], stance_query=query)
    ids, at = stance_inputs(tok, [text], [Mention(0, s, s + 9, "Anna Berg", "PERSON")], 64, query=query)[0]
    assert enc["input_ids"][0] == ids and enc["target_index"][0] == at
    query_ids = tok("Anna Berg", add_special_tokens=False)["input_ids"]
    assert (ids[-len(query_ids) - 1:-1] == query_ids) is query
    assert enc["input_ids"][1] == tok("No one here.")["input_ids"] and enc["token_labels"][1][1] == 1


def test_a_long_target_is_cut_alike_in_training_and_scoring():
    from inference.stance import stance_inputs
    from inference.targets import Mention
    from models.encoders import load_tokenizer

    tok = load_tokenizer("tiny-random-bert")
    name = " ".join(["Anna Maria Berg"] * 12)
    text = f"Critics said {name} was reckless."
    s = text.index("Anna")
    rows = {"text": [text], "target_start": [s], "target_end": [s + len(name)], "spans": [[]], "has_spans": [False],
            "label": [-1], "opinion": [-1], "stance": [0]}
    enc = encode_rows(rows, tok, 64, [], stance_query=True)
    ids, at = stance_inputs(tok, [text], [Mention(0, s, s + len(name), name, "PERSON")], 64, query=True)[0]
    assert enc["input_ids"][0] == ids and enc["target_index"][0] == at and len(ids) <= 64
    assert ids.count(tok.sep_token_id) == 2


@pytest.mark.parametrize("override, message", [
    ("model.stance_query=true", "stance_query needs"),
    ("model.stance_local=4", "stance_local needs"),
    ("model.stance_local=-1", "stance_local must be"),
    ("model.stance_head=true", "stance_head"),
    ("data.train=babe,newsmtsc", "stance_head"),
])
def test_stance_options_without_what_they_need_are_one_line_errors(override, message):
    with pytest.raises(SlantError, match=message):
        load_config(None, [override])


def test_local_stance_features_average_only_unpadded_positions_near_the_marker():
    from models.framing_model import stance_features

    hidden = torch.arange(6, dtype=torch.float32).repeat(2, 1).unsqueeze(-1)  # position i holds the value i
    mask = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]])
    pooled = torch.zeros(2, 1)
    plain = stance_features(hidden, pooled, torch.tensor([2, 2]))
    local = stance_features(hidden, pooled, torch.tensor([2, 2]), mask, local=1)
    assert plain.shape == (2, 2) and local.shape == (2, 3)
    assert torch.equal(local[:, :2], plain)
    assert local[:, 2].tolist() == [2.0, 1.5]  # positions 1-3; the second row's position 3 is padding


def test_loss_is_finite_for_a_batch_of_one_task_only():
    from training.config import TrainConfig
    from training.loop import compute_loss

    out = {"logits": torch.randn(2, 2, requires_grad=True), "stance_logits": torch.randn(2, 3, requires_grad=True)}
    batch = {"labels": torch.tensor([-1, -1]), "token_labels": torch.full((2, 4), -100),
             "opinion_labels": torch.tensor([-1, -1]), "stance_labels": torch.tensor([0, 2])}
    loss = compute_loss(out, batch, TrainConfig())
    assert torch.isfinite(loss) and loss.item() > 0
    loss.backward()
    assert out["logits"].grad is not None and float(out["logits"].grad.abs().sum()) == 0.0


def test_soft_label_rows_load_and_fit_the_teacher_probabilities(tmp_path):
    from training.config import TrainConfig
    from training.data import to_dataset
    from training.data_newsmtsc import load_newsmtsc_file
    from training.loop import compute_loss

    path = tmp_path / "pseudo.jsonl"
    path.write_text(json.dumps({"primary_gid": "p0", "sentence_normalized": "Anna Berg was praised by Carl Dunn.",
                                "targets": [{"from": 0, "to": 9, "polarity": 6.0, "probs": [0.1, 0.2, 0.7]},
                                            {"from": 25, "to": 34, "polarity": 4.0}]}) + "\n")
    ds = to_dataset(load_newsmtsc_file(path, "stance_extra"))
    assert ds["stance_soft"] == [pytest.approx([0.1, 0.2, 0.7]), []]
    from models.encoders import load_tokenizer

    enc = encode_rows(ds[:], load_tokenizer("tiny-random-bert"), 64, [])
    assert enc["stance_labels"] == [-1, 1] and enc["stance_soft"][1] == [-1.0, -1.0, -1.0]
    # the soft loss is smallest when the student's probabilities equal the teacher's
    batch = {"labels": torch.tensor([-1]), "token_labels": torch.full((1, 4), -100), "opinion_labels": torch.tensor([-1]),
             "stance_labels": torch.tensor([-1]), "stance_soft": torch.tensor([[0.1, 0.2, 0.7]])}
    losses = [compute_loss({"logits": torch.zeros(1, 2), "stance_logits": torch.tensor([p]).log()}, batch, TrainConfig()).item()
              for p in ([0.1, 0.2, 0.7], [0.05, 0.05, 0.9], [1 / 3, 1 / 3, 1 / 3])]
    assert losses[0] < losses[1] and losses[0] < losses[2]


def test_soft_labels_that_are_not_probabilities_are_one_line_errors(tmp_path):
    from training.data_newsmtsc import load_newsmtsc_file

    path = tmp_path / "pseudo.jsonl"
    path.write_text(json.dumps({"sentence_normalized": "Anna Berg spoke.",
                                "targets": [{"from": 0, "to": 9, "polarity": 4.0, "probs": [0.5, 0.6]}]}) + "\n")
    with pytest.raises(SlantError, match="pseudo.jsonl:1: target 0 has 'probs'"):
        load_newsmtsc_file(path, "stance_extra")


def test_training_with_stance_reports_newsmtsc_and_saves_the_head(tiny_stance_model):
    meta = json.loads((tiny_stance_model / "meta.json").read_text())
    assert meta["stances"] == ["negative", "neutral", "positive"] and meta["stance_temperature"] > 0
    for name in ("newsmtsc_rw", "newsmtsc_mt"):
        block = meta["metrics"]["test"][name]
        assert 0.0 <= block["macro_f1"] <= 1.0 and len(block["confusion"]) == 3
    assert "babe" not in meta["metrics"]["test"] and "stance_dev" in meta["metrics"]
    splits = json.loads((tiny_stance_model / "splits.json").read_text())
    trained = set(splits["train"])
    assert trained.isdisjoint(splits["test:newsmtsc_rw"]) and trained.isdisjoint(splits["dev_stance"])


def test_saved_stance_model_loads_to_the_same_stance_predictions(tiny_stance_model):
    from models.fast_load import load_for_scoring
    from models.model_folder import load_model

    a, b = load_model(tiny_stance_model), load_for_scoring(tiny_stance_model)
    ids = torch.tensor([[2, 40, 50, 60, 70, 3]])
    mask = torch.ones_like(ids)
    with torch.no_grad():
        x = a.model(ids, mask, target_index=torch.tensor([2]))["stance_logits"]
        y = b.model(ids, mask, target_index=torch.tensor([2]))["stance_logits"]
    assert torch.allclose(x, y, atol=1e-4)


def test_scorer_attaches_targets_with_document_offsets(tiny_stance_model):
    from inference.scorer import Scorer
    from inference.summary import summarize

    text = "Officials met on Monday.\n\nCritics called Vladimir Putin a pariah. Putin said \"Russia will win this battle for justice.\""
    article = Scorer.load(tiny_stance_model).score(text, doc="d", offset=100)
    assert article.targets_available
    targets = [t for s in article.sentences for t in s.targets]
    assert targets, "Putin is a PERSON for spaCy"
    for t in targets:
        assert text[t.start - 100:t.end - 100] == t.text
        assert t.stance in ("negative", "neutral", "positive") and 0 <= t.score <= 1 and -1 <= t.polarity <= 1
    assert {t.entity for t in targets if t.text == "Putin"} == {"Vladimir Putin"}
    summary = summarize(article)
    assert summary.main_targets[0]["entity"] == "Vladimir Putin" and summary.main_targets[0]["mentions"] >= 2
    probs = [t.score for t in targets]
    again = [t.score for s in Scorer.load(tiny_stance_model).score(text, doc="d", offset=100).sentences for t in s.targets]
    assert np.allclose(probs, again)


def test_targets_off_and_models_without_a_stance_head(tiny_stance_model, tiny_model):
    from inference.scorer import Scorer

    text = "Critics called Vladimir Putin a pariah."
    off = Scorer.load(tiny_stance_model, targets=False).score(text)
    assert not off.targets_available and all(not s.targets for s in off.sentences)
    plain = Scorer.load(tiny_model).score(text)
    assert not plain.targets_available and all(not s.targets for s in plain.sentences)
    with pytest.raises(SlantError, match="no stance head"):
        Scorer.load(tiny_model, stance_model=tiny_model).score(text)


def test_a_separate_stance_model_gives_the_targets(tiny_stance_model, tiny_model):
    from inference.scorer import Scorer

    text = "Critics called Vladimir Putin a pariah."
    own = Scorer.load(tiny_stance_model).score(text)
    paired = Scorer.load(tiny_model, stance_model=tiny_stance_model)
    article = paired.score(text)
    assert [t.stance for s in article.sentences for t in s.targets] == [t.stance for s in own.sentences for t in s.targets]
    assert len(paired.model_folders) == 2 and "stance:" in paired.model_id


def test_a_stance_only_model_trains_with_the_target_as_query_and_is_refused_as_the_framing_model(tmp_path):
    from inference.scorer import Scorer
    from training.train import train

    write_newsmtsc(tmp_path / "data")
    cfg = load_config(None, ["model.base=tiny-random-bert", "data.train=newsmtsc", "data.eval_source=newsmtsc",
                             "model.stance_head=true", "model.token_head=false", f"data.root={tmp_path / 'data'}",
                             "train.max_steps=4", "train.batch_size=8", "train.bf16=off", "train.threads=1",
                             "model.stance_query=true", "model.stance_local=3"])
    best = train(cfg, tmp_path / "run")
    meta = json.loads((best / "meta.json").read_text())
    assert meta["tasks"] == ["stance"] and set(meta["metrics"]["test"]) == {"newsmtsc_rw", "newsmtsc_mt"}
    arch = json.loads((best / "config.json").read_text())
    assert arch["stance_query"] is True and arch["stance_local"] == 3
    card = (best / "README.md").read_text()
    assert card.startswith("# Slant stance model") and "[SEP]" in card and "within 3 positions" in card
    assert "decision threshold" not in card and "F1m" in card
    with pytest.raises(SlantError, match="stance-only"):
        Scorer.load(best)
    scorer = Scorer.load(None, stance_model=best)
    assert scorer.targets_available
    targets = [t for s in scorer.score("Critics called Vladimir Putin a pariah.").sentences for t in s.targets]
    assert [t.text for t in targets] == ["Vladimir Putin"] and 0 <= targets[0].score <= 1


def test_evaluate_rebuilds_the_stance_tests(tiny_stance_model, tmp_path, capsys):
    from training.evaluate_cli import evaluate_model

    result = evaluate_model(str(tiny_stance_model), out=str(tmp_path / "e.json"))
    meta = json.loads((tiny_stance_model / "meta.json").read_text())
    for name in ("newsmtsc_rw", "newsmtsc_mt"):
        assert result["metrics"]["test"][name]["macro_f1"] == pytest.approx(meta["metrics"]["test"][name]["macro_f1"])
    assert "newsmtsc_mt test" in capsys.readouterr().out
    # a folder trained with pseudo-labelled rows whose file stayed behind (as the shipped stance
    # model's did) still evaluates: dev and tests never draw on data.stance_extra
    import shutil

    import yaml

    moved = shutil.copytree(tiny_stance_model, tmp_path / "moved")
    cfg = yaml.safe_load((moved / "config.yaml").read_text())
    cfg["data"]["stance_extra"] = [str(tmp_path / "gone" / "pseudo.jsonl")]
    (moved / "config.yaml").write_text(yaml.safe_dump(cfg))
    again = evaluate_model(str(moved), out=str(tmp_path / "e2.json"))
    assert again["metrics"]["test"]["newsmtsc_mt"] == result["metrics"]["test"]["newsmtsc_mt"]


def test_pseudo_labels_become_extra_stance_training_rows(tiny_stance_model, tmp_path, monkeypatch):
    from training.pseudo_stance import main as pseudo_main
    from training.train import make_data

    root = write_newsmtsc(tmp_path / "data")
    monkeypatch.setenv("SLANT_DATA_ROOT", str(root))
    news = tmp_path / "news.jsonl"
    news.write_text("\n".join(json.dumps({"id": str(i), "text": f"Critics said Vladimir Putin met Angela Merkel in Berlin on day {i}.",
                                          "label": 0}) for i in range(6)) + "\n")
    out = tmp_path / "pseudo.jsonl"
    assert pseudo_main(["--teacher", str(tiny_stance_model), "--out", str(out), "--sources", str(news), "--min-prob", "0"]) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines and all(t["polarity"] in (2.0, 4.0, 6.0) for row in lines for t in row["targets"])
    row = lines[0]
    assert {row["sentence_normalized"][t["from"]:t["to"]] for t in row["targets"]} <= {"Vladimir Putin", "Angela Merkel"}
    cfg = load_config(None, ["model.base=tiny-random-bert", "data.train=newsmtsc", "data.eval_source=newsmtsc",
                             "model.stance_head=true", "model.token_head=false", f"data.root={root}",
                             f"data.stance_extra={out}"])
    data = make_data(cfg)
    extra = [i for i, s in zip(data.train["id"], data.train["source"]) if s == "stance_extra"]
    assert len(extra) == sum(len(r["targets"]) for r in lines)
    assert set(extra).isdisjoint(data.stance_dev["id"])
    from training.train import train_only_sources

    listed = train_only_sources(cfg, {"newsmtsc"})
    assert [d["source"] for d in listed] == ["stance_extra:pseudo.jsonl"] and "BABE" in listed[0]["licence"]
    with pytest.raises(SlantError, match="stance_extra"):
        load_config(None, [f"data.stance_extra={out}"])
    # --soft keeps the teacher's probabilities; MBIC's full articles are a source of sentences
    (root / "mbic").mkdir()
    article = "Senator Anna Berg praised Carl Dunn on Monday. The weather was fine.\n\nDunn thanked Berg for it."
    write_xlsx(root / "mbic" / "final_labels_MBIC.xlsx", [["text", "article"], ["x", article], ["y", article], ["z", ""]])
    from training.pseudo_stance import mbic_article_sentences

    assert mbic_article_sentences(root) == ["Senator Anna Berg praised Carl Dunn on Monday.", "The weather was fine.",
                                            "Dunn thanked Berg for it."]
    soft = tmp_path / "soft.jsonl"
    assert pseudo_main(["--teacher", str(tiny_stance_model), "--out", str(soft), "--sources", f"{news},mbic_articles",
                        "--min-prob", "0", "--soft"]) == 0
    targets = [t for line in soft.read_text().splitlines() for t in json.loads(line)["targets"]]
    assert targets and all(len(t["probs"]) == 3 and abs(sum(t["probs"]) - 1) < 1e-3 for t in targets)
    cfg = load_config(None, ["model.base=tiny-random-bert", "data.train=newsmtsc", "data.eval_source=newsmtsc",
                             "model.stance_head=true", "model.token_head=false", f"data.root={root}",
                             f"data.stance_extra={soft}"])
    train_rows = make_data(cfg).train.filter(lambda r: r["source"] == "stance_extra")
    assert len(train_rows) == len(targets) and all(len(q) == 3 for q in train_rows["stance_soft"])
    # --newsmtsc-train: the teacher's probabilities for the train file's gold targets; dev sentences dropped
    gold = tmp_path / "gold.jsonl"
    assert pseudo_main(["--teacher", str(tiny_stance_model), "--out", str(gold), "--newsmtsc-train"]) == 0
    written = [json.loads(line) for line in gold.read_text().splitlines()]
    train_file = [json.loads(line) for line in (root / "newsmtsc" / "train.jsonl").read_text().splitlines()]
    assert sum(len(r["targets"]) for r in written) == sum(len(r["targets"]) for r in train_file)
    gold_polarity = {(r["sentence_normalized"], t["from"]): t["polarity"] for r in train_file for t in r["targets"]}
    assert all(t["polarity"] == gold_polarity[(r["sentence_normalized"], t["from"])] and len(t["probs"]) == 3
               for r in written for t in r["targets"])
    data = make_data(load_config(None, ["model.base=tiny-random-bert", "data.train=newsmtsc", "data.eval_source=newsmtsc",
                                        "model.stance_head=true", "model.token_head=false", f"data.root={root}",
                                        f"data.stance_extra={gold}"]))
    teacher_rows = data.train.filter(lambda r: r["source"] == "stance_extra")
    assert 0 < len(teacher_rows) < len(train_file) and set(teacher_rows["text"]).isdisjoint(data.stance_dev["text"])
