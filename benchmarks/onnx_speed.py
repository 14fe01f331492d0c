"""ONNX Runtime as a scoring route: the shipped framing network exported to ONNX, against the scorer's torch routes.

Issue 3 asks for each route to be measured and the winner kept. This script exports the
shipped model's merged fp32 network (sentence logits; the span head is left out, so it is
compared with the scorer's spans-off route) and times, on the same 2,000 news sentences as
``score_speed.py`` and the same length-sorted batches as the scorer:
- torch (the scorer's own network): bf16 packed weights, fp32 packed weights;
- ONNX Runtime 1.x, CPU provider, all graph optimisations: the exported fp32 graph; the same
  graph after ``onnxruntime.transformers.optimizer`` (fused attention, LayerNorm and GELU);
  the same from transformers' ``BertModel`` graph (fused Attention too), in fp32 and converted
  to fp16 inside; int8 dynamic quantisation of both fused graphs (``quantize_dynamic``).
Network time only: tokenising, batching and the calibrated probability are shared, and not
timed. Prints sentences/s and the largest difference in framing probability (per window) against torch fp32;
writes ``benchmarks/results/onnx_speed.json``. Needs ``pip install onnxruntime onnx onnxscript``
(not a Slant dependency: this route was not kept).

    python benchmarks/onnx_speed.py [--model DIR] [--n 2000] [--repeats 3]
"""
from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from models import default_model_path
from training.data_root import resolve_data_root

from save_result import save_result  # benchmarks/save_result.py
import score_speed  # benchmarks/score_speed.py
from score_speed import news_sentences
from script_args import ScriptParser, at_least, model_folder, require_modules, run

if TYPE_CHECKING:
    import torch

    from inference.scorer import Scorer


def sentence_logits(net: torch.nn.Module) -> torch.nn.Module:
    """The framing network's sentence head only, with plain (ids, mask) inputs for export."""
    import torch

    class SentenceLogits(torch.nn.Module):
        def __init__(self, net: torch.nn.Module):
            super().__init__()
            self.net = net

        def forward(self, input_ids, attention_mask):
            return self.net(input_ids, attention_mask, spans=False)["logits"]

    return SentenceLogits(net)


def batches_of(scorer: Scorer, sentences: list[str]) -> tuple[list[tuple[list[int], torch.Tensor, torch.Tensor]], int]:
    """The scorer's windows (a sentence past 126 word pieces is several) in its batches."""
    from inference.batching import length_batches, pad_batch

    pieces = scorer._pieces(sentences)
    out = []
    for batch in length_batches([len(p.ids) for p in pieces], scorer.token_budget, scorer.max_batch):
        ids, mask = pad_batch([pieces[k].ids for k in batch])
        out.append((batch, ids, mask))
    return out, len(pieces)


def run_all(fn, batches, n: int) -> np.ndarray:
    logits = np.zeros((n, 2), dtype=np.float32)
    for batch, ids, mask in batches:
        logits[batch] = fn(ids, mask)
    return logits


def warm_and_time(fn, batches, n: int) -> tuple[np.ndarray, float]:
    """One warm-up pass over two batches, then ``score_speed.timed`` (fastest of its REPEATS)."""
    run_all(fn, batches[:2], n)
    return score_speed.timed(run_all, fn, batches, n)


def export(net: torch.nn.Module, ids: torch.Tensor, mask: torch.Tensor, path: Path) -> None:
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(sentence_logits(net).eval(), (ids, mask), str(path), input_names=["input_ids", "attention_mask"],
                          output_names=["logits"], dynamic_axes={"input_ids": {0: "b", 1: "n"},
                                                                 "attention_mask": {0: "b", 1: "n"}, "logits": {0: "b"}},
                          opset_version=17, dynamo=False)


def ort_runner(path: Path, threads: int):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    return lambda ids, mask: sess.run(None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy()})[0]


def main() -> None:
    ap = ScriptParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=model_folder(), default=None)
    ap.add_argument("--n", type=at_least(1), default=2000)
    ap.add_argument("--repeats", type=at_least(1), default=3)
    args = ap.parse_args()
    require_modules("onnxruntime", "onnx", "onnxscript", install="pip install onnxruntime onnx onnxscript "
                    "(not a Slant dependency: this route was not kept)")
    resolve_data_root("")  # news_sentences reads BABE and PTC from it
    score_speed.REPEATS = max(1, args.repeats)
    # every Slant module this script uses is imported here, after the arguments are checked and
    # before onnxruntime: onnxruntime.transformers appends its own folder, which holds a "models"
    # folder, to sys.path, which in an editable install shadows Slant's `models`
    import torch

    import inference.batching  # noqa: F401 (batches_of's)
    import training.data  # noqa: F401 (news_sentences')
    from inference.scorer import Scorer
    from models.model_folder import load_model
    from training.calibration import apply_temperature

    import onnx
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer

    folder = args.model or default_model_path()
    sentences = news_sentences(args.n)
    n = len(sentences)
    threads = torch.get_num_threads()
    fp32 = Scorer.load(folder, precision="fp32", targets=False, spans=False)
    batches, windows = batches_of(fp32, sentences)
    temperature = fp32.loaded.temperature
    arch = fp32.loaded.arch
    res: dict = {"sentences": n, "threads": threads, "model": str(folder), "onnxruntime": onnxruntime.__version__,
                 "windows": windows, "batches": len(batches), "note": "network time only (tokenising and batching excluded), spans off"}

    with tempfile.TemporaryDirectory() as tmp:
        plain, fused, int8 = Path(tmp, "plain.onnx"), Path(tmp, "fused.onnx"), Path(tmp, "int8.onnx")
        _, ids, mask = batches[len(batches) // 2]
        export(fp32.loaded.model, ids, mask, plain)  # before the scorer packs its weights
        enc = fp32.loaded.model.encoder.config
        opt = optimizer.optimize_model(str(plain), model_type="bert", num_heads=enc.num_attention_heads,
                                       hidden_size=enc.hidden_size)
        res["fused_ops"] = {k: v for k, v in opt.get_fused_operator_statistics().items() if v}
        print(f"fused: {res['fused_ops']}")
        opt.save_model_to_file(str(fused))
        quantize_dynamic(str(fused), str(int8), weight_type=QuantType.QInt8,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})

        # the same weights in transformers' BertModel (eager attention), whose graph ORT's
        # optimizer knows how to fuse into its Attention operator
        hf = load_model(folder).model.eval()
        hf.encoder.set_attn_implementation("eager")
        hf_plain, hf_fused = Path(tmp, "hf_plain.onnx"), Path(tmp, "hf_fused.onnx")
        export(hf, ids, mask, hf_plain)
        opt = optimizer.optimize_model(str(hf_plain), model_type="bert", num_heads=enc.num_attention_heads,
                                       hidden_size=enc.hidden_size)
        res["fused_ops_hf"] = {k: v for k, v in opt.get_fused_operator_statistics().items() if v}
        print(f"fused (transformers graph): {res['fused_ops_hf']}")
        opt.save_model_to_file(str(hf_fused))
        hf_fp16 = Path(tmp, "hf_fp16.onnx")
        opt.convert_float_to_float16(keep_io_types=True)  # fp16 weights and activations inside
        opt.save_model_to_file(str(hf_fp16))
        hf_int8 = Path(tmp, "hf_int8.onnx")
        quantize_dynamic(str(hf_fused), str(hf_int8), weight_type=QuantType.QInt8,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})

        routes = {}
        with torch.inference_mode():
            net32 = fp32.network()
            routes["torch_fp32_packed"] = lambda i, m: net32(i, m, spans=False)["logits"].float().numpy()
            bf16 = Scorer.load(folder, targets=False, spans=False)
            if bf16.bf16:
                net16 = bf16.network()
                routes["torch_bf16_packed"] = lambda i, m: net16(i, m, spans=False)["logits"].float().numpy()
            routes["ort_fp32"] = ort_runner(plain, threads)
            routes["ort_fp32_fused"] = ort_runner(fused, threads)
            routes["ort_int8_fused"] = ort_runner(int8, threads)
            routes["ort_fp32_fused_attention"] = ort_runner(hf_fused, threads)
            routes["ort_fp16_fused_attention"] = ort_runner(hf_fp16, threads)
            routes["ort_int8_fused_attention"] = ort_runner(hf_int8, threads)
            results = {name: warm_and_time(fn, batches, windows) for name, fn in routes.items()}
    ref = apply_temperature(results["torch_fp32_packed"][0], temperature)
    for name, (logits, seconds) in results.items():
        p = apply_temperature(logits, temperature)
        res[name] = {"sent_per_s": n / seconds, "max_abs_diff_vs_torch_fp32": float(np.abs(p - ref).max()),
                     "label_agreement_vs_torch_fp32": float(np.mean((p >= fp32.threshold) == (ref >= fp32.threshold)))}
        print(f"{name:20s} {n / seconds:7.1f} sentences/s   largest difference vs torch fp32 "
              f"{res[name]['max_abs_diff_vs_torch_fp32']:.4f}")
    res["labels"] = list(arch.labels)
    print(f"wrote {save_result('onnx_speed.json', res)}")


if __name__ == "__main__":
    run(main)
