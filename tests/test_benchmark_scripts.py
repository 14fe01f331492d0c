"""benchmarks/*.py on bad input: one line on stderr naming the problem, exit status 2, no traceback.

Users rerun these scripts from benchmarks/README.md's commands, so they follow the CLI's rule for
input a user can fix (a missing or wrong kind of path, a folder that is not a model folder, a
malformed number or key=value, an unknown option). Each case runs the script as a user does, in a
subprocess, and must fail before any model loads: most with torch, transformers, scikit-learn,
datasets, spaCy and Ray made unimportable (``POISONED``), which also shows that ``--help`` does no
work; the few that need ``models.model_folder.check_folder``, which imports torch, run without.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
HELPERS = {"encoder_pretraining.py", "save_result.py", "script_args.py"}  # imported by the scripts, not run
SCRIPTS = sorted(p.name for p in BENCH.glob("*.py") if p.name not in HELPERS)
POISONED = ("torch", "transformers", "sklearn", "datasets", "spacy", "ray")


@pytest.fixture(scope="module")
def poison(tmp_path_factory) -> Path:
    """A folder of stand-ins for the heavy libraries that raise when imported."""
    folder = tmp_path_factory.mktemp("poison")
    for name in POISONED:
        (folder / name).mkdir()
        (folder / name / "__init__.py").write_text(f"raise ImportError('{name} imported before the arguments were checked')\n")
    return folder


@pytest.fixture(scope="module")
def paths(tmp_path_factory) -> dict[str, str]:
    """{missing}: no such path; {file}: a plain file; {empty}: a folder that is no model or run folder;
    {bad}: a JSONL line that is not an article; {run}: a fold's run folder whose training never finished."""
    base = tmp_path_factory.mktemp("inputs")
    (base / "file.txt").write_text("not a folder\n")
    (base / "empty").mkdir()
    (base / "bad.jsonl").write_text(json.dumps({"title": "no text"}) + "\n")
    (base / "run").mkdir()
    (base / "run" / "splits.json").write_text("{}")
    return {"missing": str(base / "missing"), "file": str(base / "file.txt"), "empty": str(base / "empty"),
            "bad": str(base / "bad.jsonl"), "run": str(base / "run")}


def run_script(script: str, args: list[str], *, poison: Path | None, env: dict | None = None):
    pythonpath = os.pathsep.join(([str(poison)] if poison else []) + [str(ROOT)])
    full_env = {**os.environ, "PYTHONPATH": pythonpath, "SLANT_RESULTS_DIR": "/nonexistent-results",
                "SLANT_DATA_ROOT": "/nonexistent-data-root", **(env or {})}
    return subprocess.run([sys.executable, str(BENCH / script), *args], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=60)


def test_every_file_is_a_script_or_a_known_helper():
    for name in HELPERS:
        assert '__name__ == "__main__"' not in (BENCH / name).read_text()
    for name in SCRIPTS:
        assert '__name__ == "__main__"' in (BENCH / name).read_text(), f"{name}: a script, or add it to HELPERS"


@pytest.mark.parametrize("script", SCRIPTS)
def test_help_prints_usage_and_does_nothing_else(script, poison):
    done = run_script(script, ["--help"], poison=poison)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage:") and done.stderr == ""


ONNX = importlib.util.find_spec("onnxruntime") is not None
RAY = importlib.util.find_spec("ray") is not None

# (script, arguments, a word the one line must hold); every one fails before torch is imported
CASES = [
    ("build_demo_corpora.py", ["{file}"], "is a file"),
    ("build_demo_corpora.py", ["{empty}/out", "--data-root", "{missing}"], "no data root"),
    ("build_demo_corpora.py", ["{empty}/out", "--bogus"], "unrecognized arguments: --bogus"),
    ("cv.py", ["{missing}.yaml"], "no such file"),
    ("cv.py", ["configs/default.yaml", "train.lr"], "expected key=value"),
    ("cv.py", ["configs/default.yaml", "train.lrr=3"], "unknown config key 'train.lrr'"),
    ("cv.py", ["configs/default.yaml", "--folds", "x"], "--folds"),
    ("cv.py", ["configs/default.yaml", "--only", "7"], "--only 7"),
    ("cv.py", ["configs/default.yaml", "--out", "{file}"], "is a file"),
    ("cv_ensemble.py", ["{missing}"], "no such folder"),
    ("cv_ensemble.py", ["{file}"], "is a file"),
    ("cv_ensemble.py", ["{empty}"], "holds no saved fold"),
    ("distant_supervision.py", ["--out", "{file}"], "is a file"),
    ("distant_supervision.py", ["--out", "{empty}", "--r", "x"], "--r"),
    ("distant_supervision.py", ["--out", "{empty}"], "data root"),
    ("distil_folds.py", ["--teachers", "{missing}", "--out", "{empty}"], "no such folder"),
    ("distil_folds.py", ["--teachers", "{empty}", "--out", "{empty}"], "no saved model for fold 0"),
    ("distil_folds.py", ["--teachers", "{empty}", "--out", "{empty}", "--hi", "1.5"], "--hi"),
    ("domain_mlm.py", ["--out", "{empty}", "--epochs", "-1"], "--epochs"),
    ("domain_mlm.py", ["--out", "{empty}", "--data-root", "{file}"], "data root"),
    ("int8_layers.py", ["--n", "0"], "--n"),
    ("int8_layers.py", [], "data root"),
    ("model_speed.py", ["{missing}"], "no such folder"),
    ("model_speed.py", ["{file}"], "is a file"),
    ("model_speed.py", ["--result", "a/b.json", "models/default"], "--result"),
    ("onnx_speed.py", ["--model", "{missing}"], "no such folder"),
    ("onnx_speed.py", ["--n", "many"], "--n"),
    pytest.param("onnx_speed.py", [], "pip install onnxruntime",
                 marks=pytest.mark.skipif(ONNX, reason="onnxruntime is installed: the run would start")),
    ("ptc_semeval.py", ["{missing}"], "no such folder"),
    ("ptc_whole_articles.py", ["{missing}"], "no such folder"),
    ("ptc_whole_articles.py", ["--threshold", "2", "{missing}"], "--threshold"),
    ("ptc_whole_articles.py", ["--technique-weights", "a=x", "{missing}"], "NAME=WEIGHT"),
    ("ray_speed.py", ["--model", "{missing}"], "no such folder"),
    ("ray_speed.py", ["--corpus", "{missing}"], "no such file"),
    ("ray_speed.py", ["--workers", "0"], "--workers"),
    ("ray_speed.py", ["--out", "{empty}"], "is a folder"),
    pytest.param("ray_speed.py", ["--corpus", "{bad}"], "line 1",
                 marks=pytest.mark.skipif(not RAY, reason="without Ray the script stops at that first")),
    ("report_scale.py", ["--source", "{missing}"], "no such file"),
    ("report_scale.py", ["--source", "{bad}"], "line 1"),
    ("report_scale.py", ["--model", "{missing}"], "no such folder"),
    ("report_scale.py", ["--workdir", "{file}"], "is a file"),
    ("report_scale.py", ["--articles", "-5"], "--articles"),
    ("report_screenshot.py", ["{missing}.html", "{empty}/shot.png"], "no such file"),
    ("report_screenshot.py", ["{empty}", "{empty}/shot.png"], "is a folder"),
    ("report_screenshot.py", ["{file}", "{empty}"], "is a folder"),
    ("report_screenshot.py", ["{file}", "{empty}/shot.png", "--width", "0"], "--width"),
    ("score_memory.py", ["--articles", "0"], "--articles"),
    ("score_memory.py", [], "data root"),
    ("score_speed.py", ["--model", "{missing}"], "no such folder"),
    ("score_speed.py", ["--stance-model", "{missing}"], "no such folder"),
    ("score_speed.py", ["--repeats", "0"], "--repeats"),
    ("score_speed.py", ["--result", "../x.json"], "--result"),
    ("span_sweep.py", ["--model", "{missing}"], "no such folder"),
    ("stance_ensemble.py", ["{missing}"], "no such folder"),
    ("stance_offsets.py", ["{file}"], "is a file"),
    ("stance_prior.py", ["{file}"], "is a file"),
    ("stance_prior.py", ["{missing}"], "no such folder"),
    ("stance_sample.py", ["--articles", "0"], "--articles"),
    ("stance_sample.py", ["--result", "a/b.json"], "not a plain file name"),
    ("target_propagation.py", ["--articles", "x"], "--articles"),
    ("target_propagation.py", [], "data root"),
    ("target_recall.py", ["--bogus"], "unrecognized arguments: --bogus"),
    ("target_recall.py", [], "data root"),
    ("threshold_check.py", ["{missing}"], "no such folder"),
    ("threshold_check.py", ["{empty}"], "no splits.json"),
    ("threshold_check.py", ["{run}"], "has no best/"),
    ("train_step_speed.py", ["{missing}.yaml"], "no such file"),
    ("train_step_speed.py", ["configs/default.yaml", "--variants", "config,fast"], "unknown variant 'fast'"),
    ("train_step_speed.py", ["configs/default.yaml", "--blocks", "0"], "--blocks"),
    ("train_step_speed.py", ["configs/default.yaml", "--train.lrr", "3"], "unknown config key 'train.lrr'"),
    ("train_time.py", ["configs/default.yaml"], "--out"),
    ("train_time.py", ["{missing}.yaml", "--out", "{empty}/run"], "no such file"),
    ("train_time.py", ["configs/default.yaml", "--out", "{file}"], "is a file"),
    ("train_time.py", ["configs/default.yaml", "--out", "{empty}/run", "train.lr=3"], "unknown option 'train.lr=3'"),
]

# a folder that is not a model folder: models.model_folder.check_folder says what is missing (it imports torch)
MODEL_FOLDER_CASES = [
    ("model_speed.py", ["{empty}"], "missing config.json"),
    ("span_sweep.py", ["--model", "{empty}"], "missing config.json"),
    ("stance_offsets.py", ["models/default"], "no stance head"),
]


def check_one_line(done, script: str, word: str) -> None:
    lines = done.stderr.strip().splitlines()
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1 and lines[0].startswith(f"{script}: error: "), done.stderr
    assert word in lines[0] and done.stdout == ""


@pytest.mark.parametrize("script, args, word", CASES)
def test_bad_input_is_one_line_before_torch_loads(script, args, word, paths, poison):
    done = run_script(script, [a.format(**paths) for a in args], poison=poison)
    check_one_line(done, script, word)


@pytest.mark.parametrize("script, args, word", MODEL_FOLDER_CASES)
def test_a_folder_that_is_no_model_folder_is_one_line(script, args, word, paths):
    done = run_script(script, [a.format(**paths) for a in args], poison=None)
    check_one_line(done, script, word)
