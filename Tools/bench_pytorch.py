#!/usr/bin/env python3
"""PyTorch CPU side of `swiftpose bench`: the same model, shapes and cases, at PyTorch's best CPU settings
(channels_last, float32, tcmalloc preloaded). Prints lines in the same format as `swiftpose bench`.

    LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 \
        python3 Tools/bench_pytorch.py --model res50 --batch 32 --runs 5

The model comes from Tools/fixtures/torch_models.py (SwiftPose's structure and names).
"""
import argparse
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures"))
from torch_models import build_model  # noqa: E402


def conv_flops(model, x):
    """Forward convolution FLOPs (2 per multiply-add), counted with hooks like SwiftPose's FlopCounter."""
    total = [0.0]

    def hook(module, inputs, output):
        w = module.weight
        if isinstance(module, torch.nn.ConvTranspose2d):
            n, _, h, wd = inputs[0].shape
            total[0] += 2.0 * n * h * wd * w.shape[0] * w.shape[1] * w.shape[2] * w.shape[3]
        else:
            n, o, h, wd = output.shape
            total[0] += 2.0 * n * o * h * wd * w.shape[1] * w.shape[2] * w.shape[3]

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))]
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()
    return total[0]


def measure(body, runs, warmup):
    for _ in range(warmup):
        body()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
    return sorted(times)


def line(name, batch, args, times, flops):
    median = times[len(times) // 2]
    p90 = times[min(len(times) - 1, -(-len(times) * 9 // 10) - 1)]
    precision = "bf16-autocast" if getattr(args, "bf16", False) else "fp32"
    return (f"{name} N={batch} {args.height}x{args.width} {precision} median {median * 1e3:.1f} ms p90 {p90 * 1e3:.1f} ms "
            f"min {times[0] * 1e3:.1f} ms (n={len(times)}) {batch / median:.2f} img/s {flops / median / 1e9:.0f} GFLOP/s")


def model_arguments(parser):
    """The options every model benchmark script shares (model, shapes, runs)."""
    parser.add_argument("--model", default="res50")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--height", type=int, default=256)
    parser.add_argument("--width", type=int, default=192)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    return parser


def main():
    parser = model_arguments(argparse.ArgumentParser())
    parser.add_argument("--case", choices=["all", "inference", "training"], default="all")
    parser.add_argument("--adam", action="store_true", help="include an Adam step in the training case")
    parser.add_argument("--bf16", action="store_true",
                        help="run every case under torch.autocast('cpu', torch.bfloat16) (fp32 weights and optimizer)")
    args = parser.parse_args()
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16)

    torch.manual_seed(0)
    model = build_model(args.model).to(memory_format=torch.channels_last)
    preload = os.environ.get("LD_PRELOAD", "")
    print(f"# PyTorch {torch.__version__}, {torch.get_num_threads()} threads, channels_last, "
          f"allocator {'tcmalloc' if 'tcmalloc' in preload else 'glibc'}, {time.ctime()}")
    if args.case != "training":
        model.eval()
        for n in (1, args.batch):
            x = torch.randn(n, 3, args.height, args.width).to(memory_format=torch.channels_last)
            flops = conv_flops(model, x)

            def infer():
                with torch.no_grad(), autocast:
                    model(x)
            print(line(f"inference {args.model}", n, args, measure(infer, args.runs, args.warmup), flops))
    if args.case != "inference":
        model.train()
        x = torch.randn(args.batch, 3, args.height, args.width).to(memory_format=torch.channels_last)
        target = torch.zeros(args.batch, 17, args.height // 4, args.width // 4)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3) if args.adam else None
        flops = 3 * conv_flops(model, x)

        def step():
            model.zero_grad(set_to_none=True)
            with autocast:
                prediction = model(x)
            F.mse_loss(prediction.float(), target).backward()
            if optimizer:
                optimizer.step()
        name = f"training fwd+bwd{'+adam' if args.adam else ''} {args.model}"
        print(line(name, args.batch, args, measure(step, args.runs, args.warmup), flops))
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
