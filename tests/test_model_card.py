"""The model card (README.md of a model folder): what it lists, and that the shipped cards are this
code's output for the shipped meta.json and config.yaml."""
import json
from pathlib import Path

from training.config import load_config


def test_the_card_lists_the_licence_of_sources_used_only_for_training():
    from training.data import licence_of
    from training.train import train_only_sources

    cfg = load_config(None, ["data.train=[babe,ptc,lim2020,/data/mine.jsonl]"])
    listed = train_only_sources(cfg, {"babe", "ptc"})
    assert [(d["source"], d["licence"]) for d in listed] == [("lim2020", licence_of("lim2020")),
                                                              ("/data/mine.jsonl", "user-supplied data")]


def test_the_model_card_lists_span_techniques_only_where_the_source_has_gold_for_them():
    """The shipped card showed BABE name-calling and exaggeration F1 0.000: BABE's biased words name
    no technique, so those rows measured nothing and read as a failure."""
    from training.model_card import model_card

    folder = Path(__file__).resolve().parents[1] / "models" / "default"
    card = model_card(json.loads((folder / "meta.json").read_text()), load_config(folder / "config.yaml"))
    rows = [line for line in card.splitlines() if line.startswith("| babe |") or line.startswith("| ptc |")]
    assert [r.split(" | ")[1] for r in rows if r.startswith("| babe |")][-1] == "any (technique ignored)"
    assert not any("| babe | name_calling" in r or "| babe | exaggeration" in r for r in rows)
    assert any(r.startswith("| ptc | name_calling") for r in rows)
    assert card == (folder / "README.md").read_text()  # the shipped card is this code's


def test_the_model_card_says_where_each_test_figure_comes_from_and_what_ece_is():
    """The stance card said "Split: random on newsmtsc", though its tests are NewsMTSC's published files;
    no card said what ECE counts or which versions trained it."""
    from training.model_card import model_card

    root = Path(__file__).parents[1] / "models"
    for name, words in (("default_stance", ["devtest_rw.jsonl and devtest_mt.jsonl", "top class's probability"]),
                        ("default", ["`ptc` split at random by group", "max(p, 1 − p)", "threshold fitted on dev"])):
        meta = json.loads((root / name / "meta.json").read_text())
        card = model_card(meta, load_config(root / name / "config.yaml"))
        assert all(w in card for w in words) and f"torch {meta['versions']['torch']}" in card, name
        assert card == (root / name / "README.md").read_text(encoding="utf-8")  # the shipped card is this code's
