"""The stance head's probabilities moved from NewsMTSC's class mix to whole articles' (inference/stance_prior.py)."""
import json
import shutil

import numpy as np
import pytest

from inference.stance_prior import fit_prior, read_article_prior, shift
from models.errors import SlantError

STANCES = ["negative", "neutral", "positive"]


def test_em_recovers_the_prior_of_unlabelled_data_from_calibrated_probabilities():
    """Draw labels with the articles' prior, give each a likelihood, and turn it into the posterior a
    model calibrated under NewsMTSC's prior would give: EM finds the articles' prior again."""
    rng = np.random.default_rng(0)
    source, target = np.array([0.38, 0.35, 0.27]), np.array([0.15, 0.78, 0.07])
    labels = rng.choice(3, size=20_000, p=target)
    means = np.array([[-1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])  # each class a Gaussian: overlapping, not separable
    x = means[labels] + rng.normal(size=(len(labels), 2))
    likelihood = np.exp(-((x[:, None, :] - means[None]) ** 2).sum(-1) / 2)
    posterior = likelihood * source  # Bayes under NewsMTSC's prior: a calibrated head
    posterior /= posterior.sum(1, keepdims=True)
    assert posterior.argmax(1).tolist().count(1) / len(labels) < 0.75  # the head under-calls neutral ...
    prior = fit_prior(posterior, source)
    assert np.abs(prior - target).max() < 0.02  # ... and EM sees through it
    moved = shift(posterior, source, prior)
    assert np.allclose(moved.sum(1), 1) and (moved.argmax(1) == labels).mean() > (posterior.argmax(1) == labels).mean()


def test_shift_between_equal_priors_changes_nothing():
    p = np.array([[0.2, 0.5, 0.3], [0.7, 0.2, 0.1]], dtype=np.float32)
    assert np.allclose(shift(p, np.array([0.3, 0.4, 0.3]), np.array([0.3, 0.4, 0.3])), p)


def test_a_folder_without_a_prior_has_none_and_a_malformed_one_is_one_line():
    assert read_article_prior({}, STANCES) is None
    good = {"article_prior": {"source": dict(zip(STANCES, [0.4, 0.3, 0.3])), "articles": dict(zip(STANCES, [0.1, 0.8, 0.1]))}}
    source, target = read_article_prior(good, STANCES)
    assert source.tolist() == [0.4, 0.3, 0.3] and target.tolist() == [0.1, 0.8, 0.1]
    for bad in ({"source": {"negative": 1}}, {"source": dict(zip(STANCES, [0.4, 0, 0.3])), "articles": good["article_prior"]["articles"]},
                [1, 2, 3], "x"):
        with pytest.raises(SlantError, match="article_prior"):
            read_article_prior({"article_prior": bad}, STANCES, "m")


def test_the_scorer_applies_the_folders_prior_unless_told_not_to(tiny_stance_model, tmp_path):
    from inference.report_cache import model_key
    from inference.scorer import Scorer

    text = "Critics called Vladimir Putin a pariah. Angela Merkel met Emmanuel Macron in Paris."
    raw = Scorer.load(tiny_stance_model).score(text)
    folder = tmp_path / "with_prior"
    shutil.copytree(tiny_stance_model, folder)
    meta = json.loads((folder / "meta.json").read_text())
    meta["article_prior"] = {"source": dict(zip(STANCES, [0.4, 0.3, 0.3])), "articles": dict(zip(STANCES, [0.01, 0.98, 0.01]))}
    (folder / "meta.json").write_text(json.dumps(meta))
    moved = Scorer.load(folder).score(text)
    targets = [t for s in moved.sentences for t in s.targets]
    assert targets and all(t.stance == "neutral" and abs(t.polarity) < 0.2 for t in targets)
    before = [t.polarity for s in raw.sentences for t in s.targets]
    assert before == [t.polarity for s in Scorer.load(folder, stance_prior=False).score(text).sentences for t in s.targets]
    # the report cache keys the prior (meta.json) and its absence apart
    assert len({model_key(Scorer.load(tiny_stance_model)), model_key(Scorer.load(folder)),
                model_key(Scorer.load(folder, stance_prior=False))}) == 3


def test_a_malformed_prior_stops_the_run_and_the_card_tells_of_a_good_one(tiny_stance_model, tiny_model, tmp_path):
    from inference.scorer import Scorer
    from models.errors import ModelUnavailable
    from training.config import load_config
    from training.model_card import model_card

    folder = tmp_path / "stance"
    shutil.copytree(tiny_stance_model, folder)
    meta = json.loads((folder / "meta.json").read_text())
    (folder / "meta.json").write_text(json.dumps({**meta, "article_prior": {"source": {}, "articles": {}}}))
    with pytest.raises(ModelUnavailable, match="article_prior"):
        Scorer.load(tiny_model, stance_model=folder).stance_loaded()
    meta["article_prior"] = {"source": dict(zip(STANCES, [0.4, 0.3, 0.3])), "articles": dict(zip(STANCES, [0.1, 0.8, 0.1])),
                             "fitted_on": "12 targets"}
    card = model_card(meta, load_config(folder / "config.yaml"))
    assert "## Stance on whole articles" in card and "neutral 80.0%" in card and "--raw-stance" in card


def test_slant_score_raw_stance_turns_the_prior_off(tiny_stance_model, tiny_model, tmp_path, capsys):
    from inference.cli import main

    folder = tmp_path / "stance"
    shutil.copytree(tiny_stance_model, folder)
    meta = json.loads((folder / "meta.json").read_text())
    meta["article_prior"] = {"source": dict(zip(STANCES, [0.4, 0.3, 0.3])), "articles": dict(zip(STANCES, [1e-4, 0.9998, 1e-4]))}
    (folder / "meta.json").write_text(json.dumps(meta))
    article = tmp_path / "a.txt"
    article.write_text("Critics called Vladimir Putin a pariah. Angela Merkel met Emmanuel Macron in Paris.\n")

    def polarities(*flags):
        assert main(["score", str(article), "--model", str(tiny_model), "--stance-model", str(folder),
                     "--format", "jsonl", *flags]) == 0
        return [t["polarity"] for line in capsys.readouterr().out.splitlines() for t in json.loads(line)["targets"]]

    moved, raw = polarities(), polarities("--raw-stance")
    assert moved and all(abs(p) < 0.01 for p in moved) and raw != moved
