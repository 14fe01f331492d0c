"""Marked ``real``: the packaged MiniLM encoder, the shipped default model, and the real datasets."""
import os
from pathlib import Path

import pytest

from models import default_model_path

pytestmark = pytest.mark.real
SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_791fc19b09277c11.txt"
HAS_DEFAULT = (default_model_path() / "model.safetensors").is_file()
DATA_ROOT = os.environ.get("SLANT_DATA_ROOT", "")


def test_a_few_real_steps_on_the_packaged_encoder(tmp_path, synthetic_jsonl):
    from tests.conftest import tiny_overrides
    from training.config import load_config
    from training.train import train

    cfg = load_config(None, tiny_overrides(synthetic_jsonl, **{"model.base": "all-MiniLM-L6-v2", "model.adapter": "lora",
                                                               "train.max_steps": 3, "train.lr": 5e-4}))
    best = train(cfg, tmp_path / "run")
    from inference.scorer import Scorer

    [rec] = Scorer.load(best).score_sentences(["The council met on Monday."])
    assert 0.0 <= rec.score <= 1.0


@pytest.fixture(scope="module")
def seed_scores():
    if not HAS_DEFAULT:
        pytest.fail("the shipped default model is missing: models/default/model.safetensors")
    from inference.scorer import Scorer

    return Scorer.load().score(SEED.read_text(encoding="utf-8"), doc="seed")


@pytest.mark.parametrize("phrase", ["pariah", "thumbing their noses", "ultra-provocative"])
def test_seed_loaded_sentences_score_as_framing(seed_scores, phrase):
    [sent] = [s for s in seed_scores.sentences if phrase in s.text]
    assert sent.label == "framing", (sent.score, sent.text)


def test_seed_plain_attribution_scores_neutral(seed_scores):
    [sent] = [s for s in seed_scores.sentences if s.text.startswith("There was no indication of timeline")]
    assert sent.label == "neutral", sent.score


@pytest.mark.parametrize("phrase", ["pariah", "thumbing their noses", "ultra-provocative"])
def test_seed_loaded_phrases_come_out_as_spans(seed_scores, phrase):
    """A predicted span lies on the phrase (for the idiom, on at least one of its words)."""
    text = SEED.read_text(encoding="utf-8")
    start = text.index(phrase)
    end = start + len(phrase)
    spans = [(sp.start, sp.end, sp.text) for s in seed_scores.sentences for sp in s.spans]
    assert any(a < end and start < b for a, b, _ in spans), spans


def test_seed_pariah_leader_kim_gets_a_negative_author_stance(seed_scores):
    """"'pariah' leader Kim Jong Un": the author casts Kim negatively."""
    [sent] = [s for s in seed_scores.sentences if "pariah" in s.text]
    [kim] = [t for t in sent.targets if t.text == "Kim Jong Un"]
    assert (kim.entity, kim.type, kim.voice, kim.stance) == ("Kim Jong Un", "PERSON", "author", "negative"), kim


def test_seed_battle_for_justice_casts_russia_in_the_sources_voice(seed_scores):
    """The issue's other example: the defence minister's "battle for justice" is his stance toward
    Russia, not the outlet's; he himself is named in the author's voice."""
    [sent] = [s for s in seed_scores.sentences if "battle for justice" in s.text]
    voices = {t.text: t.voice for t in sent.targets}
    assert sent.voice == "author" and voices["Russia"] == "quote" and voices["Kang Sun Nam"] == "author", voices


def test_seed_kim_mentions_are_one_target(seed_scores):
    kims = {t.entity for s in seed_scores.sentences for t in s.targets if t.text.startswith("Kim")}
    assert kims == {"Kim Jong Un"}
    # the recogniser misses the hyphenated "Kim Jong-Un" of the last sentence; the article's own name finds it
    [last] = [s for s in seed_scores.sentences if "Kim Jong-Un government" in s.text]
    assert [(t.text, t.entity) for t in last.targets if t.text.startswith("Kim")] == [("Kim Jong-Un", "Kim Jong Un")]


@pytest.mark.skipif(not DATA_ROOT, reason="set SLANT_DATA_ROOT to the datasets folder")
def test_real_newsmtsc_loads_with_its_documented_counts():
    from training.data import load_source

    counts = {p: len(load_source("newsmtsc", Path(DATA_ROOT), part=p)) for p in ("train", "devtest_rw", "devtest_mt")}
    assert counts == {"train": 8739, "devtest_rw": 1146, "devtest_mt": 1476}


@pytest.mark.skipif(not DATA_ROOT, reason="set SLANT_DATA_ROOT to the datasets folder")
def test_real_datasets_load_with_their_documented_counts():
    from training.data import load_source

    babe = load_source("babe", Path(DATA_ROOT))
    assert len(babe) == 3673 and sum(babe["label"]) == 1810
    ptc = load_source("ptc", Path(DATA_ROOT))
    assert sum(ptc["label"]) == 2573
    assert len(ptc) == 16673
