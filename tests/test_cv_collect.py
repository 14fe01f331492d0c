"""benchmarks/cv.py --collect: a stopped cross-validation run is summarised from its finished folds."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def fake_fold(out: Path, k: int, f1: float, kind: str = "model", meta: str | None = None) -> None:
    best = out / f"fold{k}" / "best"
    best.mkdir(parents=True)
    block = {"macro_f1": f1, "accuracy": f1, "ece": 0.05,
             "baselines": {"tfidf_logreg": {"macro_f1": 0.7}}}
    (best / "meta.json").write_text(meta if meta is not None else json.dumps(
        {"kind": kind, "train": {"seconds": 100.0}, "metrics": {"test": {"babe": block}}}))


def run_cv(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SLANT_RESULTS_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, str(ROOT / "benchmarks" / "cv.py"), str(ROOT / "configs" / "default.yaml"),
                           "--folds", "5", "--out", str(tmp_path / "runs"), "--name", "t", *args],
                          capture_output=True, text=True, env=env, timeout=120)


def test_collect_summarises_finished_folds_and_names_the_missing(tmp_path):
    fake_fold(tmp_path / "runs", 0, 0.78)
    fake_fold(tmp_path / "runs", 3, 0.80)
    fake_fold(tmp_path / "runs", 4, 0.99, kind="checkpoint")  # an unfinished best/ is not a result
    fake_fold(tmp_path / "runs", 2, 0.99, meta='{"kind": "mod')  # nor one cut off while meta.json was written
    done = run_cv(tmp_path, "--collect")
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "cv_t.json").read_text())
    assert [r["fold"] for r in result["folds"]] == [0, 3]
    assert result["missing_folds"] == [1, 2, 4]
    assert abs(result["summary"]["macro_f1"]["mean"] - 0.79) < 1e-9
    assert "fold" not in result["summary"]
    assert "[1, 2, 4]" in done.stderr


def test_collect_with_nothing_finished_or_with_only_is_one_line(tmp_path):
    for args in (["--collect"], ["--collect", "--only", "1"]):
        done = run_cv(tmp_path, *args)
        assert done.returncode == 2
        assert done.stderr.startswith("cv.py: error:") and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "cv_t.json").exists()


def test_saved_kind_tells_a_finished_model_from_the_rest(tmp_path):
    """training.launch.saved_kind: the one test --resume and cv.py make of whether a run is finished."""
    from training.launch import saved_kind

    fake_fold(tmp_path, 0, 0.8)
    fake_fold(tmp_path, 1, 0.8, kind="checkpoint")
    fake_fold(tmp_path, 2, 0.8, meta="[1, 2]")
    fake_fold(tmp_path, 3, 0.8, meta='{"kind": "mod')
    kinds = [saved_kind(tmp_path / f"fold{k}" / "best") for k in range(5)]  # fold4: no folder at all
    assert kinds == ["model", "checkpoint", None, None, None]
