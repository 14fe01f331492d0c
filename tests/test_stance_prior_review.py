"""Review of the whole-article stance prior: EM's numerics, what ``benchmarks/stance_prior.py --write``
leaves in a folder trained by the user (here a framing model with its own stance head), a malformed
prior in a framing model's own stance head, and --resume with --raw-stance toggled."""
from __future__ import annotations

import importlib
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

import inference.stance_prior as sp
from inference.stance_prior import fit_prior, read_article_prior, shift
from models.errors import SlantError

STANCES = ["negative", "neutral", "positive"]
ROOT = Path(__file__).resolve().parents[1]
TEXT = "Critics called Vladimir Putin a pariah. Angela Merkel met Emmanuel Macron in Paris."
NAMED = ["Critics called Vladimir Putin a pariah. Angela Merkel met Emmanuel Macron in Paris.",
         "Joe Biden spoke in Washington on Monday. Donald Trump praised the Federal Reserve.",
         "Boris Johnson visited Berlin. The Associated Press reported the meeting."]


def test_em_does_not_underflow_a_small_share_to_exactly_zero():
    """A stance the head barely supports: EM drives its share down, and the float32 round it took
    per step turned it into exactly 0.0, a share read_article_prior refuses."""
    probs = np.random.default_rng(0).dirichlet([5, 5, 0.05], size=2000)
    prior = fit_prior(probs, np.array([0.38, 0.35, 0.27]))
    assert (prior > 0).all() and abs(prior.sum() - 1) < 1e-9


def test_em_in_float32_and_float64_agrees_and_shift_keeps_certain_rows():
    probs = np.random.default_rng(1).dirichlet([2, 4, 1], size=500)
    source = np.array([0.38, 0.35, 0.27])
    assert np.allclose(fit_prior(probs.astype(np.float32), source), fit_prior(probs, source), atol=1e-6)
    certain = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    assert shift(certain, source, np.array([0.14, 0.78, 0.07])).tolist() == certain.tolist()
    with pytest.raises(ValueError):
        fit_prior(np.zeros((0, 3)), source)  # no targets: one message, not a broadcasting error


def test_a_prior_entry_is_always_one_the_scorer_accepts():
    """np.round(prior, 4) had stored a share of 3e-5 (or an underflowed 0) as 0.0; the scorer then
    refused the folder that --write had just fitted, and a refit wrote the same."""
    entry = sp.article_prior_entry(STANCES, [0.3792, 0.3471, 0.2737], [0.2, 0.79997, 3e-5], "test")
    source, target = read_article_prior({"article_prior": entry}, STANCES)
    assert (target >= sp.MIN_SHARE * 0.99).all() and abs(target.sum() - 1) < 1e-3
    assert entry["source"] == {"negative": 0.3792, "neutral": 0.3471, "positive": 0.2737}  # ordinary shares as before
    with pytest.raises(ValueError):
        sp.article_prior_entry(STANCES, [0.4, 0.3, 0.3], [0.5, np.nan, 0.5], "test")


def _script(monkeypatch, tmp_path, articles):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    sys.modules.pop("stance_prior", None)
    mod = importlib.import_module("stance_prior")
    monkeypatch.setattr(mod, "mbic_articles", lambda root: iter(articles))
    monkeypatch.setenv("SLANT_RESULTS_DIR", str(tmp_path))
    monkeypatch.setenv("SLANT_DATA_ROOT", str(tmp_path))  # MBIC's articles are the list above: no datasets needed
    return mod


def test_write_on_a_users_framing_model_with_a_stance_head_leaves_it_usable(tiny_stance_model, tmp_path, monkeypatch):
    """End to end on a folder the user trained (model.stance_head true): the prior of its own stance
    dev split is the source, the written prior loads and scores, the card tells of it, and the
    figures go to --result, not over the shipped model's benchmarks/results/stance_prior.json."""
    from inference.scorer import Scorer

    folder = tmp_path / "mine"
    shutil.copytree(tiny_stance_model, folder)
    arts = [{"article": f"{a} It was day {i}.", "outlet": "x"} for i in range(70) for a in NAMED]
    mod = _script(monkeypatch, tmp_path, arts)
    monkeypatch.setattr(sys, "argv", ["stance_prior.py", str(folder), "--articles", "3", "--write", "--result", "mine.json"])
    mod.main()
    meta = json.loads((folder / "meta.json").read_text())
    support = {s: c["support"] for s, c in meta["metrics"]["stance_dev"]["per_class"].items()}
    assert meta["article_prior"]["source"] == {s: float(f"{support[s] / sum(support.values()):.4g}") for s in STANCES}
    read_article_prior(meta, STANCES)  # raised for the 0.0 shares EM gave this head
    assert Scorer.load(folder).score(TEXT).sentences  # every article failed on the folder --write left
    assert "## Stance on whole articles" in (folder / "README.md").read_text()
    result = json.loads((tmp_path / "mine.json").read_text())
    assert result["article_prior"] == meta["article_prior"]
    assert set(result["em_on_newsmtsc_tests"]) == {"newsmtsc_rw", "newsmtsc_mt"}
    assert all({"em", "bbse", "mean_probability"} <= set(v) for v in result["em_on_newsmtsc_tests"].values())
    assert abs(sum(result["articles_other_estimators"]["bbse"]) - 1) < 1e-6
    assert not list(folder.glob(".*.tmp"))


def test_bbse_recovers_a_pure_label_shift(monkeypatch, tmp_path):
    """The rival estimator the script reports beside EM: under a pure change of class prior (the
    same class likelihoods on both sides) it finds the new prior from a labelled dev split."""
    rng = np.random.default_rng(1)
    source, target = np.array([0.38, 0.35, 0.27]), np.array([0.15, 0.78, 0.07])
    means = np.array([[-1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])

    def posterior(labels):
        x = means[labels] + rng.normal(size=(len(labels), 2))
        p = np.exp(-((x[:, None, :] - means[None]) ** 2).sum(-1) / 2) * source
        return p / p.sum(1, keepdims=True)
    dev_gold = rng.choice(3, size=20_000, p=source)
    mod = _script(monkeypatch, tmp_path, [])
    found = mod.bbse_prior(posterior(rng.choice(3, size=20_000, p=target)), posterior(dev_gold), dev_gold, source)
    assert np.abs(found - target).max() < 0.03 and abs(found.sum() - 1) < 1e-9


def test_no_targets_in_the_articles_is_one_line(tiny_stance_model, tmp_path, monkeypatch, capsys):
    mod = _script(monkeypatch, tmp_path, [{"article": f"It rained on day {i}.", "outlet": "x"} for i in range(200)])
    monkeypatch.setattr(sys, "argv", ["stance_prior.py", str(tiny_stance_model), "--articles", "2"])
    with pytest.raises(SystemExit) as done:
        mod.main()
    assert done.value.code == 2 and "no targets" in capsys.readouterr().err
    assert not (tmp_path / "stance_prior.json").exists()


# ---- a framing model's own stance head, and --resume ------------------------------------------------

def test_a_malformed_prior_in_a_framing_models_own_stance_head_stops_the_run(tiny_stance_model, tmp_path):
    from inference.scorer import Scorer

    folder = tmp_path / "m"
    shutil.copytree(tiny_stance_model, folder)
    meta = json.loads((folder / "meta.json").read_text())
    (folder / "meta.json").write_text(json.dumps({**meta, "article_prior": {"source": {}, "articles": {}}}))
    with pytest.raises(SlantError, match="article_prior"):
        Scorer.load(folder).stance_loaded()


def test_resume_refuses_a_toggled_raw_stance(tmp_path):
    from inference.cli import build_parser
    from inference.score_resume import fingerprint

    article = tmp_path / "a.txt"
    article.write_text(TEXT + "\n")
    parse = build_parser().parse_args
    base = ["score", str(article), "-o", str(tmp_path / "out.jsonl")]
    assert fingerprint(parse(base), "jsonl") != fingerprint(parse(base + ["--raw-stance"]), "jsonl")


def test_a_stance_model_without_a_prior_is_warned_about(tiny_stance_model, tiny_model, tmp_path, capsys):
    """A stance model the user trained has no article_prior until they fit one: its stance keeps NewsMTSC's
    class mix, which they should hear about, with the command that fits one."""
    from inference.cli import main

    article = tmp_path / "a.txt"
    article.write_text(TEXT + "\n")
    assert main(["score", str(article), "--model", str(tiny_model), "--stance-model", str(tiny_stance_model),
                 "--format", "jsonl"]) == 0
    err = capsys.readouterr().err
    assert "has no article_prior" in err and "benchmarks/stance_prior.py" in err
    assert main(["score", str(article), "--model", str(tiny_model), "--stance-model", str(tiny_stance_model),
                 "--format", "jsonl", "--raw-stance"]) == 0
    assert "article_prior" not in capsys.readouterr().err
