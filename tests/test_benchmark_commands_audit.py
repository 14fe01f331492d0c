"""The benchmark commands quoted in README.md and benchmarks/README.md, rerun as a reader would.

An audit ran each quoted ``python benchmarks/X.py`` command (smallest inputs) and these are the
faults it found, one test each, each failing on the code before its fix:

- ``int8_layers.py`` copied the fp32 scorer's network after that scorer had packed its linear
  layers in place: ``copy.deepcopy`` of packed (opaque oneDNN) weights raised, a traceback;
- ``report_scale.py``, ``ray_speed.py`` wrote over the committed ``benchmarks/results/`` file with
  ``$SLANT_RESULTS_DIR`` set, and ``ptc_whole_articles.py`` merged the committed file's entries
  into the one it wrote there; ``report_scale.py`` also left its temp folder behind every run;
- every script lost its figures to a traceback at the end of a run when ``$SLANT_RESULTS_DIR``
  named a folder not yet made (``save_result``);
- ``build_demo_corpora.py`` read an empty ``$SLANT_DATA_ROOT`` as the current folder;
- ``cv.py`` reused any finished fold in ``--out``: two quoted commands of different recipes with the
  same config and no ``--name`` (``--folds 5`` and ``--folds 5 --split outlet_kfold``, or the default
  and a ``key=value`` variant) share ``runs/cv_<config>``, so the second summarised the first's
  folds under its own name without a word.
"""
from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"


def script_module(monkeypatch, name: str):
    """A benchmarks/ script imported fresh, as its siblings import each other (benchmarks/ on sys.path)."""
    monkeypatch.syspath_prepend(str(BENCH))
    sys.modules.pop(name, None)
    return importlib.import_module(name)


def run_script(script: str, args: list[str], env: dict | None = None, cwd: Path = ROOT):
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "SLANT_RESULTS_DIR": "/nonexistent-results", **(env or {})}
    return subprocess.run([sys.executable, str(BENCH / script), *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=60)


def one_line(done, script: str) -> str:
    lines = done.stderr.strip().splitlines()
    assert "Traceback" not in done.stderr and done.returncode == 2, done.stderr
    assert len(lines) == 1 and lines[0].startswith(f"{script}: error: "), done.stderr
    return lines[0]


# ---- int8_layers.py ------------------------------------------------------------------------------

def test_int8_layers_quantises_copies_of_the_network_before_the_fp32_scorer_packs_it(tiny_model, monkeypatch, capsys):
    mod = script_module(monkeypatch, "int8_layers")
    texts = ["The council met on Monday.", "Officials held a disgraceful hearing on the budget."]
    res = mod.group_differences(tiny_model, texts)
    assert set(res["groups"]) == set(mod.GROUPS) and res["sentences"] == 2
    assert res["groups"]["encoder only (heads fp32)"]["layers"] > 0  # plain nn.Linear layers, not packed ones
    assert all(0 <= g["max_abs_diff"] <= 1 for g in res["groups"].values())


# ---- results under $SLANT_RESULTS_DIR ------------------------------------------------------------

def test_report_scale_writes_under_the_results_dir_and_removes_its_temp_folder(tmp_path, monkeypatch, capsys):
    mod = script_module(monkeypatch, "report_scale")
    monkeypatch.setattr(mod, "REPO", tmp_path / "repo")  # where the old default wrote: never the committed file
    monkeypatch.setenv("SLANT_RESULTS_DIR", str(tmp_path / "results"))
    (tmp_path / "results").mkdir()
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(mod.tempfile, "tempdir", str(scratch))

    def fake_report(corpus, output, model, bootstrap):
        output.write_text("<html></html>")
        return {"seconds": 1.0, "peak_rss_mb": 1.0}

    monkeypatch.setattr(mod, "run_report", fake_report)
    assert mod.main(["--articles", "3", "--bootstrap", "0"]) == 0
    assert json.loads((tmp_path / "results" / "report_scale.json").read_text())["articles"] == 3
    assert not (tmp_path / "repo").exists() and list(scratch.iterdir()) == []


def test_ray_speed_writes_under_the_results_dir(tiny_model, tmp_path, monkeypatch, capsys):
    import types

    mod = script_module(monkeypatch, "ray_speed")
    monkeypatch.setattr(mod, "RESULTS", tmp_path / "committed.json", raising=False)  # the old default, kept off the repo
    monkeypatch.setenv("SLANT_RESULTS_DIR", str(tmp_path))
    monkeypatch.setattr(mod, "require_modules", lambda *names, install: None)
    monkeypatch.setitem(sys.modules, "ray", types.SimpleNamespace(__version__="test"))  # importing Ray takes seconds
    monkeypatch.setattr(mod, "run_ray", lambda corpus, model, w, out: {
        "workers": w, "sentences": 2, "job_seconds": 1.0, "sentences_per_s": 2.0, "scoring_sentences_per_s": 2.0,
        "peak_rss_mib": [1.0]})
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(json.dumps({"id": "a", "text": "One sentence. Two sentences."}) + "\n")
    monkeypatch.setattr(sys, "argv", ["ray_speed.py", "--corpus", str(corpus), "--model", str(tiny_model),
                                      "--workers", "1", "--no-local"])
    mod.main()
    assert json.loads((tmp_path / "ray_speed.json").read_text())["ray"][0]["workers"] == 1
    assert not (tmp_path / "committed.json").exists()


def test_ptc_whole_articles_merges_with_the_file_it_writes(tiny_model, tmp_path, monkeypatch, capsys):
    import training.data_ptc

    mod = script_module(monkeypatch, "ptc_whole_articles")
    monkeypatch.setenv("SLANT_RESULTS_DIR", str(tmp_path))
    earlier = {"model": "runs/earlier/best", "decoding": mod.OWN_DECODING}
    (tmp_path / "ptc_whole_articles.json").write_text(json.dumps({"results": [earlier]}))
    monkeypatch.setattr(training.data_ptc, "load_ptc", lambda root: [])
    prf = {"f1": 0.5, "precision": 0.5, "recall": 0.5, "lines": 1, "n_pred": 1, "n_gold": 1}
    monkeypatch.setattr(mod, "score_folder", lambda folder, lines, decoding: {
        "model": str(folder), "articles": 1, "decoding": mod.OWN_DECODING, "thinned_test": prf,
        "whole_articles": {**prf, "breakdown": {"pred": {}, "gold": {}}}})
    monkeypatch.setattr(sys, "argv", ["ptc_whole_articles.py", str(tiny_model), "--data-root", str(tmp_path)])
    mod.main()
    models = [r["model"] for r in json.loads((tmp_path / "ptc_whole_articles.json").read_text())["results"]]
    assert models == ["runs/earlier/best", str(tiny_model)]  # not the committed file's entries


# ---- build_demo_corpora.py -----------------------------------------------------------------------

@pytest.mark.parametrize("env, args, word", [
    ({"SLANT_DATA_ROOT": ""}, [], "no data root; pass --data-root"),
    ({"SLANT_DATA_ROOT": ""}, ["--data-root", "/nonexistent-root"], "/nonexistent-root is not a folder"),
])
def test_build_demo_corpora_an_empty_data_root_is_none(tmp_path, env, args, word):
    """``SLANT_DATA_ROOT=`` was read as Path(""), the current folder: 'missing mbic/… under .'."""
    done = run_script("build_demo_corpora.py", [str(tmp_path / "out"), *args], env=env)
    assert word in one_line(done, "build_demo_corpora.py")


# ---- cv.py ---------------------------------------------------------------------------------------

def finished_fold(out: Path, k: int, overrides: list[str]) -> None:
    """A fold ``cv.py`` counts as finished (``best/meta.json`` of kind "model"), trained with ``overrides``."""
    from training.config import load_config

    best = out / f"fold{k}" / "best"
    best.mkdir(parents=True)
    (best / "meta.json").write_text(json.dumps({"kind": "model"}))
    cfg = load_config(ROOT / "configs" / "default.yaml", [*overrides, "data.folds=5", f"data.fold={k}"])
    (best / "config.yaml").write_text(cfg.to_yaml())


def test_cv_refuses_a_finished_fold_that_another_recipe_trained(tmp_path):
    out = tmp_path / "cv_default"
    finished_fold(out, 0, ["data.split=kfold", "train.token_loss_weight=0.5"])
    done = run_script("cv.py", ["configs/default.yaml", "--folds", "5", "--only", "0", "--out", str(out)])
    line = one_line(done, "cv.py")
    assert "fold 0" in line and "train.token_loss_weight 0.5, here 2.0" in line and "--name" in line


def test_cv_refuses_the_random_folds_for_an_outlet_run(tmp_path):
    out = tmp_path / "cv_default"
    finished_fold(out, 1, ["data.split=kfold"])
    done = run_script("cv.py", ["configs/default.yaml", "--split", "outlet_kfold", "--collect", "--out", str(out)])
    assert "data.split 'kfold', here 'outlet_kfold'" in one_line(done, "cv.py")


def test_cv_reuses_a_fold_of_the_same_recipe_run_with_other_threads(tmp_path, monkeypatch):
    mod = script_module(monkeypatch, "cv")
    out = tmp_path / "cv_default"
    finished_fold(out, 0, ["data.split=kfold", "train.threads=2", "data.root=/elsewhere"])
    args = mod.parse_args(["configs/default.yaml", "train.threads=1", "--only", "0", "--out", str(out)])
    mod.check_args(args, out)  # no SystemExit: threads and the data root change nothing a fold learns


def test_cv_outlet_folds_are_named_apart_from_the_random_folds(monkeypatch):
    mod = script_module(monkeypatch, "cv")
    plain = mod.parse_args(["configs/default.yaml", "--folds", "5"])
    outlet = mod.parse_args(["configs/default.yaml", "--folds", "5", "--split", "outlet_kfold"])
    named = mod.parse_args(["configs/default.yaml", "--split", "outlet_kfold", "--name", "x"])
    assert (plain.name, plain.out) == ("default", Path("runs/cv_default"))
    assert (outlet.name, outlet.out) == ("default_outlet_kfold", Path("runs/cv_default_outlet_kfold"))
    assert (named.name, named.out) == ("x", Path("runs/cv_x"))


def test_save_result_makes_a_results_dir_not_yet_created(tmp_path, monkeypatch):
    mod = script_module(monkeypatch, "save_result")
    monkeypatch.setenv("SLANT_RESULTS_DIR", str(tmp_path / "new" / "results"))
    path = mod.save_result("x.json", {"a": 1})
    assert path == tmp_path / "new" / "results" / "x.json" and json.loads(path.read_text()) == {"a": 1}
