"""Wall time and peak RSS of one training run (a fresh ``slant train`` process).

    python benchmarks/train_time.py configs/default.yaml --out runs/default [--train.bf16 off ...]

Prints the figures and the test metrics of the trained model, and writes
``benchmarks/results/train_<config>.json``.
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from save_result import save_result  # benchmarks/save_result.py


def main() -> None:
    if len(sys.argv) < 4 or sys.argv[2] != "--out":
        sys.exit("usage: python benchmarks/train_time.py CONFIG --out RUN_DIR [dotted overrides]")
    config, out, extra = sys.argv[1], Path(sys.argv[3]), sys.argv[4:]
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "inference.cli", "train", config, "--out", str(out), *extra], check=True)
    wall = time.perf_counter() - start
    meta = json.loads((out / "best" / "meta.json").read_text())
    source = next(iter(meta["metrics"]["test"]))
    result = {
        "config": config, "overrides": extra, "wall_seconds": round(wall, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "train": meta["train"],
        "test": {name: {k: b.get(k) for k in ("macro_f1", "accuracy", "ece", "ece_uncalibrated")}
                 for name, b in meta["metrics"]["test"].items()},
        "model_bytes": sum(f.stat().st_size for f in (out / "best").iterdir()),
    }
    print(json.dumps(result, indent=2))
    name = Path(config).stem + ("_" + "_".join(a.lstrip("-").replace("=", "-").replace(".", "-") for a in extra) if extra else "")
    print(f"wrote {save_result(f'train_{name}.json', result)} (eval source: {source})")


if __name__ == "__main__":
    main()
