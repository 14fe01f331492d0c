"""Two CPU processes under torchrun (gloo DDP) train the tiny model; only rank 0 writes."""
import json
import subprocess
import sys

from tests.conftest import tiny_overrides


def test_torchrun_two_processes_trains_and_only_rank0_writes(tmp_path, synthetic_jsonl):
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text("model:\n  base: tiny-random-bert\n")
    flags = [f"--{o}" for o in tiny_overrides(synthetic_jsonl, **{"train.epochs": 2, "train.batch_size": 4})]
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29533",
         "-m", "inference.cli", "train", str(cfg), "--out", str(out), *flags],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.count("model saved to") == 1  # rank 1 writes nothing
    lines = (out / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 2  # one line per epoch, not one per process
    meta = json.loads((out / "best" / "meta.json").read_text())
    assert meta["train"]["processes"] == 2
    n_train = next(d["n_train"] for d in meta["data"] if d["source"] == "all")
    batches = -(-n_train // 4)
    assert meta["train"]["steps"] == 2 * (batches // 2)  # each process takes every second batch

    from training.config import load_config
    from training.train import train

    single = train(load_config(cfg, [f[2:] for f in flags]), tmp_path / "single")
    single_meta = json.loads((single / "meta.json").read_text())
    assert single_meta["train"]["steps"] == 2 * batches
    assert abs(single_meta["metrics"]["dev"]["macro_f1"] - meta["metrics"]["dev"]["macro_f1"]) <= 0.2
