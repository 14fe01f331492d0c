"""Which layers can take dynamic int8 quantisation and keep scores within 0.02 of fp32?

``benchmarks/score_speed.py`` found that quantising every linear layer changes scores by
up to ~0.3. This script quantises one group of linear layers at a time (torch dynamic
int8: per-tensor activation scales, per-tensor int8 weights) and reports the largest,
mean and 99th-percentile score difference against fp32 on the same BABE sentences, with
the time each took (single thread). Writes ``benchmarks/results/int8_layers.json``.

    SLANT_DATA_ROOT=../shared/data python benchmarks/int8_layers.py [--n 400]
"""
from __future__ import annotations

import copy
import time
import warnings

import numpy as np

from training.data_root import resolve_data_root

from save_result import save_result  # benchmarks/save_result.py
from script_args import ScriptParser, at_least, run

GROUPS = {
    "all linear layers": lambda n: True,
    "encoder only (heads fp32)": lambda n: n.startswith("encoder."),
    "encoder except FFN output": lambda n: n.startswith("encoder.") and (not n.endswith("output.dense") or n.endswith("attention.output.dense")),
    "attention only (q, k, v, out)": lambda n: ".attention." in n,
    "FFN input only": lambda n: n.endswith("intermediate.dense"),
}


def group_differences(folder, texts: list[str]) -> dict:
    """Score ``texts`` with ``folder``'s model (None: the shipped one) in fp32 and with each group of
    linear layers quantised; the figures per group. Each group quantises a copy of the network taken
    before the fp32 scorer first runs: that run packs the scorer's own linear layers in place
    (``models.packed_linear``), and packed weights can be neither deep-copied nor quantised."""
    import torch  # the heavy imports, after the arguments are checked
    from torch import nn

    from inference.scorer import Scorer

    base = Scorer.load(folder, precision="fp32", targets=False)
    pristine = copy.deepcopy(base.loaded.model)
    start = time.perf_counter()
    ref = np.array([r.score for r in base.score_sentences(texts)])
    res = {"sentences": len(texts), "fp32_seconds": round(time.perf_counter() - start, 2), "groups": {}}
    for name, include in GROUPS.items():
        model = copy.deepcopy(pristine)
        layers = {n for n, m in model.named_modules() if isinstance(m, nn.Linear) and include(n)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quantized = torch.ao.quantization.quantize_dynamic(model, layers, dtype=torch.qint8)
        scorer = Scorer.load(folder, precision="int8", targets=False)
        scorer.use_network(quantized)  # the scorer's own int8 route, restricted to these layers
        start = time.perf_counter()
        out = np.array([r.score for r in scorer.score_sentences(texts)])
        diff = np.abs(out - ref)
        res["groups"][name] = {"layers": len(layers), "max_abs_diff": round(float(diff.max()), 4),
                               "mean_abs_diff": round(float(diff.mean()), 4),
                               "p99_abs_diff": round(float(np.quantile(diff, 0.99)), 4),
                               "seconds": round(time.perf_counter() - start, 2)}
        print(name, res["groups"][name])
    return res


def main() -> None:
    ap = ScriptParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=at_least(1), default=400)
    args = ap.parse_args()
    root = resolve_data_root("")
    import torch

    from training.data import load_source

    torch.set_num_threads(1)
    texts = list(load_source("babe", root)["text"])[: args.n]
    print(f"wrote {save_result('int8_layers.json', group_differences(None, texts))}")

if __name__ == "__main__":
    run(main)
