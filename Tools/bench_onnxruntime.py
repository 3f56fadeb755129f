#!/usr/bin/env python3
"""ONNX Runtime CPU side of `swiftpose bench`, inference only: the model of Tools/bench_pytorch.py exported to
ONNX and run by onnxruntime's CPUExecutionProvider. Prints lines in the same format as `swiftpose bench`.

    pip install onnxruntime onnx
    python3 Tools/bench_onnxruntime.py --model res50 --batch 32 --runs 3 --warmup 1 [--threads 2]

The model (eval mode, PyTorch's default random init, seed 0) is exported once, with a dynamic batch axis, by
PyTorch's TorchScript exporter (`dynamo=False`, opset 17; the dynamo exporter would need onnxscript). The session
uses `--threads` intra-op threads, 1 inter-op thread and ORT_ENABLE_ALL. Before anything is timed, ORT's output
for batch 1 and `--batch` must equal PyTorch's within 1e-4 of max|PyTorch output|, or the script exits with an
error. The peak RSS line covers the ONNX Runtime part only: the high-water mark is reset (/proc/self/clear_refs)
after the PyTorch reference runs and the model are freed.
"""
import argparse
import gc
import os
import sys
import tempfile
import time
import warnings

import onnxruntime as ort
import torch

TOOLS = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [TOOLS, os.path.join(TOOLS, "fixtures")]
from bench_pytorch import conv_flops, line, measure, model_arguments  # noqa: E402
from torch_models import build_model  # noqa: E402

OPSET = 17
TOLERANCE = 1e-4


def export(model, x, path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the TorchScript exporter is deprecated in 2.9+
        torch.onnx.export(model, (x,), path, dynamo=False, opset_version=OPSET,
                          input_names=["image"], output_names=["heatmaps"],
                          dynamic_axes={"image": {0: "batch"}, "heatmaps": {0: "batch"}})


def make_session(path, threads):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def check(session, x, ref):
    """Exits unless ORT's output equals the PyTorch reference within TOLERANCE of max|ref|."""
    out = session.run(None, {"image": x})[0]
    err, scale = abs(out - ref).max(), abs(ref).max()
    print(f"# check N={x.shape[0]}: max|ORT - PyTorch| {err:.3g}, max|PyTorch| {scale:.3g}, ratio {err / scale:.2g}")
    if out.shape != ref.shape or not err <= TOLERANCE * scale:
        sys.exit(f"ONNX Runtime output differs from PyTorch's: shape {out.shape} vs {ref.shape}, "
                 f"max error {err:.3g} > {TOLERANCE:g} × {scale:.3g}")


def reset_peak_rss():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        print("# could not reset the peak RSS: it includes the PyTorch reference runs")


def peak_rss_mib():
    with open("/proc/self/status") as f:
        return next(int(row.split()[1]) for row in f if row.startswith("VmHWM:")) / 1024


def main():
    parser = model_arguments(argparse.ArgumentParser(description=__doc__.split("\n\n")[0]))
    parser.add_argument("--threads", type=int, default=2, help="ORT intra-op threads")
    args = parser.parse_args()

    torch.manual_seed(0)
    model = build_model(args.model).eval()
    inputs = [torch.randn(n, 3, args.height, args.width) for n in (1, args.batch)]
    flops = [conv_flops(model, x) for x in inputs]
    with torch.no_grad():
        refs = [model(x).numpy() for x in inputs]
    print(f"# ONNX Runtime {ort.__version__}, {args.threads} intra-op threads, CPUExecutionProvider, "
          f"ORT_ENABLE_ALL, TorchScript exporter opset {OPSET}, {time.ctime()}")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, f"{args.model}.onnx")
        export(model, inputs[0], path)
        session = make_session(path, args.threads)
    inputs = [x.numpy() for x in inputs]
    for x, ref in zip(inputs, refs):
        check(session, x, ref)
    del model, refs
    gc.collect()
    reset_peak_rss()

    for x, f in zip(inputs, flops):
        times = measure(lambda: session.run(None, {"image": x}), args.runs, args.warmup)
        print(line(f"onnxruntime inference {args.model}", x.shape[0], args, times, f))
    print(f"peak RSS {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
