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

from training.config import load_config, parse_dotted_flags

from save_result import save_result  # benchmarks/save_result.py
from script_args import ScriptParser, output_folder, run


def main() -> int | None:
    ap = ScriptParser(description=__doc__.split("\n\n")[0],
                      usage="python benchmarks/train_time.py CONFIG --out RUN_DIR [dotted overrides, e.g. --train.bf16 off]")
    ap.add_argument("config", help="the training config (YAML)")
    ap.add_argument("--out", required=True, type=output_folder, help="the run folder slant train writes")
    args, extra = ap.parse_known_args()
    load_config(args.config, parse_dotted_flags(extra))  # checked as slant train checks them, before it starts
    config, out = args.config, args.out
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "inference.cli", "train", config, "--out", str(out), *extra])
    if done.returncode:  # slant train has said why on stderr (one line for anything the user can fix)
        return done.returncode
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
    run(main)
